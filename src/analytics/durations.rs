//! First-response and resolution times: count, average, minimum, maximum
//! and the continuous 50th and 90th percentiles, in whole seconds.

use sea_orm::sea_query::{Alias, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::params::Window;
use super::sql::{self, Dialect, count, one_row, select_as};
use crate::entity::ticket;
use crate::error::Result;

/// Statistics of a set of durations in seconds. Every field but `count` is
/// null for an empty set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DurationStats {
    /// Number of durations.
    pub count: u64,
    /// Mean (sum / count, as a float).
    pub avg_secs: Option<f64>,
    /// Shortest.
    pub min_secs: Option<i64>,
    /// Longest.
    pub max_secs: Option<i64>,
    /// Median: continuous percentile 0.5 with linear interpolation.
    pub p50_secs: Option<f64>,
    /// Continuous percentile 0.9 with linear interpolation.
    pub p90_secs: Option<f64>,
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    n: i64,
    avg_secs: Option<f64>,
    min_secs: Option<i64>,
    max_secs: Option<i64>,
    p50_secs: Option<f64>,
    p90_secs: Option<f64>,
}

/// First response over the tickets created in the window that have a
/// `first_response_time`: statistics of that column (seconds). One
/// statement over `(merchant_id, created_at)`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn first_response(db: &DatabaseTransaction, w: &Window) -> Result<DurationStats> {
    let dialect = Dialect::of(db)?;
    let mut base = sql::tickets_created_in(w);
    base.and_where(sql::ticket_col(ticket::Column::FirstResponseTime).is_not_null());
    let x = dialect.ticket(ticket::Column::FirstResponseTime);
    stats(db, dialect, base, &x).await
}

/// Resolution over the tickets resolved in the window: statistics of
/// `resolved_at - created_at` in whole seconds (fraction truncated). Its
/// `count` is the number of tickets resolved in the window. One statement
/// over `(merchant_id, resolved_at)`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn resolution(db: &DatabaseTransaction, w: &Window) -> Result<DurationStats> {
    let dialect = Dialect::of(db)?;
    let base = sql::tickets_resolved_in(w);
    let x = dialect.seconds_between(
        &dialect.ticket(ticket::Column::CreatedAt),
        &dialect.ticket(ticket::Column::ResolvedAt),
    );
    stats(db, dialect, base, &x).await
}

/// Percentiles computed, as tenths: p50 and p90.
const PERCENTILES: [(u32, &str); 2] = [(5, "p50_secs"), (9, "p90_secs")];

/// Statistics of the integer expression `x` over the rows of `base`: one
/// statement, `ROW_NUMBER()` and `COUNT(*) OVER ()` in a derived table and
/// the aggregates over it.
async fn stats<C: ConnectionTrait>(
    db: &C,
    dialect: Dialect,
    mut base: SelectStatement,
    x: &str,
) -> Result<DurationStats> {
    // Number the values in order, then interpolate between the two ranks
    // around (n - 1) * p + 1, as percentile_cont does. The same SQL on
    // every backend, so the floats come out bit for bit the same
    // (PostgreSQL's own percentile_cont rounds the fraction differently in
    // the last bits).
    select_as(&mut base, x.to_owned(), "x");
    select_as(&mut base, format!("ROW_NUMBER() OVER (ORDER BY {x})"), "rn");
    select_as(&mut base, "COUNT(*) OVER ()".to_owned(), "cnt");
    let (x, rn, cnt) = (
        dialect.col("s", "x"),
        dialect.col("s", "rn"),
        dialect.col("s", "cnt"),
    );
    let mut q = Query::select();
    q.from_subquery(base, Alias::new("s"));
    select_as(&mut q, "COUNT(*)".to_owned(), "n");
    select_as(&mut q, dialect.avg(&x), "avg_secs");
    select_as(&mut q, format!("MIN({x})"), "min_secs");
    select_as(&mut q, format!("MAX({x})"), "max_secs");
    for (tenths, alias) in PERCENTILES {
        // 0-based position × 10 = tenths × (n - 1): exact integers.
        let scaled = format!("({tenths} * ({cnt} - 1))");
        let lo = format!("({} + 1)", dialect.int_div(&scaled, "10"));
        let lo_val = format!("MAX(CASE WHEN {rn} = {lo} THEN {x} END)");
        let hi_val = format!("COALESCE(MAX(CASE WHEN {rn} = {lo} + 1 THEN {x} END), {lo_val})");
        let frac = format!("MAX({} / 10)", dialect.double(&format!("{scaled} % 10")));
        let (lo_val, hi_val) = (dialect.double(&lo_val), dialect.double(&hi_val));
        select_as(
            &mut q,
            format!("{lo_val} + ({hi_val} - {lo_val}) * {frac}"),
            alias,
        );
    }
    let row: StatsRow = one_row(db, &q).await?;
    Ok(DurationStats {
        count: count(row.n),
        avg_secs: row.avg_secs,
        min_secs: row.min_secs,
        max_secs: row.max_secs,
        p50_secs: row.p50_secs,
        p90_secs: row.p90_secs,
    })
}
