//! Bulk loading for backfills: a merchant's first sync of years of history,
//! at PostgreSQL's `COPY` speed.
//!
//! Like [`retry::run_in_transaction`](crate::retry::run_in_transaction),
//! this is an entry point a service chooses *instead of* a transaction of
//! its own: [`load_tickets`] takes the pool, begins its own transaction,
//! loads, and commits. It is the only way to use `COPY`, which cannot run
//! inside a SeaORM `DatabaseTransaction` (`../shared/SEAORM.md`, "Fast
//! paths"). Inside your own transaction keep using
//! [`TicketRepository::insert_many`](crate::repository::TicketRepository::insert_many)
//! and [`upsert_many`](crate::repository::TicketRepository::upsert_many).
//!
//! | backend | how |
//! | --- | --- |
//! | PostgreSQL | `COPY … FROM STDIN` (text format) into a temporary table, then one `INSERT … SELECT … ON CONFLICT …` |
//! | Citus | the same statements: the temporary table lives on the coordinator, the checks ship its distinct ids to the merchant's shard, and the `INSERT … SELECT` is pulled through the coordinator into that shard |
//! | SQLite, MariaDB/MySQL | the repository's chunked multi-row statements |
//!
//! Same semantics as the repository's writes, on every backend:
//!
//! * **All or nothing**: one transaction; a failure rolls it back and
//!   nothing of the load is visible, ever.
//! * **The merchant comes from the argument**; inputs carry none, and no
//!   other merchant's row is read or changed.
//! * **Input validated exactly like `insert_many` / `upsert_many`**, before
//!   anything is sent: a bad row is [`Error::InvalidInput`](crate::Error::InvalidInput) naming the field
//!   and the row.
//! * **Typed errors**: a requester or responder the merchant does not have
//!   is [`Error::NotFound`](crate::Error::NotFound); a Freshdesk id the merchant already has, with
//!   [`Existing::Conflict`], is [`Error::Conflict`](crate::Error::Conflict) naming the unique
//!   constraint.
//! * **Newest wins** with [`Existing::NewestWins`], exactly as `upsert_many`:
//!   a stored ticket takes the row only when its `updated_at` is not older,
//!   never `processed` nor the sync flags.
//! * **Rows are written in Freshdesk-id order**, so overlapping loads and
//!   bulk writes take their row locks in one order.
//! * **Cancellation**: a dropped load commits nothing, and its connection is
//!   never handed out again half-used. On PostgreSQL a load dropped before
//!   it finished closes its connection (the server rolls back; the pool
//!   opens a fresh one when needed); on MariaDB the connection is checked
//!   and, when out of step, its session is killed before it can go back;
//!   on SQLite the driver rolls back.
//!
//! The pool's statement timeout applies to each statement (the `COPY` and
//! the `INSERT … SELECT`): load very large backfills in batches (for
//! example 100,000 tickets per call), or connect with a longer
//! [`PoolConfig::statement_timeout`](crate::PoolConfig).
//!
//! ```no_run
//! # async fn run(db: &sea_orm::DatabaseConnection, rows: Vec<freshdesk_store::repository::NewTicket>) -> freshdesk_store::Result<()> {
//! use freshdesk_store::MerchantId;
//! use freshdesk_store::load::{Existing, load_tickets};
//!
//! let merchant = MerchantId::new(42)?;
//! let counts = load_tickets(db, merchant, Existing::NewestWins, rows).await?; // commits
//! println!("{} new, {} updated, {} unchanged", counts.inserted, counts.updated, counts.skipped);
//! # Ok(()) }
//! ```

#[cfg(feature = "postgres")]
mod copy;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};
use serde::Serialize;
use tracing::Instrument;

use crate::error::Result;
use crate::ids::MerchantId;
use crate::repository::NewTicket;
use crate::repository::savepoint::mariadb_in_step;
use crate::repository::{check_tickets, load_chunked};

/// What a load does with a ticket the merchant already has (same
/// `freshdesk_ticket_id`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Existing {
    /// Refuse it, as `insert_many` does: the whole load fails with
    /// [`Error::Conflict`](crate::Error::Conflict) naming the unique constraint, and nothing is
    /// written. The fastest mode, for a merchant's first backfill.
    #[default]
    Conflict,
    /// Newest wins, as `upsert_many` does: the stored ticket takes the row
    /// when its `updated_at` is not older than the stored one (never
    /// `processed`, nor `deleted`, `spam`, `reopened_at`); otherwise it is
    /// left alone. A Freshdesk id twice in one load is
    /// [`Error::InvalidInput`](crate::Error::InvalidInput).
    NewestWins,
}

/// What a load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LoadCounts {
    /// Tickets that did not exist.
    pub inserted: u64,
    /// Stored tickets that took the row (only with [`Existing::NewestWins`]).
    pub updated: u64,
    /// Stored tickets left alone: the row was older, or changed nothing
    /// (only with [`Existing::NewestWins`]).
    pub skipped: u64,
}

/// Loads `rows` as tickets of `merchant` in one transaction of its own,
/// which it begins and commits: on PostgreSQL through `COPY` into a
/// temporary table and one `INSERT … SELECT`, elsewhere through the
/// repository's chunked statements (see the [module docs](self)).
///
/// Statements on PostgreSQL: `BEGIN`, `CREATE TEMP TABLE`, `COPY`, 1 check
/// of the requesters and 1 of the responders, the `INSERT … SELECT`,
/// `COMMIT`, whatever the number of rows. Elsewhere: those of
/// `insert_many` (or `upsert_many` without its id look-up) in a transaction.
/// An empty `rows` sends nothing.
///
/// # Errors
///
/// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the field and the row for a row that
/// `insert_many` / `upsert_many` would refuse (and, with
/// [`Existing::NewestWins`], a Freshdesk id twice), before anything is sent;
/// [`Error::NotFound`](crate::Error::NotFound) for a requester or responder the merchant does not
/// have; [`Error::Conflict`](crate::Error::Conflict) naming the constraint for a Freshdesk id the
/// merchant already has (with [`Existing::Conflict`]) or another violation;
/// the database's error otherwise ([`Error::is_retryable`](crate::Error::is_retryable) says whether to
/// try again). Nothing is written in any of these cases.
pub async fn load_tickets(
    db: &DatabaseConnection,
    merchant: MerchantId,
    existing: Existing,
    rows: Vec<NewTicket>,
) -> Result<LoadCounts> {
    let newest = existing == Existing::NewestWins;
    check_tickets(&rows, newest)?;
    if rows.is_empty() {
        return Ok(LoadCounts::default());
    }
    let span = tracing::info_span!("load_tickets", merchant_id = %merchant, rows = rows.len());
    async move {
        match db.get_database_backend() {
            #[cfg(feature = "postgres")]
            DbBackend::Postgres => {
                copy::load_tickets(db.get_postgres_connection_pool(), merchant, newest, rows).await
            }
            _ => chunked(db, merchant, newest, rows).await,
        }
    }
    .instrument(span)
    .await
}

/// SQLite and MariaDB: the repository's statements in a transaction of
/// the loader's own.
async fn chunked(
    db: &DatabaseConnection,
    merchant: MerchantId,
    newest: bool,
    rows: Vec<NewTicket>,
) -> Result<LoadCounts> {
    let mut owned = Owned {
        txn: Some(db.begin().await?),
        db: db.clone(),
        session: None,
    };
    let txn = owned.txn.as_ref().expect("just begun");
    if db.get_database_backend() == DbBackend::MySql {
        owned.session = Some(session_id(txn).await?);
    }
    let outcome = load_chunked(txn, merchant, rows, newest).await;
    let txn = owned.txn.take().expect("still owned");
    match outcome {
        Ok(counts) => {
            txn.commit().await?;
            Ok(LoadCounts {
                inserted: counts.inserted,
                updated: counts.updated,
                skipped: counts.skipped,
            })
        }
        Err(err) => {
            // A failed rollback changes nothing: the server discards the
            // transaction either way.
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

/// The MariaDB session id of the transaction's connection.
async fn session_id(txn: &DatabaseTransaction) -> Result<u64> {
    let row = txn
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT CAST(CONNECTION_ID() AS SIGNED) AS id",
        ))
        .await?;
    let id: i64 = match row {
        Some(row) => row.try_get("", "id")?,
        None => 0,
    };
    Ok(u64::try_from(id).unwrap_or(0))
}

/// The loader's own transaction while a load runs. Dropped with the
/// transaction still in it (the load's future was dropped), SeaORM rolls
/// it back. On MariaDB a statement with bound parameters dropped
/// mid-flight can leave sqlx's connection out of step with the server, or
/// waiting for packets that never come (see [`crate::repository`],
/// "Cancellation"), and the pool would hand it out again (or wait on it
/// forever). So, on a task of its own, the connection is first asked for a
/// token; when it does not answer in step, its session is killed from a
/// fresh connection of its own (outside the pool, which may be full), so
/// that the stuck connection fails and is closed instead of reused.
struct Owned {
    txn: Option<DatabaseTransaction>,
    db: DatabaseConnection,
    /// MariaDB: the transaction's session id.
    session: Option<u64>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        let Some(txn) = self.txn.take() else {
            return;
        };
        if self.db.get_database_backend() != DbBackend::MySql {
            return;
        }
        let (db, session) = (self.db.clone(), self.session);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    // An error means the connection was out of step (and
                    // asked to close itself): nothing was committed.
                    if mariadb_in_step(&txn).await.is_err()
                        && let Some(session) = session
                    {
                        kill_session(&db, session).await;
                    }
                    drop(txn);
                });
            }
            Err(_) => drop(txn),
        }
    }
}

/// Kills a MariaDB session from a fresh connection, outside the pool.
#[cfg(feature = "mysql")]
async fn kill_session(db: &DatabaseConnection, session: u64) {
    use sea_orm::sqlx::{Connection, Executor};
    let options = db.get_mysql_connection_pool().connect_options();
    let kill = async {
        if let Ok(mut conn) = sea_orm::sqlx::MySqlConnection::connect_with(&options).await {
            let _ = conn
                .execute(sea_orm::sqlx::AssertSqlSafe(format!("KILL {session}")))
                .await;
            let _ = conn.close().await;
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), kill).await;
}

#[cfg(not(feature = "mysql"))]
async fn kill_session(_: &DatabaseConnection, _: u64) {}

/// The crate's error for a driver error outside SeaORM (the `COPY` path).
#[cfg(feature = "postgres")]
fn driver_error(err: sea_orm::sqlx::Error) -> crate::error::Error {
    crate::error::Error::from(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(
        std::sync::Arc::new(err),
    )))
}
