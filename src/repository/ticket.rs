//! Tickets with their conversations and ratings: the [`TicketRepository`]
//! trait and its SeaORM implementation, [`SeaTicketRepository`].

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use futures_util::stream::{self, BoxStream, StreamExt};
use sea_orm::sea_query::{Condition, Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::Serialize;
use tracing::Instrument;

use super::bulk::{ids_per_statement, insert_chunked, write_chunked};
use super::filter::{KeyCol, TicketFilter, TicketSort, check_offset, local_day};
use super::input::{NewConversation, NewRating, NewTicket, TicketChild};
use super::page::{
    CursorPage, CursorRequest, KeyValue, Page, check_page_size, decode_cursor, encode_cursor,
    fingerprint,
};
use super::scope::{
    check_unique_in_batch, delete_by_ids, distinct, ensure_exist, scoped, update_by_ids,
};
use crate::entity::enums::{Priority, TicketStatus};
use crate::entity::{agent, contact, conversation, instant_value, rating, ticket};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};

/// A ticket with its conversations, ratings, requester and responder,
/// loaded without N+1 queries.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketWithChildren {
    /// The ticket.
    pub ticket: ticket::Model,
    /// Its conversations, oldest first.
    pub conversations: Vec<conversation::Model>,
    /// Its satisfaction ratings, oldest first.
    pub ratings: Vec<rating::Model>,
    /// The contact who asked, if any.
    pub requester: Option<contact::Model>,
    /// The assigned agent, if any.
    pub responder: Option<agent::Model>,
}

/// A small projection of a ticket, read without loading the full row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketSummary {
    /// The ticket id.
    pub id: TicketId,
    /// Subject line.
    pub subject: String,
    /// Status.
    pub status: TicketStatus,
    /// Priority.
    pub priority: Priority,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
}

/// Which service-level deadline a ticket breaches.
///
/// As the analytics define it: the first-response SLA is breached when
/// `fr_due_by` is set and the first response came after it, or has not come
/// and `fr_due_by` is before `now`; the resolution SLA likewise with
/// `due_by` and `resolved_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Sla {
    /// The first-response deadline (`fr_due_by`).
    FirstResponse,
    /// The resolution deadline (`due_by`).
    Resolution,
    /// Either deadline.
    Either,
}

/// Merchant-scoped reads and writes of tickets, their conversations and
/// ratings, in the caller's transaction.
///
/// Every method takes the caller's transaction and a merchant, filters by
/// the merchant first, never commits or rolls back the caller's
/// transaction, and runs in a `tracing` span named after it with the
/// merchant id as a field. Another merchant's rows are never returned,
/// counted, changed or deleted: a write naming another merchant's ticket id
/// fails with [`Error::NotFound`], exactly as an id that does not exist.
///
/// "Chunk" below means up to 65,519 ids (PostgreSQL, MariaDB) or 32,750
/// ids (SQLite) per statement for reads by id, and as many rows as fit under
/// the backend's bind-parameter limit for inserts; a list page (at most
/// [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE) rows) is always one chunk.
#[async_trait]
pub trait TicketRepository: Send + Sync {
    /// The ticket with this id.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] naming the id when the merchant has no such ticket;
    /// [`Error::Database`] when the query fails.
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
    /// [`Error::NotFound`] naming the Freshdesk id when the merchant has no
    /// such ticket; [`Error::Database`] when the query fails.
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
    /// [`Error::Database`] when a query fails.
    async fn resolve_freshdesk_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ticket_ids: &[String],
    ) -> Result<BTreeMap<String, TicketId>>;

    /// A keyset page of open tickets (status Open, Pending, Waiting on
    /// customer or Waiting on third party).
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a page size of 0 or above
    /// [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE), or a malformed or foreign
    /// cursor; [`Error::Database`] when the query fails.
    async fn open(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// A keyset page of the tickets created on a local calendar date, in a
    /// fixed UTC offset between -12:00 and +14:00 (a ticket is on `date`
    /// when `created_at + offset` falls on it).
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an offset out of range, a bad page size
    /// or cursor; [`Error::Database`] when the query fails.
    async fn created_on(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        date: NaiveDate,
        offset: FixedOffset,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// A keyset page of the seed guide's "needs attention" tickets: urgent,
    /// or high priority and created more than `older_than` before `now`
    /// (whatever their status).
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a negative `older_than`, a bad page size
    /// or cursor; [`Error::Database`] when the query fails.
    async fn urgent_or_old_high_priority(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        now: DateTime<Utc>,
        older_than: Duration,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>>;

    /// A keyset page of the tickets that breach the given SLA as of `now`
    /// (see [`Sla`] for the definition).
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad page size or cursor;
    /// [`Error::Database`] when the query fails.
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
    /// [`Error::InvalidInput`] for a page size of 0 or above
    /// [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE), or a cursor that is
    /// malformed or was made for another merchant, sort order or filter;
    /// [`Error::Database`] when the query fails.
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
    /// Runs 2 statements: the count and the page.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for page 0, or `per_page` of 0 or above
    /// [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE); [`Error::Database`] when a
    /// query fails.
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
    /// [`Error::Database`] when the query fails.
    async fn count(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
    ) -> Result<u64>;

    /// All tickets matching `filter`, as a stream of batches of up to
    /// `batch_size` tickets in id order, in bounded memory.
    ///
    /// Each batch is one keyset query (`id > last id`, never `OFFSET`) run
    /// when the stream is polled; between batches the transaction is free,
    /// so the caller may run other queries (for example
    /// [`mark_processed`](Self::mark_processed)) on it. Rows inserted
    /// meanwhile with a higher id are included.
    ///
    /// Runs 1 statement per batch, plus 1 that finds the end when the last
    /// batch is full.
    ///
    /// The stream borrows the transaction, so the transaction cannot be
    /// committed, rolled back or dropped while the stream is alive — the
    /// compiler refuses it:
    ///
    /// ```compile_fail,E0505
    /// # async fn f(db: &sea_orm::DatabaseConnection, m: freshdesk_store::MerchantId) -> freshdesk_store::Result<()> {
    /// use freshdesk_store::repository::{SeaTicketRepository, TicketFilter, TicketRepository};
    /// use futures_util::StreamExt;
    /// use sea_orm::TransactionTrait;
    /// let txn = db.begin().await?;
    /// let mut batches = SeaTicketRepository.stream_batches(&txn, m, TicketFilter::new(), 500)?;
    /// drop(txn); // error[E0505]: cannot move out of `txn` because it is borrowed
    /// let _ = batches.next().await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] at once for a batch size of 0 or above
    /// [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE); a stream item is
    /// [`Error::Database`] when its query fails (the stream then ends).
    fn stream_batches<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        merchant: MerchantId,
        filter: TicketFilter,
        batch_size: u64,
    ) -> Result<BoxStream<'a, Result<Vec<ticket::Model>>>>;

    /// The ticket with this id, with its conversations, ratings, requester
    /// and responder.
    ///
    /// Runs at most 5 statements: the ticket, its conversations, its
    /// ratings, its requester (skipped when it has none) and its responder
    /// (likewise).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] naming the id when the merchant has no such
    /// ticket; [`Error::Database`] when a query fails.
    async fn get_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: TicketId,
    ) -> Result<TicketWithChildren>;

    /// The merchant's tickets with these ids (ids it does not have are
    /// skipped), in id order, each with its conversations, ratings,
    /// requester and responder.
    ///
    /// Runs a fixed number of statements whatever the number of tickets:
    /// per chunk of ids, 1 for the tickets, 1 for conversations, 1 for
    /// ratings, 1 for requesters and 1 for responders (each of the last two
    /// skipped when no ticket has one) — 5 for up to a chunk of tickets
    /// with both; none for an empty slice.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when a query fails.
    async fn get_many_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<Vec<TicketWithChildren>>;

    /// A keyset page of the tickets matching `filter`, each with its
    /// conversations, ratings, requester and responder.
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
    /// responders exist (likewise), then 1 `INSERT` per chunk of rows (1,638
    /// tickets on SQLite, 3,276 on PostgreSQL and MariaDB); no per-row round
    /// trips.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty or over-long Freshdesk id or a
    /// `custom_fields` that is not an object (nothing is sent);
    /// [`Error::NotFound`] for a requester or responder the merchant does not
    /// have; [`Error::Conflict`] when the merchant already has a ticket with
    /// one of the Freshdesk ids; [`Error::Database`] otherwise.
    async fn insert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<u64>;

    /// Inserts or updates tickets by `(merchant_id, freshdesk_ticket_id)`,
    /// for sync jobs: a new Freshdesk id is inserted, a known one takes the
    /// row's new values (except `processed`, which stays as the processing
    /// job left it). Running the same batch twice changes nothing. The
    /// merchant of a row is never changed.
    ///
    /// Runs the same statements as [`insert_many`](Self::insert_many), each
    /// `INSERT` with `ON CONFLICT … DO UPDATE` (`ON DUPLICATE KEY UPDATE` on
    /// MariaDB).
    ///
    /// # Errors
    ///
    /// As [`insert_many`](Self::insert_many), and [`Error::InvalidInput`]
    /// when a Freshdesk id appears twice in the batch.
    async fn upsert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<()>;

    /// Inserts conversations; returns how many were inserted.
    ///
    /// Runs 1 statement that checks the tickets exist (1 per chunk of
    /// distinct ticket ids; none for an empty batch), then 1 `INSERT` per
    /// chunk of rows.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad Freshdesk id; [`Error::NotFound`]
    /// for a ticket the merchant does not have; [`Error::Conflict`] for a
    /// Freshdesk conversation id the merchant already has;
    /// [`Error::Database`] otherwise.
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
    /// [`insert_conversations`](Self::insert_conversations).
    ///
    /// # Errors
    ///
    /// As [`insert_conversations`](Self::insert_conversations), and
    /// [`Error::InvalidInput`] when a Freshdesk id appears twice.
    async fn upsert_conversations(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewConversation>,
    ) -> Result<()>;

    /// Inserts satisfaction ratings; returns how many were inserted.
    ///
    /// Runs 1 statement that checks the tickets exist, then 1 `INSERT` per
    /// chunk of rows.
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
    /// Runs the same statements as [`insert_ratings`](Self::insert_ratings).
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
    /// Only `status` changes (the row mirrors Freshdesk, whose own
    /// `updated_at` a later sync brings).
    ///
    /// Runs 1 `UPDATE` per chunk of ids, in a savepoint; 1 more statement
    /// when an id is missing, to name it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] naming the first id the merchant does not have
    /// (nothing is changed); [`Error::Database`] otherwise.
    async fn set_status(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
        status: TicketStatus,
    ) -> Result<u64>;

    /// Sets `processed` on these tickets; returns how many were updated.
    ///
    /// Runs 1 `UPDATE` per chunk of ids, as [`set_status`](Self::set_status).
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
    /// when an id is missing, to name it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] naming the first id the merchant does not have
    /// (nothing is deleted); [`Error::Database`] otherwise.
    async fn delete(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<u64>;
}

/// The SeaORM implementation of [`TicketRepository`]; a unit struct, cheap
/// to copy into application state.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeaTicketRepository;

/// A row type a ticket keyset query can return.
trait TicketRow: FromQueryResult + Send + Sync + Sized {
    /// Narrows the `SELECT` list to what the row needs.
    fn project(select: Select<ticket::Entity>) -> Select<ticket::Entity>;
    /// The row's value of a sort-key column.
    fn key(&self, col: KeyCol) -> KeyValue;
}

impl TicketRow for ticket::Model {
    fn project(select: Select<ticket::Entity>) -> Select<ticket::Entity> {
        select
    }
    fn key(&self, col: KeyCol) -> KeyValue {
        match col {
            KeyCol::CreatedAt => KeyValue::Ts(self.created_at),
            KeyCol::UpdatedAt => KeyValue::Ts(self.updated_at),
            KeyCol::Priority => KeyValue::Int(self.priority.code().into()),
            KeyCol::Id => KeyValue::Int(self.id.get()),
        }
    }
}

/// Summary columns plus the sort keys a summary does not show.
#[derive(FromQueryResult)]
struct SummaryRow {
    id: TicketId,
    subject: String,
    status: TicketStatus,
    priority: Priority,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TicketRow for SummaryRow {
    fn project(select: Select<ticket::Entity>) -> Select<ticket::Entity> {
        use ticket::Column as T;
        select.select_only().columns([
            T::Id,
            T::Subject,
            T::Status,
            T::Priority,
            T::CreatedAt,
            T::UpdatedAt,
        ])
    }
    fn key(&self, col: KeyCol) -> KeyValue {
        match col {
            KeyCol::CreatedAt => KeyValue::Ts(self.created_at),
            KeyCol::UpdatedAt => KeyValue::Ts(self.updated_at),
            KeyCol::Priority => KeyValue::Int(self.priority.code().into()),
            KeyCol::Id => KeyValue::Int(self.id.get()),
        }
    }
}

/// The id plus the sort keys.
#[derive(FromQueryResult)]
struct IdRow {
    id: TicketId,
    priority: Priority,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TicketRow for IdRow {
    fn project(select: Select<ticket::Entity>) -> Select<ticket::Entity> {
        use ticket::Column as T;
        select
            .select_only()
            .columns([T::Id, T::Priority, T::CreatedAt, T::UpdatedAt])
    }
    fn key(&self, col: KeyCol) -> KeyValue {
        match col {
            KeyCol::CreatedAt => KeyValue::Ts(self.created_at),
            KeyCol::UpdatedAt => KeyValue::Ts(self.updated_at),
            KeyCol::Priority => KeyValue::Int(self.priority.code().into()),
            KeyCol::Id => KeyValue::Int(self.id.get()),
        }
    }
}

fn backend(txn: &DatabaseTransaction) -> sea_orm::DbBackend {
    ConnectionTrait::get_database_backend(txn)
}

fn ordered(mut select: Select<ticket::Entity>, sort: TicketSort) -> Select<ticket::Entity> {
    for (col, order) in sort.order_by() {
        select = select.order_by(col, order);
    }
    select
}

/// One keyset query: the merchant's rows matching `cond`, after `after`
/// in `sort` order, at most `limit`.
async fn fetch_keyset<R: TicketRow>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    cond: Condition,
    sort: TicketSort,
    after: Option<&[KeyValue]>,
    limit: u64,
) -> Result<Vec<R>> {
    let mut select = scoped::<ticket::Entity>(merchant).filter(cond);
    if let Some(after) = after {
        select = select.filter(sort.after(after));
    }
    let select = R::project(ordered(select, sort)).limit(limit);
    Ok(select.into_model::<R>().all(txn).await?)
}

fn key_of<R: TicketRow>(row: &R, sort: TicketSort) -> Vec<KeyValue> {
    sort.keys().iter().map(|(col, _)| row.key(*col)).collect()
}

/// A keyset page: decodes and checks the cursor, fetches one row more than
/// the page to know whether there is a next page.
async fn keyset_page<R: TicketRow>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    cond: Condition,
    scope: &str,
    req: &CursorRequest,
) -> Result<CursorPage<R>> {
    let size = check_page_size("page_size", req.page_size())?;
    let sort = req.sort_order();
    let fp = fingerprint(merchant, sort.name(), scope);
    let after = req
        .cursor()
        .map(|c| decode_cursor(c, fp, &sort.kinds()))
        .transpose()?;
    let mut items =
        fetch_keyset::<R>(txn, merchant, cond, sort, after.as_deref(), size + 1).await?;
    let next_cursor = if items.len() as u64 > size {
        items.truncate(size as usize);
        items
            .last()
            .map(|row| encode_cursor(fp, &key_of(row, sort)))
    } else {
        None
    };
    Ok(CursorPage { items, next_cursor })
}

fn filter_scope(filter: &TicketFilter) -> String {
    format!("filter|{}", filter.scope())
}

/// Loads conversations, ratings, requesters and responders of `tickets`
/// with one query each per chunk of ids.
async fn attach_children(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    tickets: Vec<ticket::Model>,
) -> Result<Vec<TicketWithChildren>> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let chunk = ids_per_statement(backend(txn));
    let ticket_ids = distinct(tickets.iter().map(|t| t.id.get()));

    let mut conversations: HashMap<TicketId, Vec<conversation::Model>> = HashMap::new();
    let mut ratings: HashMap<TicketId, Vec<rating::Model>> = HashMap::new();
    for ids in ticket_ids.chunks(chunk) {
        use conversation::Column as C;
        let rows = scoped::<conversation::Entity>(merchant)
            .filter(C::TicketId.is_in(ids.iter().copied()))
            .order_by_asc(C::CreatedAt)
            .order_by_asc(C::Id)
            .all(txn)
            .await?;
        for row in rows {
            conversations.entry(row.ticket_id).or_default().push(row);
        }
    }
    for ids in ticket_ids.chunks(chunk) {
        use rating::Column as R;
        let rows = scoped::<rating::Entity>(merchant)
            .filter(R::TicketId.is_in(ids.iter().copied()))
            .order_by_asc(R::CreatedAt)
            .order_by_asc(R::Id)
            .all(txn)
            .await?;
        for row in rows {
            ratings.entry(row.ticket_id).or_default().push(row);
        }
    }

    let contact_ids = distinct(
        tickets
            .iter()
            .filter_map(|t| t.requester_id.map(ContactId::get)),
    );
    let mut contacts: HashMap<ContactId, contact::Model> = HashMap::new();
    for ids in contact_ids.chunks(chunk) {
        let rows = scoped::<contact::Entity>(merchant)
            .filter(contact::Column::Id.is_in(ids.iter().copied()))
            .all(txn)
            .await?;
        contacts.extend(rows.into_iter().map(|c| (c.id, c)));
    }
    let agent_ids = distinct(
        tickets
            .iter()
            .filter_map(|t| t.responder_id.map(AgentId::get)),
    );
    let mut agents: HashMap<AgentId, agent::Model> = HashMap::new();
    for ids in agent_ids.chunks(chunk) {
        let rows = scoped::<agent::Entity>(merchant)
            .filter(agent::Column::Id.is_in(ids.iter().copied()))
            .all(txn)
            .await?;
        agents.extend(rows.into_iter().map(|a| (a.id, a)));
    }

    Ok(tickets
        .into_iter()
        .map(|ticket| TicketWithChildren {
            conversations: conversations.remove(&ticket.id).unwrap_or_default(),
            ratings: ratings.remove(&ticket.id).unwrap_or_default(),
            requester: ticket
                .requester_id
                .and_then(|id| contacts.get(&id).cloned()),
            responder: ticket.responder_id.and_then(|id| agents.get(&id).cloned()),
            ticket,
        })
        .collect())
}

/// Tickets by id, one query per chunk, in id order.
async fn tickets_by_ids(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[i64],
) -> Result<Vec<ticket::Model>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ids_per_statement(backend(txn))) {
        out.extend(
            scoped::<ticket::Entity>(merchant)
                .filter(ticket::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(ticket::Column::Id)
                .all(txn)
                .await?,
        );
    }
    Ok(out)
}

fn sla_condition(sla: Sla, now: DateTime<Utc>) -> Condition {
    use sea_orm::ExprTrait;
    use ticket::Column as T;
    let col = |c: T| Expr::col((ticket::Entity, c));
    let breached = |due: T, done: T| {
        Condition::all().add(col(due).is_not_null()).add(
            Condition::any().add(col(done).gt(col(due))).add(
                Condition::all()
                    .add(col(done).is_null())
                    .add(col(due).lt(Expr::val(instant_value(now)))),
            ),
        )
    };
    let first = breached(T::FrDueBy, T::FirstRespondedAt);
    let resolution = breached(T::DueBy, T::ResolvedAt);
    match sla {
        Sla::FirstResponse => first,
        Sla::Resolution => resolution,
        Sla::Either => Condition::any().add(first).add(resolution),
    }
}

/// Validates ticket rows and checks their requesters and responders are the
/// merchant's; returns the rows to write.
async fn prepare_tickets(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<NewTicket>,
) -> Result<Vec<ticket::ActiveModel>> {
    for (i, row) in rows.iter().enumerate() {
        row.validate(i)?;
    }
    let requesters = distinct(
        rows.iter()
            .filter_map(|r| r.requester_id.map(ContactId::get)),
    );
    ensure_exist::<contact::Entity>(txn, merchant, &requesters).await?;
    let responders = distinct(rows.iter().filter_map(|r| r.responder_id.map(AgentId::get)));
    ensure_exist::<agent::Entity>(txn, merchant, &responders).await?;
    Ok(rows.into_iter().map(|r| r.into_active(merchant)).collect())
}

/// Checks the tickets children point at are the merchant's.
async fn ensure_tickets(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: impl IntoIterator<Item = TicketId>,
) -> Result<()> {
    let ids = distinct(ids.into_iter().map(TicketId::get));
    ensure_exist::<ticket::Entity>(txn, merchant, &ids).await
}

fn ticket_upsert() -> OnConflict {
    use ticket::Column as T;
    // Never `merchant_id` (nor the key itself): an upsert cannot move a row.
    OnConflict::columns([T::MerchantId, T::FreshdeskTicketId])
        .update_columns([
            T::Subject,
            T::Status,
            T::Priority,
            T::Source,
            T::RequesterId,
            T::ResponderId,
            T::CreatedAt,
            T::UpdatedAt,
            T::FirstRespondedAt,
            T::FirstResponseTime,
            T::FrDueBy,
            T::DueBy,
            T::ResolvedAt,
            T::ClosedAt,
            T::Tags,
            T::CustomFields,
        ])
        .to_owned()
}

/// The write path of conversations and ratings: check every row, make
/// sure every ticket is the merchant's (1 statement per chunk of ticket
/// ids), then insert or upsert in chunks.
async fn write_children<R: TicketChild>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<R>,
    upsert: bool,
) -> Result<u64> {
    for (i, row) in rows.iter().enumerate() {
        row.check(i)?;
    }
    if upsert {
        check_unique_in_batch(R::FRESHDESK_FIELD, rows.iter().map(|r| r.freshdesk_id()))?;
    }
    ensure_tickets(txn, merchant, rows.iter().map(|r| r.ticket())).await?;
    let rows = rows.into_iter().map(|r| r.active(merchant)).collect();
    write_chunked(txn, rows, upsert.then(R::upsert)).await
}

fn ids_of(ids: &[TicketId]) -> Vec<i64> {
    ids.iter().map(|id| id.get()).collect()
}

#[async_trait]
impl TicketRepository for SeaTicketRepository {
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ticket_id = %id))]
    async fn get(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: TicketId,
    ) -> Result<ticket::Model> {
        scoped::<ticket::Entity>(merchant)
            .filter(ticket::Column::Id.eq(id))
            .one(txn)
            .await?
            .ok_or_else(|| Error::not_found("ticket", id))
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn get_by_freshdesk_id(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ticket_id: &str,
    ) -> Result<ticket::Model> {
        scoped::<ticket::Entity>(merchant)
            .filter(ticket::Column::FreshdeskTicketId.eq(freshdesk_ticket_id))
            .one(txn)
            .await?
            .ok_or_else(|| Error::not_found("ticket", format!("freshdesk:{freshdesk_ticket_id}")))
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn resolve_freshdesk_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ticket_ids: &[String],
    ) -> Result<BTreeMap<String, TicketId>> {
        use ticket::Column as T;
        let mut out = BTreeMap::new();
        for chunk in freshdesk_ticket_ids.chunks(ids_per_statement(backend(txn))) {
            let rows: Vec<(String, TicketId)> = scoped::<ticket::Entity>(merchant)
                .select_only()
                .columns([T::FreshdeskTicketId, T::Id])
                .filter(T::FreshdeskTicketId.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(txn)
                .await?;
            out.extend(rows);
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn open(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>> {
        let cond = TicketFilter::open().condition(backend(txn));
        keyset_page(txn, merchant, cond, "open", page).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, %date, %offset))]
    async fn created_on(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        date: NaiveDate,
        offset: FixedOffset,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>> {
        check_offset(offset)?;
        let (from, before) = local_day(date, offset);
        let cond = TicketFilter::new()
            .created_between(from, before)
            .condition(backend(txn));
        let scope = format!("created_on|{}|{}", from.timestamp(), before.timestamp());
        keyset_page(txn, merchant, cond, &scope, page).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn urgent_or_old_high_priority(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        now: DateTime<Utc>,
        older_than: Duration,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>> {
        use ticket::Column as T;
        if older_than < Duration::zero() {
            return Err(Error::invalid_input(
                "older_than",
                format!("must not be negative, got {older_than}"),
            ));
        }
        let cutoff = now - older_than;
        let cond = Condition::any().add(T::Priority.eq(Priority::Urgent)).add(
            Condition::all()
                .add(T::Priority.eq(Priority::High))
                .add(T::CreatedAt.lt(instant_value(cutoff))),
        );
        let scope = format!(
            "urgent_or_old|{}.{}",
            cutoff.timestamp(),
            cutoff.timestamp_subsec_nanos()
        );
        keyset_page(txn, merchant, cond, &scope, page).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ?sla))]
    async fn breaching_sla(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        sla: Sla,
        now: DateTime<Utc>,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>> {
        let scope = format!(
            "sla|{sla:?}|{}.{}",
            now.timestamp(),
            now.timestamp_subsec_nanos()
        );
        keyset_page(txn, merchant, sla_condition(sla, now), &scope, page).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>> {
        let cond = filter.condition(backend(txn));
        keyset_page(txn, merchant, cond, &filter_scope(filter), page).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, page, per_page))]
    async fn list_paginated(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        sort: TicketSort,
        page: u64,
        per_page: u64,
    ) -> Result<Page<ticket::Model>> {
        let per_page = check_page_size("per_page", per_page)?;
        if page == 0 {
            return Err(Error::invalid_input("page", "pages start at 1, got 0"));
        }
        let base = scoped::<ticket::Entity>(merchant).filter(filter.condition(backend(txn)));
        let total = base.clone().count(txn).await?;
        let items = ordered(base, sort)
            .offset((page - 1).saturating_mul(per_page))
            .limit(per_page)
            .all(txn)
            .await?;
        Ok(Page {
            items,
            page,
            per_page,
            total,
            pages: total.div_ceil(per_page),
        })
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn count(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
    ) -> Result<u64> {
        Ok(scoped::<ticket::Entity>(merchant)
            .filter(filter.condition(backend(txn)))
            .count(txn)
            .await?)
    }

    fn stream_batches<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        merchant: MerchantId,
        filter: TicketFilter,
        batch_size: u64,
    ) -> Result<BoxStream<'a, Result<Vec<ticket::Model>>>> {
        let span = tracing::info_span!("stream_batches", merchant_id = %merchant);
        let batch_size = check_page_size("batch_size", batch_size)?;
        let cond = filter.condition(backend(txn));
        // State: the last key read (None before the first batch), and
        // whether the previous batch was the last.
        let start: (Option<Vec<KeyValue>>, bool) = (None, false);
        let batches = stream::try_unfold(start, move |(after, done)| {
            let cond = cond.clone();
            let span = span.clone();
            async move {
                if done {
                    return Ok(None);
                }
                let rows = fetch_keyset::<ticket::Model>(
                    txn,
                    merchant,
                    cond,
                    TicketSort::IdAsc,
                    after.as_deref(),
                    batch_size,
                )
                .await?;
                let Some(last) = rows.last() else {
                    return Ok(None);
                };
                let next = (
                    Some(key_of(last, TicketSort::IdAsc)),
                    (rows.len() as u64) < batch_size,
                );
                Ok(Some((rows, next)))
            }
            .instrument(span)
        });
        Ok(batches.boxed())
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ticket_id = %id))]
    async fn get_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: TicketId,
    ) -> Result<TicketWithChildren> {
        let ticket = self.get(txn, merchant, id).await?;
        let mut loaded = attach_children(txn, merchant, vec![ticket]).await?;
        loaded.pop().ok_or_else(|| Error::not_found("ticket", id))
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
    async fn get_many_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<Vec<TicketWithChildren>> {
        let ids = distinct(ids.iter().map(|id| id.get()));
        let tickets = tickets_by_ids(txn, merchant, &ids).await?;
        attach_children(txn, merchant, tickets).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketWithChildren>> {
        let cond = filter.condition(backend(txn));
        let page =
            keyset_page::<ticket::Model>(txn, merchant, cond, &filter_scope(filter), page).await?;
        Ok(CursorPage {
            items: attach_children(txn, merchant, page.items).await?,
            next_cursor: page.next_cursor,
        })
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketId>> {
        let cond = filter.condition(backend(txn));
        let page = keyset_page::<IdRow>(txn, merchant, cond, &filter_scope(filter), page).await?;
        Ok(CursorPage {
            items: page.items.into_iter().map(|r| r.id).collect(),
            next_cursor: page.next_cursor,
        })
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list_summaries(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketSummary>> {
        let cond = filter.condition(backend(txn));
        let page =
            keyset_page::<SummaryRow>(txn, merchant, cond, &filter_scope(filter), page).await?;
        Ok(CursorPage {
            items: page
                .items
                .into_iter()
                .map(|r| TicketSummary {
                    id: r.id,
                    subject: r.subject,
                    status: r.status,
                    priority: r.priority,
                    created_at: r.created_at,
                })
                .collect(),
            next_cursor: page.next_cursor,
        })
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn insert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<u64> {
        let rows = prepare_tickets(txn, merchant, rows).await?;
        insert_chunked(txn, rows).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn upsert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<()> {
        check_unique_in_batch(
            "freshdesk_ticket_id",
            rows.iter().map(|r| r.freshdesk_ticket_id.as_str()),
        )?;
        let rows = prepare_tickets(txn, merchant, rows).await?;
        write_chunked(txn, rows, Some(ticket_upsert())).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn insert_conversations(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewConversation>,
    ) -> Result<u64> {
        write_children(txn, merchant, rows, false).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn upsert_conversations(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewConversation>,
    ) -> Result<()> {
        write_children(txn, merchant, rows, true).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn insert_ratings(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewRating>,
    ) -> Result<u64> {
        write_children(txn, merchant, rows, false).await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn upsert_ratings(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewRating>,
    ) -> Result<()> {
        write_children(txn, merchant, rows, true).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len(), %status))]
    async fn set_status(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
        status: TicketStatus,
    ) -> Result<u64> {
        update_by_ids::<ticket::Entity, _>(txn, merchant, &ids_of(ids), |u| {
            u.col_expr(ticket::Column::Status, Expr::value(status))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
    async fn mark_processed(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<u64> {
        update_by_ids::<ticket::Entity, _>(txn, merchant, &ids_of(ids), |u| {
            u.col_expr(ticket::Column::Processed, Expr::value(true))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
    async fn delete(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<u64> {
        delete_by_ids::<ticket::Entity>(txn, merchant, &ids_of(ids)).await
    }
}
