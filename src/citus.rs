//! Opt-in scale-out on Citus (distributed PostgreSQL): distributes every
//! tenant table on `merchant_id`, in one colocation group.
//!
//! Every statement the crate sends to a tenant table filters by
//! `merchant_id` equality (inserts carry it as a value), and on PostgreSQL
//! every primary and unique key contains `merchant_id`, so once the tables
//! are distributed Citus routes each statement to the one shard that holds
//! the merchant. [`distribute`] is the step that makes them distributed; it
//! is an entry-point helper like the migrations, run once in a deploy step
//! after [`Migrator`](crate::migration::Migrator), never from a request.
//!
//! ```no_run
//! # async fn run(db: &sea_orm::DatabaseConnection) -> freshdesk_store::Result<()> {
//! use freshdesk_store::citus::{self, Distribution};
//!
//! match citus::distribute(db).await? {
//!     Distribution::Distributed { newly } => println!("distributed {} table(s)", newly.len()),
//!     Distribution::NotCitus => println!("plain PostgreSQL: nothing to distribute"),
//!     _ => {}
//! }
//! # Ok(()) }
//! ```
//!
//! What is not supported on Citus: [`migrate_merchant_data`] copies rows
//! between two merchants' shards through the coordinator (it works, but it
//! is the one statement that is not single-shard); row-level security needs
//! the application role to be able to log in to the workers (see
//! [`rls`](crate::rls)). [`load_tickets`] works, its `INSERT … SELECT`
//! pulled through the coordinator from the temporary table there.
//!
//! [`migrate_merchant_data`]: crate::repository::migrate_merchant_data
//! [`load_tickets`]: crate::load::load_tickets

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::{Error, Result};

/// The tables [`distribute`] distributes, parents first: a distributed
/// table's foreign keys may only point at tables already distributed in the
/// same colocation group.
pub const TABLES: [&str; 6] = [
    "freshdesk_agent",
    "freshdesk_contact",
    "freshdesk_unified_ticket_view",
    "freshdesk_conversation",
    "freshdesk_rating",
    "freshdesk_sync_state",
];

/// What [`distribute`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Distribution {
    /// The `citus` extension is installed: every table in [`TABLES`] that
    /// exists is distributed on `merchant_id`, colocated with
    /// `freshdesk_agent`. `newly` lists the tables this call distributed
    /// (empty when they all were already).
    Distributed {
        /// Tables distributed by this call, in order.
        newly: Vec<&'static str>,
    },
    /// Plain PostgreSQL (no `citus` extension): nothing was changed.
    NotCitus,
}

/// Distributes the crate's tables on `merchant_id` when the `citus`
/// extension is installed; idempotent (tables already distributed are left
/// as they are), and a no-op on plain PostgreSQL. Run it after the
/// migrations, before the tables hold much data (distributing copies the
/// rows into shards). `db` is the pool, or a transaction of its own (the
/// test kit runs it in the transaction that holds its migration lock).
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the backend on MariaDB/MySQL and SQLite
/// (Citus is a PostgreSQL extension); the database's error when
/// `create_distributed_table` refuses (for example a table whose keys do
/// not contain `merchant_id`: run the migrations first).
pub async fn distribute<C: ConnectionTrait>(db: &C) -> Result<Distribution> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres {
        return Err(Error::invalid_input(
            "backend",
            format!("Citus is a PostgreSQL extension; this database is {backend:?}"),
        ));
    }
    if !exists(
        db,
        "SELECT 1 FROM pg_extension WHERE extname = 'citus'",
        None,
    )
    .await?
    {
        return Ok(Distribution::NotCitus);
    }
    let mut newly = Vec::new();
    for table in TABLES {
        let present = exists(
            db,
            "SELECT 1 WHERE to_regclass($1) IS NOT NULL",
            Some(table),
        )
        .await?;
        let distributed = exists(
            db,
            "SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass($1)",
            Some(table),
        )
        .await?;
        if !present || distributed {
            continue;
        }
        let colocate = if table == TABLES[0] {
            "default"
        } else {
            TABLES[0]
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT create_distributed_table($1, 'merchant_id', colocate_with => $2)",
            [table.into(), colocate.into()],
        ))
        .await?;
        newly.push(table);
    }
    Ok(Distribution::Distributed { newly })
}

async fn exists<C: ConnectionTrait>(db: &C, sql: &str, arg: Option<&str>) -> Result<bool> {
    let stmt = match arg {
        Some(arg) => Statement::from_sql_and_values(DbBackend::Postgres, sql, [arg.into()]),
        None => Statement::from_string(DbBackend::Postgres, sql),
    };
    Ok(db.query_one_raw(stmt).await?.is_some())
}
