//! The v2 ticket (`GET /api/v2/tickets?include=stats,requester`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::de::{Phone, null_default};
use super::{Record, RecordKind, RecordRef, positive_id};
use crate::entity::enums::{Priority, Source, TicketStatus};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId};
use crate::repository::{NewContact, NewTicket};

/// A Freshdesk ticket as the API sends it. Fields this crate does not
/// store are not declared, so whatever they hold is ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket number (per account).
    pub id: i64,
    /// Subject line; missing or `null` reads as empty.
    #[serde(default, deserialize_with = "null_default")]
    pub subject: String,
    /// Status code: 2–5 fixed, 6 and above per-account custom statuses
    /// (unknown ones are `Other(code)`).
    pub status: TicketStatus,
    /// Priority code, 1 Low … 4 Urgent.
    pub priority: Priority,
    /// Channel code (1 Email … 10 Outbound email, and more: unknown ones
    /// are `Other(code)`).
    #[serde(default)]
    pub source: Option<Source>,
    /// The requester's Freshdesk contact id.
    #[serde(default)]
    pub requester_id: Option<i64>,
    /// The assigned agent's Freshdesk id.
    #[serde(default)]
    pub responder_id: Option<i64>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last update instant: the newest version of a ticket wins.
    pub updated_at: DateTime<Utc>,
    /// First-response SLA deadline.
    #[serde(default)]
    pub fr_due_by: Option<DateTime<Utc>>,
    /// Resolution SLA deadline.
    #[serde(default)]
    pub due_by: Option<DateTime<Utc>>,
    /// Marked as spam.
    #[serde(default, deserialize_with = "null_default")]
    pub spam: bool,
    /// Deleted (present only in a `filter=deleted` listing).
    #[serde(default, deserialize_with = "null_default")]
    pub deleted: bool,
    /// Tags; `null` reads as none.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<String>,
    /// The account's custom fields (`cf_*`), values of any JSON type;
    /// `null` reads as none.
    #[serde(default, deserialize_with = "null_default")]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// With `include=stats`: the timestamps that are not on the ticket.
    #[serde(default)]
    pub stats: Option<TicketStats>,
    /// With `include=requester`: the requester's contact fields.
    #[serde(default)]
    pub requester: Option<Requester>,
}

/// A ticket's `stats` (with `include=stats`); every field may be `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStats {
    /// First agent response. There is no `first_response_time` in the API:
    /// the crate derives it as `first_responded_at − created_at`.
    #[serde(default)]
    pub first_responded_at: Option<DateTime<Utc>>,
    /// Resolution instant.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closing instant.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Last reopening.
    #[serde(default)]
    pub reopened_at: Option<DateTime<Utc>>,
    /// Last agent response.
    #[serde(default)]
    pub agent_responded_at: Option<DateTime<Utc>>,
    /// Last requester response.
    #[serde(default)]
    pub requester_responded_at: Option<DateTime<Utc>>,
    /// Last status change.
    #[serde(default)]
    pub status_updated_at: Option<DateTime<Utc>>,
    /// Pending since.
    #[serde(default)]
    pub pending_since: Option<DateTime<Utc>>,
}

/// A ticket's `requester` (with `include=requester`): the contact's fields,
/// possibly partial.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    /// The contact's Freshdesk id.
    #[serde(default)]
    pub id: Option<i64>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Mobile number (a string or a number in the API).
    #[serde(default)]
    pub mobile: Option<Phone>,
    /// Phone number (a string or a number in the API).
    #[serde(default)]
    pub phone: Option<Phone>,
}

impl Record for Ticket {
    const KIND: RecordKind = RecordKind::Ticket;

    fn freshdesk_id(&self) -> i64 {
        self.id
    }
}

impl Ticket {
    fn record(&self) -> RecordRef {
        RecordRef::id(RecordKind::Ticket, self.id)
    }

    /// `stats.first_responded_at`, if any.
    pub fn first_responded_at(&self) -> Option<DateTime<Utc>> {
        self.stats.as_ref().and_then(|s| s.first_responded_at)
    }

    /// `stats.reopened_at`, if any.
    pub fn reopened_at(&self) -> Option<DateTime<Utc>> {
        self.stats.as_ref().and_then(|s| s.reopened_at)
    }

    /// The requester's Freshdesk id as the key of its contact row: the
    /// ticket's `requester_id`, else the included requester's `id`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the ticket when the id is not positive.
    pub fn requester_key(&self) -> Result<Option<String>> {
        let id = self
            .requester_id
            .or_else(|| self.requester.as_ref().and_then(|r| r.id));
        id.map(|id| positive_id(&self.record(), "requester_id", id))
            .transpose()
    }

    /// The responder's Freshdesk id as the key of its agent row.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the ticket when the id is not positive.
    pub fn responder_key(&self) -> Result<Option<String>> {
        self.responder_id
            .map(|id| positive_id(&self.record(), "responder_id", id))
            .transpose()
    }

    /// The requester as a contact to insert when the contact has no row yet
    /// (a placeholder): its Freshdesk id, and the name and email of the
    /// included `requester` when present (an empty name otherwise).
    ///
    /// # Errors
    ///
    /// As [`requester_key`](Self::requester_key).
    pub fn requester_contact(&self) -> Result<Option<NewContact>> {
        let Some(key) = self.requester_key()? else {
            return Ok(None);
        };
        let included = self
            .requester
            .as_ref()
            .filter(|r| r.id.is_none_or(|id| id.to_string() == key));
        Ok(Some(NewContact {
            freshdesk_contact_id: key,
            name: included.and_then(|r| r.name.clone()).unwrap_or_default(),
            email: included.and_then(|r| r.email.clone()),
        }))
    }

    /// The repository input for this ticket, with the requester and
    /// responder rows already resolved to local ids (the payload carries
    /// Freshdesk ids; see [`requester_key`](Self::requester_key)).
    ///
    /// The first-response time is derived from `stats.first_responded_at −
    /// created_at`; `resolved_at` and `closed_at` come from `stats`.
    /// `processed` is false (an upsert never changes it).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the ticket and the field for an id
    /// that is not positive, or a first response before the ticket was
    /// created.
    pub fn to_new_ticket(
        &self,
        requester: Option<ContactId>,
        responder: Option<AgentId>,
    ) -> Result<NewTicket> {
        let record = self.record();
        let freshdesk_ticket_id = positive_id(&record, "id", self.id)?;
        let first_responded_at = self.first_responded_at();
        if let Some(at) = first_responded_at
            && at < self.created_at
        {
            return Err(Error::invalid_input(
                "stats.first_responded_at",
                format!(
                    "{record}: first response at {} is before creation at {}",
                    at.to_rfc3339(),
                    self.created_at.to_rfc3339()
                ),
            ));
        }
        let stats = self.stats.clone().unwrap_or_default();
        Ok(NewTicket {
            freshdesk_ticket_id,
            subject: self.subject.clone(),
            status: self.status,
            priority: self.priority,
            source: self.source,
            requester_id: requester,
            responder_id: responder,
            created_at: self.created_at,
            updated_at: self.updated_at,
            first_responded_at,
            fr_due_by: self.fr_due_by,
            due_by: self.due_by,
            resolved_at: stats.resolved_at,
            closed_at: stats.closed_at,
            tags: self.tags.clone(),
            custom_fields: serde_json::Value::Object(self.custom_fields.clone()),
            processed: false,
        })
    }
}
