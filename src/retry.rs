//! Running a unit of work with retries, for a service's entry point.
//!
//! Besides [`PoolConfig`](crate::PoolConfig) this is the only place the crate
//! touches the connection itself, and using it is the caller's choice: it
//! begins a fresh transaction for every attempt, runs the caller's closure
//! (which passes the transaction down to repositories and analytics), and
//! commits. When an attempt fails with a retryable error
//! ([`Error::is_retryable`]: serialization failure, deadlock, lock timeout,
//! lost connection, exhausted pool) the transaction is rolled back and the
//! work runs again after a short, growing pause.
//!
//! ```no_run
//! # async fn run(db: &sea_orm::DatabaseConnection, merchant: freshdesk_store::MerchantId) -> freshdesk_store::Result<()> {
//! use freshdesk_store::retry::{RetryPolicy, run_in_transaction};
//! use sea_orm::IsolationLevel;
//!
//! let policy = RetryPolicy::default().isolation(IsolationLevel::Serializable);
//! let n = run_in_transaction(db, &policy, |txn| {
//!     Box::pin(async move {
//!         // … repository calls with `txn` …
//!         Ok(1)
//!     })
//! })
//! .await?;
//! # Ok(()) }
//! ```
//!
//! A connection lost *during `COMMIT`* is not retried: the server may have
//! committed before the connection broke, and only the caller knows whether
//! the work is safe to apply twice. It is returned as
//! [`Error::ConnectionLost`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DatabaseTransaction, IsolationLevel, TransactionTrait};

use crate::error::{Error, Result};

/// How often and how patiently to retry.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (at least 1).
    pub max_attempts: u32,
    /// Pause before the second attempt; doubled for each further one.
    pub initial_backoff: Duration,
    /// Longest pause between attempts.
    pub max_backoff: Duration,
    /// Isolation level of each transaction (`None`: the server's default).
    pub isolation: Option<IsolationLevel>,
}

impl Default for RetryPolicy {
    /// 5 attempts, pauses from 10 ms up to 1 s, the server's isolation level.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(1),
            isolation: None,
        }
    }
}

impl RetryPolicy {
    /// Sets the number of attempts (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the isolation level of each attempt's transaction.
    pub fn isolation(mut self, level: IsolationLevel) -> Self {
        self.isolation = Some(level);
        self
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let base = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        // Up to 50 % jitter so that competing workers do not retry in lockstep.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        base + base.mul_f64(f64::from(nanos % 500) / 1000.0)
    }
}

/// The future a unit of work returns; it borrows the attempt's transaction.
pub type Work<'t, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 't>>;

/// Runs `work` in a fresh transaction, commits it, and retries the whole
/// unit on retryable errors as `policy` allows.
///
/// # Errors
///
/// The last attempt's error when it is not retryable or the attempts are
/// used up; [`Error::ConnectionLost`] without retry when the connection
/// broke during `COMMIT` (the outcome is unknown).
pub async fn run_in_transaction<T, F>(
    db: &DatabaseConnection,
    policy: &RetryPolicy,
    mut work: F,
) -> Result<T>
where
    T: Send,
    F: for<'t> FnMut(&'t DatabaseTransaction) -> Work<'t, T> + Send,
{
    let mut attempt = 1;
    loop {
        let outcome = attempt_once(db, policy, &mut work).await;
        match outcome {
            Ok(value) => return Ok(value),
            Err(Failure::Commit(err)) if matches!(err, Error::ConnectionLost(_)) => {
                return Err(err);
            }
            Err(Failure::Work(err) | Failure::Commit(err))
                if err.is_retryable() && attempt < policy.max_attempts =>
            {
                tracing::debug!(attempt, error = %err, "retrying unit of work");
                tokio::time::sleep(policy.backoff(attempt)).await;
                attempt += 1;
            }
            Err(Failure::Work(err) | Failure::Commit(err)) => return Err(err),
        }
    }
}

enum Failure {
    Work(Error),
    Commit(Error),
}

async fn attempt_once<T, F>(
    db: &DatabaseConnection,
    policy: &RetryPolicy,
    work: &mut F,
) -> std::result::Result<T, Failure>
where
    T: Send,
    F: for<'t> FnMut(&'t DatabaseTransaction) -> Work<'t, T> + Send,
{
    let txn = db
        .begin_with_config(policy.isolation, None)
        .await
        .map_err(|e| Failure::Work(e.into()))?;
    match work(&txn).await {
        Ok(value) => {
            txn.commit().await.map_err(|e| Failure::Commit(e.into()))?;
            Ok(value)
        }
        Err(err) => {
            // A failed rollback (say, on a dead connection) changes nothing:
            // the server discards the transaction either way.
            let _ = txn.rollback().await;
            Err(Failure::Work(err))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert!(p.backoff(1) >= Duration::from_millis(10));
        assert!(p.backoff(1) < Duration::from_millis(16));
        assert!(p.backoff(4) >= Duration::from_millis(80));
        assert!(p.backoff(40) <= Duration::from_millis(1500));
    }
}
