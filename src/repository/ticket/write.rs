//! Ticket writes: chunked inserts and upserts of tickets, conversations and
//! ratings (after validation and tenant checks), status and `processed`
//! updates, and deletes.

use sea_orm::DatabaseTransaction;
use sea_orm::sea_query::{Expr, OnConflict};

use crate::entity::enums::TicketStatus;
use crate::entity::{agent, contact, ticket};
use crate::error::Result;
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::repository::bulk::{insert_chunked, lock_order, write_chunked};
use crate::repository::input::{NewTicket, TicketChild};
use crate::repository::scope::{delete_by_ids, distinct, ensure_exist, update_by_ids};
use crate::repository::validate::check_unique_in_batch;

pub(super) async fn insert_many(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<NewTicket>,
) -> Result<u64> {
    let rows = prepare_tickets(txn, merchant, rows).await?;
    insert_chunked(txn, rows).await
}

pub(super) async fn upsert_many(
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

/// The write path of conversations and ratings: check every row, make
/// sure every ticket is the merchant's (1 statement per chunk of ticket
/// ids), then insert or upsert in chunks.
pub(super) async fn write_children<R: TicketChild>(
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
    let tickets = distinct(rows.iter().map(|r| r.ticket().get()));
    ensure_exist::<ticket::Entity>(txn, merchant, &tickets).await?;
    let mut rows = rows;
    lock_order(&mut rows, R::freshdesk_id);
    let rows = rows.into_iter().map(|r| r.active(merchant)).collect();
    write_chunked(txn, rows, upsert.then(R::upsert)).await
}

pub(super) async fn set_status(
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

pub(super) async fn mark_processed(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[TicketId],
) -> Result<u64> {
    update_by_ids::<ticket::Entity, _>(txn, merchant, &ids_of(ids), |u| {
        u.col_expr(ticket::Column::Processed, Expr::value(true))
    })
    .await
}

pub(super) async fn delete(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[TicketId],
) -> Result<u64> {
    delete_by_ids::<ticket::Entity>(txn, merchant, &ids_of(ids)).await
}

fn ids_of(ids: &[TicketId]) -> Vec<i64> {
    ids.iter().map(|id| id.get()).collect()
}

/// Validates ticket rows and checks their requesters and responders are the
/// merchant's; returns the rows to write, in lock order (see
/// [`lock_order`]).
async fn prepare_tickets(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    mut rows: Vec<NewTicket>,
) -> Result<Vec<ticket::ActiveModel>> {
    for (i, row) in rows.iter().enumerate() {
        row.validate(i)?;
    }
    lock_order(&mut rows, |r| r.freshdesk_ticket_id.as_str());
    let requesters = distinct(
        rows.iter()
            .filter_map(|r| r.requester_id.map(ContactId::get)),
    );
    ensure_exist::<contact::Entity>(txn, merchant, &requesters).await?;
    let responders = distinct(rows.iter().filter_map(|r| r.responder_id.map(AgentId::get)));
    ensure_exist::<agent::Entity>(txn, merchant, &responders).await?;
    Ok(rows.into_iter().map(|r| r.into_active(merchant)).collect())
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
