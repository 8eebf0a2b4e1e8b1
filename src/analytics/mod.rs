//! Aggregate analytics computed by the database: every metric of
//! DESIGN.md's "Metrics" table, for one merchant over a window of local days.
//!
//! Start from [`ReportParams`]: a merchant, a half-open range of local dates
//! `[from, to)`, a fixed [`UtcOffset`], the `now` that SLA breaches and
//! backlog ages are judged against, and optionally a [`BusinessHours`]
//! schedule. [`ReportParams::window`] validates them into a [`Window`] of
//! UTC instants.
//!
//! [`report()`] computes every figure of DESIGN.md (both versions) in 3
//! statements whatever the data size, each reading its rows once with
//! conditional aggregates:
//!
//! | statement | reads | gives |
//! | --- | --- | --- |
//! | backlog and CSAT | open tickets (`(merchant_id, status)`, or the partial open-backlog index), ratings created in the window | open backlog by age, CSAT |
//! | tags | tickets created in the window | top tags |
//! | window | tickets created, resolved or reopened in the window (three index range scans, each ticket once, materialized in a CTE) | counts, status and priority buckets, SLA breaches, reopened, one-touch, calendar and business durations; the daily series and the agent rows (with names and one-touch) |
//!
//! Spam and deleted tickets count nowhere, and neither do their ratings.
//! The per-group functions of [`volume`], [`durations`], [`daily`],
//! [`csat`], [`sla`], [`tags`] and [`agents`] give one group each (one
//! statement each) for callers that need only that.
//!
//! The database does the work: no ticket row is ever loaded into Rust. The
//! statements read only DESIGN.md's tables and columns (no bookkeeping of
//! this crate's migrations), filter by the merchant first, and select the
//! window on merchant-leading indexes, so the cost grows with the window,
//! not with the merchant's history.
//!
//! Every function takes the caller's `&DatabaseTransaction` (DESIGN.md
//! rule 2) and runs in it; a function of several statements, above all
//! [`report()`], sees one snapshot of the data when the transaction's
//! isolation level gives one:
//!
//! | backend | isolation for one snapshot |
//! | --- | --- |
//! | PostgreSQL | `REPEATABLE READ` (or `SERIALIZABLE`); `READ COMMITTED`, the default, takes a snapshot per statement |
//! | MariaDB / MySQL | `REPEATABLE READ` (InnoDB's default) with a consistent snapshot, taken at the first read or by `START TRANSACTION WITH CONSISTENT SNAPSHOT` |
//! | SQLite | any: a read transaction already is one snapshot |
//!
//! # Business hours
//!
//! With a schedule, `first_response_business` and `resolution_business`
//! come from the same statement as their calendar twins, in closed form:
//! `B(x)`, the business seconds from a fixed epoch to instant `x`, is whole
//! weeks × the week's working seconds, plus the working part of `x`'s week
//! (a `CASE` over the local weekday), minus the working seconds of the
//! holidays before `x`; a duration is `B(end) - B(start)`, plus the
//! fractions of the end seconds when those seconds are working (schedules
//! and offsets are whole minutes), truncated toward zero once. Integer
//! arithmetic only, so every backend gives the same integers.

//! # Same numbers on every backend
//!
//! The SQL differs per backend where the databases differ, and the results
//! do not (floats agree to 1e-9 relative, everything else exactly):
//!
//! * **Percentiles** are continuous with linear interpolation between the
//!   closest ranks (PostgreSQL's `percentile_cont`). Every backend runs the
//!   same computation: `ROW_NUMBER()` numbers the values, and the two
//!   neighbouring ranks of `(n - 1) × p + 1` are interpolated in the same
//!   statement with integer rank arithmetic, so the results agree bit for
//!   bit (PostgreSQL's `percentile_cont` itself can differ in the last
//!   bits; the tests check against it).
//! * **Durations** are whole seconds, the fraction truncated toward zero,
//!   before they are aggregated (`EXTRACT(EPOCH …)` on PostgreSQL,
//!   `TIMESTAMPDIFF(SECOND, …)` on MariaDB, the RFC 3339 text taken apart on
//!   SQLite). Averages are `SUM / COUNT` of those integers.
//! * **Day buckets** are the date of `instant + offset`, with the offset a
//!   validated number of seconds written into the SQL as an integer literal.
//! * **Tags** come from each backend's JSON functions (PostgreSQL
//!   `jsonb_array_elements`, MariaDB `JSON_TABLE`, SQLite `json_each`); only
//!   string elements of an array count, compared and ordered as bytes.
//!
//! # Consistency
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> freshdesk_store::Result<()> {
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use freshdesk_store::analytics::{ReportParams, UtcOffset, report};
//! use freshdesk_store::testing::{TestDb, TicketFactory, unique_merchant_id};
//!
//! let db = TestDb::connect().await?;
//! let txn = db.begin().await?;
//! let merchant = unique_merchant_id();
//! TicketFactory::new(merchant).insert(&txn).await?; // created 2026-10-01T12:00Z
//!
//! let params = ReportParams {
//!     merchant,
//!     from: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
//!     to: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
//!     utc_offset: "+05:30".parse()?,
//!     now: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
//!     business_hours: Some("mon-fri 09:00-17:00".parse()?),
//! };
//! let report = report(&txn, &params).await?;
//! assert_eq!(report.tickets_created, 1);
//! assert_eq!(report.daily.len(), 31);
//! assert_eq!(report.backlog_age.ge_7d, 1);
//! assert!(report.first_response_business.is_some());
//! # Ok(()) }
//! ```

pub mod agents;
mod business;
pub mod csat;
pub mod daily;
pub mod durations;
mod onepass;
mod params;
pub mod report;
pub mod sla;
mod sql;
pub mod tags;
pub mod volume;

pub use crate::time::UtcOffset;
pub use agents::AgentStats;
pub use business::{BusinessHours, MAX_HOLIDAYS};
pub use csat::Csat;
pub use daily::DailyCount;
pub use durations::DurationStats;
pub use params::{MAX_WINDOW_DAYS, ReportParams, Window};
pub use report::{BacklogAge, Report, report};
pub use sla::SlaBreaches;
pub use tags::TagCount;
pub use volume::{PriorityCounts, StatusCounts};
