//! The report's three statements: every figure from conditional aggregates
//! over the window's rows, read once. They run in this order:
//!
//! 1. **Backlog and CSAT**: the open backlog by age (over
//!    `(merchant_id, status)`) and the window's ratings of tickets that are
//!    neither spam nor deleted (each rating's ticket looked up by key), as
//!    one row. On PostgreSQL it also turns JIT compilation and parallel
//!    workers off and raises `work_mem` to at least 32 MB for the next
//!    statements, local to the caller's transaction, and returns the
//!    settings it found.
//! 2. **Tags**: the created window's tags ([`super::tags`]).
//! 3. **Window**: the union of the tickets created, resolved or reopened in
//!    the window (three index range scans, each ticket once, with its
//!    one-touch look-up and business times), materialized once in a CTE
//!    and aggregated twice: grouped by (created day, resolved day,
//!    responder), then expanded into the daily created / resolved counts
//!    and the agent rows (with the agent's name joined afterwards); and one
//!    totals row: counts, status and priority buckets, SLA breaches,
//!    reopened, one-touch, and the statistics of the four durations
//!    (calendar and business first response and resolution). On PostgreSQL
//!    it puts the settings of statement 1 back.
//!
//! SQL text is built with `format!` from constant identifiers and validated
//! integers (offsets, schedule bounds, holiday day numbers); every value the
//! caller gives (merchant, instants) is a bound parameter.

use chrono::{Duration, NaiveDate};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use super::business::BusinessHours;
use super::durations::DurationStats;
use super::params::Window;
use super::sql::{Dialect, count};
use crate::entity::enums::{Priority, TicketStatus};
use crate::entity::instant_value;
use crate::error::{Error, Result};
use crate::ids::AgentId;

mod build;
mod statements;

/// Days from 0001-01-01 back to the epoch of the business-time arithmetic:
/// twenty 400-year Gregorian cycles (a whole number of weeks, so day 0 is a
/// Monday like 0001-01-01), so local seconds are never negative for any
/// instant a backend stores.
const SHIFT_DAYS: i64 = 20 * 146_097;
/// Days from 0001-01-01 to 1970-01-01.
const CE_TO_UNIX_DAYS: i64 = 719_162;
/// Days from 0001-01-01 to 1000-01-01 (MariaDB's smallest `DATETIME`).
const CE_TO_1000_DAYS: i64 = 364_877;

/// The epoch day number of local date `date`.
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(chrono::Datelike::num_days_from_ce(&date)) - 1 + SHIFT_DAYS
}

/// SQL text with named bound parameters (`<<name>>`), turned into the
/// backend's placeholders in order of appearance.
struct Sql {
    dialect: Dialect,
    text: String,
}

impl Sql {
    fn statement(self, binds: &[(&str, Value)]) -> Result<Statement> {
        let mut out = String::with_capacity(self.text.len());
        let mut values = Vec::new();
        let mut rest = self.text.as_str();
        while let Some(i) = rest.find("<<") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let j = after
                .find(">>")
                .ok_or_else(|| internal("unclosed parameter"))?;
            let name = &after[..j];
            let value = binds
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| internal("unknown parameter"))?
                .1
                .clone();
            values.push(value);
            match self.dialect {
                Dialect::Postgres => out.push_str(&format!("${}", values.len())),
                _ => out.push('?'),
            }
            rest = &after[j + 2..];
        }
        out.push_str(rest);
        let backend = match self.dialect {
            Dialect::Postgres => DbBackend::Postgres,
            Dialect::MySql => DbBackend::MySql,
            Dialect::Sqlite => DbBackend::Sqlite,
        };
        Ok(Statement::from_sql_and_values(backend, out, values))
    }
}

fn internal(what: &str) -> Error {
    Error::Database(sea_orm::DbErr::Custom(format!("analytics SQL: {what}")))
}

/// Everything the statements need besides the connection.
pub(crate) struct Plan<'a> {
    pub(crate) dialect: Dialect,
    pub(crate) w: &'a Window,
    pub(crate) hours: Option<&'a BusinessHours>,
}

#[derive(Debug, FromQueryResult)]
struct TotalsRow {
    tickets_created: i64,
    tickets_resolved: i64,
    reopened: i64,
    one_touch_resolved: i64,
    s2: i64,
    s3: i64,
    s4: i64,
    s5: i64,
    s6: i64,
    s7: i64,
    p1: i64,
    p2: i64,
    p3: i64,
    p4: i64,
    fr_breached: i64,
    res_breached: i64,
    fr_n: i64,
    fr_avg: Option<f64>,
    fr_min: Option<i64>,
    fr_max: Option<i64>,
    fr_p50: Option<f64>,
    fr_p90: Option<f64>,
    res_n: i64,
    res_avg: Option<f64>,
    res_min: Option<i64>,
    res_max: Option<i64>,
    res_p50: Option<f64>,
    res_p90: Option<f64>,
    frb_n: i64,
    frb_avg: Option<f64>,
    frb_min: Option<i64>,
    frb_max: Option<i64>,
    frb_p50: Option<f64>,
    frb_p90: Option<f64>,
    resb_n: i64,
    resb_avg: Option<f64>,
    resb_min: Option<i64>,
    resb_max: Option<i64>,
    resb_p50: Option<f64>,
    resb_p90: Option<f64>,
}

/// The totals row of statement 3.
pub(crate) struct Totals {
    pub(crate) tickets_created: u64,
    pub(crate) tickets_resolved: u64,
    pub(crate) reopened: u64,
    pub(crate) one_touch_resolved: u64,
    /// Statuses 2 to 7.
    pub(crate) statuses: [u64; 6],
    /// Priorities 1 to 4.
    pub(crate) priorities: [u64; 4],
    pub(crate) fr_breached: u64,
    pub(crate) res_breached: u64,
    pub(crate) first_response: DurationStats,
    pub(crate) resolution: DurationStats,
    pub(crate) first_response_business: DurationStats,
    pub(crate) resolution_business: DurationStats,
}

#[derive(Debug, FromQueryResult)]
struct GroupRow {
    kind: i64,
    day: Option<String>,
    resp: Option<AgentId>,
    n: i64,
    avg_frt: Option<f64>,
    one_touch: Option<i64>,
    name: Option<String>,
}

/// One agent row of the groups.
pub(crate) struct AgentGroup {
    pub(crate) responder_id: AgentId,
    pub(crate) name: Option<String>,
    pub(crate) resolved: u64,
    pub(crate) one_touch: u64,
    pub(crate) avg_first_response_secs: Option<f64>,
}

/// The group rows of statement 3 (or of the groups alone).
pub(crate) struct Groups {
    /// `(local date, created, resolved)` for the days with a ticket.
    pub(crate) days: Vec<(NaiveDate, u64, u64)>,
    pub(crate) agents: Vec<AgentGroup>,
}

#[derive(Debug, FromQueryResult)]
struct BacklogCsatRow {
    open_backlog: i64,
    lt_1d: i64,
    d1_3: i64,
    d3_7: i64,
    ge_7d: i64,
    ratings: i64,
    positive: i64,
    csat_pct: Option<f64>,
}

/// What statement 1 gives.
pub(crate) struct BacklogCsat {
    pub(crate) open_backlog: u64,
    pub(crate) ages: [u64; 4],
    pub(crate) ratings: u64,
    pub(crate) positive: u64,
    pub(crate) csat_pct: Option<f64>,
    /// PostgreSQL: the planner settings the statement found, which the
    /// last statement puts back.
    pub(crate) settings: Option<PgSettings>,
}

/// PostgreSQL planner settings the report turns off for its own statements
/// (see [`Plan::backlog_csat`]), as they were before.
pub(crate) struct PgSettings {
    jit: String,
    parallel: String,
    work_mem: String,
}

fn stats(
    n: i64,
    avg: Option<f64>,
    min: Option<i64>,
    max: Option<i64>,
    p50: Option<f64>,
    p90: Option<f64>,
) -> DurationStats {
    DurationStats {
        count: count(n),
        avg_secs: avg,
        min_secs: min,
        max_secs: max,
        p50_secs: p50,
        p90_secs: p90,
    }
}

/// The rows of the groups statement, parsed: the days and the agents.
fn collect_groups(rows: Vec<GroupRow>) -> Groups {
    let mut days: Vec<(NaiveDate, u64, u64)> = Vec::new();
    let mut agents = Vec::new();
    for row in rows {
        match (row.kind, row.day, row.resp) {
            (1 | 2, Some(day), _) => {
                let Ok(date) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
                    continue;
                };
                let slot = match days.iter_mut().find(|(d, _, _)| *d == date) {
                    Some(slot) => slot,
                    None => {
                        days.push((date, 0, 0));
                        days.last_mut().expect("just pushed")
                    }
                };
                if row.kind == 1 {
                    slot.1 = count(row.n);
                } else {
                    slot.2 = count(row.n);
                }
            }
            (3, _, Some(responder_id)) => agents.push(AgentGroup {
                responder_id,
                name: row.name,
                resolved: count(row.n),
                one_touch: count(row.one_touch.unwrap_or(0)),
                avg_first_response_secs: row.avg_frt,
            }),
            _ => {}
        }
    }
    Groups { days, agents }
}

impl TotalsRow {
    fn totals(self) -> Totals {
        let r = self;
        Totals {
            tickets_created: count(r.tickets_created),
            tickets_resolved: count(r.tickets_resolved),
            reopened: count(r.reopened),
            one_touch_resolved: count(r.one_touch_resolved),
            statuses: [r.s2, r.s3, r.s4, r.s5, r.s6, r.s7].map(count),
            priorities: [r.p1, r.p2, r.p3, r.p4].map(count),
            fr_breached: count(r.fr_breached),
            res_breached: count(r.res_breached),
            first_response: stats(r.fr_n, r.fr_avg, r.fr_min, r.fr_max, r.fr_p50, r.fr_p90),
            resolution: stats(
                r.res_n, r.res_avg, r.res_min, r.res_max, r.res_p50, r.res_p90,
            ),
            first_response_business: stats(
                r.frb_n, r.frb_avg, r.frb_min, r.frb_max, r.frb_p50, r.frb_p90,
            ),
            resolution_business: stats(
                r.resb_n, r.resb_avg, r.resb_min, r.resb_max, r.resb_p50, r.resb_p90,
            ),
        }
    }
}

impl Plan<'_> {
    /// Statement 3 of the report: the totals and the groups of the window,
    /// read once ([`Plan::window_sql`]); on PostgreSQL it also puts back the
    /// planner `settings` that [`Plan::backlog_csat`] found (so it runs
    /// last).
    pub(crate) async fn window<C: ConnectionTrait>(
        &self,
        db: &C,
        settings: Option<&PgSettings>,
    ) -> Result<(Totals, Groups)> {
        let mut binds = self.binds()?;
        if let Some(s) = settings {
            binds.push(("jit_was", Value::from(s.jit.clone())));
            binds.push(("par_was", Value::from(s.parallel.clone())));
            binds.push(("mem_was", Value::from(s.work_mem.clone())));
        }
        let sql = self.window_sql(settings.is_some());
        let mut totals = None;
        let mut groups = Vec::new();
        for row in db.query_all_raw(sql.statement(&binds)?).await? {
            let kind: i64 = row.try_get("", "kind")?;
            if kind == 0 {
                totals = Some(TotalsRow::from_query_result(&row, "")?.totals());
            } else {
                groups.push(GroupRow::from_query_result(&row, "")?);
            }
        }
        let totals = totals.ok_or_else(|| {
            Error::Database(sea_orm::DbErr::RecordNotFound(
                "the window statement returned no totals row".to_owned(),
            ))
        })?;
        Ok((totals, collect_groups(groups)))
    }

    /// The groups alone (the daily series and the agent rows), in one
    /// statement without business time.
    pub(crate) async fn groups<C: ConnectionTrait>(&self, db: &C) -> Result<Groups> {
        let plain = Plan {
            dialect: self.dialect,
            w: self.w,
            hours: None,
        };
        let rows = format!("({}) AS {}", plain.measured_rows(), self.dialect_quote("m"));
        let sql = Sql {
            dialect: self.dialect,
            text: self.ordered(&self.groups_sql(&rows).text),
        };
        let rows = GroupRow::find_by_statement(sql.statement(&self.binds()?)?)
            .all(db)
            .await?;
        Ok(collect_groups(rows))
    }

    /// The backlog and CSAT statement, which the report runs first. On
    /// PostgreSQL it also turns JIT compilation and parallel workers off
    /// and raises `work_mem` to at least 32 MB for the rest of the report
    /// (`set_config(…, true)`, local to the caller's transaction) and
    /// returns the settings it found, which [`Plan::totals`] puts back: the
    /// report's statements read a window of rows through indexes, where
    /// compiling their expressions (100–200 ms) and starting workers cost
    /// more than they save, and the sorts and hashes of a 100,000-row
    /// window spill to disk at the default 4 MB.
    pub(crate) async fn backlog_csat<C: ConnectionTrait>(&self, db: &C) -> Result<BacklogCsat> {
        let stmt = self.backlog_csat_sql().statement(&self.binds()?)?;
        let row = db.query_one_raw(stmt).await?.ok_or_else(|| {
            Error::Database(sea_orm::DbErr::RecordNotFound(
                "an aggregate statement returned no row".to_owned(),
            ))
        })?;
        let r = BacklogCsatRow::from_query_result(&row, "")?;
        let settings = match self.dialect {
            Dialect::Postgres => Some(PgSettings {
                jit: row.try_get("", "jit_was")?,
                parallel: row.try_get("", "par_was")?,
                work_mem: row.try_get("", "mem_was")?,
            }),
            _ => None,
        };
        Ok(BacklogCsat {
            settings,
            open_backlog: count(r.open_backlog),
            ages: [r.lt_1d, r.d1_3, r.d3_7, r.ge_7d].map(count),
            ratings: count(r.ratings),
            positive: count(r.positive),
            csat_pct: r.csat_pct,
        })
    }
}
