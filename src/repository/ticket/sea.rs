//! The SeaORM implementation of [`TicketRepository`]: each method opens its
//! `tracing` span (named after it, with the merchant id) and calls the
//! capability module that owns the work: `read`, `stream`, `children` or
//! `write`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use futures_util::stream::BoxStream;
use sea_orm::DatabaseTransaction;

use super::{
    TicketChange, TicketRepository, TicketSummary, TicketWithChildren, children, read, stream,
    write,
};
use crate::entity::enums::TicketStatus;
use crate::entity::ticket;
use crate::error::Result;
use crate::ids::{MerchantId, TicketId};
use crate::repository::filter::{Sla, TicketFilter};
use crate::repository::input::{NewConversation, NewRating, NewTicket};
use crate::repository::keyset::{CursorPage, CursorRequest, TicketSort};
use crate::repository::page::{OffsetPage, OffsetRequest, Page};
use crate::repository::savepoint::guarded;
use crate::time::{check_offset_range, local_day};

/// The SeaORM implementation of [`TicketRepository`]; a unit struct, cheap
/// to copy into application state.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeaTicketRepository;

#[async_trait]
impl TicketRepository for SeaTicketRepository {
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ticket_id = %id))]
    async fn get(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: TicketId,
    ) -> Result<ticket::Model> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::get(txn, merchant, id).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn get_by_freshdesk_id(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ticket_id: &str,
    ) -> Result<ticket::Model> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::get_by_freshdesk_id(txn, merchant, freshdesk_ticket_id).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn resolve_freshdesk_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ticket_ids: &[String],
    ) -> Result<BTreeMap<String, TicketId>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::resolve_freshdesk_ids(txn, merchant, freshdesk_ticket_ids).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn open(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list(txn, merchant, &TicketFilter::open(), page).await
        })
        .await
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
        check_offset_range(offset.local_minus_utc())?;
        let (from, before) = local_day(date, offset.local_minus_utc())?;
        let filter = TicketFilter::new().created_between(from, before);
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list(txn, merchant, &filter, page).await
        })
        .await
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
        let filter = TicketFilter::urgent_or_old_high_priority(now, older_than)?;
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list(txn, merchant, &filter, page).await
        })
        .await
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
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list(txn, merchant, &TicketFilter::breaching_sla(sla, now), page).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<ticket::Model>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list(txn, merchant, filter, page).await
        })
        .await
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
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list_paginated(txn, merchant, filter, sort, page, per_page).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn count(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::count(txn, merchant, filter).await
        })
        .await
    }

    fn stream_batches<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        merchant: MerchantId,
        filter: TicketFilter,
        batch_size: u64,
    ) -> Result<BoxStream<'a, Result<Vec<ticket::Model>>>> {
        stream::stream_batches(txn, merchant, filter, batch_size)
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ticket_id = %id))]
    async fn get_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: TicketId,
    ) -> Result<TicketWithChildren> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            children::get_with_children(txn, merchant, id).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
    async fn get_many_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[TicketId],
    ) -> Result<Vec<TicketWithChildren>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            children::get_many_with_children(txn, merchant, ids).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list_with_children(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketWithChildren>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            children::list_with_children(txn, merchant, filter, page).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketId>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list_ids(txn, merchant, filter, page).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list_summaries(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        page: &CursorRequest,
    ) -> Result<CursorPage<TicketSummary>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list_summaries(txn, merchant, filter, page).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn insert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::insert_many(txn, merchant, rows).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn upsert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewTicket>,
    ) -> Result<Vec<TicketId>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::upsert_many(txn, merchant, rows).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn insert_conversations(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewConversation>,
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::write_children(txn, merchant, rows, false).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn upsert_conversations(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewConversation>,
    ) -> Result<()> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::write_children(txn, merchant, rows, true).await
        })
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn insert_ratings(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewRating>,
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::write_children(txn, merchant, rows, false).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn upsert_ratings(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewRating>,
    ) -> Result<()> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::write_children(txn, merchant, rows, true).await
        })
        .await?;
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
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::set_status(txn, merchant, ids, status).await
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
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::mark_processed(txn, merchant, ids).await
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
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::delete(txn, merchant, ids).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, page = req.page(), per_page = req.per_page()))]
    async fn list_offset(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        sort: TicketSort,
        req: &OffsetRequest,
    ) -> Result<OffsetPage<ticket::Model>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            read::list_offset(txn, merchant, filter, sort, req).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ?change))]
    async fn update_where(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        filter: &TicketFilter,
        change: TicketChange,
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            write::update_where(txn, merchant, filter, change).await
        })
        .await
    }
}
