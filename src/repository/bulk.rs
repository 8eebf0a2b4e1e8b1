//! Chunked multi-row writes under each backend's bind-parameter limit.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, sea_query::OnConflict,
};

use crate::error::Result;

/// Largest number of bind parameters one statement may carry.
pub(crate) fn max_bind_params(backend: DbBackend) -> usize {
    match backend {
        // PostgreSQL and MySQL count parameters in a u16.
        DbBackend::Postgres | DbBackend::MySql => 65_535,
        // The bundled SQLite (3.32+) allows 32,766.
        _ => 32_766,
    }
}

/// Rows per statement for an entity: the limit divided by its column count.
pub(crate) fn rows_per_statement<E: EntityTrait>(backend: DbBackend) -> usize {
    let columns = E::Column::iter().count().max(1);
    (max_bind_params(backend) / columns).max(1)
}

/// Ids per `IN (…)` list: the limit, less room for the statement's other
/// parameters (the merchant id and a few more).
pub(crate) fn ids_per_statement(backend: DbBackend) -> usize {
    max_bind_params(backend) - 16
}

/// Inserts `rows` with one multi-row `INSERT` per chunk, without `RETURNING`.
/// Returns the number of rows written.
pub(crate) async fn insert_chunked<C, A>(db: &C, rows: Vec<A>) -> Result<u64>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    write_chunked(db, rows, None).await
}

/// Like [`insert_chunked`], with an `ON CONFLICT` clause on every chunk.
pub(crate) async fn write_chunked<C, A>(
    db: &C,
    rows: Vec<A>,
    on_conflict: Option<OnConflict>,
) -> Result<u64>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let chunk = rows_per_statement::<A::Entity>(db.get_database_backend());
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(chunk).collect();
        let mut insert = A::Entity::insert_many(batch);
        if let Some(on_conflict) = &on_conflict {
            insert = insert.on_conflict(on_conflict.clone());
        }
        written += insert.exec_without_returning(db).await?;
    }
    Ok(written)
}
