//! The one place tenant queries start: a merchant-scoped `SELECT`, `UPDATE`
//! or `DELETE` whose first predicate is `merchant_id = ?`, and the by-id
//! reads, checks, updates and deletes built on them, which turn another
//! merchant's id into a not-found error.

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DeleteMany, EntityTrait, QueryFilter,
    QuerySelect, Select, UpdateMany,
};

use super::limits::ids_per_statement;
use super::savepoint::in_savepoint;
use crate::entity::{agent, contact, conversation, rating, ticket};
use crate::error::{Error, Result};
use crate::ids::MerchantId;

/// A tenant table: it has a merchant column and an `id` primary key.
pub(crate) trait MerchantScoped: EntityTrait {
    /// The name used in errors (`"ticket"`).
    const NAME: &'static str;
    /// The tenant key column.
    fn merchant_col() -> Self::Column;
    /// The primary key column.
    fn id_col() -> Self::Column;
}

macro_rules! scoped_entity {
    ($module:ident, $name:literal) => {
        impl MerchantScoped for $module::Entity {
            const NAME: &'static str = $name;
            fn merchant_col() -> Self::Column {
                $module::Column::MerchantId
            }
            fn id_col() -> Self::Column {
                $module::Column::Id
            }
        }
    };
}

scoped_entity!(ticket, "ticket");
scoped_entity!(conversation, "conversation");
scoped_entity!(rating, "rating");
scoped_entity!(agent, "agent");
scoped_entity!(contact, "contact");

/// `SELECT … FROM e WHERE merchant_id = ?`: every read starts here.
pub(crate) fn scoped<E: MerchantScoped>(merchant: MerchantId) -> Select<E> {
    E::find().filter(E::merchant_col().eq(merchant))
}

/// `UPDATE e … WHERE merchant_id = ?`: every update starts here.
pub(crate) fn scoped_update<E: MerchantScoped>(merchant: MerchantId) -> UpdateMany<E> {
    E::update_many().filter(E::merchant_col().eq(merchant))
}

/// `DELETE FROM e WHERE merchant_id = ?`: every delete starts here.
pub(crate) fn scoped_delete<E: MerchantScoped>(merchant: MerchantId) -> DeleteMany<E> {
    E::delete_many().filter(E::merchant_col().eq(merchant))
}

/// Sorted, deduplicated ids.
pub(crate) fn distinct(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    ids.into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The ids among `ids` (distinct, sorted) that the merchant has in table `E`.
/// One statement per chunk of ids.
pub(crate) async fn existing_ids<E: MerchantScoped>(
    db: &impl ConnectionTrait,
    merchant: MerchantId,
    ids: &[i64],
) -> Result<BTreeSet<i64>> {
    let mut found = BTreeSet::new();
    for chunk in ids.chunks(ids_per_statement(db.get_database_backend())) {
        let rows: Vec<i64> = scoped::<E>(merchant)
            .select_only()
            .expr(Expr::col(E::id_col()))
            .filter(E::id_col().is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// [`Error::NotFound`] for the first of `ids` (distinct, sorted) the
/// merchant does not have in table `E`, if any. One statement per chunk.
pub(crate) async fn ensure_exist<E: MerchantScoped>(
    db: &impl ConnectionTrait,
    merchant: MerchantId,
    ids: &[i64],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = existing_ids::<E>(db, merchant, ids).await?;
    match ids.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(Error::not_found(E::NAME, missing)),
        None => Ok(()),
    }
}

/// Applies `set` to the merchant's rows of `E` with these ids, one `UPDATE`
/// per chunk of ids, inside a savepoint: if any id is not the merchant's,
/// nothing is changed and the error names it.
pub(crate) async fn update_by_ids<E, F>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[i64],
    set: F,
) -> Result<u64>
where
    E: MerchantScoped,
    F: Fn(UpdateMany<E>) -> UpdateMany<E> + Send + Sync,
{
    let ids = distinct(ids.iter().copied());
    if ids.is_empty() {
        return Ok(0);
    }
    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        let mut changed = 0;
        for chunk in ids.chunks(ids_per_statement(sp.get_database_backend())) {
            changed += set(scoped_update::<E>(merchant))
                .filter(E::id_col().is_in(chunk.iter().copied()))
                .exec(sp)
                .await?
                .rows_affected;
        }
        if changed < ids.len() as u64 {
            ensure_exist::<E>(sp, merchant, &ids).await?;
        }
        Ok(changed)
    })
    .await
}

/// Deletes the merchant's rows of `E` with these ids, one `DELETE` per chunk
/// of ids, inside a savepoint: if any id is not the merchant's, nothing is
/// deleted and the error names it.
pub(crate) async fn delete_by_ids<E: MerchantScoped>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[i64],
) -> Result<u64> {
    let ids = distinct(ids.iter().copied());
    if ids.is_empty() {
        return Ok(0);
    }
    let deleted = in_savepoint(txn, async |sp: &DatabaseTransaction| {
        let mut deleted = 0;
        for chunk in ids.chunks(ids_per_statement(sp.get_database_backend())) {
            deleted += scoped_delete::<E>(merchant)
                .filter(E::id_col().is_in(chunk.iter().copied()))
                .exec(sp)
                .await?
                .rows_affected;
        }
        if deleted < ids.len() as u64 {
            // Undo first: the ids deleted here would look missing too.
            return Err(Error::not_found(E::NAME, "(one of the ids)"));
        }
        Ok(deleted)
    })
    .await;
    if let Err(Error::NotFound { .. }) = &deleted {
        // The savepoint is rolled back: name the id that is not the merchant's.
        ensure_exist::<E>(txn, merchant, &ids).await?;
    }
    deleted
}
