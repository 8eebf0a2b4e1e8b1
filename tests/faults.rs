//! Faults against real servers: a backend killed mid-transaction, a
//! statement timeout, SQLite's busy lock, an exhausted pool and a future
//! dropped mid-transaction. Each ends in a typed error, leaves nothing of the
//! failed transaction behind, and the pool serves the next user.
//!
//! The tests in this file run one at a time (a shared lock) and are bounded
//! in time; they only talk to the database in `DATABASE_URL` on loopback.

use std::time::{Duration, Instant};

use freshdesk_store::entity::ticket;
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::testing::{TestDb, TicketFactory, unique_merchant_id};
use freshdesk_store::{Error, MerchantId, PoolConfig};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement, TransactionTrait,
};
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned())
}

/// A pool of its own, with the schema in place (through `TestDb`).
async fn pool(
    max: u32,
    acquire: Duration,
    statement_timeout: Option<Duration>,
) -> DatabaseConnection {
    let _schema = TestDb::connect().await.unwrap();
    let mut config = PoolConfig::from_url(&url()).unwrap();
    config.max_connections = max;
    config.acquire_timeout = acquire;
    config.statement_timeout = statement_timeout;
    let db = config.connect().await.unwrap();
    if config.is_sqlite_memory() {
        // A new in-memory database: give it the schema too.
        Migrator::up(&db, None).await.unwrap();
    }
    db
}

async fn count_tickets(db: &DatabaseConnection, merchant: MerchantId) -> u64 {
    ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .count(db)
        .await
        .unwrap()
}

async fn scalar_i64<C: ConnectionTrait>(db: &C, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .or_else(|_| row.try_get_by_index::<u64>(0).map(|v| v as i64))
        .unwrap()
}

fn is_server(backend: DbBackend) -> bool {
    matches!(backend, DbBackend::Postgres | DbBackend::MySql)
}

/// Where in the transaction the backend is killed.
#[derive(Clone, Copy, Debug)]
enum KillPoint {
    BeforeFirstWrite,
    AfterWrite,
    DuringLongStatement,
    BeforeCommit,
}

/// A backend killed at several points of a transaction: the caller gets
/// `Error::ConnectionLost`, nothing of the transaction is visible, and the
/// pool serves the next transaction within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_backend_mid_transaction() {
    let _serial = SERIAL.lock().await;
    let db = pool(2, Duration::from_secs(5), None).await;
    let backend = db.get_database_backend();
    if !is_server(backend) {
        eprintln!(
            "killed_backend_mid_transaction: SQLite has no server backend to kill; covered on PostgreSQL and MariaDB"
        );
        return;
    }
    let killer = pool(1, Duration::from_secs(5), None).await;
    let (pid_sql, kill_sql, sleep_sql) = match backend {
        DbBackend::Postgres => (
            "SELECT CAST(pg_backend_pid() AS BIGINT)",
            "SELECT pg_terminate_backend(CAST({} AS INTEGER))",
            "SELECT CAST(1 AS BIGINT) FROM pg_sleep(5)",
        ),
        _ => (
            "SELECT CAST(CONNECTION_ID() AS SIGNED)",
            "KILL CONNECTION {}",
            "SELECT CAST(SLEEP(5) AS SIGNED)",
        ),
    };
    let mut injected = 0;
    for point in [
        KillPoint::BeforeFirstWrite,
        KillPoint::AfterWrite,
        KillPoint::DuringLongStatement,
        KillPoint::BeforeCommit,
    ] {
        let merchant = unique_merchant_id();
        let txn = db.begin().await.unwrap();
        let pid = scalar_i64(&txn, pid_sql).await;
        let kill = kill_sql.replace("{}", &pid.to_string());
        if !matches!(point, KillPoint::BeforeFirstWrite) {
            TicketFactory::new(merchant).insert(&txn).await.unwrap();
        }
        let outcome: Result<(), Error> = match point {
            KillPoint::BeforeFirstWrite | KillPoint::AfterWrite => {
                killer.execute_unprepared(&kill).await.unwrap();
                TicketFactory::new(merchant).insert(&txn).await.map(|_| ())
            }
            KillPoint::DuringLongStatement => {
                let killer = killer.clone();
                let handle = tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    killer.execute_unprepared(&kill).await.unwrap();
                });
                let started = Instant::now();
                let r = txn
                    .query_one_raw(Statement::from_string(backend, sleep_sql))
                    .await
                    .map(|_| ())
                    .map_err(Error::from);
                handle.await.unwrap();
                assert!(
                    started.elapsed() < Duration::from_secs(4),
                    "the kill did not interrupt the statement"
                );
                r
            }
            KillPoint::BeforeCommit => {
                killer.execute_unprepared(&kill).await.unwrap();
                txn.commit().await.map_err(Error::from)
            }
        };
        let err = outcome.expect_err("a killed backend must fail the transaction");
        assert!(
            matches!(err, Error::ConnectionLost(_)),
            "{point:?}: expected ConnectionLost, got {err:?}"
        );
        injected += 1;
        // The next transaction is served within a second and sees nothing of the failed one.
        let started = Instant::now();
        let next = db.begin().await.unwrap();
        next.execute_unprepared("SELECT 1").await.unwrap();
        next.commit().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{point:?}: pool took {:?}",
            started.elapsed()
        );
        assert_eq!(
            count_tickets(&db, merchant).await,
            0,
            "{point:?}: rows survived"
        );
    }
    eprintln!(
        "killed_backend_mid_transaction: {injected} faults injected and survived, 0 rows leaked"
    );
}

/// A statement that outlives the pool's statement timeout ends with
/// `Error::StatementTimeout` on PostgreSQL and MariaDB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_is_typed() {
    let _serial = SERIAL.lock().await;
    let db = pool(1, Duration::from_secs(5), Some(Duration::from_secs(1))).await;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT CAST(1 AS BIGINT) FROM pg_sleep(3)",
        DbBackend::MySql => "SELECT SLEEP(3)",
        _ => {
            eprintln!(
                "statement_timeout_is_typed: SQLite has no statement timeout (see sqlite_busy_is_a_lock_timeout)"
            );
            return;
        }
    };
    let started = Instant::now();
    let err = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .map_err(Error::from)
        .unwrap_err();
    assert!(matches!(err, Error::StatementTimeout(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert!(started.elapsed() < Duration::from_millis(2900));
    // The connection is still good for the next statement.
    db.execute_unprepared("SELECT 1").await.unwrap();
}

/// SQLite: a writer blocked by another connection's write lock beyond the
/// busy timeout gets `Error::LockTimeout` (retryable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_busy_is_a_lock_timeout() {
    let _serial = SERIAL.lock().await;
    if !url().starts_with("sqlite") {
        eprintln!("sqlite_busy_is_a_lock_timeout: runs on SQLite only");
        return;
    }
    let path = std::env::temp_dir().join(format!("fdstore-busy-{}.db", unique_merchant_id()));
    let file_url = format!("sqlite://{}?mode=rwc", path.display());
    let _schema = TestDb::connect_to(&file_url).await.unwrap();
    let mut config = PoolConfig::from_url(&file_url).unwrap();
    config.max_connections = 2;
    config.sqlite_busy_timeout = Duration::from_millis(200);
    let db = config.connect().await.unwrap();
    let holder = db
        .begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .unwrap();
    TicketFactory::new(unique_merchant_id())
        .insert(&holder)
        .await
        .unwrap();
    let started = Instant::now();
    let err = TicketFactory::new(unique_merchant_id())
        .insert(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(holder);
    db.close().await.unwrap();
    let _ = std::fs::remove_file(&path);
}

/// With every connection held, a further transaction fails with
/// `Error::PoolExhausted` after the acquire timeout instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_exhaustion_is_typed_and_bounded() {
    let _serial = SERIAL.lock().await;
    let db = pool(1, Duration::from_millis(300), None).await;
    let held = db.begin().await.unwrap();
    let started = Instant::now();
    let err = db.begin().await.map_err(Error::from).unwrap_err();
    assert!(matches!(err, Error::PoolExhausted(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(held);
    let next = db.begin().await.unwrap();
    next.commit().await.unwrap();
}

/// A future dropped mid-transaction (cancellation) leaves no open
/// transaction, no rows and no session state for the next user of the
/// pooled connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_transaction_leaves_nothing_behind() {
    let _serial = SERIAL.lock().await;
    let db = pool(1, Duration::from_secs(5), None).await;
    let backend = db.get_database_backend();
    let merchant = unique_merchant_id();
    let (set_local, read_local, sleep_sql) = match backend {
        DbBackend::Postgres => (
            Some("SELECT set_config('freshdesk.cancel_probe', 'leaked', true)"),
            "SELECT CAST(length(coalesce(current_setting('freshdesk.cancel_probe', true), '')) AS BIGINT)",
            "SELECT CAST(1 AS BIGINT) FROM pg_sleep(5)",
        ),
        // MariaDB has no transaction-local variables; the probe is whether
        // the pooled connection is still inside a transaction.
        DbBackend::MySql => (
            None,
            "SELECT CAST(@@in_transaction AS SIGNED)",
            "SELECT CAST(SLEEP(5) AS SIGNED)",
        ),
        // SQLite: a cancelled statement still runs to its end on sqlx's worker
        // thread, holding the connection until then; keep it short (~0.5 s).
        _ => (
            None,
            "SELECT 0",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c",
        ),
    };
    for in_flight in [false, true] {
        let work = {
            let db = db.clone();
            async move {
                let txn = db.begin().await.unwrap();
                TicketFactory::new(merchant).insert(&txn).await.unwrap();
                if let Some(sql) = set_local {
                    txn.execute_unprepared(sql).await.unwrap();
                }
                if in_flight {
                    let _ = txn
                        .query_one_raw(Statement::from_string(backend, sleep_sql))
                        .await;
                } else {
                    std::future::pending::<()>().await;
                }
            }
        };
        let cancelled = tokio::time::timeout(Duration::from_millis(300), work).await;
        assert!(cancelled.is_err(), "the work should have been cancelled");
        // The same (only) pooled connection serves the next user, promptly.
        let started = Instant::now();
        if backend == DbBackend::MySql {
            assert_eq!(
                scalar_i64(&db, read_local).await,
                0,
                "a transaction was left open"
            );
        }
        let next = db.begin().await.unwrap();
        if backend != DbBackend::MySql {
            assert_eq!(
                scalar_i64(&next, read_local).await,
                0,
                "session state leaked"
            );
        }
        next.commit().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            count_tickets(&db, merchant).await,
            0,
            "rows of a cancelled transaction survived"
        );
    }
    if backend == DbBackend::Postgres {
        let open = scalar_i64(
            &db,
            "SELECT CAST(count(*) AS BIGINT) FROM pg_stat_activity WHERE datname = current_database() \
             AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid() \
             AND application_name = ''",
        )
        .await;
        assert_eq!(open, 0, "a connection was left idle in transaction");
    }
}
