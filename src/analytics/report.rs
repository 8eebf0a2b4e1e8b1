//! The whole report of DESIGN.md: every metric for one merchant and window.

use chrono::NaiveDate;
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::agents::{AgentStats, agents};
use super::csat::{Csat, csat};
use super::daily::{DailyCount, daily};
use super::durations::{DurationStats, first_response, resolution};
use super::params::ReportParams;
use super::sla::{SlaBreaches, sla};
use super::tags::{TagCount, top_tags};
use super::volume::{PriorityCounts, StatusCounts, created, open_backlog};
use crate::error::Result;
use crate::ids::MerchantId;
use crate::time::UtcOffset;

/// Every metric of DESIGN.md for one merchant and window. Serializes to
/// exactly the JSON object of DESIGN.md (same keys, same order), which is
/// what `report --format json` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The merchant.
    pub merchant_id: MerchantId,
    /// First local date of the window (inclusive).
    pub from: NaiveDate,
    /// Local date after the window (exclusive).
    pub to: NaiveDate,
    /// The offset the local dates are in (`+05:30`).
    pub utc_offset: UtcOffset,
    /// Tickets with `created_at` in the window.
    pub tickets_created: u64,
    /// Tickets with `resolved_at` in the window, whatever their status now.
    pub tickets_resolved: u64,
    /// Tickets open now (status 2, 3, 6 or 7), whenever created.
    pub open_backlog: u64,
    /// First response of the tickets created in the window.
    pub first_response: DurationStats,
    /// Resolution time of the tickets resolved in the window.
    pub resolution: DurationStats,
    /// Tickets created in the window, per status.
    pub status_counts: StatusCounts,
    /// Tickets created in the window, per priority.
    pub priority_counts: PriorityCounts,
    /// One row per local date of the window, zero-filled.
    pub daily: Vec<DailyCount>,
    /// Ratings given in the window.
    pub csat: Csat,
    /// SLA breaches among the tickets created in the window.
    pub sla: SlaBreaches,
    /// Top 10 tags of the tickets created in the window.
    pub top_tags: Vec<TagCount>,
    /// Per responder, over the tickets resolved in the window.
    pub agents: Vec<AgentStats>,
}

/// Computes the whole report: 9 aggregate statements whatever the data
/// size (tickets created with status and priority counts, open backlog,
/// first response, resolution, daily series, CSAT, SLA, top tags, agents).
///
/// A merchant with no rows gets an all-zero report (with a zero-filled
/// daily series), not an error.
///
/// # One snapshot
///
/// The statements run in the caller's transaction, in order; they see one
/// snapshot of the data when the transaction's isolation level gives one
/// (see [the module docs](super#consistency)):
///
/// * **PostgreSQL**: begin the transaction `REPEATABLE READ` (or
///   `SERIALIZABLE`). At the default `READ COMMITTED` each statement sees
///   its own snapshot, so a ticket written meanwhile can count in one group
///   and not in another.
/// * **MariaDB / MySQL**: `REPEATABLE READ` (InnoDB's default) with a
///   consistent snapshot: InnoDB takes it at the transaction's first read
///   (or at `START TRANSACTION WITH CONSISTENT SNAPSHOT`), and every later
///   statement reads it.
/// * **SQLite**: a read transaction is already one snapshot (SQLite
///   transactions are serializable); nothing to choose.
///
/// ```no_run
/// # async fn f(db: &sea_orm::DatabaseConnection, params: &freshdesk_store::analytics::ReportParams) -> freshdesk_store::Result<()> {
/// use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
///
/// let txn = db
///     .begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
///     .await?;
/// let report = freshdesk_store::analytics::report(&txn, params).await?;
/// txn.commit().await?;
/// # let _ = report; Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`](crate::Error::InvalidInput) for bad parameters
/// (see [`ReportParams::window`]), before any statement is sent;
/// [`Error::Database`](crate::Error::Database) when a statement fails.
pub async fn report(txn: &DatabaseTransaction, params: &ReportParams) -> Result<Report> {
    let w = params.window()?;
    let created = created(txn, &w).await?;
    let open_backlog = open_backlog(txn, &w).await?;
    let first_response = first_response(txn, &w).await?;
    let resolution = resolution(txn, &w).await?;
    let daily = daily(txn, &w).await?;
    let csat = csat(txn, &w).await?;
    let sla = sla(txn, &w).await?;
    let top_tags = top_tags(txn, &w).await?;
    let agents = agents(txn, &w).await?;
    Ok(Report {
        merchant_id: w.merchant(),
        from: w.from(),
        to: w.to(),
        utc_offset: w.offset(),
        tickets_created: created.tickets_created,
        tickets_resolved: resolution.count,
        open_backlog,
        first_response,
        resolution,
        status_counts: created.status_counts,
        priority_counts: created.priority_counts,
        daily,
        csat,
        sla,
        top_tags,
        agents,
    })
}
