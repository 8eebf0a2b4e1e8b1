//! SQL pieces of the report's statements: binds, flags, business-time
//! expressions and the window's rows (see the parent module).

use super::*;

/// PostgreSQL: timestamp `c` is within 1990 to 2060, where the float
/// `date_part('epoch', …)` of it, or of the difference of two such
/// instants, is exact to well under a microsecond (see
/// [`Plan::secs_and_nanos`]).
fn fast_range(c: &str) -> String {
    format!(
        "{c} >= TIMESTAMPTZ '1990-01-01 00:00:00+00' AND {c} < TIMESTAMPTZ '2060-01-01 00:00:00+00'"
    )
}

impl Plan<'_> {
    pub(super) fn col(&self, table: &str, column: &str) -> String {
        self.dialect.col(table, column)
    }

    pub(super) fn binds(&self) -> Result<Vec<(&'static str, Value)>> {
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
    pub(super) fn not_flagged(&self, table: &str) -> String {
        let (spam, deleted) = (self.col(table, "spam"), self.col(table, "deleted"));
        format!("NOT {spam} AND NOT {deleted}")
    }

    /// Whole seconds since the arithmetic's epoch (floor) of timestamp `c`.
    pub(super) fn abs_secs(&self, c: &str) -> String {
        match self.dialect {
            // `date_part` is a float (`EXTRACT` a slower numeric): the epoch
            // less its exact fraction, rounded, is the whole second for
            // every instant PostgreSQL stores (an error far below 0.5 s).
            Dialect::Postgres => format!(
                "(CAST(ROUND(date_part('epoch', {c}) - CAST({} AS DOUBLE PRECISION) / 1000000000) \
                 AS BIGINT) + {})",
                self.frac_nanos(c),
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

    /// Whole seconds since the arithmetic's epoch ([`Plan::abs_secs`]) and
    /// nanoseconds past that second ([`Plan::frac_nanos`]) of timestamp `c`.
    ///
    /// On PostgreSQL, `e` is `date_part('epoch', c)`, computed once per row
    /// by the window's branches: from 1990 to 2060 its floor is the whole
    /// second and its fraction rounds to the exact microsecond (a float of
    /// at most 2^32 seconds errs by less than 0.4 µs; checked against
    /// `EXTRACT` on two million random instants and every second's edges),
    /// so two float operations replace three `date_part` calls and two
    /// time-zone conversions; other instants take the exact path.
    pub(super) fn secs_and_nanos(&self, c: &str, e: &str) -> (String, String) {
        let (secs, nanos) = (self.abs_secs(c), self.frac_nanos(c));
        if self.dialect != Dialect::Postgres {
            return (secs, nanos);
        }
        let fast = fast_range(c);
        (
            format!(
                "(CASE WHEN {fast} THEN CAST(floor({e}) AS BIGINT) + {} ELSE {secs} END)",
                (CE_TO_UNIX_DAYS + SHIFT_DAYS) * 86_400
            ),
            format!(
                "(CASE WHEN {fast} THEN CAST(round(({e} - floor({e})) * 1000000) AS BIGINT) * 1000 \
                 ELSE {nanos} END)"
            ),
        )
    }

    /// Nanoseconds past the whole second of timestamp `c`.
    pub(super) fn frac_nanos(&self, c: &str) -> String {
        match self.dialect {
            // Seconds and microseconds of the UTC minute, exact in a float.
            Dialect::Postgres => format!(
                "(CAST(date_part('microseconds', {c} AT TIME ZONE 'UTC') AS BIGINT) % 1000000 * 1000)"
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
    pub(super) fn fence(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => " OFFSET 0",
            Dialect::Sqlite => " LIMIT -1 OFFSET 0",
            Dialect::MySql => "",
        }
    }

    /// The local day of timestamp column `c`, as the first level of the
    /// groups statement groups it: a `DATE` on PostgreSQL (formatting is
    /// left to [`Plan::day_text`], once per group instead of once per row),
    /// the `YYYY-MM-DD` text elsewhere.
    pub(super) fn day_key(&self, c: &str, offset: crate::time::UtcOffset) -> String {
        match self.dialect {
            Dialect::Postgres => format!(
                "CAST(({c} AT TIME ZONE 'UTC') + INTERVAL '{} seconds' AS DATE)",
                offset.seconds()
            ),
            _ => self.dialect.local_day(c, offset),
        }
    }

    /// A [`Plan::day_key`] as `YYYY-MM-DD` text.
    pub(super) fn day_text(&self, key: &str) -> String {
        match self.dialect {
            Dialect::Postgres => format!("to_char({key}, 'YYYY-MM-DD')"),
            _ => key.to_owned(),
        }
    }

    /// The 64-bit integer type of `CAST`.
    pub(super) fn int_type(&self) -> &'static str {
        match self.dialect {
            Dialect::MySql => "SIGNED",
            _ => "BIGINT",
        }
    }

    pub(super) fn div(&self, a: &str, b: i64) -> String {
        self.dialect.int_div(a, &b.to_string())
    }

    /// `2 × B + W` for local second `l` (a column of local epoch seconds):
    /// `B` the business seconds from the epoch to `l` (whole weeks, the
    /// working part of `l`'s week, minus the working seconds of the
    /// holidays before `l`), `W` 1 when the second `l` is working time (in
    /// its weekday's interval and not on a holiday), else 0. One expression
    /// gives both, so each instant's day, weekday and holiday are found once:
    /// every branch of the weekday `CASE` and of the holiday chain yields
    /// twice its business seconds, plus 1 inside a working interval (which a
    /// holiday's interval then cancels). Never negative: `B / 2` and `B % 2`
    /// (the caller's) take it apart.
    pub(super) fn business_code(&self, hours: &BusinessHours, l: &str) -> String {
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
                        " WHEN {i} THEN (CASE WHEN {r} < {s} THEN {} WHEN {r} < {e} THEN 2 * {r} - {} ELSE {} END)",
                        2 * prefix,
                        2 * (s - prefix) - 1,
                        2 * (prefix + e - s)
                    ));
                    prefix += e - s;
                }
                None => within.push_str(&format!(" WHEN {i} THEN {}", 2 * prefix)),
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
        if let (Some(first), Some(last)) = (spans.first(), spans.last()) {
            let total: i64 = spans.iter().map(|(s, e)| e - s).sum();
            // Instants after the last holiday (the usual case) or before
            // the first decided by one comparison each.
            let mut chain = format!(
                "(CASE WHEN {l} >= {} THEN {} WHEN {l} < {} THEN 0",
                last.1,
                2 * total,
                first.0
            );
            let mut before = 0i64;
            for (s, e) in &spans {
                chain.push_str(&format!(
                    " WHEN {l} < {s} THEN {} WHEN {l} < {e} THEN 2 * {l} - {}",
                    2 * before,
                    2 * (s - before) - 1
                ));
                before += e - s;
            }
            chain.push_str(&format!(" ELSE {} END)", 2 * before));
            holidays = chain;
        }
        format!("({wk} * {} + {within} - {holidays})", 2 * week)
    }

    /// The columns every ticket branch selects.
    pub(super) fn branch_columns(
        &self,
        c_in: &str,
        r_in: &str,
        o_in: &str,
        resolved_cond: Option<&str>,
    ) -> String {
        let t = |c: &str| self.col("t", c);
        let cv = |c: &str| self.col("cv", c);
        // Exactly one public agent reply, looked up only for tickets
        // resolved in the window (a nested CASE: with `AND`, a null
        // `resolved_at` would still run the subquery), over the
        // conversations' (merchant_id, ticket_id) index.
        let one_touch = match resolved_cond {
            Some(cond) => format!(
                "CASE WHEN {cond} THEN (CASE WHEN (SELECT COUNT(*) FROM {conv} AS {cvq} \
                 WHERE {} = <<m>> AND {} = {} AND NOT {} AND NOT {}) = 1 THEN 1 ELSE 0 END) ELSE 0 END",
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
        let mut cols = Vec::new();
        if self.hours.is_some() && self.dialect == Dialect::Postgres {
            // The epoch floats of the instants the business durations use
            // (see `secs_and_nanos`), each once, only where needed: the
            // first response of a ticket created in the window, the
            // resolution of one resolved in it.
            let epoch = |c: &str| format!("date_part('epoch', {})", t(c));
            cols.push(format!("{} AS ec", epoch("created_at")));
            let fa = if c_in == "1" {
                epoch("first_responded_at")
            } else {
                "CAST(NULL AS DOUBLE PRECISION)".to_owned()
            };
            cols.push(format!("{fa} AS ef"));
            let er = match resolved_cond {
                Some(cond) => format!("CASE WHEN {cond} THEN {} END", epoch("resolved_at")),
                None => "CAST(NULL AS DOUBLE PRECISION)".to_owned(),
            };
            cols.push(format!("{er} AS er"));
        }
        cols.extend([
            format!("{} AS id", t("id")),
            format!("{c_in} AS c_in"),
            format!("{r_in} AS r_in"),
            format!("{o_in} AS o_in"),
            format!("{one_touch} AS one_touch"),
        ]);
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

    pub(super) fn dialect_quote(&self, ident: &str) -> String {
        match self.dialect {
            Dialect::MySql => format!("`{ident}`"),
            _ => format!("\"{ident}\""),
        }
    }

    /// The window's tickets, each once: created in the window, else
    /// resolved in the window, else reopened in the window; spam and deleted
    /// tickets left out.
    pub(super) fn window_rows(&self) -> String {
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
    pub(super) fn measured_rows(&self) -> String {
        let u = |c: &str| self.col("u", c);
        let mut res_secs = self
            .dialect
            .seconds_between(&u("created_at"), &u("resolved_at"));
        if self.dialect == Dialect::Postgres {
            // The numeric `EXTRACT` is exact everywhere and slow; between
            // 1990 and 2060 the float `date_part` of the interval (whole
            // days × 86,400 plus the rest of a day) is exact to well under
            // a microsecond, so it truncates to the same second.
            let fast = format!(
                "{} AND {}",
                fast_range(&u("created_at")),
                fast_range(&u("resolved_at"))
            );
            res_secs = format!(
                "(CASE WHEN {fast} THEN CAST(trunc(date_part('epoch', {} - {})) AS BIGINT) \
                 ELSE {res_secs} END)",
                u("resolved_at"),
                u("created_at")
            );
        }
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
        // Layer 1: local epoch seconds and fractions of the three instants,
        // the first response only for tickets created in the window with
        // one, the resolution only for tickets resolved in it (the only
        // rows whose business durations are measured; null elsewhere).
        let off = i64::from(self.w.offset().seconds());
        let (cs, cf) = self.secs_and_nanos(&u("created_at"), &u("ec"));
        let (fs, ff) = self.secs_and_nanos(&u("first_responded_at"), &u("ef"));
        let (rs, rf) = self.secs_and_nanos(&u("resolved_at"), &u("er"));
        let fr_wanted = format!(
            "{} = 1 AND {} IS NOT NULL",
            u("c_in"),
            u("first_response_time")
        );
        let r_wanted = format!("{} = 1", u("r_in"));
        let fr_end_s = format!(
            "CASE WHEN {fr_wanted} THEN (CASE WHEN {fa} IS NOT NULL THEN {fs} ELSE {cs} + {frt} END) END",
            fa = u("first_responded_at"),
            frt = u("first_response_time"),
        );
        let fr_end_f = format!(
            "CASE WHEN {fr_wanted} THEN (CASE WHEN {fa} IS NOT NULL THEN {ff} ELSE {cf} END) END",
            fa = u("first_responded_at"),
        );
        let l1 = format!(
            "SELECT {cols}, {cs} + {off} AS lc, {cf} AS fc, {fr_end_s} + {off} AS lf, {fr_end_f} AS ff, \
             CASE WHEN {r_wanted} THEN {rs} + {off} END AS lr, CASE WHEN {r_wanted} THEN {rf} END AS fr \
             FROM ({rows}) AS {uq}{fence}",
            cols = cols.join(", "),
            rows = self.window_rows(),
            uq = self.dialect_quote("u"),
            fence = self.fence(),
        );
        // Layer 2: business seconds before each instant and whether its
        // second is working, as one code (see `business_code`).
        let v = |c: &str| self.col("v", c);
        // Skipped (null) where layer 1 left the instant null.
        let guarded = |l: &str| {
            format!(
                "CASE WHEN {} IS NOT NULL THEN {} END",
                v(l),
                self.business_code(hours, &v(l))
            )
        };
        let l2 = format!(
            "SELECT {vq}.*, {ec} AS ecode, {ef} AS fcode, {er} AS rcode \
             FROM ({l1}) AS {vq}{fence}",
            vq = self.dialect_quote("v"),
            ec = self.business_code(hours, &v("lc")),
            ef = guarded("lf"),
            er = guarded("lr"),
            fence = self.fence(),
        );
        // Layer 3: the durations, truncated toward zero once.
        let x = |c: &str| self.col("x", c);
        let diff = |code: &str, fb: &str| {
            let whole = format!("({} - {})", self.div(&x(code), 2), self.div(&x("ecode"), 2));
            let frac = format!(
                "(({} % 2) * {} - ({} % 2) * {})",
                x(code),
                x(fb),
                x("ecode"),
                x("fc")
            );
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
            frb = diff("fcode", "ff"),
            resb = diff("rcode", "fr"),
            fence = self.fence(),
        )
    }
}
