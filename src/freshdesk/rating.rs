//! The v2 satisfaction rating (`GET /api/v2/surveys/satisfaction_ratings`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::de::null_default;
use super::{Record, RecordKind, RecordRef, positive_id};
use crate::error::{Error, Result};
use crate::ids::TicketId;
use crate::repository::NewRating;

/// The question whose answer the crate stores as the rating.
pub const DEFAULT_QUESTION: &str = "default_question";

/// A customer's satisfaction rating of a ticket, as the API sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SatisfactionRating {
    /// The rating's Freshdesk id.
    pub id: i64,
    /// The survey.
    #[serde(default)]
    pub survey_id: Option<i64>,
    /// The rated ticket's number.
    pub ticket_id: i64,
    /// The customer (a contact's Freshdesk id).
    #[serde(default)]
    pub user_id: Option<i64>,
    /// The agent who handled the ticket.
    #[serde(default)]
    pub agent_id: Option<i64>,
    /// The agent's group.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// Free-text feedback.
    #[serde(default)]
    pub feedback: Option<String>,
    /// Answers keyed by question: `default_question` is the stored rating
    /// (103 extremely happy … -103 extremely unhappy; classic surveys 1–3);
    /// `null` answers are kept as `None`.
    #[serde(default, deserialize_with = "null_default")]
    pub ratings: BTreeMap<String, Option<i64>>,
    /// When the customer rated.
    pub created_at: DateTime<Utc>,
    /// Last update; when missing, `created_at` stands in.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Record for SatisfactionRating {
    const KIND: RecordKind = RecordKind::SatisfactionRating;

    fn freshdesk_id(&self) -> i64 {
        self.id
    }
}

impl SatisfactionRating {
    fn record(&self) -> RecordRef {
        RecordRef::id(RecordKind::SatisfactionRating, self.id)
    }

    /// The version instant: `updated_at`, else `created_at`.
    pub fn version(&self) -> DateTime<Utc> {
        self.updated_at.unwrap_or(self.created_at)
    }

    /// The rated ticket's Freshdesk id as the key of its ticket row.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rating when the id is not positive.
    pub fn ticket_key(&self) -> Result<String> {
        positive_id(&self.record(), "ticket_id", self.ticket_id)
    }

    /// The answer to `default_question`, the rating the crate stores.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rating when the answer is missing,
    /// `null`, or outside a 32-bit integer.
    pub fn default_rating(&self) -> Result<i32> {
        let record = self.record();
        let value = self
            .ratings
            .get(DEFAULT_QUESTION)
            .copied()
            .flatten()
            .ok_or_else(|| {
                Error::invalid_input(
                    "ratings.default_question",
                    format!("{record}: missing (the stored rating is its answer)"),
                )
            })?;
        i32::try_from(value).map_err(|_| {
            Error::invalid_input(
                "ratings.default_question",
                format!("{record}: {value} is outside the rating scale"),
            )
        })
    }

    /// The repository input for this rating, of the ticket row `ticket`
    /// (resolved from [`ticket_key`](Self::ticket_key)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rating and the field for an id
    /// that is not positive or a missing `default_question`.
    pub fn to_new_rating(&self, ticket: TicketId) -> Result<NewRating> {
        let id = positive_id(&self.record(), "id", self.id)?;
        self.ticket_key()?;
        Ok(NewRating {
            ticket_id: ticket,
            freshdesk_rating_id: id,
            rating: self.default_rating()?,
            feedback: self.feedback.clone(),
            created_at: self.created_at,
        })
    }
}
