//! The v2 conversation (`GET /api/v2/tickets/{id}/conversations`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::de::null_default;
use super::{Record, RecordKind, RecordRef, positive_id};
use crate::error::{Error, Result};
use crate::ids::TicketId;
use crate::repository::NewConversation;

/// A reply or note on a ticket, as the API sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The conversation's Freshdesk id.
    pub id: i64,
    /// The ticket number it belongs to.
    pub ticket_id: i64,
    /// Body (HTML); missing or `null` reads as empty.
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
    /// Body as plain text.
    #[serde(default)]
    pub body_text: Option<String>,
    /// From the customer.
    #[serde(default, deserialize_with = "null_default")]
    pub incoming: bool,
    /// A private note.
    #[serde(default, deserialize_with = "null_default")]
    pub private: bool,
    /// The author: an agent's or a contact's Freshdesk id.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Last update (an edit); when missing, `created_at` stands in.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Record for Conversation {
    const KIND: RecordKind = RecordKind::Conversation;

    fn freshdesk_id(&self) -> i64 {
        self.id
    }
}

impl Conversation {
    fn record(&self) -> RecordRef {
        RecordRef::id(RecordKind::Conversation, self.id)
    }

    /// The version instant: `updated_at`, else `created_at`.
    pub fn version(&self) -> DateTime<Utc> {
        self.updated_at.unwrap_or(self.created_at)
    }

    /// The ticket's Freshdesk id as the key of its ticket row.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the conversation when the id is not
    /// positive.
    pub fn ticket_key(&self) -> Result<String> {
        positive_id(&self.record(), "ticket_id", self.ticket_id)
    }

    /// The repository input for this conversation, on the ticket row
    /// `ticket` (resolved from [`ticket_key`](Self::ticket_key)). The body
    /// is the HTML `body`, or `body_text` when `body` is empty.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the conversation and the field for an
    /// id that is not positive.
    pub fn to_new_conversation(&self, ticket: TicketId) -> Result<NewConversation> {
        let record = self.record();
        let id = positive_id(&record, "id", self.id)?;
        self.ticket_key()?;
        if let Some(author) = self.user_id
            && author <= 0
        {
            return Err(Error::invalid_input(
                "user_id",
                format!("{record}: must be a positive Freshdesk id, got {author}"),
            ));
        }
        let body = match (&self.body, &self.body_text) {
            (body, Some(text)) if body.is_empty() => text.clone(),
            (body, _) => body.clone(),
        };
        Ok(NewConversation {
            ticket_id: ticket,
            freshdesk_conversation_id: id,
            body,
            incoming: self.incoming,
            private: self.private,
            author_id: self.user_id,
            created_at: self.created_at,
        })
    }
}
