//! Aggregate analytics computed by the database: every metric of
//! DESIGN.md's "Metrics" table, for one merchant over a window of local days.
//!
//! Start from [`ReportParams`]: a merchant, a half-open range of local dates
//! `[from, to)`, a fixed [`UtcOffset`] and the `now` that SLA breaches are
//! judged against. [`ReportParams::window`] validates them into a
//! [`Window`] of UTC instants, and every metric function takes that window:
//!
//! | module | metric group | statements |
//! | --- | --- | --- |
//! | [`volume`] | tickets created, status and priority counts, open backlog | 2 |
//! | [`durations`] | first response and resolution: count, avg, min, max, p50, p90 (also gives tickets resolved) | 1 each |
//! | [`daily`] | the zero-filled daily series in the window's offset | 1 |
//! | [`csat`] | ratings, positive ratings, CSAT % | 1 |
//! | [`sla`] | first-response and resolution SLA breaches | 1 |
//! | [`tags`] | top tags, each tag once per ticket | 1 |
//! | [`agents`] | per responder: tickets resolved and average first response | 1 |
//! | [`report`](mod@report) | all of the above as one [`Report`] | 9 |
//!
//! The database does the work: each function sends a fixed number of
//! aggregate statements whatever the data size, and no ticket row is ever
//! loaded into Rust. The statements read only DESIGN.md's tables and columns
//! (no bookkeeping of this crate's migrations), filter by the merchant
//! first, and select the window on `(merchant_id, created_at)`,
//! `(merchant_id, resolved_at)` or `(merchant_id, status)`, so each one can
//! use a merchant-leading index.
//!
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
//! The functions read through the caller's connection or transaction. For a
//! report whose groups see one snapshot of the data, run [`report()`] in a
//! `REPEATABLE READ` (PostgreSQL, MariaDB) transaction; SQLite transactions
//! are serializable.
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
//!     business_hours: None,
//! };
//! let report = report(&txn, &params).await?;
//! assert_eq!(report.tickets_created, 1);
//! assert_eq!(report.daily.len(), 31);
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

pub use agents::AgentStats;
pub use business::{BusinessHours, MAX_HOLIDAYS};
pub use csat::Csat;
pub use daily::DailyCount;
pub use durations::DurationStats;
pub use params::{MAX_WINDOW_DAYS, ReportParams, UtcOffset, Window};
pub use report::{BacklogAge, Report, report};
pub use sla::SlaBreaches;
pub use tags::TagCount;
pub use volume::{PriorityCounts, StatusCounts};
