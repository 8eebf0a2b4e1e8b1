use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait,
};

use crate::config::PoolConfig;
use crate::error::Result;
use crate::migration::{Migrator, MigratorTrait};

/// The URL tests use when `DATABASE_URL` is not set.
pub const DEFAULT_TEST_URL: &str = "sqlite::memory:";

/// Set this environment variable to `1` to run the suite on a Citus
/// cluster with the tables distributed: after migrating, [`TestDb`] runs
/// [`citus::distribute`](crate::citus::distribute) once per process, and
/// fails when the database is not Citus.
///
/// ```sh
/// FDSTORE_TEST_CITUS=1 DATABASE_URL=postgres://…coordinator/db cargo test --all-features
/// ```
pub const CITUS_ENV: &str = "FDSTORE_TEST_CITUS";

/// Server URLs whose schema this process has already migrated.
static MIGRATED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// A test database: one small pool per test, the schema migrated once per
/// process (per database), and transactions that roll back when dropped.
///
/// Every test begins its own transaction and drops it at the end, so tests
/// run in parallel against one server with no cleanup and see none of each
/// other's rows.
pub struct TestDb {
    db: DatabaseConnection,
    counter: StatementCounter,
}

impl TestDb {
    /// Connects to `DATABASE_URL` (in-memory SQLite when unset or empty) and makes
    /// sure the schema is there (distributed on Citus when [`CITUS_ENV`]
    /// is `1`).
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the server cannot be
    /// reached or the migrations fail; [`Error::InvalidInput`](crate::Error::InvalidInput)
    /// when [`CITUS_ENV`] asks for Citus and the database is not Citus.
    pub async fn connect() -> Result<Self> {
        let url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_TEST_URL.to_owned());
        let db = Self::connect_to(&url).await?;
        if citus_requested() && db.backend() != DbBackend::Postgres {
            // A typed error naming the backend.
            distribute_for_tests(db.connection()).await?;
        }
        Ok(db)
    }

    /// Like [`TestDb::connect`], for an explicit URL. [`CITUS_ENV`] applies
    /// to PostgreSQL URLs only (a test's own SQLite file stays SQLite).
    ///
    /// # Errors
    ///
    /// As [`TestDb::connect`].
    pub async fn connect_to(url: &str) -> Result<Self> {
        let mut config = PoolConfig::from_url(url)?;
        config.max_connections = config.max_connections.min(4);
        config.acquire_timeout = std::time::Duration::from_secs(30);
        let mut db = config.connect().await?;
        let counter = StatementCounter::default();
        let hook = counter.clone();
        db.set_metric_callback(move |info| hook.record(&info.statement.sql));
        if config.is_sqlite_memory() {
            Migrator::up(&db, None).await?;
        } else {
            migrate_once(&db, url).await?;
        }
        Ok(Self { db, counter })
    }

    /// Begins a transaction that rolls back when dropped (call `commit` to keep it).
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when no connection can be had.
    pub async fn begin(&self) -> Result<DatabaseTransaction> {
        Ok(self.db.begin().await?)
    }

    /// The pool, for tests that need real commits.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The backend behind `DATABASE_URL`.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Counts the statements this handle (and its transactions) run.
    pub fn counter(&self) -> &StatementCounter {
        &self.counter
    }
}

/// Migrates a server database once per process, under a server-side lock so
/// that parallel test processes do not race on `CREATE TABLE`.
async fn migrate_once(db: &DatabaseConnection, url: &str) -> Result<()> {
    if MIGRATED
        .lock()
        .expect("migration registry poisoned")
        .get_or_insert_with(HashSet::new)
        .contains(url)
    {
        return Ok(());
    }
    let txn = db.begin().await?;
    match txn.get_database_backend() {
        DbBackend::Postgres => {
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(72615001)")
                .await?;
            Migrator::up(&txn, None).await?;
            if citus_requested() {
                txn.commit().await?;
                // Under the same lock, in a transaction of its own: the
                // tables it distributes must exist (committed) first.
                let txn = db.begin().await?;
                txn.execute_unprepared("SELECT pg_advisory_xact_lock(72615001)")
                    .await?;
                distribute_for_tests(&txn).await?;
                txn.commit().await?;
            } else {
                txn.commit().await?;
            }
        }
        DbBackend::MySql => {
            txn.execute_unprepared("SELECT GET_LOCK('freshdesk_store_migrate', 60)")
                .await?;
            let result = Migrator::up(&txn, None).await;
            txn.execute_unprepared("SELECT RELEASE_LOCK('freshdesk_store_migrate')")
                .await?;
            result?;
            txn.commit().await?;
        }
        _ => {
            drop(txn);
            Migrator::up(db, None).await?;
        }
    }

    MIGRATED
        .lock()
        .expect("migration registry poisoned")
        .get_or_insert_with(HashSet::new)
        .insert(url.to_owned());
    Ok(())
}

/// True when [`CITUS_ENV`] is `1`.
fn citus_requested() -> bool {
    std::env::var(CITUS_ENV).is_ok_and(|v| v.trim() == "1")
}

/// [`citus::distribute`](crate::citus::distribute), refusing a database
/// that is not Citus (the suite asked for one).
async fn distribute_for_tests<C: ConnectionTrait>(db: &C) -> Result<()> {
    match crate::citus::distribute(db).await? {
        crate::citus::Distribution::NotCitus => Err(crate::Error::invalid_input(
            "database_url",
            format!("{CITUS_ENV}=1 but the citus extension is not installed in this database"),
        )),
        _ => Ok(()),
    }
}

/// Counts statements sent through a [`TestDb`] (SeaORM's metric callback):
/// assert that a list with its children took 3 statements, not N + 1.
///
/// `BEGIN`, `COMMIT`, `ROLLBACK` and raw `execute_unprepared` calls are not
/// counted; every query and write built by SeaORM is.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter {
    count: Arc<AtomicU64>,
    log: Arc<Mutex<Vec<String>>>,
}

impl StatementCounter {
    fn record(&self, sql: &str) {
        self.count.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut log) = self.log.lock() {
            log.push(sql.to_owned());
        }
    }

    /// Statements counted since the last [`reset`](Self::reset).
    pub fn get(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Starts counting from zero and clears the log.
    pub fn reset(&self) {
        self.count.store(0, Ordering::SeqCst);
        if let Ok(mut log) = self.log.lock() {
            log.clear();
        }
    }

    /// The SQL text of the statements counted since the last reset.
    pub fn statements(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The statements counted since the last reset that touch a tenant
    /// table without a `merchant_id` equality filter, each with the reason
    /// ([`routing::unrouted`](super::routing::unrouted)): empty when every
    /// statement would be routed to one shard on Citus.
    pub fn unrouted(&self) -> Vec<(String, String)> {
        self.statements()
            .into_iter()
            .filter_map(|sql| super::routing::unrouted(&sql).map(|why| (sql, why)))
            .collect()
    }

    /// Runs `f` and returns its output with the number of statements it ran.
    pub async fn count<F: std::future::Future>(&self, f: F) -> (F::Output, u64) {
        let before = self.get();
        let out = f.await;
        (out, self.get() - before)
    }
}
