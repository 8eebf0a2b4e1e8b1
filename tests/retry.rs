//! The retry helper at the entry point: fresh transaction per attempt,
//! retries only what is retryable, and a SERIALIZABLE read-modify-write
//! counter under contention ends at exactly the number of increments.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use freshdesk_store::Error;
use freshdesk_store::retry::{RetryPolicy, run_in_transaction};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, IsolationLevel, Statement};

fn stmt(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut n = 0;
        sql.chars()
            .map(|c| {
                if c == '?' {
                    n += 1;
                    format!("${n}")
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// A retryable failure runs the work again in a fresh transaction; the
/// successful attempt is committed.
#[tokio::test]
async fn retryable_errors_are_retried_then_committed() {
    let db = TestDb::connect().await.unwrap();
    let attempts = Arc::new(AtomicU32::new(0));
    let seen = attempts.clone();
    let value = run_in_transaction(db.connection(), &RetryPolicy::default(), move |_txn| {
        let seen = seen.clone();
        Box::pin(async move {
            if seen.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(Error::SerializationFailure(DbErr::Custom(
                    "simulated".into(),
                )))
            } else {
                Ok(7)
            }
        })
    })
    .await
    .unwrap();
    assert_eq!(value, 7);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

/// Errors that would fail again (bad input, timeouts) are returned at once.
#[tokio::test]
async fn non_retryable_errors_are_returned_at_once() {
    let db = TestDb::connect().await.unwrap();
    let attempts = Arc::new(AtomicU32::new(0));
    let seen = attempts.clone();
    let err = run_in_transaction::<(), _>(db.connection(), &RetryPolicy::default(), move |_| {
        let seen = seen.clone();
        Box::pin(async move {
            seen.fetch_add(1, Ordering::SeqCst);
            Err(Error::invalid_input("page_size", "must be positive"))
        })
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }));
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
}

/// The attempts are bounded: a failure that never clears ends with its error.
#[tokio::test]
async fn attempts_are_bounded() {
    let db = TestDb::connect().await.unwrap();
    let attempts = Arc::new(AtomicU32::new(0));
    let seen = attempts.clone();
    let policy = RetryPolicy::default().max_attempts(3);
    let err = run_in_transaction::<(), _>(db.connection(), &policy, move |_| {
        let seen = seen.clone();
        Box::pin(async move {
            seen.fetch_add(1, Ordering::SeqCst);
            Err(Error::Deadlock(DbErr::Custom("simulated".into())))
        })
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Deadlock(_)));
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

/// 16 tasks each increment one counter 5 times with a read-modify-write at
/// SERIALIZABLE: conflicts are retried, and the counter ends at exactly 80.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serializable_counter_under_contention_is_exact() {
    let db = Arc::new(TestDb::connect().await.unwrap());
    let backend = db.backend();
    let conn = db.connection();
    conn.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS fdstore_test_counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
    )
    .await
    .unwrap();
    let key = unique_merchant_id().get();
    conn.execute_raw(stmt(
        backend,
        "INSERT INTO fdstore_test_counter (id, n) VALUES (?, 0)",
        vec![key.into()],
    ))
    .await
    .unwrap();

    let policy = RetryPolicy::default()
        .max_attempts(200)
        .isolation(IsolationLevel::Serializable);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let db = db.clone();
        let policy = policy.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                run_in_transaction(db.connection(), &policy, move |txn| {
                    Box::pin(async move {
                        let backend = txn.get_database_backend();
                        let row = txn
                            .query_one_raw(stmt(
                                backend,
                                "SELECT n FROM fdstore_test_counter WHERE id = ?",
                                vec![key.into()],
                            ))
                            .await?
                            .expect("counter row");
                        let n: i64 = row.try_get("", "n")?;
                        txn.execute_raw(stmt(
                            backend,
                            "UPDATE fdstore_test_counter SET n = ? WHERE id = ?",
                            vec![(n + 1).into(), key.into()],
                        ))
                        .await?;
                        Ok(())
                    })
                })
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let row = conn
        .query_one_raw(stmt(
            backend,
            "SELECT n FROM fdstore_test_counter WHERE id = ?",
            vec![key.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    conn.execute_raw(stmt(
        backend,
        "DELETE FROM fdstore_test_counter WHERE id = ?",
        vec![key.into()],
    ))
    .await
    .unwrap();
    assert_eq!(n, 80);
}
