//! Freshdesk API v2 payloads, as the API sends them: serde types for
//! tickets, conversations, satisfaction ratings, agents and contacts, and
//! their conversions into the [`repository`](crate::repository)'s input
//! types. No database code lives here; the sync layer applies them.
//!
//! The types accept what real payloads contain (see the crate's
//! `FRESHDESK.md` notes): 64-bit ids, timestamps in UTC (`Z`) or with an
//! offset (stored as UTC), unknown fields (ignored), missing optional
//! fields and `null` where a value is usual, custom-field values of any
//! JSON type, phone numbers sent as numbers, and status and source codes
//! this crate does not know (kept as `Other(code)`).
//!
//! A record that cannot be used is an error naming the record (its
//! Freshdesk id when known, else its position) and the field, never a
//! panic: [`PayloadError`] while parsing, and
//! [`Error::InvalidInput`](crate::Error::InvalidInput) (its reason naming
//! the record) while converting, for what only the conversion can check —
//! a first response before the ticket's creation, an id that is not
//! positive, a rating without its `default_question`.
//!
//! ```
//! use freshdesk_store::freshdesk::{Ticket, parse_records};
//!
//! let json = r#"[{"id": 42, "subject": "Where is my order?", "status": 2, "priority": 1,
//!   "requester_id": 67042965499, "created_at": "2026-10-01T09:00:00Z",
//!   "updated_at": "2026-10-01T09:30:00+02:00", "stats": {"first_responded_at": null},
//!   "a_field_added_next_year": true}]"#;
//! let tickets: Vec<Ticket> = parse_records(json)?;
//! let new = tickets[0].to_new_ticket(None, None)?;
//! assert_eq!(new.freshdesk_ticket_id, "42");
//! assert_eq!(new.updated_at.to_rfc3339(), "2026-10-01T07:30:00+00:00");
//! assert_eq!(tickets[0].requester_id, Some(67_042_965_499));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod conversation;
mod de;
mod error;
mod people;
mod rating;
mod ticket;

pub use conversation::Conversation;
pub use de::Phone;
pub use error::{PayloadError, RecordKind, RecordRef};
pub use people::{Agent, AgentContact, Contact};
pub use rating::{DEFAULT_QUESTION, SatisfactionRating};
pub use ticket::{Requester, Ticket, TicketStats};

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// A Freshdesk record type: what [`parse_records`] and [`from_value`] can
/// read.
pub trait Record: DeserializeOwned {
    /// Which kind of record it is (for error messages).
    const KIND: RecordKind;

    /// The record's Freshdesk id.
    fn freshdesk_id(&self) -> i64;
}

/// Reads one record from a JSON value; `position` is its place in the
/// batch or file (0-based), for the error.
///
/// # Errors
///
/// [`PayloadError`] naming the record (its `id` when the value has a usable
/// one, else `position`) and the field (its path, such as
/// `stats.first_responded_at`) when the value is not a valid record.
pub fn from_value<T: Record>(value: serde_json::Value, position: usize) -> Result<T, PayloadError> {
    let id = value.get("id").and_then(serde_json::Value::as_i64);
    let record = RecordRef::new(T::KIND, id, Some(position));
    if !value.is_object() {
        // serde would read a struct from an array too, field by position.
        return Err(PayloadError::new(
            record,
            "",
            format!("expected a JSON object, got {}", json_type(&value)),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| PayloadError::from_path(record, e))
}

/// The JSON type of a value, for messages.
fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads a JSON array of records, or one JSON object.
///
/// # Errors
///
/// [`PayloadError`] naming the record and the field of the first record
/// that is not valid, or the position of a JSON syntax error.
pub fn parse_records<T: Record>(json: &str) -> Result<Vec<T>, PayloadError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        PayloadError::new(
            RecordRef::new(T::KIND, None, None),
            "",
            format!("not valid JSON: {e}"),
        )
    })?;
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| from_value(item, i))
            .collect(),
        other => Ok(vec![from_value(other, 0)?]),
    }
}

/// Checks a Freshdesk id from a payload: ids are positive.
pub(crate) fn positive_id(record: &RecordRef, field: &'static str, value: i64) -> Result<String> {
    if value > 0 {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_input(
            field,
            format!("{record}: must be a positive Freshdesk id, got {value}"),
        ))
    }
}

#[cfg(test)]
mod tests;
