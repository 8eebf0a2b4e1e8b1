//! Ticket reads: lookups by id and Freshdesk id, keyset and offset lists,
//! counts, the id and [`TicketSummary`] projections. The batch stream is
//! `stream.rs`'s.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, FromQueryResult, PaginatorTrait,
    QueryFilter, QuerySelect, Select,
};
use serde::Serialize;

use crate::entity::enums::{Priority, TicketStatus};
use crate::entity::ticket;
use crate::error::{Error, Result};
use crate::ids::{MerchantId, TicketId};
use crate::repository::filter::TicketFilter;
use crate::repository::keyset::{
    CursorPage, CursorRequest, SortKeys, TicketRow, TicketSort, keyset_page, ordered,
};
use crate::repository::limits::{any_of, ids_per_statement};
use crate::repository::page::{OffsetPage, OffsetRequest, Page, check_page_size};
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

/// An offset page: one statement (`per_page + 1` rows, to know whether
/// another follows), plus the `COUNT` when the request asks for it.
pub(super) async fn list_offset(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
    sort: TicketSort,
    req: &OffsetRequest,
) -> Result<OffsetPage<ticket::Model>> {
    let per_page = check_page_size("per_page", req.per_page())?;
    let offset = page_offset(req.page(), per_page)?;
    let base =
        scoped::<ticket::Entity>(merchant).filter(filter.condition(txn.get_database_backend())?);
    let total = if req.wants_total() {
        Some(base.clone().count(txn).await?)
    } else {
        None
    };
    let mut items = ordered(base, sort)
        .offset(offset)
        .limit(per_page + 1)
        .all(txn)
        .await?;
    let has_more = items.len() as u64 > per_page;
    items.truncate(per_page as usize);
    Ok(OffsetPage {
        items,
        page: req.page(),
        per_page,
        has_more,
        total,
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
