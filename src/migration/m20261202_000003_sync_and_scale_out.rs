//! Sync and scale-out (DESIGN.md, "Added for sync and scale-out"): the
//! ticket flags `deleted` / `spam` and `reopened_at`, `updated_at` on the
//! other tenant tables, the `freshdesk_sync_state` table, and on PostgreSQL
//! primary keys `(merchant_id, id)` so that the schema distributes on Citus.
//!
//! Existing installs upgrade in place: every step checks what is already
//! there, so applying it to a database that has some of it (or all of it)
//! changes nothing more. On PostgreSQL the whole migration runs in one
//! transaction: the key swap drops the foreign keys, swaps the keys and
//! recreates the foreign keys with their exact definitions, so no moment
//! without them is ever visible.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000003_sync_and_scale_out"
    }
}

const TICKET: &str = "freshdesk_unified_ticket_view";
const SYNC_STATE: &str = "freshdesk_sync_state";

/// The tenant tables, parents first, with the unique `(merchant_id, id)`
/// index migration 1 gave the parents (the target of the children's foreign
/// keys; redundant on PostgreSQL once the primary key is `(merchant_id, id)`).
const TENANT_TABLES: [(&str, Option<&str>); 5] = [
    ("freshdesk_agent", Some("uq_agent_merchant_id")),
    ("freshdesk_contact", Some("uq_contact_merchant_id")),
    (TICKET, Some("uq_ticket_merchant_id")),
    ("freshdesk_conversation", None),
    ("freshdesk_rating", None),
];

/// The tables that gain a nullable `updated_at`.
const UPDATED_AT_TABLES: [&str; 4] = [
    "freshdesk_conversation",
    "freshdesk_rating",
    "freshdesk_agent",
    "freshdesk_contact",
];

/// The partial index that finds a merchant's flagged tickets (PostgreSQL
/// and SQLite; MariaDB has no partial indexes, and a listing of flagged
/// tickets there filters the merchant's rows).
const FLAGGED_INDEX: &str = "idx_ticket_merchant_flagged";

/// A UTC instant, as migration 1 types it on each backend.
fn timestamp(backend: DbBackend) -> ColumnType {
    match backend {
        DbBackend::Postgres => ColumnType::TimestampWithTimeZone,
        DbBackend::MySql => ColumnType::custom("DATETIME(6)"),
        _ => ColumnType::Text,
    }
}

/// The sync-state stream name: on MariaDB a short binary `VARCHAR` (a
/// primary key cannot cover `TEXT` there), text elsewhere.
fn stream_type(backend: DbBackend) -> ColumnType {
    match backend {
        DbBackend::MySql => {
            ColumnType::custom("VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        }
        _ => ColumnType::Text,
    }
}

/// Adds `column` to `table` unless it is there already.
async fn add_column(m: &SchemaManager<'_>, table: &str, column: ColumnDef) -> Result<(), DbErr> {
    let mut column = column;
    let name = column.get_column_name();
    if m.has_column(table, &name).await? {
        return Ok(());
    }
    m.alter_table(
        Table::alter()
            .table(Alias::new(table))
            .add_column(&mut column)
            .to_owned(),
    )
    .await
}

/// Drops `column` from `table` if it is there.
async fn drop_column(m: &SchemaManager<'_>, table: &str, column: &str) -> Result<(), DbErr> {
    if !m.has_column(table, column).await? {
        return Ok(());
    }
    m.alter_table(
        Table::alter()
            .table(Alias::new(table))
            .drop_column(Alias::new(column))
            .to_owned(),
    )
    .await
}

/// The columns of `table`'s primary key on PostgreSQL, in key order.
async fn pg_primary_key(m: &SchemaManager<'_>, table: &str) -> Result<Vec<String>, DbErr> {
    let rows = m
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.attname::text AS col FROM pg_index x \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace \
             AND x.indisprimary ORDER BY k.ord",
            [table.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "col"))
        .collect()
}

/// A foreign key of a tenant table, as PostgreSQL describes it.
struct ForeignKeyDef {
    table: String,
    name: String,
    definition: String,
}

/// Every foreign key declared on the tenant tables (with its full
/// definition, to recreate it as it was).
async fn pg_foreign_keys(m: &SchemaManager<'_>) -> Result<Vec<ForeignKeyDef>, DbErr> {
    let tables: Vec<sea_orm::Value> = TENANT_TABLES.iter().map(|(t, _)| (*t).into()).collect();
    let rows = m
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT t.relname::text AS tbl, c.conname::text AS name, \
             pg_get_constraintdef(c.oid) AS def FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace \
             AND t.relname IN ($1, $2, $3, $4, $5) ORDER BY t.relname, c.conname",
            tables,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ForeignKeyDef {
                table: r.try_get("", "tbl")?,
                name: r.try_get("", "name")?,
                definition: r.try_get("", "def")?,
            })
        })
        .collect()
}

/// The name of `table`'s primary-key constraint on PostgreSQL.
async fn pg_primary_key_name(m: &SchemaManager<'_>, table: &str) -> Result<String, DbErr> {
    let row = m
        .get_connection()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT c.conname::text AS name FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             WHERE c.contype = 'p' AND t.relname = $1 \
             AND t.relnamespace = current_schema()::regnamespace",
            [table.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("{table} has no primary key")))?;
    row.try_get("", "name")
}

/// Double-quotes a PostgreSQL identifier read from the catalog.
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// PostgreSQL: makes `key` (`"merchant_id", "id"` or `"id"`) the primary key
/// of every tenant table. Drops the foreign keys first (they depend on the
/// unique index they reference), swaps each key, creates or drops the
/// unique `(merchant_id, id)` indexes (`restore_unique`: the way back), and
/// recreates the foreign keys exactly as they were. A table whose key is
/// already `key` is left alone.
async fn pg_swap_primary_keys(
    m: &SchemaManager<'_>,
    key: &[&str],
    restore_unique: bool,
) -> Result<(), DbErr> {
    let mut pending = Vec::new();
    for (table, unique) in TENANT_TABLES {
        if pg_primary_key(m, table).await? != key {
            pending.push((table, unique));
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let db = m.get_connection();
    let foreign_keys = pg_foreign_keys(m).await?;
    for fk in &foreign_keys {
        db.execute_unprepared(&format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            quote(&fk.table),
            quote(&fk.name)
        ))
        .await?;
    }
    let columns = key.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
    for (table, unique) in pending {
        if let (true, Some(unique)) = (restore_unique, unique) {
            // The target of the foreign keys once the key is `id` alone.
            db.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (\"merchant_id\", \"id\")",
                quote(unique),
                quote(table)
            ))
            .await?;
        }
        let name = pg_primary_key_name(m, table).await?;
        db.execute_unprepared(&format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            quote(table),
            quote(&name)
        ))
        .await?;
        db.execute_unprepared(&format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({columns})",
            quote(table),
            quote(&name)
        ))
        .await?;
        if let (false, Some(unique)) = (restore_unique, unique) {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {}", quote(unique)))
                .await?;
        }
    }
    for fk in &foreign_keys {
        db.execute_unprepared(&format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            quote(&fk.table),
            quote(&fk.name),
            fk.definition
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();

        add_column(
            m,
            TICKET,
            ColumnDef::new(Alias::new("deleted"))
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        )
        .await?;
        add_column(
            m,
            TICKET,
            ColumnDef::new(Alias::new("spam"))
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        )
        .await?;
        add_column(
            m,
            TICKET,
            ColumnDef::new_with_type(Alias::new("reopened_at"), timestamp(backend))
                .null()
                .to_owned(),
        )
        .await?;
        for table in UPDATED_AT_TABLES {
            add_column(
                m,
                table,
                ColumnDef::new_with_type(Alias::new("updated_at"), timestamp(backend))
                    .null()
                    .to_owned(),
            )
            .await?;
        }

        if matches!(backend, DbBackend::Postgres | DbBackend::Sqlite) {
            m.get_connection()
                .execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS {FLAGGED_INDEX} ON {TICKET} (merchant_id, id) \
                     WHERE deleted OR spam"
                ))
                .await?;
        }

        m.create_table(
            Table::create()
                .table(Alias::new(SYNC_STATE))
                .if_not_exists()
                .col(
                    ColumnDef::new(Alias::new("merchant_id"))
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new_with_type(Alias::new("stream"), stream_type(backend)).not_null(),
                )
                .col(
                    ColumnDef::new_with_type(Alias::new("watermark"), timestamp(backend))
                        .not_null(),
                )
                .col(
                    ColumnDef::new_with_type(Alias::new("updated_at"), timestamp(backend))
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .name("pk_sync_state")
                        .col(Alias::new("merchant_id"))
                        .col(Alias::new("stream")),
                )
                .to_owned(),
        )
        .await?;

        if backend == DbBackend::Postgres {
            pg_swap_primary_keys(m, &["merchant_id", "id"], false).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        if backend == DbBackend::Postgres {
            pg_swap_primary_keys(m, &["id"], true).await?;
        }
        m.drop_table(
            Table::drop()
                .table(Alias::new(SYNC_STATE))
                .if_exists()
                .to_owned(),
        )
        .await?;
        if matches!(backend, DbBackend::Postgres | DbBackend::Sqlite) {
            m.get_connection()
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {FLAGGED_INDEX}"))
                .await?;
        }
        for table in UPDATED_AT_TABLES {
            drop_column(m, table, "updated_at").await?;
        }
        for column in ["reopened_at", "spam", "deleted"] {
            drop_column(m, TICKET, column).await?;
        }
        Ok(())
    }
}
