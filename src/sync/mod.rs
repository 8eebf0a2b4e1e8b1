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
//! use freshdesk_store::freshdesk::{Ticket, parse_records};
//! use freshdesk_store::sync::{Listing, SyncStream, advance_watermark, apply_tickets, read_watermark};
//! # let db = freshdesk_store::testing::TestDb::connect().await?;
//! # let m = freshdesk_store::testing::unique_merchant_id();
//! # let fetch = |_since| parse_records::<Ticket>(include_str!("../../tests/fixtures/freshdesk/tickets.json")).unwrap_or_default();
//! let txn = db.begin().await?;                                      // the caller's transaction
//! let since = read_watermark(&txn, m, SyncStream::Tickets).await?;  // None on the first run
//! let tickets: Vec<Ticket> = fetch(since);                          // GET …/tickets?updated_since=…
//! let counts = apply_tickets(&txn, m, Listing::Updated, &tickets).await?;
//! if let Some(last) = tickets.iter().map(|t| t.updated_at).max() {
//!     advance_watermark(&txn, m, SyncStream::Tickets, last).await?; // never backwards
//! }
//! txn.commit().await?;                                              // data and watermark together
//! assert_eq!(counts.inserted, 4);
//! # Ok(()) }
//! ```
//!
//! | Function | Applies |
//! |---|---|
//! | [`apply_tickets`] | tickets, from a [`Listing`] (deleted / spam flags); placeholders for people not synced yet |
//! | [`apply_conversations`], [`apply_ratings`] | a ticket's children; a child of a ticket never synced is an orphan, counted |
//! | [`apply_agents`], [`apply_contacts`] | people; they fill in placeholders |
//! | [`read_watermark`], [`advance_watermark`] | the per-stream position, in the caller's transaction |
//!
//! Each `apply_*` runs in one savepoint of the caller's transaction (all or
//! nothing), with chunked bulk statements, and returns [`ApplyCounts`].

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
