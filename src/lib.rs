//! Merchant-scoped storage and analytics for Freshdesk helpdesk data
//! (tickets, conversations, satisfaction ratings, agents, contacts) on
//! PostgreSQL, MariaDB/MySQL and SQLite, built on SeaORM.
//!
//! # The contract
//!
//! * **The caller owns the connection and the transaction.** A service
//!   connects once at its entry point ([`PoolConfig`]), begins a
//!   transaction, passes `&DatabaseTransaction` down, and commits. Nothing in
//!   [`repository`] or [`analytics`] connects, begins a top-level
//!   transaction, commits or rolls back.
//! * **One merchant never sees another's rows.** Every function that touches
//!   tenant data takes a [`MerchantId`] and filters by it first; the schema's
//!   composite foreign keys make cross-merchant references impossible.
//! * **The database does the heavy lifting**: filters, counts, averages,
//!   percentiles and day buckets are SQL, and lists are paginated, streamed
//!   in batches, and written in chunked bulk statements.
//! * **Errors say what went wrong and for which input** ([`Error`]).
//!
//! ```no_run
//! use freshdesk_store::migration::{Migrator, MigratorTrait};
//! use freshdesk_store::{MerchantId, PoolConfig};
//! use sea_orm::TransactionTrait;
//!
//! # async fn run() -> freshdesk_store::Result<()> {
//! let db = PoolConfig::from_env()?.connect().await?; // entry point: once
//! Migrator::up(&db, None).await?; // or in a deploy step
//! let merchant = MerchantId::new(42)?; // validated at the edge
//! let txn = db.begin().await?; // the caller's transaction …
//! // … passed down to repository and analytics calls with `merchant` …
//! txn.commit().await?; // … and committed by the caller
//! # Ok(()) }
//! ```
//!
//! # Modules
//!
//! * [`entity`]: thin SeaORM entities, one per table.
//! * [`repository`]: merchant-scoped reads and bulk writes.
//! * [`analytics`]: aggregate metrics computed by the database.
//! * [`freshdesk`]: Freshdesk API v2 payloads and their conversion into
//!   the repository's inputs.
//! * [`migration`]: the schema as migrations.
//! * [`config`]: pool settings for the entry point; [`retry`]: units of work
//!   with retries on transient errors.
//! * [`rls`]: opt-in PostgreSQL row-level security as a second lock.
//! * `testing` (feature `testing`): a rollback-per-test database, factories,
//!   demo data and a statement counter.
//!
//! # Features
//!
//! `sqlite` (default), `postgres`, `mysql`: the sqlx driver(s) to compile.
//! `rustls`: TLS for server connections. `testing`: the test kit.
#![deny(missing_docs)]

pub mod analytics;
pub mod config;
pub mod entity;
pub mod error;
pub mod freshdesk;
pub mod ids;
pub mod migration;
pub mod repository;
pub mod retry;
pub mod rls;

pub use config::PoolConfig;
pub use error::{ConflictKind, Error, Result};
pub use ids::{AgentId, ContactId, ConversationId, MerchantId, RatingId, TicketId};
#[cfg(feature = "testing")]
pub mod testing;

/// The README's code, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
