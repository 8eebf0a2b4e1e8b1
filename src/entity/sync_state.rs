//! `freshdesk_sync_state`: how far each of a merchant's sync streams has
//! got (its watermark), written in the same transaction as the data.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::MerchantId;

/// A sync-state row: one per merchant and stream.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "freshdesk_sync_state")]
pub struct Model {
    /// Tenant key; with `stream`, the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: MerchantId,
    /// The stream: `tickets`, `tickets_deleted`, `tickets_spam`,
    /// `conversations`, `ratings`, `agents` or `contacts`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub stream: String,
    /// The `updated_at` (or `created_at`) the stream has been applied up
    /// to: the next fetch asks for records updated since it.
    pub watermark: DateTime<Utc>,
    /// When the watermark was last written.
    pub updated_at: DateTime<Utc>,
}

/// A sync-state row has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
