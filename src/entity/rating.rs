//! `freshdesk_rating`: customer satisfaction ratings of a ticket.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::{MerchantId, RatingId, TicketId};

/// A satisfaction rating row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "freshdesk_rating")]
pub struct Model {
    /// Surrogate primary key.
    #[sea_orm(primary_key)]
    pub id: RatingId,
    /// Tenant key.
    pub merchant_id: MerchantId,
    /// The rated ticket, `(merchant_id, ticket_id) → ticket (merchant_id, id)`, on delete cascade.
    pub ticket_id: TicketId,
    /// Freshdesk's rating id; unique per merchant.
    pub freshdesk_rating_id: String,
    /// Freshdesk's scale: 103 extremely happy … 100 neutral … -103 extremely unhappy.
    pub rating: i32,
    /// Free-text feedback.
    #[sea_orm(column_type = "Text", nullable)]
    pub feedback: Option<String>,
    /// When the customer rated (UTC).
    pub created_at: DateTime<Utc>,
    /// The payload's `updated_at` (UTC): a sync write changes the row only
    /// when its record is not older. `None` on a row no sync has written
    /// (a placeholder, or a row written through the repository), so any
    /// synced record wins over it.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Relations of a rating.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The rated ticket.
    #[sea_orm(
        belongs_to = "super::ticket::Entity",
        from = "(Column::MerchantId, Column::TicketId)",
        to = "(super::ticket::Column::MerchantId, super::ticket::Column::Id)",
        on_delete = "Cascade"
    )]
    Ticket,
}

impl Related<super::ticket::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ticket.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// The lowest rating that counts as positive for CSAT is 101 (happy).
pub const POSITIVE_THRESHOLD: i32 = 100;

impl Model {
    /// Happy or better (rating > 100): what CSAT counts as positive.
    pub fn is_positive(&self) -> bool {
        self.rating > POSITIVE_THRESHOLD
    }
}
