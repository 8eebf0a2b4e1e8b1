//! The one implementation of the agent and contact repositories. Both
//! tables have the same columns under different names; [`Person`] names
//! them, and the generic functions here are what
//! [`AgentRepository`](super::AgentRepository) and
//! [`ContactRepository`](super::ContactRepository) run.

use std::collections::BTreeMap;
use std::fmt::Display;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TryGetable,
};

use super::bulk::{insert_chunked, lock_order};
use super::keyset::CursorPage;
use super::keyset::cursor::{KeyKind, KeyValue, decode_cursor, encode_cursor, fingerprint};
use super::limits::{any_of, ids_per_statement};
use super::page::check_page_size;
use super::savepoint::in_savepoint;
use super::scope::{MerchantScoped, delete_by_ids, distinct, scoped};
use super::upsert::{NewestWins, write_newest};
use super::validate::{
    MAX_FRESHDESK_ID_BYTES, check_freshdesk_id, check_lookup, check_text, check_unique_in_batch,
};
use crate::error::{Error, Result};
use crate::ids::MerchantId;

/// A people table (agents, contacts): the columns and types the shared
/// implementation names.
pub(crate) trait Person:
    MerchantScoped<Model: Send + Sync, ActiveModel: ActiveModelTrait<Entity = Self> + Send>
{
    /// The typed id (`AgentId`, `ContactId`).
    type Id: Copy + Display + Into<i64> + Into<sea_orm::Value> + TryGetable + Send + Sync;
    /// The insert type (`NewAgent`, `NewContact`).
    type New: Send;
    /// The table's rows in plain words, for cursor fingerprints (`"agents"`).
    const PLURAL: &'static str;
    /// The Freshdesk id column's name, for errors (`"freshdesk_agent_id"`).
    const FRESHDESK_FIELD: &'static str;
    /// The Freshdesk id column.
    fn freshdesk_col() -> Self::Column;
    /// The columns an upsert updates: name and email.
    fn updatable_cols() -> [Self::Column; 2];
    /// The version column (`updated_at`): a newer row wins.
    fn updated_at_col() -> Self::Column;
    /// A row's id.
    fn id_of(row: &Self::Model) -> i64;
    /// An input's Freshdesk id, name and email.
    fn fields(new: &Self::New) -> (&str, &str, Option<&str>);
    /// The row to insert for `merchant`.
    fn active(new: Self::New, merchant: MerchantId) -> Self::ActiveModel;
}

/// Checks one input row; `index` is its position in the batch.
pub(crate) fn validate<P: Person>(new: &P::New, index: usize) -> Result<()> {
    let (freshdesk_id, name, email) = P::fields(new);
    check_freshdesk_id(P::FRESHDESK_FIELD, index, freshdesk_id)?;
    check_text("name", index, name)?;
    check_text("email", index, email.unwrap_or(""))
}

pub(crate) async fn get<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    id: P::Id,
) -> Result<P::Model> {
    scoped::<P>(merchant)
        .filter(P::id_col().eq(id))
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found(P::NAME, id))
}

pub(crate) async fn get_by_freshdesk_id<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    freshdesk_id: &str,
) -> Result<P::Model> {
    check_lookup(P::FRESHDESK_FIELD, freshdesk_id, MAX_FRESHDESK_ID_BYTES)?;
    scoped::<P>(merchant)
        .filter(P::freshdesk_col().eq(freshdesk_id))
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found(P::NAME, format!("freshdesk:{freshdesk_id}")))
}

pub(crate) async fn get_many<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[P::Id],
) -> Result<Vec<P::Model>> {
    let ids = distinct(ids.iter().map(|id| (*id).into()));
    let mut out = Vec::new();
    for chunk in ids.chunks(ids_per_statement(txn.get_database_backend())) {
        out.extend(
            scoped::<P>(merchant)
                .filter(P::id_col().is_in(chunk.iter().copied()))
                .order_by_asc(P::id_col())
                .all(txn)
                .await?,
        );
    }
    Ok(out)
}

pub(crate) async fn resolve_freshdesk_ids<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    freshdesk_ids: &[String],
) -> Result<BTreeMap<String, P::Id>> {
    for id in freshdesk_ids {
        check_lookup("freshdesk_ids", id, MAX_FRESHDESK_ID_BYTES)?;
    }
    let mut out = BTreeMap::new();
    for chunk in freshdesk_ids.chunks(ids_per_statement(txn.get_database_backend())) {
        let rows: Vec<(String, P::Id)> = scoped::<P>(merchant)
            .select_only()
            .columns([P::freshdesk_col(), P::id_col()])
            .filter(any_of(
                txn.get_database_backend(),
                P::freshdesk_col(),
                chunk.iter().cloned(),
            ))
            .into_tuple()
            .all(txn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// A keyset page in id order; the cursor is bound to the merchant and table.
pub(crate) async fn list<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    after: Option<&str>,
    page_size: u64,
) -> Result<CursorPage<P::Model>> {
    let size = check_page_size("page_size", page_size)?;
    let fp = fingerprint(merchant, "id_asc", P::PLURAL);
    let mut select = scoped::<P>(merchant);
    if let Some(cursor) = after
        && let [KeyValue::Int(last)] = decode_cursor(cursor, fp, &[KeyKind::Id])?[..]
    {
        select = select.filter(P::id_col().gt(last));
    }
    let mut items = select
        .order_by_asc(P::id_col())
        .limit(size + 1)
        .all(txn)
        .await?;
    let next_cursor = if items.len() as u64 > size {
        items.truncate(size as usize);
        items
            .last()
            .map(|row| encode_cursor(fp, &[KeyValue::Int(P::id_of(row))]))
    } else {
        None
    };
    Ok(CursorPage { items, next_cursor })
}

pub(crate) async fn count<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
) -> Result<u64> {
    Ok(scoped::<P>(merchant).count(txn).await?)
}

pub(crate) async fn insert_many<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    mut rows: Vec<P::New>,
) -> Result<u64> {
    for (i, row) in rows.iter().enumerate() {
        validate::<P>(row, i)?;
    }
    lock_order(&mut rows, |r| P::fields(r).0);
    let rows = rows.into_iter().map(|r| P::active(r, merchant)).collect();
    insert_chunked(txn, rows).await
}

pub(crate) async fn upsert_many<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<P::New>,
) -> Result<()> {
    for (i, row) in rows.iter().enumerate() {
        validate::<P>(row, i)?;
    }
    check_unique_in_batch(P::FRESHDESK_FIELD, rows.iter().map(|r| P::fields(r).0))?;
    let mut rows = rows;
    lock_order(&mut rows, |r| P::fields(r).0);
    let rows = rows.into_iter().map(|r| P::active(r, merchant)).collect();
    // Never `merchant_id`: an upsert cannot move a row to another merchant.
    // Newest wins: a row without a version never replaces a synced one.
    let spec = NewestWins::<P> {
        merchant: P::merchant_col(),
        key: P::freshdesk_col(),
        key_field: P::FRESHDESK_FIELD,
        updated_at: P::updated_at_col(),
        update: P::updatable_cols().to_vec(),
    };
    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        write_newest(sp, merchant, &spec, rows, false).await
    })
    .await?;
    Ok(())
}

pub(crate) async fn delete<P: Person>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[P::Id],
) -> Result<u64> {
    let ids: Vec<i64> = ids.iter().map(|id| (*id).into()).collect();
    delete_by_ids::<P>(txn, merchant, &ids).await
}
