//! The whole report of DESIGN.md: every metric for one merchant and window.

use chrono::{Duration, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};
use serde::{Deserialize, Serialize};

use super::agents::AgentStats;
use super::csat::Csat;
use super::daily::DailyCount;
use super::durations::DurationStats;
use super::onepass::Plan;
use super::params::{ReportParams, Window};
use super::sla::SlaBreaches;
use super::sql::Dialect;
use super::tags::{TagCount, top_tags};
use super::volume::{PriorityCounts, StatusCounts};
use crate::error::Result;
use crate::ids::MerchantId;
use crate::repository::savepoint::{guarded, in_savepoint};
use crate::time::UtcOffset;

/// The open backlog split by age at `now` (`now - created_at`); the four
/// buckets sum to the open backlog. A ticket created after `now` has a
/// negative age and counts in `lt_1d`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogAge {
    /// Younger than 24 hours.
    pub lt_1d: u64,
    /// 24 hours or older, younger than 72 hours.
    pub d1_3: u64,
    /// 72 hours or older, younger than 168 hours.
    pub d3_7: u64,
    /// 168 hours (7 days) or older.
    pub ge_7d: u64,
}

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
    /// Tickets with `reopened_at` in the window.
    pub reopened: u64,
    /// Tickets resolved in the window with exactly one public agent reply
    /// (a conversation neither incoming nor private, at any time).
    pub one_touch_resolved: u64,
    /// The open backlog by age at `now`.
    pub backlog_age: BacklogAge,
    /// First response of the tickets created in the window.
    pub first_response: DurationStats,
    /// The same tickets' first response in business seconds; null without
    /// a schedule.
    pub first_response_business: Option<DurationStats>,
    /// Resolution time of the tickets resolved in the window.
    pub resolution: DurationStats,
    /// The same tickets' resolution time in business seconds; null without
    /// a schedule.
    pub resolution_business: Option<DurationStats>,
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

/// Computes the whole report in 3 aggregate statements whatever the data
/// size: the open backlog with the window's CSAT, the top tags of the
/// created window, and the totals, daily series and agent rows over the
/// union of the tickets created, resolved or reopened in the window (read
/// once). Spam and deleted tickets, and their ratings,
/// count nowhere.
///
/// With [`ReportParams::business_hours`], the first-response and
/// resolution durations are also measured in business seconds, in the same
/// statement as their calendar twins.
///
/// On PostgreSQL the first statement turns JIT compilation and parallel
/// workers off and raises `work_mem` to at least 32 MB (`jit`,
/// `max_parallel_workers_per_gather`, `work_mem`, with `set_config(…,
/// true)`: local to the caller's transaction) and the last puts the values
/// it found back: for these index range scans of one window, compiling the
/// expressions and starting workers cost more than they save, and a
/// 100,000-row window's sorts and hashes spill at the default 4 MB. The
/// three statements run in a savepoint there (2 more statements), so a
/// report that fails or is cancelled midway (its future dropped) leaves
/// neither these settings nor an aborted transaction behind: the
/// savepoint is rolled back at once on failure, and by the crate's next
/// call on the transaction (or [`undo_cancelled`](crate::repository::undo_cancelled))
/// after a cancellation.
///
/// A merchant with no rows gets an all-zero report (with a zero-filled
/// daily series), not an error. Run it in a `REPEATABLE READ` transaction
/// for one consistent snapshot.
///
/// # Errors
///
/// [`Error::InvalidInput`](crate::Error::InvalidInput) for bad parameters
/// (see [`ReportParams::window`]), before any statement is sent;
/// [`Error::Database`](crate::Error::Database) when a statement fails.
pub async fn report(db: &DatabaseTransaction, params: &ReportParams) -> Result<Report> {
    let w = params.window()?;
    if db.get_database_backend() == DbBackend::Postgres {
        // The settings the first statement changes live in a savepoint: a
        // report that fails, or is dropped midway, has them rolled back
        // with it (by the crate's next call on the transaction, or
        // `repository::undo_cancelled`), so the caller's transaction is
        // left as it was and usable.
        return in_savepoint(db, async |txn: &DatabaseTransaction| {
            compute(txn, params, w).await
        })
        .await;
    }
    guarded(db, async |txn: &DatabaseTransaction| {
        compute(txn, params, w).await
    })
    .await
}

async fn compute(db: &DatabaseTransaction, params: &ReportParams, w: Window) -> Result<Report> {
    let plan = Plan {
        dialect: Dialect::of(db)?,
        w: &w,
        hours: params.business_hours.as_ref(),
    };
    // The backlog statement first (on PostgreSQL it turns JIT and parallel
    // workers off for the report), the window's totals and groups last
    // (they put them back).
    let backlog = plan.backlog_csat(db).await?;
    let top_tags = top_tags(db, &w).await?;
    let (totals, groups) = plan.window(db, backlog.settings.as_ref()).await?;
    let daily = (0..w.days())
        .map(|i| {
            let date = w.from() + Duration::days(i);
            let (created, resolved) = groups
                .days
                .iter()
                .find(|(d, _, _)| *d == date)
                .map_or((0, 0), |(_, c, r)| (*c, *r));
            DailyCount {
                date,
                created,
                resolved,
            }
        })
        .collect();
    let [
        open,
        pending,
        resolved,
        closed,
        waiting_on_customer,
        waiting_on_third_party,
    ] = totals.statuses;
    let [low, medium, high, urgent] = totals.priorities;
    let [lt_1d, d1_3, d3_7, ge_7d] = backlog.ages;
    let business = params.business_hours.is_some();
    Ok(Report {
        merchant_id: w.merchant(),
        from: w.from(),
        to: w.to(),
        utc_offset: w.offset(),
        tickets_created: totals.tickets_created,
        tickets_resolved: totals.tickets_resolved,
        open_backlog: backlog.open_backlog,
        reopened: totals.reopened,
        one_touch_resolved: totals.one_touch_resolved,
        backlog_age: BacklogAge {
            lt_1d,
            d1_3,
            d3_7,
            ge_7d,
        },
        first_response: totals.first_response,
        first_response_business: business.then_some(totals.first_response_business),
        resolution: totals.resolution,
        resolution_business: business.then_some(totals.resolution_business),
        status_counts: StatusCounts {
            open,
            pending,
            resolved,
            closed,
            waiting_on_customer,
            waiting_on_third_party,
        },
        priority_counts: PriorityCounts {
            low,
            medium,
            high,
            urgent,
        },
        daily,
        csat: Csat {
            ratings: backlog.ratings,
            positive: backlog.positive,
            csat_pct: backlog.csat_pct,
        },
        sla: SlaBreaches {
            first_response_breached: totals.fr_breached,
            resolution_breached: totals.res_breached,
        },
        top_tags,
        agents: groups
            .agents
            .into_iter()
            .map(|a| AgentStats {
                responder_id: a.responder_id,
                resolved: a.resolved,
                avg_first_response_secs: a.avg_first_response_secs,
                name: a.name,
                one_touch: a.one_touch,
            })
            .collect(),
    })
}
