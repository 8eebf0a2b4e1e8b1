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
//! # Map
//!
//! Where each concept lives (one home each), by what a caller does:
//!
//! | to … | start at | file |
//! | --- | --- | --- |
//! | read and list tickets | [`TicketRepository::get`], [`list`](TicketRepository::list), [`list_paginated`](TicketRepository::list_paginated), [`list_offset`](TicketRepository::list_offset), [`count`](TicketRepository::count), [`TicketSummary`] | `ticket/read.rs` |
//! | read everything, one batch at a time | [`TicketRepository::stream_batches`], [`MAX_STREAM_BATCH`], [`STREAM_BATCH`] | `ticket/stream.rs` |
//! | load tickets with their children (bounded) | [`TicketRepository::list_with_children`], [`TicketWithChildren`], [`MAX_CHILDREN_PER_TICKET`], [`MAX_TICKETS_WITH_CHILDREN`] | `ticket/children.rs` |
//! | write tickets, conversations, ratings | [`TicketRepository::insert_many`], [`upsert_many`](TicketRepository::upsert_many), [`set_status`](TicketRepository::set_status), [`update_where`](TicketRepository::update_where) with [`TicketChange`], [`delete`](TicketRepository::delete) and the inputs [`NewTicket`], [`NewConversation`], [`NewRating`] | `ticket/write.rs`, `input.rs` |
//! | say which tickets | [`TicketFilter`] and its presets ([`TicketFilter::open`], [`created_on`](TicketFilter::created_on), [`urgent_or_old_high_priority`](TicketFilter::urgent_or_old_high_priority), [`breaching_sla`](TicketFilter::breaching_sla) with [`Sla`]) | `filter.rs` |
//! | page with cursors | [`CursorRequest`], [`CursorPage`], [`TicketSort`] | `keyset/` (page query, `sort.rs`, `cursor.rs`) |
//! | page with offsets | [`Page`], [`OffsetRequest`], [`OffsetPage`], [`MAX_PAGE_SIZE`] | `page.rs` |
//! | agents and contacts | [`AgentRepository`], [`ContactRepository`], [`NewAgent`], [`NewContact`] | `agent.rs`, `contact.rs`, one generic implementation in `people.rs` |
//! | move a merchant | [`migrate_merchant_data`], [`MovedRows`] | `merchant.rs` |
//! | backfill at `COPY` speed, in a transaction of its own (an entry point, not a repository call) | [`load::load_tickets`](crate::load::load_tickets) | `../load/` (uses `ticket/write.rs`'s checks and chunked path) |
//!
//! Internal building blocks, each a leaf or near it (the import graph has
//! no cycle; `tests/architecture.rs` checks it): `scope.rs` (every query's
//! merchant-scoped start, by-id checks, updates and deletes), `bulk.rs`
//! (chunked multi-row writes), `savepoint.rs` (the one savepoint helper),
//! `limits.rs` (bind-parameter limits), `validate.rs` (input checks).
//! Local days and UTC offsets are the crate's [`time`](crate::time).
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
//!   in batches of at most [`MAX_STREAM_BATCH`] (a cursor on PostgreSQL,
//!   keyset batches elsewhere), children load at most [`MAX_CHILDREN_PER_TICKET`]
//!   per ticket for at most [`MAX_TICKETS_WITH_CHILDREN`] tickets per call,
//!   and bulk writes are chunked under each backend's bind-parameter limit,
//!   one statement per chunk.
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
//! # Cancellation
//!
//! Dropping a call's future (a request timeout, `tokio::select!`, a client
//! disconnect) never loses or commits the caller's earlier writes, and
//! never leaves later statements autocommitting:
//!
//! - A read, or a write of one statement, leaves the transaction as it
//!   was before the call. (A [`TicketRepository::stream_batches`] dropped
//!   on PostgreSQL leaves its cursor open: it only reads, and the
//!   transaction's end closes it.)
//! - A write of several statements (every bulk write, `set_status`,
//!   `mark_processed`, `delete`, [`migrate_merchant_data`]) runs in a
//!   savepoint the crate issues itself; a dropped call's statements are
//!   undone by the next crate call on the same transaction, or by
//!   [`undo_cancelled`] (call it before your own statements or `commit()`
//!   after a timeout). Either way the transaction is then exactly as it was
//!   before the dropped call.
//! - On MariaDB, a statement with bound parameters dropped mid-flight can
//!   leave the connection out of step (sqlx 0.9): the next crate call
//!   notices, closes the connection, and fails with
//!   [`Error::ConnectionLost`](crate::Error::ConnectionLost); the
//!   transaction is gone and nothing of it was committed.
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
mod keyset;
pub(crate) mod limits;
mod merchant;
pub(crate) mod newest;
mod page;
mod people;
pub(crate) mod savepoint;
pub(crate) mod scope;
mod ticket;
pub(crate) mod upsert;
mod validate;

pub use agent::{AgentRepository, NewAgent, SeaAgentRepository};
pub use contact::{ContactRepository, NewContact, SeaContactRepository};
pub use filter::{Flagged, Sla, SlaBreach, TicketFilter};
pub use input::{NewConversation, NewRating, NewTicket};
pub use keyset::{CursorPage, CursorRequest, TicketSort};
pub use merchant::{MovedRows, migrate_merchant_data};
pub use page::{MAX_PAGE_SIZE, OffsetPage, OffsetRequest, Page};
pub use savepoint::undo_cancelled;
#[cfg(feature = "postgres")]
pub(crate) use ticket::write::TICKET_INSERT_COLUMNS;
pub(crate) use ticket::write::{check_tickets, load_chunked};
pub use ticket::{
    MAX_CHILDREN_PER_TICKET, MAX_STREAM_BATCH, MAX_TICKETS_WITH_CHILDREN, STREAM_BATCH,
    SeaTicketRepository, TicketChange, TicketRepository, TicketSummary, TicketWithChildren,
};
pub use validate::{MAX_JSON_BYTES, MAX_JSON_DEPTH};
