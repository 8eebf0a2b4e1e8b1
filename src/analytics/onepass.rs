//! The report's four statements: every figure from conditional aggregates
//! over the window's rows, read once per statement.
//!
//! 1. **Totals**: one row over the union of the tickets created, resolved
//!    or reopened in the window (three index range scans, each ticket once):
//!    counts, status and priority buckets, SLA breaches, reopened,
//!    one-touch, and the statistics of the four durations (calendar and
//!    business first response and resolution).
//! 2. **Groups**: the same union, each ticket expanded into its daily
//!    created / resolved event and its agent row, grouped by kind and key,
//!    with the agent's name joined afterwards.
//! 3. **Tags**: the created window's tags ([`super::tags`]).
//! 4. **Backlog and CSAT**: the open backlog by age (over
//!    `(merchant_id, status)`) and the window's ratings of tickets that are
//!    neither spam nor deleted, as one row.
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

impl Plan<'_> {
    fn col(&self, table: &str, column: &str) -> String {
        self.dialect.col(table, column)
    }

    fn binds(&self) -> Result<Vec<(&'static str, Value)>> {
        let now = self.w.now();
        let ago = |hours: i64| {
            now.checked_sub_signed(Duration::hours(hours))
                .ok_or_else(|| {
                    Error::invalid_input("now", format!("{now} is too early to measure ages"))
                })
        };
        Ok(vec![
            ("m", Value::from(self.w.merchant().get())),
            ("start", instant_value(self.w.start())),
            ("end", instant_value(self.w.end())),
            ("now", instant_value(now)),
            ("d1", instant_value(ago(24)?)),
            ("d3", instant_value(ago(72)?)),
            ("d7", instant_value(ago(168)?)),
        ])
    }

    /// `FALSE` for a boolean column on this backend (stored as 0/1 outside PostgreSQL).
    fn not_flagged(&self, table: &str) -> String {
        let (spam, deleted) = (self.col(table, "spam"), self.col(table, "deleted"));
        format!("NOT {spam} AND NOT {deleted}")
    }

    /// Whole seconds since the arithmetic's epoch (floor) of timestamp `c`.
    fn abs_secs(&self, c: &str) -> String {
        match self.dialect {
            Dialect::Postgres => format!(
                "(CAST(FLOOR(EXTRACT(EPOCH FROM {c})) AS BIGINT) + {})",
                (CE_TO_UNIX_DAYS + SHIFT_DAYS) * 86_400
            ),
            Dialect::MySql => format!(
                "(TIMESTAMPDIFF(SECOND, '1000-01-01 00:00:00', {c}) + {})",
                (CE_TO_1000_DAYS + SHIFT_DAYS) * 86_400
            ),
            Dialect::Sqlite => format!(
                "(unixepoch(substr({c}, 1, 19)) + {})",
                (CE_TO_UNIX_DAYS + SHIFT_DAYS) * 86_400
            ),
        }
    }

    /// Nanoseconds past the whole second of timestamp `c`.
    fn frac_nanos(&self, c: &str) -> String {
        match self.dialect {
            Dialect::Postgres => format!(
                "CAST((EXTRACT(EPOCH FROM {c}) - FLOOR(EXTRACT(EPOCH FROM {c}))) * 1000000000 AS BIGINT)"
            ),
            Dialect::MySql => format!("(MICROSECOND({c}) * 1000)"),
            Dialect::Sqlite => format!(
                "(CASE WHEN substr({c}, 20, 1) = '.' THEN CAST(substr(substr({c}, 21, \
                 instr({c}, '+') - 21) || '000000000', 1, 9) AS INTEGER) ELSE 0 END)"
            ),
        }
    }

    /// Keeps a derived table from being merged into the query around it, so
    /// that its columns are computed once per row instead of being copied
    /// into every expression that uses them (PostgreSQL pulls subqueries up
    /// and then JIT-compiles the copies; SQLite flattens them): `OFFSET 0`
    /// on PostgreSQL, `LIMIT -1 OFFSET 0` on SQLite (a subquery with an
    /// `OFFSET` is never flattened), nothing on MariaDB.
    fn fence(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => " OFFSET 0",
            Dialect::Sqlite => " LIMIT -1 OFFSET 0",
            Dialect::MySql => "",
        }
    }

    /// The 64-bit integer type of `CAST`.
    fn int_type(&self) -> &'static str {
        match self.dialect {
            Dialect::MySql => "SIGNED",
            _ => "BIGINT",
        }
    }

    fn div(&self, a: &str, b: i64) -> String {
        self.dialect.int_div(a, &b.to_string())
    }

    /// Business seconds from the epoch to local second `l` (a column of
    /// local epoch seconds): weeks, the working part of the week, minus
    /// the holidays before `l`.
    fn business_before(&self, hours: &BusinessHours, l: &str) -> String {
        let days = hours.days();
        let week: i64 = days.iter().flatten().map(|(s, e)| i64::from(e - s)).sum();
        let d = self.div(l, 86_400);
        let r = format!("({l} % 86400)");
        let dow = format!("({d} % 7)");
        let wk = self.div(&d, 7);
        let mut within = format!("(CASE {dow}");
        let mut prefix = 0i64;
        for (i, day) in days.iter().enumerate() {
            match day {
                Some((s, e)) => {
                    let (s, e) = (i64::from(*s), i64::from(*e));
                    within.push_str(&format!(
                        " WHEN {i} THEN (CASE WHEN {r} < {s} THEN {prefix} WHEN {r} < {e} THEN {r} - {} ELSE {} END)",
                        s - prefix,
                        prefix + e - s
                    ));
                    prefix += e - s;
                }
                None => within.push_str(&format!(" WHEN {i} THEN {prefix}")),
            }
        }
        within.push_str(" END)");
        let mut holidays = String::from("0");
        let mut spans: Vec<(i64, i64)> = hours
            .holidays()
            .iter()
            .filter_map(|h| {
                hours.interval(chrono::Datelike::weekday(h)).map(|(s, e)| {
                    let base = day_number(*h) * 86_400;
                    (base + i64::from(s), base + i64::from(e))
                })
            })
            .collect();
        spans.sort_unstable();
        if !spans.is_empty() {
            let mut chain = String::from("(CASE");
            let mut before = 0i64;
            for (s, e) in &spans {
                chain.push_str(&format!(
                    " WHEN {l} < {s} THEN {before} WHEN {l} < {e} THEN {l} - {}",
                    s - before
                ));
                before += e - s;
            }
            chain.push_str(&format!(" ELSE {before} END)"));
            holidays = chain;
        }
        format!("({wk} * {week} + {within} - {holidays})")
    }

    /// 1 when local second `l` is working time, else 0.
    fn working(&self, hours: &BusinessHours, l: &str) -> String {
        let d = self.div(l, 86_400);
        let r = format!("({l} % 86400)");
        let mut case = format!("(CASE ({d} % 7)");
        for (i, day) in hours.days().iter().enumerate() {
            if let Some((s, e)) = day {
                case.push_str(&format!(
                    " WHEN {i} THEN (CASE WHEN {r} >= {s} AND {r} < {e} THEN 1 ELSE 0 END)"
                ));
            }
        }
        case.push_str(" ELSE 0 END)");
        let days: Vec<String> = hours
            .holidays()
            .iter()
            .filter(|h| hours.interval(chrono::Datelike::weekday(*h)).is_some())
            .map(|h| day_number(*h).to_string())
            .collect();
        if days.is_empty() {
            case
        } else {
            format!(
                "(CASE WHEN {d} IN ({}) THEN 0 ELSE {case} END)",
                days.join(", ")
            )
        }
    }

    /// The columns every ticket branch selects.
    fn branch_columns(
        &self,
        c_in: &str,
        r_in: &str,
        o_in: &str,
        resolved_cond: Option<&str>,
    ) -> String {
        let t = |c: &str| self.col("t", c);
        let cv = |c: &str| self.col("cv", c);
        // Exactly one public agent reply, looked up only for tickets
        // resolved in the window, over the conversations' (merchant_id,
        // ticket_id) index.
        let one_touch = match resolved_cond {
            Some(cond) => format!(
                "CASE WHEN {cond} AND (SELECT COUNT(*) FROM {conv} AS {cvq} WHERE {} = <<m>> AND {} = {} \
                 AND NOT {} AND NOT {}) = 1 THEN 1 ELSE 0 END",
                cv("merchant_id"),
                cv("ticket_id"),
                t("id"),
                cv("incoming"),
                cv("private"),
                conv = self.dialect_quote("freshdesk_conversation"),
                cvq = self.dialect_quote("cv"),
            ),
            None => "0".to_owned(),
        };
        let mut cols = vec![
            format!("{} AS id", t("id")),
            format!("{c_in} AS c_in"),
            format!("{r_in} AS r_in"),
            format!("{o_in} AS o_in"),
            format!("{one_touch} AS one_touch"),
        ];
        for c in [
            "created_at",
            "resolved_at",
            "status",
            "priority",
            "responder_id",
            "first_response_time",
            "first_responded_at",
            "fr_due_by",
            "due_by",
        ] {
            cols.push(format!("{} AS {}", t(c), self.dialect_quote(c)));
        }
        cols.join(", ")
    }

    fn dialect_quote(&self, ident: &str) -> String {
        match self.dialect {
            Dialect::MySql => format!("`{ident}`"),
            _ => format!("\"{ident}\""),
        }
    }

    /// The window's tickets, each once: created in the window, else
    /// resolved in the window, else reopened in the window; spam and deleted
    /// tickets left out.
    fn window_rows(&self) -> String {
        let t = |c: &str| self.col("t", c);
        let table = "freshdesk_unified_ticket_view";
        let q = |s: &str| self.dialect_quote(s);
        let inside = |c: &str| format!("{} >= <<start>> AND {} < <<end>>", t(c), t(c));
        let outside = |c: &str| {
            format!(
                "({} IS NULL OR {} < <<start>> OR {} >= <<end>>)",
                t(c),
                t(c),
                t(c)
            )
        };
        let flag = |c: &str| format!("CASE WHEN {} THEN 1 ELSE 0 END", inside(c));
        let base = format!(
            "SELECT {{cols}} FROM {} AS {} WHERE {} = <<m>> AND {}",
            q(table),
            q("t"),
            t("merchant_id"),
            self.not_flagged("t")
        );
        let created = base.replace(
            "{cols}",
            &self.branch_columns(
                "1",
                &flag("resolved_at"),
                &flag("reopened_at"),
                Some(&inside("resolved_at")),
            ),
        ) + &format!(" AND {}", inside("created_at"));
        let resolved = base.replace(
            "{cols}",
            &self.branch_columns("0", "1", &flag("reopened_at"), Some("1 = 1")),
        ) + &format!(
            " AND {} AND {}",
            inside("resolved_at"),
            outside("created_at")
        );
        let reopened = base.replace("{cols}", &self.branch_columns("0", "0", "1", None))
            + &format!(
                " AND {} AND {} AND {}",
                inside("reopened_at"),
                outside("created_at"),
                outside("resolved_at")
            );
        format!("{created} UNION ALL {resolved} UNION ALL {reopened}")
    }

    /// The window rows with their derived figures: calendar resolution,
    /// one-touch flag, and (with a schedule) business durations.
    fn measured_rows(&self) -> String {
        let u = |c: &str| self.col("u", c);
        let res_secs = self
            .dialect
            .seconds_between(&u("created_at"), &u("resolved_at"));
        let mut cols = vec![
            format!("{}.*", self.dialect_quote("u")),
            format!("CASE WHEN {} = 1 THEN {res_secs} END AS res_x", u("r_in")),
        ];
        let Some(hours) = self.hours else {
            let int = self.int_type();
            cols.push(format!("CAST(NULL AS {int}) AS frb_x"));
            cols.push(format!("CAST(NULL AS {int}) AS resb_x"));
            return format!(
                "SELECT {} FROM ({}) AS {}{}",
                cols.join(", "),
                self.window_rows(),
                self.dialect_quote("u"),
                self.fence()
            );
        };
        // Layer 1: local epoch seconds and fractions of the three instants.
        let off = i64::from(self.w.offset().seconds());
        let fr_end_s = format!(
            "CASE WHEN {fa} IS NOT NULL THEN {} ELSE {} + {frt} END",
            self.abs_secs(&u("first_responded_at")),
            self.abs_secs(&u("created_at")),
            fa = u("first_responded_at"),
            frt = u("first_response_time"),
        );
        let fr_end_f = format!(
            "CASE WHEN {fa} IS NOT NULL THEN {} ELSE {} END",
            self.frac_nanos(&u("first_responded_at")),
            self.frac_nanos(&u("created_at")),
            fa = u("first_responded_at"),
        );
        let l1 = format!(
            "SELECT {cols}, {cs} + {off} AS lc, {cf} AS fc, {fs} + {off} AS lf, {ff} AS ff, \
             {rs} + {off} AS lr, {rf} AS fr FROM ({rows}) AS {uq}{fence}",
            cols = cols.join(", "),
            cs = self.abs_secs(&u("created_at")),
            cf = self.frac_nanos(&u("created_at")),
            fs = fr_end_s,
            ff = fr_end_f,
            rs = self.abs_secs(&u("resolved_at")),
            rf = self.frac_nanos(&u("resolved_at")),
            rows = self.window_rows(),
            uq = self.dialect_quote("u"),
            fence = self.fence(),
        );
        // Layer 2: business seconds before each instant, and whether its
        // second is working.
        let v = |c: &str| self.col("v", c);
        let l2 = format!(
            "SELECT {vq}.*, {bc} AS bc, {wc} AS wc, {bf} AS bf, {wf} AS wf, {br} AS br, {wr} AS wr \
             FROM ({l1}) AS {vq}{fence}",
            vq = self.dialect_quote("v"),
            bc = self.business_before(hours, &v("lc")),
            wc = self.working(hours, &v("lc")),
            bf = self.business_before(hours, &v("lf")),
            wf = self.working(hours, &v("lf")),
            br = self.business_before(hours, &v("lr")),
            wr = self.working(hours, &v("lr")),
            fence = self.fence(),
        );
        // Layer 3: the durations, truncated toward zero once.
        let x = |c: &str| self.col("x", c);
        let diff = |b: &str, wb: &str, fb: &str| {
            let whole = format!("({} - {})", x(b), x("bc"));
            let frac = format!("({} * {} - {} * {})", x(wb), x(fb), x("wc"), x("fc"));
            format!(
                "(CASE WHEN {whole} > 0 AND {frac} < 0 THEN {whole} - 1 \
                 WHEN {whole} < 0 AND {frac} > 0 THEN {whole} + 1 ELSE {whole} END)"
            )
        };
        format!(
            "SELECT {xq}.*, CASE WHEN {c_in} = 1 AND {frt} IS NOT NULL THEN {frb} END AS frb_x, \
             CASE WHEN {r_in} = 1 THEN {resb} END AS resb_x FROM ({l2}) AS {xq}{fence}",
            xq = self.dialect_quote("x"),
            c_in = x("c_in"),
            frt = x("first_response_time"),
            r_in = x("r_in"),
            frb = diff("bf", "wf", "ff"),
            resb = diff("br", "wr", "fr"),
            fence = self.fence(),
        )
    }

    /// Statement 1: the totals row.
    fn totals_sql(&self) -> Sql {
        let m = |c: &str| self.col("m", c);
        let s = |c: &str| self.col("s", c);
        let fr_x = format!(
            "CASE WHEN {} = 1 THEN {} END",
            m("c_in"),
            m("first_response_time")
        );
        let mut window_cols = vec![format!("{}.*", self.dialect_quote("m"))];
        let durations = [
            ("fr", fr_x),
            ("res", m("res_x")),
            ("frb", m("frb_x")),
            ("resb", m("resb_x")),
        ];
        for (k, x) in &durations {
            window_cols.push(format!("{x} AS {k}_v"));
            window_cols.push(format!(
                "ROW_NUMBER() OVER (ORDER BY CASE WHEN {x} IS NULL THEN 1 ELSE 0 END, {x}) AS {k}_rn"
            ));
            window_cols.push(format!("COUNT({x}) OVER () AS {k}_cnt"));
        }
        let created =
            |cond: &str| format!("COUNT(CASE WHEN {} = 1 AND {cond} THEN 1 END)", s("c_in"));
        let mut out = vec![
            format!(
                "COUNT(CASE WHEN {} = 1 THEN 1 END) AS tickets_created",
                s("c_in")
            ),
            format!(
                "COUNT(CASE WHEN {} = 1 THEN 1 END) AS tickets_resolved",
                s("r_in")
            ),
            format!("COUNT(CASE WHEN {} = 1 THEN 1 END) AS reopened", s("o_in")),
            format!(
                "COUNT(CASE WHEN {} = 1 THEN 1 END) AS one_touch_resolved",
                s("one_touch")
            ),
        ];
        for status in [
            TicketStatus::Open,
            TicketStatus::Pending,
            TicketStatus::Resolved,
            TicketStatus::Closed,
            TicketStatus::WaitingOnCustomer,
            TicketStatus::WaitingOnThirdParty,
        ] {
            let code = status.code();
            out.push(format!(
                "{} AS s{code}",
                created(&format!("{} = {code}", s("status")))
            ));
        }
        for priority in [
            Priority::Low,
            Priority::Medium,
            Priority::High,
            Priority::Urgent,
        ] {
            let code = priority.code();
            out.push(format!(
                "{} AS p{code}",
                created(&format!("{} = {code}", s("priority")))
            ));
        }
        let breached = |due: &str, done: &str| {
            created(&format!(
                "{due} IS NOT NULL AND ({done} > {due} OR ({done} IS NULL AND {due} < <<now>>))",
                due = s(due),
                done = s(done)
            ))
        };
        out.push(format!(
            "{} AS fr_breached",
            breached("fr_due_by", "first_responded_at")
        ));
        out.push(format!(
            "{} AS res_breached",
            breached("due_by", "resolved_at")
        ));
        for (k, _) in &durations {
            let (x, rn, cnt) = (
                s(&format!("{k}_v")),
                s(&format!("{k}_rn")),
                s(&format!("{k}_cnt")),
            );
            out.push(format!("COUNT({x}) AS {k}_n"));
            out.push(format!("{} AS {k}_avg", self.dialect.avg(&x)));
            out.push(format!("MIN({x}) AS {k}_min"));
            out.push(format!("MAX({x}) AS {k}_max"));
            for (tenths, name) in [(5, "p50"), (9, "p90")] {
                let scaled = format!("({tenths} * ({cnt} - 1))");
                let lo = format!("({} + 1)", self.dialect.int_div(&scaled, "10"));
                let lo_val = format!("MAX(CASE WHEN {rn} = {lo} THEN {x} END)");
                let hi_val =
                    format!("COALESCE(MAX(CASE WHEN {rn} = {lo} + 1 THEN {x} END), {lo_val})");
                let frac = format!(
                    "MAX({} / 10)",
                    self.dialect.double(&format!("{scaled} % 10"))
                );
                let (lo_val, hi_val) = (self.dialect.double(&lo_val), self.dialect.double(&hi_val));
                out.push(format!(
                    "{lo_val} + ({hi_val} - {lo_val}) * {frac} AS {k}_{name}"
                ));
            }
        }
        Sql {
            dialect: self.dialect,
            text: format!(
                "SELECT {} FROM (SELECT {} FROM ({}) AS {}) AS {}",
                out.join(", "),
                window_cols.join(", "),
                self.measured_rows(),
                self.dialect_quote("m"),
                self.dialect_quote("s")
            ),
        }
    }

    /// Statement 2: the daily series and the agent rows.
    fn groups_sql(&self) -> Sql {
        let m = |c: &str| self.col("m", c);
        let e = |c: &str| self.col("e", c);
        let g = |c: &str| self.col("g", c);
        let a = |c: &str| self.col("a", c);
        let k = self.col("k", "k");
        let offset = self.w.offset();
        let kinds = "SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3";
        let day = format!(
            "CASE {k} WHEN 1 THEN {} WHEN 2 THEN {} END",
            self.dialect.local_day(&m("created_at"), offset),
            self.dialect.local_day(&m("resolved_at"), offset)
        );
        let events = format!(
            "SELECT {k} AS kind, {day} AS day, CASE WHEN {k} = 3 THEN {resp} END AS resp, \
             {frt} AS frt, {ot} AS one_touch FROM ({rows}) AS {mq} CROSS JOIN ({kinds}) AS {kq} \
             WHERE ({k} = 1 AND {c_in} = 1) OR ({k} = 2 AND {r_in} = 1) \
             OR ({k} = 3 AND {r_in} = 1 AND {resp} IS NOT NULL)",
            resp = m("responder_id"),
            frt = m("first_response_time"),
            ot = m("one_touch"),
            // The daily series and the agents need no business time.
            rows = Plan {
                dialect: self.dialect,
                w: self.w,
                hours: None,
            }
            .measured_rows(),
            mq = self.dialect_quote("m"),
            kq = self.dialect_quote("k"),
            c_in = m("c_in"),
            r_in = m("r_in"),
        );
        let grouped = format!(
            "SELECT {kind} AS kind, {day} AS day, {resp} AS resp, COUNT(*) AS n, \
             {avg} AS avg_frt, SUM({ot}) AS one_touch FROM ({events}) AS {eq} \
             GROUP BY {kind}, {day}, {resp}",
            kind = e("kind"),
            day = e("day"),
            resp = e("resp"),
            avg = self.dialect.avg(&e("frt")),
            ot = e("one_touch"),
            eq = self.dialect_quote("e"),
        );
        let name = a("name");
        Sql {
            dialect: self.dialect,
            text: format!(
                "SELECT CAST({kind} AS {int}) AS kind, {day} AS day, {resp} AS resp, {n} AS n, {avg} AS avg_frt, \
                 CAST({ot} AS {int}) AS one_touch, \
                 CASE WHEN LENGTH({name}) = 0 THEN NULL ELSE {name} END AS name \
                 FROM ({grouped}) AS {gq} LEFT JOIN {agent} AS {aq} \
                 ON {am} = <<m>> AND {aid} = {resp} \
                 ORDER BY {kind}, {n} DESC, {resp}, {day}",
                kind = g("kind"),
                day = g("day"),
                resp = g("resp"),
                n = g("n"),
                avg = g("avg_frt"),
                ot = g("one_touch"),
                int = self.int_type(),
                gq = self.dialect_quote("g"),
                agent = self.dialect_quote("freshdesk_agent"),
                aq = self.dialect_quote("a"),
                am = a("merchant_id"),
                aid = a("id"),
            ),
        }
    }

    /// Statement 4: open backlog by age, and CSAT.
    fn backlog_csat_sql(&self) -> Sql {
        let t = |c: &str| self.col("t", c);
        let r = |c: &str| self.col("r", c);
        let open: Vec<String> = TicketStatus::OPEN
            .iter()
            .map(|s| s.code().to_string())
            .collect();
        let created = t("created_at");
        let backlog = format!(
            "SELECT COUNT(*) AS open_backlog, \
             COUNT(CASE WHEN {created} > <<d1>> THEN 1 END) AS lt_1d, \
             COUNT(CASE WHEN {created} <= <<d1>> AND {created} > <<d3>> THEN 1 END) AS d1_3, \
             COUNT(CASE WHEN {created} <= <<d3>> AND {created} > <<d7>> THEN 1 END) AS d3_7, \
             COUNT(CASE WHEN {created} <= <<d7>> THEN 1 END) AS ge_7d \
             FROM {table} AS {tq} WHERE {tm} = <<m>> AND {status} IN ({open}) AND {nf}",
            table = self.dialect_quote("freshdesk_unified_ticket_view"),
            tq = self.dialect_quote("t"),
            tm = t("merchant_id"),
            status = t("status"),
            open = open.join(", "),
            nf = self.not_flagged("t"),
        );
        let rating = r("rating");
        let positive = format!(
            "COUNT(CASE WHEN {rating} > {} THEN 1 END)",
            crate::entity::rating::POSITIVE_THRESHOLD
        );
        let csat = format!(
            "SELECT COUNT(*) AS ratings, {positive} AS positive, \
             {pct} * 100 / NULLIF(COUNT(*), 0) AS csat_pct \
             FROM {rt} AS {rq} JOIN {table} AS {tq} ON {tm} = {rm} AND {tid} = {rtid} \
             WHERE {rm} = <<m>> AND {rc} >= <<start>> AND {rc} < <<end>> AND {nf}",
            pct = self.dialect.double(&positive),
            rt = self.dialect_quote("freshdesk_rating"),
            rq = self.dialect_quote("r"),
            table = self.dialect_quote("freshdesk_unified_ticket_view"),
            tq = self.dialect_quote("t"),
            tm = t("merchant_id"),
            rm = r("merchant_id"),
            tid = t("id"),
            rtid = r("ticket_id"),
            rc = r("created_at"),
            nf = self.not_flagged("t"),
        );
        Sql {
            dialect: self.dialect,
            text: format!(
                "SELECT {b}.*, {c}.* FROM ({backlog}) AS {b} CROSS JOIN ({csat}) AS {c}",
                b = self.dialect_quote("b"),
                c = self.dialect_quote("c"),
            ),
        }
    }
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

/// What statement 1 gives.
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

/// One agent row of statement 2.
pub(crate) struct AgentGroup {
    pub(crate) responder_id: AgentId,
    pub(crate) name: Option<String>,
    pub(crate) resolved: u64,
    pub(crate) one_touch: u64,
    pub(crate) avg_first_response_secs: Option<f64>,
}

/// What statement 2 gives.
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

/// What statement 4 gives.
pub(crate) struct BacklogCsat {
    pub(crate) open_backlog: u64,
    pub(crate) ages: [u64; 4],
    pub(crate) ratings: u64,
    pub(crate) positive: u64,
    pub(crate) csat_pct: Option<f64>,
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

async fn one<R: FromQueryResult, C: ConnectionTrait>(db: &C, stmt: Statement) -> Result<R> {
    R::find_by_statement(stmt).one(db).await?.ok_or_else(|| {
        Error::Database(sea_orm::DbErr::RecordNotFound(
            "an aggregate statement returned no row".to_owned(),
        ))
    })
}

impl Plan<'_> {
    /// Statement 1.
    pub(crate) async fn totals<C: ConnectionTrait>(&self, db: &C) -> Result<Totals> {
        let r: TotalsRow = one(db, self.totals_sql().statement(&self.binds()?)?).await?;
        Ok(Totals {
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
        })
    }

    /// Statement 2.
    pub(crate) async fn groups<C: ConnectionTrait>(&self, db: &C) -> Result<Groups> {
        let rows = GroupRow::find_by_statement(self.groups_sql().statement(&self.binds()?)?)
            .all(db)
            .await?;
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
        Ok(Groups { days, agents })
    }

    /// Statement 4.
    pub(crate) async fn backlog_csat<C: ConnectionTrait>(&self, db: &C) -> Result<BacklogCsat> {
        let r: BacklogCsatRow = one(db, self.backlog_csat_sql().statement(&self.binds()?)?).await?;
        Ok(BacklogCsat {
            open_backlog: count(r.open_backlog),
            ages: [r.lt_1d, r.d1_3, r.d3_7, r.ge_7d].map(count),
            ratings: count(r.ratings),
            positive: count(r.positive),
            csat_pct: r.csat_pct,
        })
    }
}
