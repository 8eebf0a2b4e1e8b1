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
pub mod ticket;
