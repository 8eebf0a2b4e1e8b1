//! The batch stream of
//! [`TicketRepository::stream_batches`](super::TicketRepository::stream_batches):
//! on PostgreSQL a server-side cursor declared in the caller's transaction
//! and read with one `FETCH` per batch; on SQLite and MariaDB keyset
//! batches (`id > last id`). Also the stream's batch-size limit,
//! [`MAX_STREAM_BATCH`].
//!
//! # The cursor, statement by statement
//!
//! `DECLARE fds_cursor_N NO SCROLL CURSOR FOR <the merchant-scoped,
//! filtered SELECT in id order>` (its values bound, never spliced), then
//! `FETCH <batch> FROM fds_cursor_N` per batch, then `CLOSE fds_cursor_N`
//! after the last. `N` is a process-wide counter, so two streams on one
//! transaction never share a cursor, and no cached prepared `FETCH` is ever
//! reused for another cursor (sqlx caches prepared statements by their
//! text; `../shared/SEAORM.md`, "Server-side cursors", has the trap this
//! avoids). Every statement is its own round trip: between batches the
//! transaction is free for other statements.
//!
//! # Cancellation
//!
//! Each batch is one crate call ([`guarded`]). A stream dropped between
//! batches, or while a `FETCH` is on the wire, leaves its cursor open: it
//! only reads, holds no lock beyond the transaction's snapshot, and is
//! closed by the caller's `COMMIT` or `ROLLBACK`; the transaction stays
//! usable (the driver drains the dropped `FETCH`'s answer before the next
//! statement).

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::{self, BoxStream, StreamExt};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryFilter, QueryResult, QueryTrait,
    Statement,
};
use tracing::Instrument;

use crate::entity::ticket;
use crate::error::{Error, Result};
use crate::ids::MerchantId;
use crate::repository::filter::TicketFilter;
use crate::repository::keyset::cursor::KeyValue;
use crate::repository::keyset::{TicketRow, TicketSort, fetch_keyset, ordered};
use crate::repository::savepoint::guarded;
use crate::repository::scope::scoped;

/// The largest batch
/// [`TicketRepository::stream_batches`](super::TicketRepository::stream_batches)
/// accepts: 10,000 tickets. The stream holds one batch at a time, so its
/// memory is one batch whatever the number of tickets.
///
/// On PostgreSQL batches above the page limit
/// ([`MAX_PAGE_SIZE`](crate::repository::MAX_PAGE_SIZE), 500) pay: each
/// `FETCH` is a round trip in which the server waits for the client, so
/// fewer, larger batches cost less per row (5,000 measured best). On SQLite
/// each keyset batch is a cheap in-process query and 500 measured fastest.
/// `benches/README.md` has the figures.
/// [`STREAM_BATCH`] is the size the benchmarks measure.
pub const MAX_STREAM_BATCH: u64 = 10_000;

/// A batch size for reading everything: 1,000 tickets (a few MiB per
/// batch with typical custom fields). See [`MAX_STREAM_BATCH`].
pub const STREAM_BATCH: u64 = 1_000;

/// Process-wide counter for cursor names: never reused.
static NEXT_CURSOR: AtomicU64 = AtomicU64::new(1);

/// Where a stream is.
enum Step {
    /// Before the first batch.
    Start,
    /// PostgreSQL: the cursor is open; the `FETCH` and `CLOSE` statements.
    Cursor { fetch: String, close: String },
    /// SQLite and MariaDB: the position of the last row read.
    After(Vec<KeyValue>),
    /// The last batch has been returned.
    Done,
}

/// Checks a batch size against `1..=MAX_STREAM_BATCH`.
fn check_batch_size(size: u64) -> Result<u64> {
    if (1..=MAX_STREAM_BATCH).contains(&size) {
        Ok(size)
    } else {
        Err(Error::invalid_input(
            "batch_size",
            format!("must be between 1 and {MAX_STREAM_BATCH}, got {size}"),
        ))
    }
}

/// The stream of
/// [`TicketRepository::stream_batches`](super::TicketRepository::stream_batches).
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
pub(super) fn stream_batches(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: TicketFilter,
    batch_size: u64,
) -> Result<BoxStream<'_, Result<Vec<ticket::Model>>>> {
    let span = tracing::info_span!("stream_batches", merchant_id = %merchant);
    let batch_size = check_batch_size(batch_size)?;
    let backend = txn.get_database_backend();
    let cond = filter.condition(backend)?;
    let batches = stream::try_unfold(Step::Start, move |step| {
        let cond = cond.clone();
        let span = span.clone();
        async move {
            if matches!(step, Step::Done) {
                return Ok(None);
            }
            // Each batch is one crate call: it settles what a dropped
            // earlier call left (before the first batch too), and a batch
            // dropped mid-read is noticed by the next call.
            let (rows, next) = guarded(txn, async |txn: &DatabaseTransaction| match step {
                Step::Done => Ok((Vec::new(), Step::Done)),
                Step::Start if backend == DbBackend::Postgres => {
                    let (fetch, close) = declare(txn, merchant, cond).await?;
                    fetch_cursor(txn, fetch, close, batch_size).await
                }
                Step::Cursor { fetch, close } => fetch_cursor(txn, fetch, close, batch_size).await,
                Step::Start => keyset_batch(txn, merchant, cond, None, batch_size).await,
                Step::After(after) => {
                    keyset_batch(txn, merchant, cond, Some(&after), batch_size).await
                }
            })
            .await?;
            Ok((!rows.is_empty()).then_some((rows, next)))
        }
        .instrument(span)
    });
    Ok(batches.boxed())
}

/// Declares the cursor over the merchant's tickets matching `cond`, in id
/// order; returns its `FETCH` (without the count) and `CLOSE` statements.
async fn declare(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    cond: Condition,
) -> Result<(String, String)> {
    let name = cursor_name(NEXT_CURSOR.fetch_add(1, Ordering::Relaxed));
    let select = ordered(
        scoped::<ticket::Entity>(merchant).filter(cond),
        TicketSort::IdAsc,
    )
    .build(DbBackend::Postgres);
    // Fixed text and the crate's own cursor name; the query is sea-query's,
    // its values bound.
    let sql = ["DECLARE ", &name, " NO SCROLL CURSOR FOR ", &select.sql].concat();
    txn.execute_raw(Statement {
        sql,
        values: select.values,
        db_backend: DbBackend::Postgres,
    })
    .await?;
    Ok((["FROM ", &name].concat(), ["CLOSE ", &name].concat()))
}

fn cursor_name(number: u64) -> String {
    ["fds_cursor_", &number.to_string()].concat()
}

/// One `FETCH` of up to `batch_size` rows; closes the cursor when it
/// returned fewer (the end).
async fn fetch_cursor(
    txn: &DatabaseTransaction,
    from: String,
    close: String,
    batch_size: u64,
) -> Result<(Vec<ticket::Model>, Step)> {
    let fetch = ["FETCH ", &batch_size.to_string(), " ", &from].concat();
    let rows = txn
        .query_all_raw(Statement::from_string(DbBackend::Postgres, fetch))
        .await?;
    let rows = rows
        .iter()
        .map(ticket_by_position)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if (rows.len() as u64) < batch_size {
        txn.execute_unprepared(&close).await?;
        return Ok((rows, Step::Done));
    }
    Ok((rows, Step::Cursor { fetch: from, close }))
}

/// A full ticket row decoded by position, not by name (no look-up of each
/// column's name in every row): the cursor's `SELECT` lists the entity's
/// columns in the order of `ticket::Model`'s fields, which is how SeaORM
/// builds it.
fn ticket_by_position(row: &QueryResult) -> std::result::Result<ticket::Model, DbErr> {
    Ok(ticket::Model {
        id: row.try_get_by_index(0)?,
        merchant_id: row.try_get_by_index(1)?,
        freshdesk_ticket_id: row.try_get_by_index(2)?,
        subject: row.try_get_by_index(3)?,
        status: row.try_get_by_index(4)?,
        priority: row.try_get_by_index(5)?,
        source: row.try_get_by_index(6)?,
        requester_id: row.try_get_by_index(7)?,
        responder_id: row.try_get_by_index(8)?,
        created_at: row.try_get_by_index(9)?,
        updated_at: row.try_get_by_index(10)?,
        first_responded_at: row.try_get_by_index(11)?,
        first_response_time: row.try_get_by_index(12)?,
        fr_due_by: row.try_get_by_index(13)?,
        due_by: row.try_get_by_index(14)?,
        resolved_at: row.try_get_by_index(15)?,
        closed_at: row.try_get_by_index(16)?,
        tags: row.try_get_by_index(17)?,
        custom_fields: row.try_get_by_index(18)?,
        processed: row.try_get_by_index(19)?,
        deleted: row.try_get_by_index(20)?,
        spam: row.try_get_by_index(21)?,
        reopened_at: row.try_get_by_index(22)?,
    })
}

/// One keyset batch after `after`.
async fn keyset_batch(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    cond: Condition,
    after: Option<&[KeyValue]>,
    batch_size: u64,
) -> Result<(Vec<ticket::Model>, Step)> {
    let rows =
        fetch_keyset::<ticket::Model>(txn, merchant, cond, TicketSort::IdAsc, after, batch_size)
            .await?;
    let next = match rows.last() {
        Some(last) if rows.len() as u64 == batch_size => {
            Step::After(last.sort_keys().position(TicketSort::IdAsc))
        }
        _ => Step::Done,
    };
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`ticket_by_position`] relies on the `SELECT` listing the columns in
    /// the model's field order.
    #[test]
    fn the_cursor_select_lists_columns_in_field_order() {
        use sea_orm::{EntityTrait, Iterable};
        let sql = ticket::Entity::find().build(DbBackend::Postgres).sql;
        let mut at = 0;
        for (i, col) in ticket::Column::iter().enumerate() {
            let name = ["\"", sea_orm::IdenStatic::as_str(&col), "\""].concat();
            let found = sql[at..].find(&name).map(|p| p + at);
            assert!(found.is_some(), "column {i} ({name}) out of order in {sql}");
            at = found.unwrap_or(at) + name.len();
        }
        assert_eq!(ticket::Column::iter().count(), 23);
    }

    #[test]
    fn batch_size_bounds() {
        assert!(check_batch_size(0).is_err());
        assert!(check_batch_size(1).is_ok());
        assert!(check_batch_size(MAX_STREAM_BATCH).is_ok());
        assert!(check_batch_size(MAX_STREAM_BATCH + 1).is_err());
        assert_eq!(cursor_name(7), "fds_cursor_7");
    }
}
