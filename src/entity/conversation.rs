//! `freshdesk_conversation`: replies and notes on a ticket.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::{ConversationId, MerchantId, TicketId};

/// A conversation row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "freshdesk_conversation")]
pub struct Model {
    /// Surrogate primary key.
    #[sea_orm(primary_key)]
    pub id: ConversationId,
    /// Tenant key.
    pub merchant_id: MerchantId,
    /// The ticket, `(merchant_id, ticket_id) → ticket (merchant_id, id)`, on delete cascade.
    pub ticket_id: TicketId,
    /// Freshdesk's conversation id; unique per merchant.
    pub freshdesk_conversation_id: String,
    /// Body text.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// True when the customer wrote it.
    pub incoming: bool,
    /// True for a private note.
    pub private: bool,
    /// Freshdesk user id of the author, when known.
    pub author_id: Option<i64>,
    /// When it was written (UTC).
    pub created_at: DateTime<Utc>,
    /// The payload's `updated_at` (UTC): a sync write changes the row only
    /// when its record is not older. `None` on a row no sync has written
    /// (a placeholder, or a row written through the repository), so any
    /// synced record wins over it.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Relations of a conversation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ticket this conversation belongs to.
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
