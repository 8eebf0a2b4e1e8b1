//! [`PayloadError`]: a record that cannot be read, named by its kind, its
//! Freshdesk id or position, and the field.

use std::fmt;

use serde::Serialize;

/// The kind of a Freshdesk record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordKind {
    /// A ticket (`GET /api/v2/tickets`).
    Ticket,
    /// A conversation (`GET /api/v2/tickets/{id}/conversations`).
    Conversation,
    /// A satisfaction rating (`GET /api/v2/surveys/satisfaction_ratings`).
    SatisfactionRating,
    /// An agent (`GET /api/v2/agents`).
    Agent,
    /// A contact (`GET /api/v2/contacts`).
    Contact,
}

impl RecordKind {
    /// The lower-case name used in messages (`"satisfaction rating"`).
    pub const fn name(self) -> &'static str {
        match self {
            RecordKind::Ticket => "ticket",
            RecordKind::Conversation => "conversation",
            RecordKind::SatisfactionRating => "satisfaction rating",
            RecordKind::Agent => "agent",
            RecordKind::Contact => "contact",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which record an error is about: its kind, its Freshdesk id when known,
/// and its position in the batch or file when known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordRef {
    /// The kind of record.
    pub kind: RecordKind,
    /// Its Freshdesk id, when the payload has a usable one.
    pub id: Option<i64>,
    /// Its position (0-based) in the batch or file, when known.
    pub position: Option<usize>,
}

impl RecordRef {
    /// A reference to a record.
    pub const fn new(kind: RecordKind, id: Option<i64>, position: Option<usize>) -> Self {
        Self { kind, id, position }
    }

    /// A reference by Freshdesk id alone.
    pub const fn id(kind: RecordKind, id: i64) -> Self {
        Self::new(kind, Some(id), None)
    }
}

impl fmt::Display for RecordRef {
    /// `ticket 42`, `ticket 42 (record 3)`, `ticket at record 3`, or `ticket`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.id, self.position) {
            (Some(id), Some(pos)) => write!(f, "{} {id} (record {pos})", self.kind),
            (Some(id), None) => write!(f, "{} {id}", self.kind),
            (None, Some(pos)) => write!(f, "{} at record {pos}", self.kind),
            (None, None) => write!(f, "{}", self.kind),
        }
    }
}

/// A payload that cannot be read as its record type: which record, which
/// field (its path, such as `stats.first_responded_at`; empty for the
/// record as a whole), and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{record}: {}: {reason}", if .field.is_empty() { "record" } else { .field.as_str() })]
pub struct PayloadError {
    /// The record.
    pub record: RecordRef,
    /// The field's path in the record; empty when the record as a whole is
    /// wrong (not an object, not valid JSON).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl PayloadError {
    /// Builds a payload error.
    pub fn new(record: RecordRef, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            record,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// From serde's error with the path where it happened. A missing field
    /// is reported at its own path (serde reports it at the parent's).
    pub(super) fn from_path(
        record: RecordRef,
        err: serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let mut path = err.path().to_string();
        if path == "." {
            path.clear();
        }
        let reason = err.inner().to_string();
        // serde_json appends " at line L column C", meaningless for a value.
        let reason = match reason.rfind(" at line ") {
            Some(at) => reason[..at].to_owned(),
            None => reason,
        };
        if let Some(missing) = reason
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            let field = if path.is_empty() {
                missing.to_owned()
            } else {
                format!("{path}.{missing}")
            };
            return Self::new(record, field, "missing");
        }
        Self::new(record, path, reason)
    }
}
