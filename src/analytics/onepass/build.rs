//! SQL pieces of the report's statements: binds, flags, business-time
//! expressions and the window's rows (see the parent module).

use super::*;

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

    /// Business seconds from the epoch to local second `l` (a column of
    /// local epoch seconds): weeks, the working part of the week, minus
    /// the holidays before `l`.
    pub(super) fn business_before(&self, hours: &BusinessHours, l: &str) -> String {
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
    pub(super) fn working(&self, hours: &BusinessHours, l: &str) -> String {
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
}
