//! The report's statements assembled from the pieces in `build`.

use super::*;

impl Plan<'_> {
    /// Statement 1: the totals row.
    pub(super) fn totals_sql(&self) -> Sql {
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
    pub(super) fn groups_sql(&self) -> Sql {
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
