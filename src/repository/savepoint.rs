//! Savepoints inside the caller's transaction that survive cancellation.
//!
//! Every multi-statement write runs in [`in_savepoint`]: all of it or none
//! of it stays in the caller's transaction, and a failed step leaves that
//! transaction usable (PostgreSQL aborts a whole transaction on an error
//! unless a savepoint catches it).
//!
//! # Why not `txn.begin()`
//!
//! SeaORM's nested `begin()` is not cancel-safe with sqlx 0.9: if its future
//! is dropped while `SAVEPOINT` is on the wire, the driver's guard rolls
//! back at the connection's *current* depth, which is the caller's, so the
//! caller's whole transaction is rolled back while SeaORM still reports it
//! open, and every later statement autocommits (`../shared/SEAORM.md`,
//! "Cancellation and savepoints", has the file and line). So the crate
//! issues its own `SAVEPOINT`, `RELEASE SAVEPOINT` and `ROLLBACK TO
//! SAVEPOINT` as plain statements on the caller's transaction: no driver
//! guard is involved, and a dropped plain statement either runs whole or
//! not at all.
//!
//! # What a dropped call leaves behind
//!
//! A plain savepoint has no drop guard of its own, so [`in_savepoint`] keeps
//! one: when the future is dropped after `SAVEPOINT` and before the work was
//! released or rolled back, the guard records the savepoint as *abandoned*
//! for that transaction. The next call into the crate with the same
//! transaction ([`settle`], run first by every savepoint and by every
//! repository call) rolls back to it, so the writes the dropped call had
//! made are gone and the transaction is exactly as it was before that call.
//! A call dropped while its `RELEASE` was already on the wire has finished
//! its work; the savepoint is gone and the work stays, whole.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};

use crate::error::{Error, Result};

/// Process-wide counter for savepoint names: names are never reused, so
/// MariaDB (where `SAVEPOINT x` replaces an existing `x`) and nested
/// savepoints cannot collide.
static NEXT_SAVEPOINT: AtomicU64 = AtomicU64::new(1);

/// Calls dropped before they finished: `(transaction address, savepoint
/// number)`, the number `None` for a call dropped outside a savepoint.
/// Bounded: entries are only added on cancellation and removed by the next
/// call on the same transaction; past [`MAX_ABANDONED`] the oldest is
/// forgotten.
static ABANDONED: Mutex<Vec<(usize, Option<u64>)>> = Mutex::new(Vec::new());

/// Most abandoned savepoints remembered at once.
const MAX_ABANDONED: usize = 4096;

/// How long [`settle`] waits for a MariaDB connection to answer after a
/// cancelled call (see [`settle`]).
const MARIADB_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

fn key(txn: &DatabaseTransaction) -> usize {
    std::ptr::from_ref(txn) as usize
}

fn name(number: u64) -> String {
    format!("fds_sp_{number}")
}

fn abandoned() -> std::sync::MutexGuard<'static, Vec<(usize, Option<u64>)>> {
    // The lock is only held for a push or a scan: a panic while holding it
    // cannot leave the list half-updated, so a poisoned lock is still good.
    ABANDONED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records the call (and its savepoint, if any) as dropped when dropped
/// armed.
struct Armed {
    txn: usize,
    number: Option<u64>,
    armed: bool,
}

impl Drop for Armed {
    fn drop(&mut self) {
        if self.armed {
            let mut list = abandoned();
            if list.len() >= MAX_ABANDONED {
                list.remove(0);
            }
            list.push((self.txn, self.number));
        }
    }
}

/// Runs `work` in a savepoint of the caller's transaction: released on
/// success, rolled back on error, so a failed step leaves the caller's
/// transaction as it was and still usable. Never commits or rolls back
/// the caller's transaction itself, and cancel-safe (see the module docs).
///
/// `work` runs on the caller's transaction itself; nested calls open
/// nested savepoints.
pub(crate) async fn in_savepoint<T, F>(txn: &DatabaseTransaction, work: F) -> Result<T>
where
    F: AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
{
    settle(txn).await?;
    let number = NEXT_SAVEPOINT.fetch_add(1, Ordering::Relaxed);
    let savepoint = name(number);
    txn.execute_unprepared(&format!("SAVEPOINT {savepoint}"))
        .await?;
    let mut guard = Armed {
        txn: key(txn),
        number: Some(number),
        armed: true,
    };
    let outcome = work(txn).await;
    let result = match outcome {
        Ok(value) => txn
            .execute_unprepared(&format!("RELEASE SAVEPOINT {savepoint}"))
            .await
            .map(|_| value)
            .map_err(Error::from),
        Err(err) => {
            // The work's error is what the caller acts on. If the rollback
            // fails too, the savepoint is already gone: MariaDB rolls back
            // the whole transaction on a deadlock, and a lost connection
            // takes everything with it. Reporting the rollback's error
            // instead would turn a retryable `Deadlock` into a plain
            // database error.
            if txn
                .execute_unprepared(&format!("ROLLBACK TO SAVEPOINT {savepoint}"))
                .await
                .is_ok()
            {
                let _ = txn
                    .execute_unprepared(&format!("RELEASE SAVEPOINT {savepoint}"))
                    .await;
            }
            Err(err)
        }
    };
    guard.armed = false;
    result
}

/// Runs one crate call on the caller's transaction: first [`settle`]s
/// what an earlier dropped call left, then `work`; if this call is dropped
/// before `work` finishes, the next call settles it in turn.
pub(crate) async fn guarded<T, F>(txn: &DatabaseTransaction, work: F) -> Result<T>
where
    F: AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
{
    settle(txn).await?;
    let mut guard = Armed {
        txn: key(txn),
        number: None,
        armed: true,
    };
    let result = work(txn).await;
    guard.armed = false;
    result
}

/// Undoes what a dropped crate call left in `txn`, if anything: rolls back
/// to the oldest savepoint abandoned on this transaction and releases it.
/// Costs nothing (no statement) when no call on `txn` was dropped.
///
/// A transaction that was dropped and whose memory another transaction
/// now occupies may look like it has an abandoned savepoint: the rollback
/// then finds no such savepoint, which is caught (on PostgreSQL inside a
/// savepoint of its own, so the transaction is not aborted) and ignored.
///
/// On MariaDB, a statement with bound parameters dropped while the server
/// was preparing it leaves the connection out of step with the server
/// (sqlx 0.9 reads the prepared statement's leftover packets as the next
/// statement's answer, or waits for packets that never come). So after a
/// dropped call the connection is first asked for a fresh token, with a
/// time limit; if the answer is wrong, an error or late, the connection is
/// closed from the server side (`KILL CONNECTION_ID()`, so the pool never
/// hands it out again) and the call fails with [`Error::ConnectionLost`]:
/// the transaction is gone, nothing of it was committed.
pub(crate) async fn settle(txn: &DatabaseTransaction) -> Result<()> {
    let (dropped, oldest) = {
        let mut list = abandoned();
        let here = key(txn);
        let mut dropped = false;
        let mut oldest: Option<u64> = None;
        list.retain(|(at, number)| {
            if *at != here {
                return true;
            }
            dropped = true;
            if let Some(n) = number {
                oldest = Some(oldest.map_or(*n, |o| o.min(*n)));
            }
            false
        });
        (dropped, oldest)
    };
    if !dropped {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    if backend == DbBackend::MySql {
        mariadb_in_step(txn).await?;
    }
    let Some(number) = oldest else {
        return Ok(());
    };
    let savepoint = name(number);
    let rollback = format!("ROLLBACK TO SAVEPOINT {savepoint}");
    let release = format!("RELEASE SAVEPOINT {savepoint}");
    if backend == DbBackend::Postgres {
        // An error aborts a PostgreSQL transaction unless a savepoint
        // catches it, so the attempt runs inside one. Rolling back to the
        // (older) abandoned savepoint discards the probe's too.
        let probe = name(NEXT_SAVEPOINT.fetch_add(1, Ordering::Relaxed));
        txn.execute_unprepared(&format!("SAVEPOINT {probe}"))
            .await?;
        if txn.execute_unprepared(&rollback).await.is_ok() {
            txn.execute_unprepared(&release).await?;
        } else {
            txn.execute_unprepared(&format!("ROLLBACK TO SAVEPOINT {probe}"))
                .await?;
            txn.execute_unprepared(&format!("RELEASE SAVEPOINT {probe}"))
                .await?;
        }
    } else if txn.execute_unprepared(&rollback).await.is_ok() {
        // MariaDB and SQLite answer a missing savepoint with an error that
        // leaves the transaction as it was.
        txn.execute_unprepared(&release).await?;
    }
    Ok(())
}

/// Checks that a MariaDB connection answers a statement with its own
/// answer; closes it (server side) when it does not. See [`settle`].
pub(crate) async fn mariadb_in_step(txn: &DatabaseTransaction) -> Result<()> {
    let token = i64::try_from(NEXT_SAVEPOINT.fetch_add(1, Ordering::Relaxed)).unwrap_or(i64::MAX);
    let probe = sea_orm::Statement::from_sql_and_values(
        DbBackend::MySql,
        "SELECT CAST(? AS SIGNED) AS token",
        [token.into()],
    );
    // sqlx 0.9 has been seen to panic (`split_to out of bounds`) while
    // reading a leftover packet as the probe's answer: a panic here is an
    // out-of-step connection too, not the caller's panic.
    let answer = tokio::time::timeout(
        MARIADB_PROBE_TIMEOUT,
        std::panic::AssertUnwindSafe(txn.query_one_raw(probe)).catch_unwind(),
    )
    .await;
    let in_step = matches!(
        &answer,
        Ok(Ok(Ok(Some(row)))) if row.try_get::<i64>("", "token").ok() == Some(token)
    );
    if in_step {
        return Ok(());
    }
    // Whatever the client reads now, the server still executes what it is
    // sent: this ends the session, so the connection cannot be reused.
    let _ = tokio::time::timeout(
        MARIADB_PROBE_TIMEOUT,
        std::panic::AssertUnwindSafe(txn.execute_unprepared("KILL CONNECTION_ID()")).catch_unwind(),
    )
    .await;
    Err(Error::ConnectionLost(sea_orm::DbErr::Custom(
        "the MariaDB connection was out of step after a cancelled call (sqlx 0.9) and has \
         been closed; the transaction is gone and nothing of it was committed: begin a new one"
            .to_owned(),
    )))
}

/// Undoes what a cancelled call into the crate left in the caller's
/// transaction, so that it is exactly as it was before that call.
///
/// A repository or sync call whose future is dropped (a request timeout,
/// `tokio::select!`, a client disconnect) never loses or commits the
/// caller's earlier writes, but a call with several write statements may
/// have made some of them inside its savepoint when it was dropped. Every
/// later call into the crate with the same transaction undoes them first;
/// call this when the next thing you do with the transaction is your own
/// statement or `commit()`. It sends nothing when no call on `txn` was
/// dropped mid-write, so it is cheap to call unconditionally after a
/// timeout.
///
/// # Errors
///
/// [`Error::ConnectionLost`] when the connection no longer answers (see
/// the crate's "Reliability" section: MariaDB, after a dropped statement
/// with bound parameters), or the database's error for the rollback.
pub async fn undo_cancelled(txn: &DatabaseTransaction) -> Result<()> {
    settle(txn).await
}
