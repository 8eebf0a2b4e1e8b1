//! Newest-wins upserts: chunked multi-row `INSERT`s keyed by
//! `(merchant_id, freshdesk_*_id)` that change an existing row only when the
//! incoming version is not older than the stored one, on every backend.
//!
//! - PostgreSQL and SQLite: `ON CONFLICT (merchant_id, key) DO UPDATE SET …
//!   WHERE (excluded.updated_at >= t.updated_at OR t.updated_at IS NULL)
//!   AND (some column differs)`.
//! - MariaDB/MySQL: `ON DUPLICATE KEY UPDATE` has no `WHERE` (and sea-query
//!   silently drops one there), so every column takes
//!   `IF(VALUES(updated_at) >= updated_at OR updated_at IS NULL,
//!   VALUES(col), col)`, with `updated_at` assigned last: assignments run
//!   left to right, and each `IF` must see the stored `updated_at`.
//!
//! A stored `updated_at` of `NULL` (a placeholder row) is older than any
//! record. A record that is not older but changes nothing (a replay) is
//! counted as skipped on every backend, as MariaDB reports it.
//!
//! Counting (SEAORM.md, "Fast paths and newest-wins upserts"): PostgreSQL
//! returns `xmax = 0` for each inserted row and nothing for a skipped one;
//! on SQLite and MariaDB one `SELECT COUNT(*)` of the chunk's keys that
//! exist comes before each chunk, and the affected-row count does the rest
//! (SQLite: inserted + updated; MariaDB with `CLIENT_FOUND_ROWS`: 1 per
//! insert, 2 per update, 1 per skip).
//!
//! The rows of one batch must have distinct keys (PostgreSQL cannot update
//! one row twice in a statement): [`newest_per_key`] keeps each key's newest
//! version. They are written in key order, so overlapping batches take
//! their row locks in one order and cannot deadlock each other.
//!
//! The statements run on the connection they are given: callers run them
//! in a savepoint so that a failing chunk leaves none of the others.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Condition, Expr, Func, IntoIden, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait, Iterable,
    Statement, Value,
};

use super::bulk::insert_sql;
use super::limits::{any_of, max_bind_params};
use crate::entity::instant_value;
use crate::error::{Error, Result};
use crate::ids::MerchantId;

/// What a newest-wins upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UpsertCounts {
    /// Rows that did not exist.
    pub(crate) inserted: u64,
    /// Existing rows that took the record.
    pub(crate) updated: u64,
    /// Existing rows left alone: the record was older, or changed nothing.
    pub(crate) skipped: u64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.skipped += other.skipped;
    }
}

/// The columns of a newest-wins upsert on one table.
pub(crate) struct NewestWins<E: EntityTrait> {
    /// The tenant key (set on every row from the call's merchant).
    pub(crate) merchant: E::Column,
    /// The Freshdesk id column: with `merchant`, the conflict target.
    pub(crate) key: E::Column,
    /// The field name in errors (`"freshdesk_ticket_id"`).
    pub(crate) key_field: &'static str,
    /// The version column; assigned last.
    pub(crate) updated_at: E::Column,
    /// The columns a newer record overwrites, `updated_at` excluded (and
    /// never the merchant, the key, the id, or a column the service owns
    /// such as `processed`).
    pub(crate) update: Vec<E::Column>,
}

/// Keeps the newest version of each key: for equal versions, the later
/// item in the slice. The result is in key order.
#[allow(
    dead_code,
    reason = "the sync apply functions dedupe their batches with it"
)]
pub(crate) fn newest_per_key<T, K, V>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
    version: impl Fn(&T) -> V,
) -> Vec<T>
where
    K: Ord,
    V: PartialOrd,
{
    let mut newest: BTreeMap<K, T> = BTreeMap::new();
    for item in items {
        let k = key(&item);
        match newest.get(&k) {
            Some(kept) if version(kept) > version(&item) => {}
            _ => {
                newest.insert(k, item);
            }
        }
    }
    newest.into_values().collect()
}

/// A column value as it is bound: timestamps as [`instant_value`]s (on
/// MariaDB a `DateTime<Utc>` would go as a `TIMESTAMP` parameter, `NULL`
/// outside 1970–2038).
fn bind_value(value: Value) -> Value {
    match value {
        Value::ChronoDateTimeUtc(Some(at)) => instant_value(at),
        Value::ChronoDateTimeUtc(None) => Value::ChronoDateTimeWithTimeZone(None),
        other => other,
    }
}

/// `stored IS DISTINCT FROM incoming`, as each backend spells it.
fn distinct_sql(backend: DbBackend) -> &'static str {
    match backend {
        // sea-query numbers the placeholders of a custom expression on
        // PostgreSQL and takes them in order (`?`) on SQLite.
        DbBackend::Postgres => "$1 IS DISTINCT FROM $2",
        _ => "? IS NOT ?",
    }
}

/// PostgreSQL / SQLite: the `WHERE` of `DO UPDATE`: the record is not older
/// (or the row is a placeholder), and it changes something.
fn newer_and_different<E: EntityTrait>(backend: DbBackend, spec: &NewestWins<E>) -> Expr {
    let stored = |c: E::Column| Expr::col((E::default(), c));
    let incoming = |c: E::Column| Expr::col((Alias::new("excluded"), c));
    let newer = incoming(spec.updated_at)
        .gte(stored(spec.updated_at))
        .or(stored(spec.updated_at).is_null());
    let mut changed = Condition::any();
    for column in spec.update.iter().copied().chain([spec.updated_at]) {
        changed = changed.add(Expr::cust_with_exprs(
            distinct_sql(backend),
            [stored(column), incoming(column)],
        ));
    }
    newer.and(Expr::from(changed))
}

/// MariaDB: `VALUES(col)`, the incoming value in `ON DUPLICATE KEY UPDATE`.
fn incoming_value<C: IntoIden>(column: C) -> Expr {
    Func::cust("VALUES").arg(Expr::col(column)).into()
}

/// The conflict clause for the backend.
pub(crate) fn on_conflict<E: EntityTrait>(backend: DbBackend, spec: &NewestWins<E>) -> OnConflict {
    let mut clause = OnConflict::columns([spec.merchant, spec.key]);
    match backend {
        DbBackend::MySql => {
            let newer = incoming_value(spec.updated_at)
                .gte(Expr::col(spec.updated_at))
                .or(Expr::col(spec.updated_at).is_null());
            // `updated_at` last: every CASE before it sees the stored value.
            for column in spec.update.iter().chain([&spec.updated_at]) {
                clause.value(
                    *column,
                    Expr::case(newer.clone(), incoming_value(*column)).finally(Expr::col(*column)),
                );
            }
        }
        _ => {
            clause
                .update_columns(spec.update.iter().copied().chain([spec.updated_at]))
                .action_and_where(newer_and_different(backend, spec));
        }
    }
    clause
}

/// The rows with the merchant set, paired with their keys and sorted by
/// key.
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the key field when a row has no key or
/// two rows share one.
fn keyed_rows<A: ActiveModelTrait>(
    merchant: MerchantId,
    spec: &NewestWins<A::Entity>,
    rows: Vec<A>,
) -> Result<Vec<(String, A)>> {
    let mut keyed = Vec::with_capacity(rows.len());
    for (index, mut row) in rows.into_iter().enumerate() {
        row.set(spec.merchant, merchant.into());
        let key = match row.get(spec.key).into_value() {
            Some(Value::String(Some(key))) => key,
            _ => {
                return Err(Error::invalid_input(
                    spec.key_field,
                    format!("row {index}: missing"),
                ));
            }
        };
        keyed.push((key, row));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = keyed.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::invalid_input(
            spec.key_field,
            format!("`{}` appears more than once in the batch", pair[0].0),
        ));
    }
    Ok(keyed)
}

/// Writes `rows` (distinct keys; see [`newest_per_key`]) newest-wins, in
/// key order, one `INSERT` per chunk under the backend's bind-parameter
/// limit (plus, on SQLite and MariaDB, one `SELECT COUNT(*)` per chunk).
/// Every row is written for `merchant`, whatever its `merchant_id` says.
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the key field when two rows share a key
/// or a row has no key (nothing is sent); a database error otherwise.
pub(crate) async fn upsert_newest<C, A>(
    db: &C,
    merchant: MerchantId,
    spec: &NewestWins<A::Entity>,
    rows: Vec<A>,
) -> Result<UpsertCounts>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    write_newest(db, merchant, spec, rows, true).await
}

/// [`upsert_newest`] without the counting statements (`counted: false`:
/// one `INSERT` per chunk, and the counts are meaningless).
pub(crate) async fn write_newest<C, A>(
    db: &C,
    merchant: MerchantId,
    spec: &NewestWins<A::Entity>,
    rows: Vec<A>,
    counted: bool,
) -> Result<UpsertCounts>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let keyed = keyed_rows(merchant, spec, rows)?;
    let Some((_, first)) = keyed.first() else {
        return Ok(UpsertCounts::default());
    };
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <A::Entity as EntityTrait>::Column::iter()
            .filter(|c| first.get(*c).is_set())
            .collect();
    let backend = db.get_database_backend();
    let width = columns.len().max(1);
    let chunk = (max_bind_params(backend) / width).max(1);
    let tail = conflict_sql(backend, spec, &columns)?;

    let mut counts = UpsertCounts::default();
    let mut full: Option<String> = None;
    let mut keyed = keyed.into_iter().peekable();
    while keyed.peek().is_some() {
        let batch: Vec<(String, A)> = keyed.by_ref().take(chunk).collect();
        let n = batch.len() as u64;
        let existing = match backend {
            DbBackend::Postgres => 0,
            _ if !counted => 0,
            _ => count_existing(db, merchant, spec, batch.iter().map(|(k, _)| k)).await?,
        };
        // Plain bind values moved out of the rows, and the statement text
        // built once per chunk size: no statement builder per row.
        let mut values = Vec::with_capacity(batch.len() * width);
        for (_, mut row) in batch {
            for column in &columns {
                values.push(match row.take(*column).into_value() {
                    Some(value) => bind_value(value),
                    None => Value::String(None),
                });
            }
        }
        let sql = if n as usize == chunk {
            full.get_or_insert_with(|| {
                [
                    insert_sql::<A::Entity>(backend, &columns, &[], chunk),
                    tail.clone(),
                ]
                .concat()
            })
            .clone()
        } else {
            [
                insert_sql::<A::Entity>(backend, &columns, &[], n as usize),
                tail.clone(),
            ]
            .concat()
        };
        let insert = Statement::from_sql_and_values(backend, sql, values);
        counts += match backend {
            DbBackend::Postgres => {
                let rows = db.query_all_raw(insert).await?;
                let mut inserted = 0;
                for row in &rows {
                    if row.try_get_by_index::<bool>(0)? {
                        inserted += 1;
                    }
                }
                let written = rows.len() as u64;
                UpsertCounts {
                    inserted,
                    updated: written - inserted,
                    skipped: n - written,
                }
            }
            DbBackend::MySql => {
                let affected = db.execute_raw(insert).await?.rows_affected();
                let inserted = n - existing;
                // 1 per insert, 2 per update, 1 per row left as it was.
                let updated = affected.saturating_sub(n);
                UpsertCounts {
                    inserted,
                    updated,
                    skipped: existing.saturating_sub(updated),
                }
            }
            _ => {
                let changed = db.execute_raw(insert).await?.rows_affected();
                let inserted = n - existing;
                let updated = changed.saturating_sub(inserted);
                UpsertCounts {
                    inserted,
                    updated,
                    skipped: existing.saturating_sub(updated),
                }
            }
        };
    }
    Ok(counts)
}

/// The text after an `INSERT`'s `VALUES` list: the backend's conflict
/// clause for `spec` (rendered by sea-query once per call, from the
/// crate's own table and column names, no values), and on PostgreSQL
/// `RETURNING (xmax = 0)`, true for each inserted row.
fn conflict_sql<E: EntityTrait>(
    backend: DbBackend,
    spec: &NewestWins<E>,
    columns: &[E::Column],
) -> Result<String> {
    let internal = |what: String| Error::Database(DbErr::Custom(format!("internal: {what}")));
    let mut insert = Query::insert();
    insert
        .into_table(E::default().table_ref())
        .columns(columns.iter().copied())
        .values(columns.iter().map(|_| Expr::val(Value::String(None))))
        .map_err(|e| internal(e.to_string()))?
        .on_conflict(on_conflict(backend, spec));
    let sql = backend.build(&insert).sql;
    let marker = match backend {
        DbBackend::MySql => " ON DUPLICATE KEY UPDATE ",
        _ => " ON CONFLICT ",
    };
    // Never a plain INSERT in place of an upsert: no clause is an error.
    let at = sql
        .find(marker)
        .ok_or_else(|| internal(format!("no conflict clause in `{sql}`")))?;
    Ok(match backend {
        DbBackend::Postgres => [&sql[at..], " RETURNING (xmax = 0)"].concat(),
        _ => sql[at..].to_owned(),
    })
}

/// How many of `keys` the merchant already has in the table.
async fn count_existing<'k, C, E>(
    db: &C,
    merchant: MerchantId,
    spec: &NewestWins<E>,
    keys: impl Iterator<Item = &'k String>,
) -> Result<u64>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let mut select = Query::select();
    select
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(E::default())
        .and_where(Expr::col(spec.merchant).eq(merchant.get()))
        .and_where(any_of(db.get_database_backend(), spec.key, keys.cloned()));
    let row = db.query_one(&select).await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
#[path = "upsert_tests.rs"]
mod tests;
