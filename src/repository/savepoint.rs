//! The one savepoint helper: runs a step in a savepoint of the caller's
//! transaction, so that a failed step leaves that transaction usable.

use sea_orm::{DatabaseTransaction, TransactionTrait};

use crate::error::Result;

/// Runs `work` in a savepoint of the caller's transaction: released on
/// success, rolled back on error, so a failed step leaves the caller's
/// transaction as it was and still usable. Never commits or rolls back
/// the caller's transaction itself.
pub(crate) async fn in_savepoint<T, F>(txn: &DatabaseTransaction, work: F) -> Result<T>
where
    F: AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
{
    // `begin` on a transaction opens a SAVEPOINT (nested transaction).
    let savepoint = txn.begin().await?;
    match work(&savepoint).await {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(err) => {
            // The work's error is what the caller acts on. If the rollback
            // fails too, the savepoint is already gone: MariaDB rolls back
            // the whole transaction on a deadlock, and a lost connection
            // takes everything with it. Reporting the rollback's error
            // instead would turn a retryable `Deadlock` into a plain
            // database error.
            let _ = savepoint.rollback().await;
            Err(err)
        }
    }
}
