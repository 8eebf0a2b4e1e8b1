//! The report's statements assembled from the pieces in `build`.

use super::*;

impl Plan<'_> {
    /// The totals row of the window rows `rows` (a `FROM` item aliased `m`).
    ///
    /// The percentiles interpolate between the values of ranks
    /// `p × (n − 1) + 1` and the next, with the same float arithmetic on
    /// every backend. PostgreSQL and SQLite find those values in one sorted
    /// array per duration (`array_agg(x ORDER BY x)`, `json_group_array(x
    /// ORDER BY x)`: a sort of the values alone, not of the rows), read by
    /// an outer query; MariaDB numbers the rows with `ROW_NUMBER()`.
    /// With `restore` (PostgreSQL), the row also puts back the planner
    /// settings bound as `jit_was`, `par_was` and `mem_was`.
    /// Returns the text and its column names, in order.
    pub(super) fn totals_sql(&self, restore: bool, rows: &str) -> (String, Vec<String>) {
        // Sorted arrays (PostgreSQL, SQLite) or row numbers (MariaDB).
        let arrays = self.dialect != Dialect::MySql;
        let m = |c: &str| self.col("m", c);
        let s = |c: &str| self.col("s", c);
        let i = |c: &str| self.col("i", c);
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
            if !arrays {
                window_cols.push(format!(
                    "ROW_NUMBER() OVER (ORDER BY CASE WHEN {x} IS NULL THEN 1 ELSE 0 END, {x}) AS {k}_rn"
                ));
                window_cols.push(format!("COUNT({x}) OVER () AS {k}_cnt"));
            }
        }
        let created =
            |cond: &str| format!("COUNT(CASE WHEN {} = 1 AND {cond} THEN 1 END)", s("c_in"));
        // (expression, name) of the aggregate row.
        let mut out: Vec<(String, String)> = vec![
            (
                format!("COUNT(CASE WHEN {} = 1 THEN 1 END)", s("c_in")),
                "tickets_created".to_owned(),
            ),
            (
                format!("COUNT(CASE WHEN {} = 1 THEN 1 END)", s("r_in")),
                "tickets_resolved".to_owned(),
            ),
            (
                format!("COUNT(CASE WHEN {} = 1 THEN 1 END)", s("o_in")),
                "reopened".to_owned(),
            ),
            (
                format!("COUNT(CASE WHEN {} = 1 THEN 1 END)", s("one_touch")),
                "one_touch_resolved".to_owned(),
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
            out.push((
                created(&format!("{} = {code}", s("status"))),
                format!("s{code}"),
            ));
        }
        for priority in [
            Priority::Low,
            Priority::Medium,
            Priority::High,
            Priority::Urgent,
        ] {
            let code = priority.code();
            out.push((
                created(&format!("{} = {code}", s("priority"))),
                format!("p{code}"),
            ));
        }
        let breached = |due: &str, done: &str| {
            created(&format!(
                "{due} IS NOT NULL AND ({done} > {due} OR ({done} IS NULL AND {due} < <<now>>))",
                due = s(due),
                done = s(done)
            ))
        };
        out.push((
            breached("fr_due_by", "first_responded_at"),
            "fr_breached".to_owned(),
        ));
        out.push((breached("due_by", "resolved_at"), "res_breached".to_owned()));
        // Arrays: (expression over the aggregate row `i`, name).
        let mut outer: Vec<(String, String)> = Vec::new();
        for (k, _) in &durations {
            let x = s(&format!("{k}_v"));
            out.push((format!("COUNT({x})"), format!("{k}_n")));
            out.push((self.dialect.avg(&x), format!("{k}_avg")));
            out.push((format!("MIN({x})"), format!("{k}_min")));
            out.push((format!("MAX({x})"), format!("{k}_max")));
            if arrays {
                let function = match self.dialect {
                    Dialect::Postgres => "array_agg",
                    _ => "json_group_array",
                };
                out.push((
                    format!("{function}({x} ORDER BY {x}) FILTER (WHERE {x} IS NOT NULL)"),
                    format!("{k}_a"),
                ));
            }
            for (tenths, name) in [(5, "p50"), (9, "p90")] {
                if arrays {
                    let (a, n) = (i(&format!("{k}_a")), i(&format!("{k}_n")));
                    let scaled = format!("({tenths} * ({n} - 1))");
                    let lo = format!(
                        "CAST({} + 1 AS INTEGER)",
                        self.dialect.int_div(&scaled, "10")
                    );
                    // The value at 1-based rank `r` (null past the end).
                    let at = |r: &str| match self.dialect {
                        Dialect::Postgres => format!("{a}[{r}]"),
                        _ => format!("json_extract({a}, '$[' || ({r} - 1) || ']')"),
                    };
                    let lo_val = at(&lo);
                    let hi_val = format!("COALESCE({}, {lo_val})", at(&format!("{lo} + 1")));
                    let frac = format!("{} / 10", self.dialect.double(&format!("{scaled} % 10")));
                    let (lo_val, hi_val) =
                        (self.dialect.double(&lo_val), self.dialect.double(&hi_val));
                    outer.push((
                        format!("{lo_val} + ({hi_val} - {lo_val}) * {frac}"),
                        format!("{k}_{name}"),
                    ));
                    continue;
                }
                let (rn, cnt) = (s(&format!("{k}_rn")), s(&format!("{k}_cnt")));
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
                out.push((
                    format!("{lo_val} + ({hi_val} - {lo_val}) * {frac}"),
                    format!("{k}_{name}"),
                ));
            }
        }
        let aggregate = format!(
            "SELECT {} FROM (SELECT {} FROM {rows}) AS {}",
            out.iter()
                .map(|(e, n)| format!("{e} AS {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            window_cols.join(", "),
            self.dialect_quote("s")
        );
        if !arrays {
            let names = out.into_iter().map(|(_, n)| n).collect();
            return (aggregate, names);
        }
        let mut names: Vec<String> = out
            .into_iter()
            .map(|(_, n)| n)
            .filter(|n| !n.ends_with("_a"))
            .collect();
        let mut cols: Vec<String> = names.iter().map(|n| i(n)).collect();
        for (e, n) in outer {
            cols.push(format!("{e} AS {n}"));
            names.push(n);
        }
        if restore {
            cols.push("set_config('jit', <<jit_was>>, true) AS jit_restored".to_owned());
            cols.push(
                "set_config('max_parallel_workers_per_gather', <<par_was>>, true) \
                 AS par_restored"
                    .to_owned(),
            );
            cols.push("set_config('work_mem', <<mem_was>>, true) AS mem_restored".to_owned());
            names.extend(["jit_restored", "par_restored", "mem_restored"].map(String::from));
        }
        let text = format!(
            "SELECT {} FROM ({aggregate}) AS {}",
            cols.join(", "),
            self.dialect_quote("i")
        );
        (text, names)
    }

    /// Statement 3: the totals row (kind 0) and the rows of
    /// [`Plan::groups_sql`] (kinds 1 to 3), from one reading of the window:
    /// the measured rows, narrowed to the columns the two need, in a
    /// materialized CTE (`AS MATERIALIZED` on PostgreSQL and SQLite; MariaDB
    /// has no such hint and may read the window twice), so each ticket's
    /// one-touch look-up and business time are computed once. The groups
    /// come first in the `UNION ALL`, so on PostgreSQL the totals row, whose
    /// `set_config` calls put the settings back (`restore`), is computed
    /// last.
    pub(super) fn window_sql(&self, restore: bool) -> Sql {
        let q = |s: &str| self.dialect_quote(s);
        let narrowed: Vec<String> = [
            "c_in",
            "r_in",
            "o_in",
            "one_touch",
            "created_at",
            "resolved_at",
            "status",
            "priority",
            "responder_id",
            "first_response_time",
            "first_responded_at",
            "fr_due_by",
            "due_by",
            "res_x",
            "frb_x",
            "resb_x",
        ]
        .iter()
        .map(|c| self.col("q", c))
        .collect();
        let rows = format!("{} AS {}", q("w"), q("m"));
        let (totals, names) = self.totals_sql(restore, &rows);
        let pad: Vec<String> = names.iter().map(|n| format!("NULL AS {n}")).collect();
        let materialized = match self.dialect {
            Dialect::MySql => "",
            _ => " MATERIALIZED",
        };
        let union = format!(
            "SELECT {g}.*, {pad} FROM ({groups}) AS {g} UNION ALL \
             SELECT 0, NULL, NULL, NULL, NULL, NULL, NULL, {t}.* FROM ({totals}) AS {t}",
            g = q("g2"),
            t = q("t2"),
            pad = pad.join(", "),
            groups = self.groups_sql(&rows).text,
        );
        Sql {
            dialect: self.dialect,
            text: format!(
                "WITH {w} AS{materialized} (SELECT {cols} FROM ({measured}) AS {qq}) {}",
                self.ordered(&union),
                w = q("w"),
                cols = narrowed.join(", "),
                measured = self.measured_rows(),
                qq = q("q"),
            ),
        }
    }

    /// `rows` (of [`Plan::groups_sql`]'s columns) ordered as the report
    /// reads them: by kind, then count descending, responder and day.
    pub(super) fn ordered(&self, rows: &str) -> String {
        let z = |c: &str| self.col("z", c);
        format!(
            "SELECT * FROM ({rows}) AS {} ORDER BY {}, {} DESC, {}, {}",
            self.dialect_quote("z"),
            z("kind"),
            z("n"),
            z("resp"),
            z("day")
        )
    }

    /// The daily series and the agent rows of the window rows `rows` (a
    /// `FROM` item aliased `m`), unordered.
    ///
    /// Two levels: the window's rows grouped by (created day, resolved day,
    /// responder), a few hundred groups (the rows only reopened in the window
    /// form the all-null group, which no kind takes; no filter, so the
    /// planner's row estimate stays right and it hashes); then each group
    /// counted once per kind (1 created day, 2 resolved day, 3 agent) it
    /// belongs to. The
    /// agents' average first response divides the same integer sums as a
    /// one-level `AVG` would.
    pub(super) fn groups_sql(&self, rows: &str) -> Sql {
        let m = |c: &str| self.col("m", c);
        let f = |c: &str| self.col("f", c);
        let g = |c: &str| self.col("g", c);
        let a = |c: &str| self.col("a", c);
        let k = self.col("k", "k");
        let int = self.int_type();
        let offset = self.w.offset();
        let kinds = "SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3";
        let frt = m("first_response_time");
        let first = format!(
            "SELECT CASE WHEN {c_in} = 1 THEN {cday} END AS cday, \
             CASE WHEN {r_in} = 1 THEN {rday} END AS rday, \
             CASE WHEN {r_in} = 1 THEN {resp} END AS resp, COUNT(*) AS n, \
             SUM({frt}) AS frt_sum, COUNT({frt}) AS frt_n, SUM({ot}) AS ot \
             FROM {rows} \
             GROUP BY CASE WHEN {c_in} = 1 THEN {cday} END, CASE WHEN {r_in} = 1 THEN {rday} END, \
             CASE WHEN {r_in} = 1 THEN {resp} END",
            cday = self.day_key(&m("created_at"), offset),
            rday = self.day_key(&m("resolved_at"), offset),
            resp = m("responder_id"),
            ot = m("one_touch"),
            c_in = m("c_in"),
            r_in = m("r_in"),
        );
        let day = format!(
            "CASE {k} WHEN 1 THEN {} WHEN 2 THEN {} END",
            self.day_text(&f("cday")),
            self.day_text(&f("rday"))
        );
        let resp = format!("CASE WHEN {k} = 3 THEN {} END", f("resp"));
        let grouped = format!(
            "SELECT {k} AS kind, {day} AS day, {resp} AS resp, CAST(SUM({n}) AS {int}) AS n, \
             {sum} / NULLIF(CAST(SUM({frt_n}) AS {int}), 0) AS avg_frt, \
             CAST(SUM({ot}) AS {int}) AS one_touch \
             FROM ({first}) AS {fq} CROSS JOIN ({kinds}) AS {kq} \
             WHERE ({k} = 1 AND {cday} IS NOT NULL) OR ({k} = 2 AND {rday} IS NOT NULL) \
             OR ({k} = 3 AND {fresp} IS NOT NULL) \
             GROUP BY {k}, {day}, {resp}",
            n = f("n"),
            sum = self.dialect.double(&format!("SUM({})", f("frt_sum"))),
            frt_n = f("frt_n"),
            ot = f("ot"),
            fq = self.dialect_quote("f"),
            kq = self.dialect_quote("k"),
            cday = f("cday"),
            rday = f("rday"),
            fresp = f("resp"),
        );
        let name = a("name");
        Sql {
            dialect: self.dialect,
            text: format!(
                "SELECT CAST({kind} AS {int}) AS kind, {day} AS day, {resp} AS resp, {n} AS n, {avg} AS avg_frt, \
                 CAST({ot} AS {int}) AS one_touch, \
                 CASE WHEN LENGTH({name}) = 0 THEN NULL ELSE {name} END AS name \
                 FROM ({grouped}) AS {gq} LEFT JOIN {agent} AS {aq} \
                 ON {am} = <<m>> AND {aid} = {resp}",
                kind = g("kind"),
                day = g("day"),
                resp = g("resp"),
                n = g("n"),
                avg = g("avg_frt"),
                ot = g("one_touch"),
                gq = self.dialect_quote("g"),
                agent = self.dialect_quote("freshdesk_agent"),
                aq = self.dialect_quote("a"),
                am = a("merchant_id"),
                aid = a("id"),
            ),
        }
    }

    /// Statement 1: open backlog by age, and CSAT.
    pub(super) fn backlog_csat_sql(&self) -> Sql {
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
        // Each rating's ticket is looked up by its key (a correlated
        // subquery: no plan hashes the merchant's whole ticket table). Its
        // merchant is the parameter, not `r.merchant_id`: Citus routes the
        // whole statement to the merchant's shard only when every table
        // reference has its own equality to the value (correlated through
        // `r`, it planned the CSAT part on every shard, and the rest of the
        // statement, with its `set_config` calls, on the coordinator).
        let csat = format!(
            "SELECT COUNT(*) AS ratings, {positive} AS positive, \
             {pct} * 100 / NULLIF(COUNT(*), 0) AS csat_pct \
             FROM {rt} AS {rq} \
             WHERE {rm} = <<m>> AND {rc} >= <<start>> AND {rc} < <<end>> \
             AND (SELECT CASE WHEN {nf} THEN 1 ELSE 0 END FROM {table} AS {tq} \
             WHERE {tm} = <<m>> AND {tid} = {rtid}) = 1",
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
        let mut text = format!(
            "SELECT {b}.*, {c}.* FROM ({backlog}) AS {b} CROSS JOIN ({csat}) AS {c}",
            b = self.dialect_quote("b"),
            c = self.dialect_quote("c"),
        );
        if self.dialect == Dialect::Postgres {
            // The settings as found (read in a fenced subquery, before the
            // row's `set_config` calls run), then off for the next statements.
            text = text.replacen(
                "SELECT \"b\".*, \"c\".*",
                "SELECT \"b\".*, \"c\".*, \"j\".*, \
                 set_config('jit', 'off', true) AS jit_set, \
                 set_config('max_parallel_workers_per_gather', '0', true) AS par_set, \
                 set_config('work_mem', CASE WHEN pg_size_bytes(\"j\".\"mem_was\") < 33554432 \
                 THEN '32MB' ELSE \"j\".\"mem_was\" END, true) AS mem_set",
                1,
            );
            text.push_str(
                " CROSS JOIN (SELECT current_setting('jit') AS jit_was, \
                 current_setting('max_parallel_workers_per_gather') AS par_was, \
                 current_setting('work_mem') AS mem_was OFFSET 0) AS \"j\"",
            );
        }
        Sql {
            dialect: self.dialect,
            text,
        }
    }
}
