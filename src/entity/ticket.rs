//! `freshdesk_unified_ticket_view`: one row per Freshdesk ticket of a merchant.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::Serialize;

use super::enums::{Priority, Source, TicketStatus};
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};

/// A ticket row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "freshdesk_unified_ticket_view")]
pub struct Model {
    /// Surrogate primary key.
    #[sea_orm(primary_key)]
    pub id: TicketId,
    /// Tenant key.
    pub merchant_id: MerchantId,
    /// Freshdesk's ticket id; unique per merchant.
    pub freshdesk_ticket_id: String,
    /// Subject line.
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    /// Status code (2 Open … 7 Waiting on third party; custom codes load as `Other`).
    pub status: TicketStatus,
    /// Priority code (1 Low … 4 Urgent).
    pub priority: Priority,
    /// Channel the ticket came in through.
    pub source: Option<Source>,
    /// The contact who asked (`freshdesk_contact.id`).
    pub requester_id: Option<ContactId>,
    /// The assigned agent (`freshdesk_agent.id`).
    pub responder_id: Option<AgentId>,
    /// When the ticket was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the ticket was last updated (UTC).
    pub updated_at: DateTime<Utc>,
    /// When an agent first responded (UTC).
    pub first_responded_at: Option<DateTime<Utc>>,
    /// Seconds from `created_at` to `first_responded_at`.
    pub first_response_time: Option<i64>,
    /// First-response SLA deadline.
    pub fr_due_by: Option<DateTime<Utc>>,
    /// Resolution SLA deadline.
    pub due_by: Option<DateTime<Utc>>,
    /// When the ticket was resolved (kept if it is reopened).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the ticket was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// JSON array of tag strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: Json,
    /// JSON object of the account's custom fields.
    #[sea_orm(column_type = "JsonBinary")]
    pub custom_fields: Json,
    /// Set by a sync job once it has handled the ticket.
    pub processed: bool,
    /// Deleted in Freshdesk (listed with `filter=deleted`): kept with its
    /// children, left out of analytics and default listings.
    pub deleted: bool,
    /// Marked as spam in Freshdesk (listed with `filter=spam`): kept, left
    /// out of analytics and default listings.
    pub spam: bool,
    /// When the ticket was last reopened (`stats.reopened_at`, UTC).
    pub reopened_at: Option<DateTime<Utc>>,
}

/// Relations of a ticket.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ticket's conversations (replies and notes).
    #[sea_orm(has_many = "super::conversation::Entity")]
    Conversation,
    /// The ticket's satisfaction ratings.
    #[sea_orm(has_many = "super::rating::Entity")]
    Rating,
    /// The requester, `(merchant_id, requester_id) → contact (merchant_id, id)`.
    #[sea_orm(
        belongs_to = "super::contact::Entity",
        from = "(Column::MerchantId, Column::RequesterId)",
        to = "(super::contact::Column::MerchantId, super::contact::Column::Id)"
    )]
    Requester,
    /// The assigned agent, `(merchant_id, responder_id) → agent (merchant_id, id)`.
    #[sea_orm(
        belongs_to = "super::agent::Entity",
        from = "(Column::MerchantId, Column::ResponderId)",
        to = "(super::agent::Column::MerchantId, super::agent::Column::Id)"
    )]
    Responder,
}

impl Related<super::conversation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Conversation.def()
    }
}

impl Related<super::rating::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Rating.def()
    }
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Requester.def()
    }
}

impl Related<super::agent::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Responder.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Open, pending or waiting (status 2, 3, 6 or 7).
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// Resolved or closed (status 4 or 5).
    pub fn is_resolved(&self) -> bool {
        self.status.is_resolved()
    }

    /// Deleted or spam: kept in the tables, left out of analytics and of
    /// default listings.
    pub fn is_flagged(&self) -> bool {
        self.deleted || self.spam
    }

    /// Hours since creation, as of `now` (fractional; negative if `created_at` is after `now`).
    pub fn age_hours_at(&self, now: DateTime<Utc>) -> f64 {
        (now - self.created_at).num_milliseconds() as f64 / 3_600_000.0
    }

    /// Hours since creation, as of the system clock. See [`Model::age_hours_at`].
    pub fn age_hours(&self) -> f64 {
        self.age_hours_at(Utc::now())
    }

    /// The tags, skipping any element that is not a string.
    pub fn tag_list(&self) -> Vec<&str> {
        match &self.tags {
            Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// Whole seconds from `created_at` to `first_responded_at` (the fraction
/// truncated), as the `first_response_time` column stores it. `None` when
/// there was no response yet.
pub fn first_response_seconds(
    created_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
) -> Option<i64> {
    first_responded_at.map(|at| (at - created_at).num_seconds())
}
