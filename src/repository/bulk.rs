//! Chunked multi-row writes under each backend's bind-parameter limit:
//! from active models (upserts, children), or from plain bind values with
//! the statement text built once per chunk size ([`insert_rows`], the
//! tickets' insert path).

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityName,
    EntityTrait, IdenStatic, Iterable, Statement, Value,
};

use super::limits::max_bind_params;
use super::savepoint::in_savepoint;

use crate::entity::instant_value;
use crate::error::{Error, Result};

/// Sorts a batch by its rows' unique key, `(merchant_id, freshdesk_*_id)`
/// (one merchant per call, so by the Freshdesk id), after validation (so
/// errors still name the caller's row numbers) and before chunking: every
/// write then takes its row locks in one order, and two transactions
/// writing overlapping batches wait for each other instead of
/// deadlocking. Updates and deletes by id lock in id order (`distinct`
/// sorts them).
pub(crate) fn lock_order<T>(rows: &mut [T], key: impl Fn(&T) -> &str) {
    rows.sort_by(|a, b| key(a).cmp(key(b)));
}

/// Inserts `rows` with one multi-row `INSERT` per chunk, without `RETURNING`.
/// Returns the number of rows written.
pub(crate) async fn insert_chunked<A>(txn: &DatabaseTransaction, rows: Vec<A>) -> Result<u64>
where
    A: ActiveModelTrait + Send,
{
    write_chunked(txn, rows, None).await
}

/// Like [`insert_chunked`], with an `ON CONFLICT` clause on every chunk.
///
/// The statements are built here rather than by SeaORM's `insert_many` so
/// that timestamps are bound as [`instant_value`]s: SeaORM would bind a
/// `DateTime<Utc>` as a MariaDB `TIMESTAMP` parameter, which the server
/// turns into `NULL` outside 1970–2038.
///
/// All or nothing, and the caller's transaction stays usable: the
/// statements run in a savepoint of the caller's transaction, rolled back
/// when one fails. So an error never leaves the first chunks written, and on
/// PostgreSQL a conflict does not abort the caller's transaction.
pub(crate) async fn write_chunked<A>(
    txn: &DatabaseTransaction,
    rows: Vec<A>,
    on_conflict: Option<OnConflict>,
) -> Result<u64>
where
    A: ActiveModelTrait + Send,
{
    let Some(first) = rows.first() else {
        return Ok(0);
    };
    // Every row sets the same columns (the crate builds them that way).
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <A::Entity as EntityTrait>::Column::iter()
            .filter(|c| first.get(*c).is_set())
            .collect();
    let chunk = (max_bind_params(txn.get_database_backend()) / columns.len().max(1)).max(1);
    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        write_statements(sp, rows, &columns, chunk, on_conflict.as_ref()).await
    })
    .await
}

/// One multi-row `INSERT` per `chunk` rows.
async fn write_statements<C, A>(
    db: &C,
    rows: Vec<A>,
    columns: &[<A::Entity as EntityTrait>::Column],
    chunk: usize,
    on_conflict: Option<&OnConflict>,
) -> Result<u64>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Query::insert();
        insert
            .into_table(A::Entity::default().table_ref())
            .columns(columns.iter().copied());
        for row in rows.by_ref().take(chunk) {
            let values = columns.iter().map(|c| match row.get(*c).into_value() {
                Some(value) => Expr::val(bind_value(value)),
                None => Expr::val(sea_orm::Value::String(None)),
            });
            insert
                .values(values)
                .map_err(|e| Error::Database(DbErr::Custom(e.to_string())))?;
        }
        if let Some(on_conflict) = on_conflict {
            insert.on_conflict(on_conflict.clone());
        }
        written += db.execute(&insert).await?.rows_affected();
    }
    Ok(written)
}

/// Inserts `rows` with one multi-row `INSERT` per chunk, in a savepoint
/// (all or nothing, as [`write_chunked`]), without `RETURNING`; returns the
/// number of rows written.
///
/// `push` appends one row's bind values, one per column of `columns` and in
/// that order; the values of the `json_text` columns are JSON documents
/// bound as text (serialized once, where SeaORM would clone a
/// `serde_json::Value` tree before encoding it), cast to `jsonb` on
/// PostgreSQL. No active model and no statement builder per row: the values
/// are moved into one pre-sized vector per chunk, and the `INSERT` text is
/// built once per chunk size (the crate's own table and column names and
/// numbered placeholders, nothing from the caller).
pub(crate) async fn insert_rows<E, R>(
    txn: &DatabaseTransaction,
    columns: &[E::Column],
    json_text: &[E::Column],
    rows: Vec<R>,
    push: impl Fn(R, &mut Vec<Value>) + Send + Sync,
) -> Result<u64>
where
    E: EntityTrait,
    R: Send,
{
    if rows.is_empty() {
        return Ok(0);
    }
    let backend = txn.get_database_backend();
    let width = columns.len().max(1);
    let chunk = (max_bind_params(backend) / width).max(1);
    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        let mut written = 0;
        let mut full: Option<String> = None;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut values = Vec::with_capacity(chunk.min(rows.len()) * width);
            let mut n = 0;
            for row in rows.by_ref().take(chunk) {
                push(row, &mut values);
                n += 1;
            }
            if values.len() != n * width {
                return Err(Error::Database(DbErr::Custom(format!(
                    "internal: {} values for {n} rows of {width} columns",
                    values.len()
                ))));
            }
            let sql = if n == chunk {
                full.get_or_insert_with(|| insert_sql::<E>(backend, columns, json_text, n))
                    .clone()
            } else {
                insert_sql::<E>(backend, columns, json_text, n)
            };
            let statement = Statement::from_sql_and_values(backend, sql, values);
            written += sp.execute_raw(statement).await?.rows_affected();
        }
        Ok(written)
    })
    .await
}

/// `INSERT INTO "table" ("a", "b") VALUES ($1, $2), ($3, $4)` for `rows`
/// rows, with the backend's quoting and placeholders.
pub(crate) fn insert_sql<E: EntityTrait>(
    backend: DbBackend,
    columns: &[E::Column],
    json_text: &[E::Column],
    rows: usize,
) -> String {
    use std::fmt::Write;
    let quote = if backend == DbBackend::MySql {
        '`'
    } else {
        '"'
    };
    let mut sql = String::with_capacity(64 + columns.len() * (24 + rows * 8));
    sql.push_str("INSERT INTO ");
    sql.push(quote);
    sql.push_str(E::default().table_name());
    sql.push(quote);
    sql.push_str(" (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push(quote);
        sql.push_str(column.as_str());
        sql.push(quote);
    }
    sql.push_str(") VALUES ");
    let jsonb: Vec<bool> = columns
        .iter()
        .map(|c| json_text.iter().any(|j| j.as_str() == c.as_str()))
        .collect();
    let mut number = 0_usize;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (i, jsonb) in jsonb.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            if backend == DbBackend::Postgres {
                number += 1;
                let _ = write!(sql, "${number}");
                if *jsonb {
                    sql.push_str("::jsonb");
                }
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// A column value as it is bound: timestamps as [`instant_value`]s.
fn bind_value(value: sea_orm::Value) -> sea_orm::Value {
    match value {
        sea_orm::Value::ChronoDateTimeUtc(Some(at)) => instant_value(at),
        sea_orm::Value::ChronoDateTimeUtc(None) => sea_orm::Value::ChronoDateTimeWithTimeZone(None),
        other => other,
    }
}
