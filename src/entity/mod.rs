//! Thin SeaORM entities, one per table of the schema.
//!
//! An entity holds columns, relations and simple computed properties of its
//! row (`is_open`, `is_resolved`, `age_hours`). It runs no query: reading and
//! writing is the [`repository`](crate::repository) layer's job, aggregates
//! the [`analytics`](crate::analytics) layer's.
//!
//! Timestamps are `DateTime<Utc>`: the crate stores UTC instants on every
//! backend and never a local offset.

pub mod agent;
pub mod contact;
pub mod conversation;
pub mod enums;
pub mod prelude;
pub mod rating;
pub mod sync_state;
pub mod ticket;

use chrono::{DateTime, Utc};
use sea_orm::Value;

/// The bind value for a timestamp column: `at` with its `+00:00` offset.
///
/// SeaORM binds a `DateTime<Utc>` to MariaDB/MySQL as a `TIMESTAMP`
/// parameter, which the server cannot hold outside 1970–2038 (it becomes
/// `NULL`). Bound as a date-time with offset, the same instant goes to
/// PostgreSQL as `timestamptz`, to MariaDB as the UTC wall time its
/// `DATETIME(6)` columns hold, and to SQLite as the RFC 3339 text
/// (`…+00:00`) the crate stores — on every backend, for any year.
pub(crate) fn instant_value(at: DateTime<Utc>) -> Value {
    Value::ChronoDateTimeWithTimeZone(Some(at.fixed_offset()))
}
