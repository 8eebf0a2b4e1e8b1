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
//! # Reliability
//!
//! What the test suite proves on SQLite, PostgreSQL and MariaDB:
//!
//! * **Cancellation never loses or commits the caller's data.** A dropped
//!   call leaves the caller's transaction as it was before it (a
//!   multi-statement write is undone by the next crate call or
//!   [`repository::undo_cancelled`]); on MariaDB a connection left out of
//!   step is closed and reported as [`Error::ConnectionLost`]
//!   (`tests/stress_cancel.rs`, `tests/stress_kill.rs`; details in
//!   [`repository`], "Cancellation").
//! * **No input panics or poisons the caller's transaction.** Bad input —
//!   dates and durations at chrono's limits, instants outside
//!   [`time::MIN_INSTANT`]`..=`[`time::MAX_INSTANT`], page numbers past
//!   what a database can skip, NUL characters, JSON deeper than
//!   [`repository::MAX_JSON_DEPTH`] or larger than
//!   [`repository::MAX_JSON_BYTES`], forged cursors — is an
//!   [`Error::InvalidInput`] naming the argument, caught before anything
//!   is sent (`tests/hostile_api.rs`, `tests/hostile_input.rs`).
//! * **Nothing is unbounded**: pages, stream batches and children loads
//!   have fixed maxima.
//! * **Overlapping bulk writes do not deadlock**: every bulk write takes
//!   its row locks in unique-key order; 32 tasks syncing overlapping,
//!   out-of-order batches for 32 merchants end with no deadlock and each
//!   merchant's rows equal to each record's newest version, once
//!   (`tests/stress_sync.rs`, `tests/sync_property.rs`).
//!
//! # Modules
//!
//! Layered one way (`tests/architecture.rs` checks the import graph): the
//! leaf modules below everything, then entities, then the repository, then
//! analytics and the entry-point helpers.
//!
//! | layer | module | what it owns | start at |
//! | --- | --- | --- | --- |
//! | leaf | [`error`] | the one error enum | [`Error`], [`Result`] |
//! | leaf | [`ids`] | typed, validated ids | [`MerchantId`], [`TicketId`] |
//! | leaf | [`time`] | UTC offsets and local days | [`time::UtcOffset`] |
//! | entities | [`entity`] | thin SeaORM entities, one per table | [`entity::ticket`] |
//! | repository | [`repository`] | merchant-scoped reads and bulk writes (its docs map every file) | [`repository::TicketRepository`], [`repository::TicketFilter`] |
//! | payloads | [`freshdesk`] | Freshdesk API v2 payloads and their conversion into the repository's inputs | [`freshdesk::Ticket`] |
//! | analytics | [`analytics`] | aggregate metrics computed by the database | [`analytics::report()`], [`analytics::ReportParams`] |
//! | schema | [`migration`] | the schema as migrations | [`migration::Migrator`] |
//! | entry point | [`config`], [`retry`] | pool settings; units of work with retries | [`PoolConfig`], [`retry::run_in_transaction`] |
//! | entry point | [`load`] | bulk loading for backfills at `COPY` speed, in a transaction of its own (chosen instead of the caller's) | [`load::load_tickets`] |
//! | sync | [`sync`] | applying Freshdesk payloads newest-wins (placeholders, orphans, deleted/spam listings), with watermarks committed in the caller's transaction: read → fetch `updated_since` → apply → advance → commit | [`sync::apply_tickets`], [`sync::read_watermark`] |
//! | entry point | [`rls`] | opt-in PostgreSQL row-level security as a second lock | [`rls`] |
//! | test kit | `testing` (feature `testing`) | a rollback-per-test database, factories, demo data and a statement counter | `testing::TestDb` |
//!
//! # Features
//!
//! | feature | default | what it pulls in |
//! | --- | --- | --- |
//! | `sqlite` | yes | SeaORM's `sqlx-sqlite` driver, which compiles SQLite from C (`libsqlite3-sys`, bundled) |
//! | `postgres` | | SeaORM's `sqlx-postgres` driver (pure Rust) |
//! | `mysql` | | SeaORM's `sqlx-mysql` driver (pure Rust; MySQL and MariaDB) |
//! | `rustls` | | TLS for server connections through `rustls` |
//! | `testing` | | no new dependency: the `testing` module |
//!
//! Each backend feature works on its own. A URL whose driver is not
//! compiled in is [`Error::DriverNotEnabled`], naming the feature to enable.
#![deny(missing_docs)]

pub mod analytics;
pub mod citus;
pub mod config;
pub mod entity;
pub mod error;
pub mod freshdesk;
pub mod ids;
pub mod load;
pub mod migration;
pub mod repository;
pub mod retry;
pub mod rls;
pub mod sync;
pub mod time;

pub use config::PoolConfig;
pub use error::{ConflictKind, ConnectFailure, Error, Result};
pub use ids::{AgentId, ContactId, ConversationId, MerchantId, RatingId, TicketId};
#[cfg(feature = "testing")]
pub mod testing;

/// The README's code, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
