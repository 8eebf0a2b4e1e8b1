//! The daily series: tickets created and resolved per local day of the
//! window, one row for every day.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::{Alias, Expr, Order, Query, UnionType};
use sea_orm::{DatabaseTransaction, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::params::Window;
use super::sql::{self, Dialect, all_rows, count, select_as};
use crate::entity::ticket;
use crate::error::Result;

/// One local day of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCount {
    /// The local date (in the window's offset).
    pub date: NaiveDate,
    /// Tickets created that local day.
    pub created: u64,
    /// Tickets resolved that local day.
    pub resolved: u64,
}

#[derive(Debug, FromQueryResult)]
struct DayRow {
    day: String,
    created: i64,
    resolved: i64,
}

/// Tickets created and resolved per local day, zero-filled: exactly one
/// [`DailyCount`] per date in `[from, to)`, in date order.
///
/// One statement: the local dates of `created_at` (over
/// `(merchant_id, created_at)`) and of `resolved_at` (over
/// `(merchant_id, resolved_at)`), `UNION ALL`, grouped by date. The days
/// with no ticket are filled in afterwards.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn daily(db: &DatabaseTransaction, w: &Window) -> Result<Vec<DailyCount>> {
    let dialect = Dialect::of(db)?;
    let branch = |mut q: sea_orm::sea_query::SelectStatement, column, kind: &str| {
        select_as(
            &mut q,
            dialect.local_day(&dialect.ticket(column), w.offset()),
            "day",
        );
        select_as(&mut q, kind.to_owned(), "kind");
        q
    };
    let mut events = branch(sql::tickets_created_in(w), ticket::Column::CreatedAt, "1");
    events.union(
        UnionType::All,
        branch(sql::tickets_resolved_in(w), ticket::Column::ResolvedAt, "2"),
    );
    let (day, kind) = (dialect.col("d", "day"), dialect.col("d", "kind"));
    let mut q = Query::select();
    q.from_subquery(events, Alias::new("d"));
    select_as(&mut q, day.clone(), "day");
    select_as(
        &mut q,
        format!("COUNT(CASE WHEN {kind} = 1 THEN 1 END)"),
        "created",
    );
    select_as(
        &mut q,
        format!("COUNT(CASE WHEN {kind} = 2 THEN 1 END)"),
        "resolved",
    );
    q.group_by_col((Alias::new("d"), Alias::new("day")))
        .order_by_expr(Expr::cust(day), Order::Asc);
    let rows: Vec<DayRow> = all_rows(db, &q).await?;

    let mut by_day: HashMap<NaiveDate, (u64, u64)> = HashMap::with_capacity(rows.len());
    for row in rows {
        if let Ok(date) = NaiveDate::parse_from_str(&row.day, "%Y-%m-%d") {
            by_day.insert(date, (count(row.created), count(row.resolved)));
        }
    }
    Ok((0..w.days())
        .map(|i| {
            let date = w.from() + Duration::days(i);
            let (created, resolved) = by_day.get(&date).copied().unwrap_or_default();
            DailyCount {
                date,
                created,
                resolved,
            }
        })
        .collect())
}
