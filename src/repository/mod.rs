//! Merchant-scoped repositories over the caller's transaction.
//!
//! One `#[async_trait]` trait per aggregate, each with a SeaORM
//! implementation that is a unit struct:
//!
//! | aggregate | trait | implementation |
//! | --- | --- | --- |
//! | tickets, their conversations and ratings | [`TicketRepository`] | [`SeaTicketRepository`] |
//! | agents | [`AgentRepository`] | [`SeaAgentRepository`] |
//! | contacts | [`ContactRepository`] | [`SeaContactRepository`] |
//!
//! plus [`migrate_merchant_data`], the one operation that spans merchants.
//!
//! The rules every method keeps:
//!
//! - It takes the caller's `&DatabaseTransaction` and a
//!   [`MerchantId`](crate::MerchantId). It never connects, begins a
//!   top-level transaction, commits or rolls back the caller's
//!   transaction; where one step must be undone on its own it uses a
//!   savepoint inside it.
//! - Every query starts from one merchant-scoped constructor, so its first
//!   predicate is `merchant_id = ?`. Inputs carry no merchant id: writes
//!   take it from the argument. Another merchant's rows are never returned,
//!   counted, changed or deleted; naming another merchant's id is
//!   [`Error::NotFound`](crate::Error::NotFound).
//! - Nothing is unbounded: lists are pages of at most [`MAX_PAGE_SIZE`]
//!   rows (offset [`Page`]s with totals, or keyset [`CursorPage`]s with
//!   opaque cursors), [`TicketRepository::stream_batches`] reads everything
//!   in keyset batches, and bulk writes are chunked under each backend's
//!   bind-parameter limit, one statement per chunk.
//! - A write that fails writes nothing and leaves the caller's transaction
//!   usable (it runs in a savepoint), on PostgreSQL too.
//! - Related rows load in a fixed number of statements, whatever the
//!   number of tickets ([`TicketRepository::list_with_children`]); each
//!   method's documentation says how many statements it runs.
//! - Filters and sort orders are types ([`TicketFilter`], [`TicketSort`]);
//!   no public function accepts SQL or a column name as a string.
//! - Every call runs in a `tracing` span named after the method, with the
//!   merchant id as the `merchant_id` field.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> freshdesk_store::Result<()> {
//! use freshdesk_store::repository::{
//!     CursorRequest, NewTicket, SeaTicketRepository, TicketFilter, TicketRepository,
//! };
//! use freshdesk_store::testing::{TestDb, unique_merchant_id};
//!
//! let db = TestDb::connect().await?;
//! let txn = db.begin().await?; // the caller owns the transaction
//! let merchant = unique_merchant_id();
//! let repo = SeaTicketRepository;
//! let created = chrono::Utc::now();
//! repo.insert_many(&txn, merchant, vec![NewTicket::new("fd-1", "Where is my order?", created)])
//!     .await?;
//! let page = repo
//!     .list(&txn, merchant, &TicketFilter::open(), &CursorRequest::first(50))
//!     .await?;
//! assert_eq!(page.items.len(), 1);
//! assert!(page.next_cursor.is_none());
//! # Ok(()) }
//! ```

mod agent;
pub(crate) mod bulk;
mod contact;
mod filter;
mod input;
mod merchant;
mod page;
mod people;
pub(crate) mod scope;
mod ticket;
pub(crate) mod upsert;

pub use agent::{AgentRepository, NewAgent, SeaAgentRepository};
pub use contact::{ContactRepository, NewContact, SeaContactRepository};
pub use filter::{TicketFilter, TicketSort};
pub use input::{NewConversation, NewRating, NewTicket};
pub use merchant::{MovedRows, migrate_merchant_data};
pub use page::{CursorPage, CursorRequest, MAX_PAGE_SIZE, Page};
pub use ticket::{SeaTicketRepository, Sla, TicketRepository, TicketSummary, TicketWithChildren};
