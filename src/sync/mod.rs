//! Sync: applying Freshdesk payloads to a merchant's rows, newest version
//! wins, with the position reached (the watermark) committed in the same
//! transaction as the data.
//!
//! A service's loop per stream: read the watermark, fetch the records
//! updated since it, apply them, advance the watermark, commit. A crash
//! before the commit loses both the data and the watermark, so the next
//! run replays from the last committed position; replays change nothing
//! (DESIGN.md, "Sync").
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> freshdesk_store::Result<()> {
//! use freshdesk_store::sync::{SyncStream, advance_watermark, read_watermark};
//! use freshdesk_store::testing::{TestDb, unique_merchant_id};
//!
//! let db = TestDb::connect().await?;
//! let merchant = unique_merchant_id();
//! let txn = db.begin().await?; // the caller's transaction
//! let since = read_watermark(&txn, merchant, SyncStream::Tickets).await?;
//! assert_eq!(since, None); // first run: fetch everything
//! // … fetch tickets updated since `since`, apply them …
//! let last = chrono::Utc::now();
//! advance_watermark(&txn, merchant, SyncStream::Tickets, last).await?;
//! txn.commit().await?; // data and watermark together
//! # Ok(()) }
//! ```

mod children;
mod people;
mod tickets;
mod watermark;

pub use children::{apply_conversations, apply_ratings};
pub use people::{ApplyCounts, apply_agents, apply_contacts};
pub use tickets::{Listing, apply_tickets};
pub use watermark::{SyncStream, advance_watermark, read_watermark};

#[cfg(all(test, feature = "testing"))]
mod people_tests;
#[cfg(all(test, feature = "testing"))]
mod tickets_tests;
#[cfg(all(test, feature = "testing"))]
mod upsert_tests;

#[cfg(all(test, feature = "testing"))]
mod watermark_tests;
