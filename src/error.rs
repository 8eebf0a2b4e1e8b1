//! The crate's one error type and its `Result` alias.
//!
//! Every fallible function returns [`Result<T>`]. The variants say what went
//! wrong and for which input, so a caller can branch on them (a
//! [`Error::NotFound`] is a 404, a [`Error::Conflict`] a 409, an
//! [`Error::InvalidInput`] a 400) and a person can act on the message.

use std::ops::Deref;

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `freshdesk-store`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The row does not exist, or belongs to another merchant (the two are
    /// indistinguishable on purpose).
    #[error("{entity} {id} not found")]
    NotFound {
        /// Which kind of row: `"ticket"`, `"agent"`, ….
        entity: &'static str,
        /// The id that was looked up, as the caller gave it.
        id: String,
    },

    /// The database refused the write because of a constraint: a unique
    /// key that already holds the value, or a row that other rows still
    /// reference. Taken from the database's own violation, never from a
    /// check before the write.
    #[error("conflict on {constraint}: {detail}")]
    Conflict {
        /// What kind of constraint was violated.
        kind: ConflictKind,
        /// The constraint (or its columns, where the backend does not name it).
        constraint: String,
        /// The database's message.
        detail: String,
    },

    /// An argument was rejected before anything was sent to the database.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument or field that was wrong.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// Any other database error (connection, syntax, timeout, …).
    #[error("database error: {0}")]
    Database(#[source] DbErr),
}

/// The kind of constraint behind an [`Error::Conflict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum ConflictKind {
    /// A unique key (for example `(merchant_id, freshdesk_ticket_id)`)
    /// already holds the value.
    Unique,
    /// A foreign key: the referenced row is missing, or a row being deleted
    /// is still referenced (an agent or contact that tickets point at).
    ForeignKey,
}

impl Error {
    /// Builds an [`Error::InvalidInput`].
    pub fn invalid_input(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// Builds an [`Error::NotFound`].
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// True for [`Error::Conflict`] of the given kind.
    pub fn is_conflict(&self, kind: ConflictKind) -> bool {
        matches!(self, Self::Conflict { kind: k, .. } if *k == kind)
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        let (kind, detail) = match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => (ConflictKind::Unique, msg),
            Some(SqlErr::ForeignKeyConstraintViolation(msg)) => (ConflictKind::ForeignKey, msg),
            _ => return Self::Database(err),
        };
        let constraint = driver_constraint(&err)
            .or_else(|| constraint_from_message(&detail))
            .unwrap_or_else(|| "unknown constraint".to_owned());
        Self::Conflict {
            kind,
            constraint,
            detail,
        }
    }
}

/// The constraint name the driver reports (PostgreSQL does).
fn driver_constraint(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.deref() {
                sea_orm::sqlx::Error::Database(db) => db.constraint().map(str::to_owned),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Best effort for backends that put the constraint only in the message:
/// MariaDB (`… for key 'name'`, `… CONSTRAINT `name` FOREIGN KEY …`) and
/// SQLite (`UNIQUE constraint failed: t.a, t.b`).
fn constraint_from_message(msg: &str) -> Option<String> {
    if let Some(rest) = msg.split("for key '").nth(1) {
        return rest.split('\'').next().map(str::to_owned);
    }
    if let Some(rest) = msg.split("CONSTRAINT `").nth(1) {
        return rest.split('`').next().map(str::to_owned);
    }
    if let Some(rest) = msg.split("constraint failed: ").nth(1) {
        return Some(rest.trim().to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_from_messages() {
        assert_eq!(
            constraint_from_message("Duplicate entry '1-a' for key 'uq_ticket_freshdesk_id'")
                .as_deref(),
            Some("uq_ticket_freshdesk_id")
        );
        assert_eq!(
            constraint_from_message(
                "UNIQUE constraint failed: freshdesk_agent.merchant_id, freshdesk_agent.freshdesk_agent_id"
            )
            .as_deref(),
            Some("freshdesk_agent.merchant_id, freshdesk_agent.freshdesk_agent_id")
        );
        assert_eq!(
            constraint_from_message("Cannot delete or update a parent row: a foreign key constraint fails (`test`.`t`, CONSTRAINT `fk_ticket_responder` FOREIGN KEY (`merchant_id`, `responder_id`) REFERENCES …)").as_deref(),
            Some("fk_ticket_responder")
        );
    }

    #[test]
    fn messages_name_the_input() {
        let e = Error::not_found("ticket", 42);
        assert_eq!(e.to_string(), "ticket 42 not found");
        let e = Error::invalid_input("page_size", "must be between 1 and 500, got 0");
        assert_eq!(
            e.to_string(),
            "invalid page_size: must be between 1 and 500, got 0"
        );
    }
}
