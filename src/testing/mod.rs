//! Test kit (feature `testing`): a rollback-per-test database, factories,
//! deterministic demo data and a statement counter.
//!
//! Downstream services use it in their own tests, and so does this crate:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> freshdesk_store::Result<()> {
//! use freshdesk_store::testing::{TestDb, TicketFactory, unique_merchant_id};
//!
//! let db = TestDb::connect().await?;        // DATABASE_URL, or in-memory SQLite
//! let txn = db.begin().await?;              // rolled back when dropped
//! let merchant = unique_merchant_id();
//! let ticket = TicketFactory::new(merchant).subject("Where is my order?").insert(&txn).await?;
//! assert_eq!(ticket.merchant_id, merchant);
//! # Ok(()) }
//! ```

mod db;
pub mod demo;
mod factory;
pub mod routing;

pub use db::{CITUS_ENV, StatementCounter, TestDb};
pub use factory::{
    AgentFactory, Conn, ContactFactory, ConversationFactory, RatingFactory, TicketFactory,
    default_created_at, unique_freshdesk_id, unique_merchant_id,
};
