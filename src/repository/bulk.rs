//! Chunked multi-row writes under each backend's bind-parameter limit.

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityName, EntityTrait,
    Iterable,
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

/// A column value as it is bound: timestamps as [`instant_value`]s.
fn bind_value(value: sea_orm::Value) -> sea_orm::Value {
    match value {
        sea_orm::Value::ChronoDateTimeUtc(Some(at)) => instant_value(at),
        sea_orm::Value::ChronoDateTimeUtc(None) => sea_orm::Value::ChronoDateTimeWithTimeZone(None),
        other => other,
    }
}
