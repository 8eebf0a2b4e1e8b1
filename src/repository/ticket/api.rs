//! The [`TicketRepository`] trait: what a caller can do with tickets,
//! their conversations and ratings (the SeaORM implementation is
//! `sea.rs`'s [`SeaTicketRepository`](super::SeaTicketRepository)).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use futures_util::stream::BoxStream;
use sea_orm::DatabaseTransaction;

use crate::entity::enums::TicketStatus;
use crate::entity::ticket;
use crate::error::Result;
use crate::ids::{MerchantId, TicketId};
use crate::repository::filter::{Sla, TicketFilter};
use crate::repository::input::{NewConversation, NewRating, NewTicket};
use crate::repository::keyset::{CursorPage, CursorRequest, TicketSort};
use crate::repository::page::{OffsetPage, OffsetRequest, Page};

use super::{TicketChange, TicketSummary, TicketWithChildren};

/// Merchant-scoped reads and writes of tickets, their conversations and
/// ratings, in the caller's transaction.
///
/// Every method takes the caller's transaction and a merchant, filters by
/// the merchant first, never commits or rolls back the caller's
/// transaction, and runs in a `tracing` span named after it with the
/// merchant id as a field. Another merchant's rows are never returned,
/// counted, changed or deleted: a write naming another merchant's ticket id
/// fails with [`Error::NotFound`](crate::Error::NotFound), exactly as an id that does not exist.
///
/// "Chunk" below means up to 65,519 ids (PostgreSQL, MariaDB) or 32,750
/// ids (SQLite) per statement for reads by id, and as many rows as fit under
/// the backend's bind-parameter limit for inserts; a list page (at most
/// [`MAX_PAGE_SIZE`](crate::repository::MAX_PAGE_SIZE) rows) is always one chunk.
#[async_trait]
pub trait TicketRepository: Send + Sync {
    /// The ticket with this id.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the id when the merchant has no such ticket;
    /// [`Error::Database`](crate::Error::Database) when the query fails.
    async fn get(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: TicketId,
    ) -> Result<ticket::Model>;

    /// The ticket with this Freshdesk ticket id.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the Freshdesk id when the merchant has no
    /// such ticket; [`Error::Database`](crate::Error::Database) when the query fails.
    async fn get_by_freshdesk_id(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ticket_id: &str,
    ) -> Result<ticket::Model>;

    /// The local ids of these Freshdesk ticket ids, for the ones the
    /// merchant has (a sync job's lookup before it writes children).
    ///
    /// Runs 1 statement per chunk of ids (none for an empty slice).
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when a query fails.
    async fn resolve_freshdesk_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ticket_ids: &[String],
    ) -> Result<BTreeMap<String, TicketId>>;

    /// [`list`](Self::list) with [`TicketFilter::open`]: the same pages,
    /// cursors and errors.
    #[deprecated(note = "use `list` with `TicketFilter::open()`")]
    async fn open(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// [`list`](Self::list) with [`TicketFilter::created_on`]: the same
    /// pages and cursors, for any offset in `-12:00..=+14:00`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) (`utc_offset`) out of range, before any
    /// statement; otherwise as [`list`](Self::list).
    #[deprecated(note = "use `list` with `TicketFilter::created_on`")]
    async fn created_on(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        date: NaiveDate,
        offset: FixedOffset,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// [`list`](Self::list) with [`TicketFilter::urgent_or_old_high_priority`]:
    /// the same pages and cursors; errors as that constructor's, then `list`'s.
    #[deprecated(note = "use `list` with `TicketFilter::urgent_or_old_high_priority`")]
    async fn urgent_or_old_high_priority(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        now: DateTime<Utc>,
        older_than: Duration,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// [`list`](Self::list) with [`TicketFilter::breaching_sla`]: the same
    /// pages, cursors and errors.
    #[deprecated(note = "use `list` with `TicketFilter::breaching_sla`")]
    async fn breaching_sla(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        sla: Sla,
        now: DateTime<Utc>,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// A keyset page of the tickets matching `filter`, in the request's
    /// order. Stays correct while rows are inserted, and costs the same deep
    /// in the list as at its start.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a page size of 0 or above
    /// [`MAX_PAGE_SIZE`](crate::repository::MAX_PAGE_SIZE), or a cursor that is malformed or was made for
    /// another merchant, sort order or filter; [`Error::Database`](crate::Error::Database) when the
    /// query fails.
    async fn list(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// Page `page` (starting at 1) of `per_page` tickets matching `filter`,
    /// with the total count and number of pages (the seed guide's
    /// `get_tickets_paginated`). A page past the end is empty.
    ///
    /// Runs 2 statements: the count and the page. For deep pages use
    /// [`list_offset`](Self::list_offset), which counts only on request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for page 0, or `per_page` of 0 or above
    /// [`MAX_PAGE_SIZE`](crate::repository::MAX_PAGE_SIZE); [`Error::Database`](crate::Error::Database) when a query fails.
    async fn list_paginated(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        sort: TicketSort,
        page: u64,
        per_page: u64,
    ) -> Result<Page<ticket::Model>>;

    /// How many tickets match `filter`, counted by the database.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the query fails.
    async fn count(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
    ) -> Result<u64>;

    /// All tickets matching `filter`, as a stream of batches of up to
    /// `batch_size` tickets in id order, one batch in memory at a time. Each
    /// batch is its own statement, so the caller may use the transaction
    /// between batches. PostgreSQL: a cursor (`DECLARE`, 1 `FETCH` per batch,
    /// `CLOSE`; the rows as of the first batch); SQLite, MariaDB: 1 keyset
    /// query per batch (rows inserted meanwhile with a higher id are included).
    /// A full last batch costs 1 more. On PostgreSQL batches above 500 pay
    /// ([`STREAM_BATCH`](super::STREAM_BATCH)). A dropped stream leaves the
    /// transaction usable; the stream borrows it, so it cannot end meanwhile.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) at once for a batch size of 0 or above
    /// [`MAX_STREAM_BATCH`](super::MAX_STREAM_BATCH); a stream item is [`Error::Database`](crate::Error::Database) when its
    /// query fails (the stream then ends).
    fn stream_batches<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        merchant: MerchantId,
        filter: TicketFilter,
        batch_size: u64,
    ) -> Result<BoxStream<'a, Result<Vec<ticket::Model>>>>;

    /// The ticket with this id, with its conversations, ratings, requester
    /// and responder (at most [`MAX_CHILDREN_PER_TICKET`](super::MAX_CHILDREN_PER_TICKET) conversations and
    /// as many ratings, the oldest; see [`TicketWithChildren`]).
    ///
    /// Runs at most 5 statements: the ticket, its conversations, its
    /// ratings, its requester (skipped when it has none) and its responder
    /// (likewise).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the id when the merchant has no such
    /// ticket; [`Error::Database`](crate::Error::Database) when a query fails.
    async fn get_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: TicketId,
    ) -> Result<TicketWithChildren>;

    /// The merchant's tickets with these ids (ids it does not have are
    /// skipped), in id order, each with its conversations, ratings,
    /// requester and responder: at most [`MAX_TICKETS_WITH_CHILDREN`](super::MAX_TICKETS_WITH_CHILDREN)
    /// distinct ids per call, and at most [`MAX_CHILDREN_PER_TICKET`](super::MAX_CHILDREN_PER_TICKET)
    /// conversations and as many ratings per ticket (the oldest; see
    /// [`TicketWithChildren`]).
    ///
    /// Runs a fixed number of statements whatever the number of tickets:
    /// per chunk of ids, 1 for the tickets, 1 for conversations, 1 for
    /// ratings, 1 for requesters and 1 for responders (each of the last two
    /// skipped when no ticket has one) — 5 for up to a chunk of tickets
    /// with both; none for an empty slice.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) (`ids`) for more than
    /// [`MAX_TICKETS_WITH_CHILDREN`](super::MAX_TICKETS_WITH_CHILDREN) distinct ids, before any statement;
    /// [`Error::Database`](crate::Error::Database) when a query fails.
    async fn get_many_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<Vec<TicketWithChildren>>;

    /// A keyset page of the tickets matching `filter`, each with its
    /// conversations, ratings, requester and responder (at most
    /// [`MAX_CHILDREN_PER_TICKET`](super::MAX_CHILDREN_PER_TICKET) conversations and as many ratings per
    /// ticket, the oldest; see [`TicketWithChildren`]).
    ///
    /// Runs at most 5 statements whatever the page size: the page, its
    /// conversations, its ratings, its requesters and its responders (each
    /// of the last two skipped when no ticket of the page has one; all four
    /// skipped for an empty page).
    ///
    /// # Errors
    ///
    /// As [`list`](Self::list).
    async fn list_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketWithChildren>>;

    /// A keyset page of the ids of the tickets matching `filter`, reading
    /// only the id and sort-key columns.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// As [`list`](Self::list).
    async fn list_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketId>>;

    /// A keyset page of [`TicketSummary`] projections of the tickets
    /// matching `filter`, reading only the columns they need.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// As [`list`](Self::list).
    async fn list_summaries(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketSummary>>;

    /// Inserts tickets for the merchant; returns how many were inserted.
    ///
    /// Runs 1 statement that checks the requesters exist (skipped when no
    /// ticket has one; 1 per chunk of distinct ids), 1 that checks the
    /// responders exist (likewise), then 1 `INSERT` per chunk of rows (1,724
    /// tickets on SQLite, 3,449 on PostgreSQL and MariaDB); no per-row round
    /// trips. Backfills at `COPY` speed: [`crate::load::load_tickets`]. Cancellation: a dropped call is undone whole ([how](crate::repository#cancellation)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an empty or over-long Freshdesk id or a
    /// `custom_fields` that is not an object (nothing is sent);
    /// [`Error::NotFound`](crate::Error::NotFound) for a requester or responder the merchant does not
    /// have; [`Error::Conflict`](crate::Error::Conflict) when the merchant already has a ticket with
    /// one of the Freshdesk ids; [`Error::Database`](crate::Error::Database) otherwise.
    async fn insert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<u64>;

    /// Inserts or updates tickets by `(merchant_id, freshdesk_ticket_id)`,
    /// newest wins: a known one takes the new values only when its
    /// `updated_at` is not older than the row's (never `processed`, nor the
    /// sync flags), so a retry never rolls a ticket back. Returns the id of
    /// each row, in input order. Chunked `INSERT … ON CONFLICT`, then 1
    /// `SELECT` of the ids per chunk ([`crate::sync`] for payloads). Cancellation: as
    /// [`insert_many`](Self::insert_many).
    ///
    /// # Errors
    ///
    /// As [`insert_many`](Self::insert_many), and [`Error::InvalidInput`](crate::Error::InvalidInput)
    /// when a Freshdesk id appears twice in the batch.
    async fn upsert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<Vec<TicketId>>;

    /// Inserts conversations; returns how many were inserted.
    ///
    /// Runs 1 statement that checks the tickets exist (1 per chunk of
    /// distinct ticket ids; none for an empty batch), then 1 `INSERT` per
    /// chunk of rows. Cancellation: as [`insert_many`](Self::insert_many).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a bad Freshdesk id; [`Error::NotFound`](crate::Error::NotFound)
    /// for a ticket the merchant does not have; [`Error::Conflict`](crate::Error::Conflict) for a
    /// Freshdesk conversation id the merchant already has;
    /// [`Error::Database`](crate::Error::Database) otherwise.
    async fn insert_conversations(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewConversation>,
    ) -> Result<u64>;

    /// Inserts or updates conversations by `(merchant_id,
    /// freshdesk_conversation_id)`; idempotent.
    ///
    /// Runs the same statements as
    /// [`insert_conversations`](Self::insert_conversations), cancelled alike.
    ///
    /// # Errors
    ///
    /// As [`insert_conversations`](Self::insert_conversations), and
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when a Freshdesk id appears twice.
    async fn upsert_conversations(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewConversation>,
    ) -> Result<()>;

    /// Inserts satisfaction ratings; returns how many were inserted.
    ///
    /// Runs 1 statement that checks the tickets exist, then 1 `INSERT` per
    /// chunk of rows. Cancellation: as [`insert_many`](Self::insert_many).
    ///
    /// # Errors
    ///
    /// As [`insert_conversations`](Self::insert_conversations).
    async fn insert_ratings(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewRating>,
    ) -> Result<u64>;

    /// Inserts or updates ratings by `(merchant_id, freshdesk_rating_id)`;
    /// idempotent.
    ///
    /// Runs the same statements as [`insert_ratings`](Self::insert_ratings), cancelled alike.
    ///
    /// # Errors
    ///
    /// As [`upsert_conversations`](Self::upsert_conversations).
    async fn upsert_ratings(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewRating>,
    ) -> Result<()>;

    /// Sets the status of these tickets; returns how many were updated.
    /// Resolved and Closed also set an empty `resolved_at` (Closed: and
    /// `closed_at`) to now; a reopened ticket keeps its first resolution.
    ///
    /// Runs 1 `UPDATE` per chunk of ids, in a savepoint; 1 more statement
    /// when an id is missing, to name it. Cancellation: as [`insert_many`](Self::insert_many).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the first id the merchant does not have
    /// (nothing is changed); [`Error::Database`](crate::Error::Database) otherwise.
    async fn set_status(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
        status: TicketStatus,
    ) -> Result<u64>;

    /// Sets `processed` on these tickets; returns how many were updated.
    ///
    /// Runs 1 `UPDATE` per chunk of ids, and is cancelled, as [`set_status`](Self::set_status).
    ///
    /// # Errors
    ///
    /// As [`set_status`](Self::set_status).
    async fn mark_processed(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<u64>;

    /// Deletes these tickets (their conversations and ratings go with them);
    /// returns how many tickets were deleted.
    ///
    /// Runs 1 `DELETE` per chunk of ids, in a savepoint; 1 more statement
    /// when an id is missing, to name it. Cancellation: as [`insert_many`](Self::insert_many).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the first id the merchant does not have
    /// (nothing is deleted); [`Error::Database`](crate::Error::Database) otherwise.
    async fn delete(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<u64>;

    /// Page `req.page()` of the tickets matching `filter`, with
    /// [`OffsetPage::has_more`], and the total only when asked for
    /// ([`OffsetRequest::with_total`]). Runs 1 statement, 2 with the total.
    ///
    /// # Errors
    ///
    /// As [`list_paginated`](Self::list_paginated).
    async fn list_offset(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        sort: TicketSort,
        req: &OffsetRequest,
    ) -> Result<OffsetPage<ticket::Model>>;

    /// Applies `change` (a status stamped as [`set_status`](Self::set_status)
    /// stamps it, the `processed` flag, or both) to every ticket matching
    /// `filter` (flagged ones as it says); returns how many. 1 `UPDATE` in a
    /// savepoint, no ids read. Cancellation: as [`insert_many`](Self::insert_many).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a change that sets nothing
    /// (`change`) or a bad filter, before any statement; [`Error::Database`](crate::Error::Database) otherwise.
    async fn update_where(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        change: TicketChange,
    ) -> Result<u64>;
}
