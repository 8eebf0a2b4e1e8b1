//! Ticket reads: lookups by id and Freshdesk id, keyset and offset lists,
//! counts, the id and [`TicketSummary`] projections, and the batch stream.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream, StreamExt};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, FromQueryResult, PaginatorTrait,
    QueryFilter, QuerySelect, Select,
};
use serde::Serialize;
use tracing::Instrument;

use crate::entity::enums::{Priority, TicketStatus};
use crate::entity::ticket;
use crate::error::{Error, Result};
use crate::ids::{MerchantId, TicketId};
use crate::repository::filter::TicketFilter;
use crate::repository::keyset::cursor::KeyValue;
use crate::repository::keyset::{
    CursorPage, CursorRequest, SortKeys, TicketRow, TicketSort, fetch_keyset, keyset_page, ordered,
};
use crate::repository::limits::{any_of, ids_per_statement};
use crate::repository::page::{Page, check_page_size};
use crate::repository::savepoint::guarded;
use crate::repository::scope::scoped;
use crate::repository::validate::{MAX_FRESHDESK_ID_BYTES, check_lookup};

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

/// Summary columns plus the sort keys a summary does not show.
#[derive(FromQueryResult)]
struct SummaryRow {
    subject: String,
    status: TicketStatus,
    #[sea_orm(nested)]
    keys: SortKeys,
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
    fn sort_keys(&self) -> SortKeys {
        self.keys
    }
}

/// The id plus the sort keys.
#[derive(FromQueryResult)]
struct IdRow {
    #[sea_orm(nested)]
    keys: SortKeys,
}

impl TicketRow for IdRow {
    fn project(select: Select<ticket::Entity>) -> Select<ticket::Entity> {
        use ticket::Column as T;
        select
            .select_only()
            .columns([T::Id, T::Priority, T::CreatedAt, T::UpdatedAt])
    }
    fn sort_keys(&self) -> SortKeys {
        self.keys
    }
}

/// What a filtered list's cursors are bound to: the filter, whichever
/// method lists it.
fn filter_scope(filter: &TicketFilter) -> String {
    format!("filter|{}", filter.scope())
}

pub(super) async fn get(
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

pub(super) async fn get_by_freshdesk_id(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    freshdesk_ticket_id: &str,
) -> Result<ticket::Model> {
    check_lookup(
        "freshdesk_ticket_id",
        freshdesk_ticket_id,
        MAX_FRESHDESK_ID_BYTES,
    )?;
    scoped::<ticket::Entity>(merchant)
        .filter(ticket::Column::FreshdeskTicketId.eq(freshdesk_ticket_id))
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found("ticket", format!("freshdesk:{freshdesk_ticket_id}")))
}

pub(super) async fn resolve_freshdesk_ids(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    freshdesk_ticket_ids: &[String],
) -> Result<BTreeMap<String, TicketId>> {
    use ticket::Column as T;
    for id in freshdesk_ticket_ids {
        check_lookup("freshdesk_ticket_ids", id, MAX_FRESHDESK_ID_BYTES)?;
    }
    let mut out = BTreeMap::new();
    for chunk in freshdesk_ticket_ids.chunks(ids_per_statement(txn.get_database_backend())) {
        let rows: Vec<(String, TicketId)> = scoped::<ticket::Entity>(merchant)
            .select_only()
            .columns([T::FreshdeskTicketId, T::Id])
            .filter(any_of(
                txn.get_database_backend(),
                T::FreshdeskTicketId,
                chunk.iter().cloned(),
            ))
            .into_tuple()
            .all(txn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// A keyset page of rows `R` of the tickets matching `filter`.
pub(super) async fn list<R: TicketRow>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
    page: &CursorRequest,
) -> Result<CursorPage<R>> {
    let cond = filter.condition(txn.get_database_backend())?;
    keyset_page::<R>(txn, merchant, cond, &filter_scope(filter), page).await
}

pub(super) async fn list_paginated(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
    sort: TicketSort,
    page: u64,
    per_page: u64,
) -> Result<Page<ticket::Model>> {
    let per_page = check_page_size("per_page", per_page)?;
    let offset = page_offset(page, per_page)?;
    let base =
        scoped::<ticket::Entity>(merchant).filter(filter.condition(txn.get_database_backend())?);
    let total = base.clone().count(txn).await?;
    let items = ordered(base, sort)
        .offset(offset)
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

/// The rows before page `page` (from 1) of `per_page` rows; every backend
/// binds an OFFSET as a signed 64-bit integer.
fn page_offset(page: u64, per_page: u64) -> Result<u64> {
    let Some(before) = page.checked_sub(1) else {
        return Err(Error::invalid_input("page", "pages start at 1, got 0"));
    };
    before
        .checked_mul(per_page)
        .filter(|offset| i64::try_from(*offset).is_ok())
        .ok_or_else(|| {
            Error::invalid_input(
                "page",
                format!(
                    "page {page} of {per_page} rows starts past the last row a database can skip"
                ),
            )
        })
}

pub(super) async fn count(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
) -> Result<u64> {
    Ok(scoped::<ticket::Entity>(merchant)
        .filter(filter.condition(txn.get_database_backend())?)
        .count(txn)
        .await?)
}

/// The batch stream of
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
    let batch_size = check_page_size("batch_size", batch_size)?;
    let cond = filter.condition(txn.get_database_backend())?;
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
            // Each batch is one crate call: it settles what a dropped
            // earlier call left (before the first batch too), and a batch
            // dropped mid-read is noticed by the next call.
            let rows = guarded(txn, async |txn: &DatabaseTransaction| {
                fetch_keyset::<ticket::Model>(
                    txn,
                    merchant,
                    cond,
                    TicketSort::IdAsc,
                    after.as_deref(),
                    batch_size,
                )
                .await
            })
            .await?;
            let Some(last) = rows.last() else {
                return Ok(None);
            };
            let next = (
                Some(last.sort_keys().position(TicketSort::IdAsc)),
                (rows.len() as u64) < batch_size,
            );
            Ok(Some((rows, next)))
        }
        .instrument(span)
    });
    Ok(batches.boxed())
}

pub(super) async fn list_ids(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
    page: &CursorRequest,
) -> Result<CursorPage<TicketId>> {
    Ok(list::<IdRow>(txn, merchant, filter, page)
        .await?
        .map(|r| r.keys.id))
}

pub(super) async fn list_summaries(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
    page: &CursorRequest,
) -> Result<CursorPage<TicketSummary>> {
    let page = list::<SummaryRow>(txn, merchant, filter, page).await?;
    Ok(page.map(|r| TicketSummary {
        id: r.keys.id,
        subject: r.subject,
        status: r.status,
        priority: r.keys.priority,
        created_at: r.keys.created_at,
    }))
}
