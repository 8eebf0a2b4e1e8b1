//! `freshdesk_contact`: the merchant's customers (ticket requesters).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::{ContactId, MerchantId};

/// A contact row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "freshdesk_contact")]
pub struct Model {
    /// Surrogate primary key.
    #[sea_orm(primary_key)]
    pub id: ContactId,
    /// Tenant key.
    pub merchant_id: MerchantId,
    /// Freshdesk's contact id; unique per merchant.
    pub freshdesk_contact_id: String,
    /// Display name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Email address, when known.
    #[sea_orm(column_type = "Text", nullable)]
    pub email: Option<String>,
    /// The payload's `updated_at` (UTC): a sync write changes the row only
    /// when its record is not older. `None` on a row no sync has written
    /// (a placeholder, or a row written through the repository), so any
    /// synced record wins over it.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Relations of a contact.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Tickets that reference this contact.
    #[sea_orm(has_many = "super::ticket::Entity")]
    Ticket,
}

impl Related<super::ticket::Entity> for Entity {
    fn to() -> RelationDef {
        super::ticket::Relation::Requester.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
