//! Write inputs: what a caller gives to insert or upsert a ticket, a
//! conversation or a rating. None of them carries a merchant id: the
//! repository sets it from its `merchant` argument.
//!
//! No text of a write (ids, subject, body, feedback, tags, names, emails,
//! or any string or key inside `custom_fields`) may contain a NUL
//! character: PostgreSQL cannot store one, so every backend rejects it the
//! same way, with [`Error::InvalidInput`] naming the field, before
//! anything is sent.
//!
//! Likewise every timestamp must lie in the [supported range](crate::time)
//! (`1000-01-01T00:00:00Z..=9999-12-31T23:59:59.999999Z`), and
//! `custom_fields` must be nested at most
//! [`MAX_JSON_DEPTH`](super::MAX_JSON_DEPTH) levels deep and serialize to
//! at most [`MAX_JSON_BYTES`](super::MAX_JSON_BYTES) (as must the `tags`
//! array): a deeper document is refused by MariaDB and, stored on
//! PostgreSQL or SQLite, would make every page holding its row fail to
//! load.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, NotSet};
use serde::{Deserialize, Serialize};

use super::upsert::NewestWins;
use super::validate::{MAX_JSON_BYTES, check_freshdesk_id, check_json, check_text};
use crate::entity::enums::{Priority, Source, TicketStatus};
use crate::entity::{conversation, rating, ticket};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::time::check_row_instant;

/// Truncates to whole microseconds: what PostgreSQL and MariaDB store, so
/// every backend reads back the same instant.
pub(crate) fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// A ticket to insert or upsert.
///
/// `first_response_time` is not an input: the write path derives it from
/// `created_at` and `first_responded_at`. Timestamps are stored to the
/// microsecond.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Freshdesk's ticket id: non-empty, at most 255 bytes, unique per merchant.
    pub freshdesk_ticket_id: String,
    /// Subject line.
    pub subject: String,
    /// Status.
    pub status: TicketStatus,
    /// Priority.
    pub priority: Priority,
    /// Channel the ticket came in through.
    pub source: Option<Source>,
    /// The contact who asked (one of the same merchant's contacts).
    pub requester_id: Option<ContactId>,
    /// The assigned agent (one of the same merchant's agents).
    pub responder_id: Option<AgentId>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last update instant.
    pub updated_at: DateTime<Utc>,
    /// First agent response.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// First-response SLA deadline.
    pub fr_due_by: Option<DateTime<Utc>>,
    /// Resolution SLA deadline.
    pub due_by: Option<DateTime<Utc>>,
    /// Resolution instant.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closing instant.
    pub closed_at: Option<DateTime<Utc>>,
    /// Tags.
    pub tags: Vec<String>,
    /// The account's custom fields: a JSON object.
    pub custom_fields: serde_json::Value,
    /// The `processed` flag for a new row (an upsert keeps an existing
    /// row's flag).
    pub processed: bool,
}

impl NewTicket {
    /// An open, medium-priority ticket created (and last updated) at
    /// `created_at`, with nothing else set.
    pub fn new(
        freshdesk_ticket_id: impl Into<String>,
        subject: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            freshdesk_ticket_id: freshdesk_ticket_id.into(),
            subject: subject.into(),
            status: TicketStatus::Open,
            priority: Priority::Medium,
            source: None,
            requester_id: None,
            responder_id: None,
            created_at,
            updated_at: created_at,
            first_responded_at: None,
            fr_due_by: None,
            due_by: None,
            resolved_at: None,
            closed_at: None,
            tags: Vec::new(),
            custom_fields: serde_json::json!({}),
            processed: false,
        }
    }

    pub(crate) fn validate(&self, index: usize) -> Result<()> {
        check_freshdesk_id("freshdesk_ticket_id", index, &self.freshdesk_ticket_id)?;
        check_text("subject", index, &self.subject)?;
        let instants = [
            ("created_at", Some(self.created_at)),
            ("updated_at", Some(self.updated_at)),
            ("first_responded_at", self.first_responded_at),
            ("fr_due_by", self.fr_due_by),
            ("due_by", self.due_by),
            ("resolved_at", self.resolved_at),
            ("closed_at", self.closed_at),
        ];
        for (field, at) in instants {
            if let Some(at) = at {
                check_row_instant(field, index, at)?;
            }
        }
        let mut tags_bytes = 2_usize;
        for tag in &self.tags {
            check_text("tags", index, tag)?;
            tags_bytes = tags_bytes.saturating_add(tag.len().saturating_add(3));
        }
        if tags_bytes > MAX_JSON_BYTES {
            return Err(Error::invalid_input(
                "tags",
                format!("row {index}: must be at most {MAX_JSON_BYTES} bytes as JSON"),
            ));
        }
        if !self.custom_fields.is_object() {
            return Err(Error::invalid_input(
                "custom_fields",
                format!("row {index}: must be a JSON object"),
            ));
        }
        check_json("custom_fields", index, &self.custom_fields)
    }

    pub(crate) fn into_active(self, merchant: MerchantId) -> ticket::ActiveModel {
        let created_at = micros(self.created_at);
        let first_responded_at = self.first_responded_at.map(micros);
        ticket::ActiveModel {
            id: NotSet,
            merchant_id: Set(merchant),
            freshdesk_ticket_id: Set(self.freshdesk_ticket_id),
            subject: Set(self.subject),
            status: Set(self.status),
            priority: Set(self.priority),
            source: Set(self.source),
            requester_id: Set(self.requester_id),
            responder_id: Set(self.responder_id),
            created_at: Set(created_at),
            updated_at: Set(micros(self.updated_at)),
            first_responded_at: Set(first_responded_at),
            first_response_time: Set(ticket::first_response_seconds(
                created_at,
                first_responded_at,
            )),
            fr_due_by: Set(self.fr_due_by.map(micros)),
            due_by: Set(self.due_by.map(micros)),
            resolved_at: Set(self.resolved_at.map(micros)),
            closed_at: Set(self.closed_at.map(micros)),
            tags: Set(serde_json::Value::from(self.tags)),
            custom_fields: Set(self.custom_fields),
            processed: Set(self.processed),
            ..Default::default()
        }
    }
}

/// A conversation (reply or note) to insert or upsert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConversation {
    /// The ticket (one of the same merchant's tickets).
    pub ticket_id: TicketId,
    /// Freshdesk's conversation id: non-empty, at most 255 bytes, unique per merchant.
    pub freshdesk_conversation_id: String,
    /// Body text.
    pub body: String,
    /// Written by the customer.
    pub incoming: bool,
    /// A private note.
    pub private: bool,
    /// Freshdesk user id of the author.
    pub author_id: Option<i64>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl NewConversation {
    /// A public, incoming conversation on `ticket_id`.
    pub fn new(
        ticket_id: TicketId,
        freshdesk_conversation_id: impl Into<String>,
        body: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            ticket_id,
            freshdesk_conversation_id: freshdesk_conversation_id.into(),
            body: body.into(),
            incoming: true,
            private: false,
            author_id: None,
            created_at,
        }
    }

    pub(crate) fn validate(&self, index: usize) -> Result<()> {
        check_freshdesk_id(
            "freshdesk_conversation_id",
            index,
            &self.freshdesk_conversation_id,
        )?;
        check_text("body", index, &self.body)?;
        check_row_instant("created_at", index, self.created_at)
    }

    pub(crate) fn into_active(self, merchant: MerchantId) -> conversation::ActiveModel {
        conversation::ActiveModel {
            id: NotSet,
            merchant_id: Set(merchant),
            ticket_id: Set(self.ticket_id),
            freshdesk_conversation_id: Set(self.freshdesk_conversation_id),
            body: Set(self.body),
            incoming: Set(self.incoming),
            private: Set(self.private),
            author_id: Set(self.author_id),
            created_at: Set(micros(self.created_at)),
            ..Default::default()
        }
    }
}

/// A satisfaction rating to insert or upsert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRating {
    /// The rated ticket (one of the same merchant's tickets).
    pub ticket_id: TicketId,
    /// Freshdesk's rating id: non-empty, at most 255 bytes, unique per merchant.
    pub freshdesk_rating_id: String,
    /// Freshdesk's scale: 103 extremely happy … 100 neutral … -103 extremely unhappy.
    pub rating: i32,
    /// Free-text feedback.
    pub feedback: Option<String>,
    /// When the customer rated.
    pub created_at: DateTime<Utc>,
}

impl NewRating {
    /// A rating of `ticket_id` without feedback.
    pub fn new(
        ticket_id: TicketId,
        freshdesk_rating_id: impl Into<String>,
        rating: i32,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            ticket_id,
            freshdesk_rating_id: freshdesk_rating_id.into(),
            rating,
            feedback: None,
            created_at,
        }
    }

    pub(crate) fn validate(&self, index: usize) -> Result<()> {
        check_freshdesk_id("freshdesk_rating_id", index, &self.freshdesk_rating_id)?;
        check_text("feedback", index, self.feedback.as_deref().unwrap_or(""))?;
        check_row_instant("created_at", index, self.created_at)
    }

    pub(crate) fn into_active(self, merchant: MerchantId) -> rating::ActiveModel {
        rating::ActiveModel {
            id: NotSet,
            merchant_id: Set(merchant),
            ticket_id: Set(self.ticket_id),
            freshdesk_rating_id: Set(self.freshdesk_rating_id),
            rating: Set(self.rating),
            feedback: Set(self.feedback),
            created_at: Set(micros(self.created_at)),
            ..Default::default()
        }
    }
}

/// A row that belongs to a ticket (a conversation or a rating), as the
/// shared write path of [`TicketRepository`](super::TicketRepository) sees it.
pub(crate) trait TicketChild: Send + Sized {
    /// The row to insert.
    type Active: ActiveModelTrait + Send;
    /// The Freshdesk id field, for error messages.
    const FRESHDESK_FIELD: &'static str;
    /// Checks the row; `index` is its position in the batch.
    fn check(&self, index: usize) -> Result<()>;
    /// The ticket it belongs to.
    fn ticket(&self) -> TicketId;
    /// Its Freshdesk id.
    fn freshdesk_id(&self) -> &str;
    /// The row to insert for `merchant`.
    fn active(self, merchant: MerchantId) -> Self::Active;
    /// The newest-wins upsert: a row without a version only replaces a
    /// row without one (never a synced record).
    fn upsert() -> NewestWins<<Self::Active as ActiveModelTrait>::Entity>;
}

impl TicketChild for NewConversation {
    type Active = conversation::ActiveModel;
    const FRESHDESK_FIELD: &'static str = "freshdesk_conversation_id";

    fn check(&self, index: usize) -> Result<()> {
        self.validate(index)
    }
    fn ticket(&self) -> TicketId {
        self.ticket_id
    }
    fn freshdesk_id(&self) -> &str {
        &self.freshdesk_conversation_id
    }
    fn active(self, merchant: MerchantId) -> Self::Active {
        self.into_active(merchant)
    }
    fn upsert() -> NewestWins<conversation::Entity> {
        super::newest::conversation_spec()
    }
}

impl TicketChild for NewRating {
    type Active = rating::ActiveModel;
    const FRESHDESK_FIELD: &'static str = "freshdesk_rating_id";

    fn check(&self, index: usize) -> Result<()> {
        self.validate(index)
    }
    fn ticket(&self) -> TicketId {
        self.ticket_id
    }
    fn freshdesk_id(&self) -> &str {
        &self.freshdesk_rating_id
    }
    fn active(self, merchant: MerchantId) -> Self::Active {
        self.into_active(merchant)
    }
    fn upsert() -> NewestWins<rating::Entity> {
        super::newest::rating_spec()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ids::TicketId;

    fn assert_nul_rejected(result: Result<()>, expected: &str) {
        match result {
            Err(Error::InvalidInput { field, reason }) => {
                assert_eq!(field, expected);
                assert!(reason.contains("NUL"), "{reason}");
            }
            other => panic!("expected invalid {expected}, got {other:?}"),
        }
    }

    #[test]
    fn nul_characters_are_rejected_in_every_text_field() {
        let at = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        let ok = NewTicket::new("fd-1", "subject", at);
        assert!(ok.validate(0).is_ok());

        assert_nul_rejected(
            NewTicket::new("fd\0-1", "s", at).validate(0),
            "freshdesk_ticket_id",
        );
        assert_nul_rejected(NewTicket::new("fd", "a\0b", at).validate(0), "subject");
        let mut t = ok.clone();
        t.tags = vec!["fine".into(), "bad\0".into()];
        assert_nul_rejected(t.validate(0), "tags");
        let mut t = ok.clone();
        t.custom_fields = serde_json::json!({"a": [{"b": "x\0y"}]});
        assert_nul_rejected(t.validate(0), "custom_fields");
        let mut t = ok.clone();
        t.custom_fields = serde_json::json!({"k\0": 1});
        assert_nul_rejected(t.validate(0), "custom_fields");

        let ticket = TicketId::new(1).unwrap();
        assert!(
            NewConversation::new(ticket, "c-1", "body", at)
                .validate(0)
                .is_ok()
        );
        assert_nul_rejected(
            NewConversation::new(ticket, "c\0", "body", at).validate(0),
            "freshdesk_conversation_id",
        );
        assert_nul_rejected(
            NewConversation::new(ticket, "c-1", "\0", at).validate(0),
            "body",
        );
        let mut r = NewRating::new(ticket, "r-1", 103, at);
        assert!(r.validate(0).is_ok());
        r.feedback = Some("great\0".into());
        assert_nul_rejected(r.validate(0), "feedback");
        assert_nul_rejected(
            NewRating::new(ticket, "r\0", 103, at).validate(0),
            "freshdesk_rating_id",
        );
    }
}
