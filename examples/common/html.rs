//! The `report` example's `--format html`: one self-contained page (inline
//! CSS and inline SVG charts, no network assets, no JavaScript) with the
//! same figures as the table and the JSON.
//!
//! The page is a list of sections ([`SECTIONS`]); each is a function of the
//! report that returns its card, or `None` when the report has nothing for
//! it. A new figure of the report (backlog age, business hours, …) is a new
//! function added to that list.
//!
//! Every figure the JSON has is also in the page as a `data-field` /
//! `data-value` pair on the element that shows it (`data-field` is the
//! figure's JSON path, `daily.3.created`; `data-value` its exact value, `null`
//! when absent), so a test can check that the page says what the JSON says.
//! All text is HTML-escaped.

use std::fmt::Write as _;

use freshdesk_store::analytics::{DurationStats, Report};

/// One card of the page.
pub struct Section {
    /// Its heading.
    pub title: String,
    /// Its HTML (already escaped).
    pub body: String,
    /// Whether it spans the page's full width.
    pub wide: bool,
}

/// A section of the page: `None` when the report has nothing for it.
pub type SectionFn = fn(&Report) -> Option<Section>;

/// The page's sections, in order.
pub const SECTIONS: &[SectionFn] = &[
    tickets,
    daily_chart,
    durations,
    backlog_age,
    statuses,
    csat_and_sla,
    top_tags,
    agents,
    daily_table,
];

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page.
pub fn render(r: &Report) -> String {
    let last = r.to.pred_opt().unwrap_or(r.to);
    let title = format!(
        "Helpdesk report: merchant {}, {} to {}",
        r.merchant_id, r.from, last
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<header>\n<h1>{}</h1>\n\
         <p class=\"sub\">Merchant {} · local dates {} to {} (UTC{}) · every figure computed by the database</p>\n\
         <p class=\"meta\">{}</p>\n</header>\n<div class=\"grid\">\n",
        escape(&title),
        escape(&title),
        field("merchant_id", &r.merchant_id.to_string()),
        field("from", &r.from.to_string()),
        escape(&last.to_string()),
        field("utc_offset", &r.utc_offset.to_string()),
        hidden("to", &r.to.to_string()),
    );
    for section in SECTIONS {
        if let Some(s) = section(r) {
            let _ = write!(
                out,
                "<section class=\"card{}\">\n<h2>{}</h2>\n{}\n</section>\n",
                if s.wide { " wide" } else { "" },
                escape(&s.title),
                s.body
            );
        }
    }
    out.push_str("</div>\n</main>\n</body>\n</html>\n");
    out
}

const CSS: &str = "\
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;\
--created:#2f6fdf;--resolved:#1f9d6a;--bad:#d64545;--other:#9aa5b1}\
*{box-sizing:border-box}\
body{margin:0;background:var(--bg);color:var(--ink);\
font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\
main{max-width:1180px;margin:0 auto;padding:20px 16px 40px}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 12px}\
.sub{color:var(--muted);margin:0 0 16px}.meta{display:none}\
.grid{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr))}\
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;min-width:0}\
.card.wide{grid-column:1/-1}\
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\
th,td{padding:4px 6px;border-bottom:1px solid var(--line);text-align:right;overflow-wrap:anywhere}\
th:first-child,td:first-child{text-align:left}th{color:var(--muted);font-weight:600}\
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:8px}\
.kpi{flex:1 1 120px;border:1px solid var(--line);border-radius:6px;padding:8px 10px}\
.kpi b{display:block;font-size:24px}.kpi span{color:var(--muted)}\
svg.chart{display:block;width:100%;height:auto;margin:4px 0 12px}\
svg text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;fill:var(--ink)}\
svg .axis{stroke:var(--line)}svg .muted{fill:var(--muted)}\
.created{fill:var(--created)}.resolved{fill:var(--resolved)}.bad{fill:var(--bad)}.other{fill:var(--other)}\
.legend{display:flex;gap:16px;color:var(--muted);margin:0 0 4px}\
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}\
.none{color:var(--muted)}\
";

/// An element showing a figure: its text for people, its exact value for
/// machines.
fn field(path: &str, value: &str) -> String {
    cell("span", path, value, value)
}

fn hidden(path: &str, value: &str) -> String {
    format!(
        "<span data-field=\"{}\" data-value=\"{}\"></span>",
        escape(path),
        escape(value)
    )
}

fn cell(tag: &str, path: &str, value: &str, shown: &str) -> String {
    format!(
        "<{tag} data-field=\"{}\" data-value=\"{}\">{}</{tag}>",
        escape(path),
        escape(value),
        escape(shown)
    )
}

fn int(tag: &str, path: &str, n: impl ToString) -> String {
    let s = n.to_string();
    cell(tag, path, &s, &s)
}

fn opt_f64(value: Option<f64>) -> String {
    value.map_or_else(|| "null".to_owned(), |v| v.to_string())
}

fn opt_i64(value: Option<i64>) -> String {
    value.map_or_else(|| "null".to_owned(), |v| v.to_string())
}

/// A duration in seconds for people: `45s`, `12m 05s`, `3h 25m`, `2d 04h`
/// (as in the table).
pub fn human(secs: f64) -> String {
    let s = secs.round() as i64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60);
    if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    }
}

fn human_opt(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), human)
}

fn tickets(r: &Report) -> Option<Section> {
    let kpi = |label: &str, path: &str, n: u64| {
        format!(
            "<div class=\"kpi\">{}<span>{}</span></div>",
            int("b", path, n),
            escape(label)
        )
    };
    let body = format!(
        "<div class=\"kpis\">{}{}{}{}{}</div>",
        kpi("created", "tickets_created", r.tickets_created),
        kpi("resolved", "tickets_resolved", r.tickets_resolved),
        kpi("open now", "open_backlog", r.open_backlog),
        kpi("reopened", "reopened", r.reopened),
        kpi(
            "one-touch resolved",
            "one_touch_resolved",
            r.one_touch_resolved
        ),
    );
    Some(Section {
        title: "Tickets".into(),
        body,
        wide: true,
    })
}

/// Vertical bars of created and resolved per local day.
fn daily_chart(r: &Report) -> Option<Section> {
    if r.daily.is_empty() {
        return None;
    }
    let (w, h, left, bottom, top) = (1100.0, 260.0, 36.0, 28.0, 10.0);
    let peak = r
        .daily
        .iter()
        .map(|d| d.created.max(d.resolved))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = w - left - 8.0;
    let plot_h = h - bottom - top;
    let slot = plot_w / r.daily.len() as f64;
    let bar = (slot * 0.4).max(0.5);
    let mut svg = svg_open(w, h, "Tickets created and resolved per day");
    // Grid lines at 0, half and the peak.
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - frac);
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"muted\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - 8.0,
            left - 4.0,
            y + 4.0,
            (peak * frac).round()
        );
    }
    let label_every = r.daily.len().div_ceil(12).max(1);
    for (i, d) in r.daily.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - 2.0 * bar) / 2.0;
        for (j, (n, class)) in [(d.created, "created"), (d.resolved, "resolved")]
            .into_iter()
            .enumerate()
        {
            let bh = plot_h * n as f64 / peak;
            let _ = write!(
                svg,
                "<rect class=\"{class}\" data-mark=\"{n}\" x=\"{:.2}\" y=\"{:.2}\" width=\"{bar:.2}\" height=\"{bh:.2}\">\
                 <title>{} {class}: {n}</title></rect>",
                x + bar * j as f64,
                top + plot_h - bh,
                d.date
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                svg,
                "<text class=\"muted\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + bar,
                h - 8.0,
                d.date.format("%b %d")
            );
        }
    }
    svg.push_str("</svg>");
    let body = format!(
        "<div class=\"legend\"><span><i class=\"created\" style=\"background:var(--created)\"></i>created</span>\
         <span><i style=\"background:var(--resolved)\"></i>resolved</span></div>{svg}"
    );
    Some(Section {
        title: "Created and resolved per day".into(),
        body,
        wide: true,
    })
}

fn svg_open(w: f64, h: f64, label: &str) -> String {
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        escape(label)
    )
}

/// A horizontal bar chart: one row per (label, value, shown value, class).
fn hbars(label: &str, rows: &[(String, f64, String, &str)]) -> String {
    let (w, row_h, left, right) = (520.0, 24.0, 150.0, 70.0);
    let h = row_h * rows.len() as f64 + 8.0;
    let peak = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let peak = if peak > 0.0 { peak } else { 1.0 };
    let mut svg = svg_open(w, h, label);
    for (i, (name, value, shown, class)) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let bw = ((w - left - right) * value / peak).max(if *value > 0.0 { 1.0 } else { 0.0 });
        let name = truncate(name, 22);
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"{class}\" data-mark=\"{value}\" x=\"{left}\" y=\"{:.1}\" width=\"{bw:.2}\" height=\"{:.1}\" rx=\"2\">\
             <title>{}: {}</title></rect>\
             <text class=\"muted\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            left - 8.0,
            y + row_h * 0.65,
            escape(&name),
            y + 3.0,
            row_h - 8.0,
            escape(&name),
            escape(shown),
            left + bw + 6.0,
            y + row_h * 0.65,
            escape(shown),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// At most `max` characters, with `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

fn duration_rows(out: &mut String, path: &str, label: &str, s: &DurationStats) {
    let _ = write!(
        out,
        "<tr><td>{}</td>{}{}{}{}{}{}</tr>",
        escape(label),
        int("td", &format!("{path}.count"), s.count),
        cell(
            "td",
            &format!("{path}.avg_secs"),
            &opt_f64(s.avg_secs),
            &human_opt(s.avg_secs)
        ),
        cell(
            "td",
            &format!("{path}.min_secs"),
            &opt_i64(s.min_secs),
            &human_opt(s.min_secs.map(|v| v as f64))
        ),
        cell(
            "td",
            &format!("{path}.max_secs"),
            &opt_i64(s.max_secs),
            &human_opt(s.max_secs.map(|v| v as f64))
        ),
        cell(
            "td",
            &format!("{path}.p50_secs"),
            &opt_f64(s.p50_secs),
            &human_opt(s.p50_secs)
        ),
        cell(
            "td",
            &format!("{path}.p90_secs"),
            &opt_f64(s.p90_secs),
            &human_opt(s.p90_secs)
        ),
    );
}

fn duration_chart(label: &str, s: &DurationStats) -> String {
    let rows: Vec<(String, f64, String, &str)> = [
        ("min", s.min_secs.map(|v| v as f64)),
        ("p50 (median)", s.p50_secs),
        ("average", s.avg_secs),
        ("p90", s.p90_secs),
        ("max", s.max_secs.map(|v| v as f64)),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.map(|v| (name.to_owned(), v, human(v), "created")))
    .collect();
    if rows.is_empty() {
        return format!(
            "<p class=\"none\">{}: no tickets in the window</p>",
            escape(label)
        );
    }
    format!(
        "<h3 style=\"font-size:14px;margin:8px 0 0\">{}</h3>{}",
        escape(label),
        hbars(label, &rows)
    )
}

/// First-response and resolution statistics: a table and a chart each.
fn durations(r: &Report) -> Option<Section> {
    let mut body = String::from(
        "<table><thead><tr><th>times</th><th>count</th><th>avg</th><th>min</th>\
         <th>max</th><th>p50</th><th>p90</th></tr></thead><tbody>",
    );
    duration_rows(
        &mut body,
        "first_response",
        "first response",
        &r.first_response,
    );
    if let Some(b) = &r.first_response_business {
        duration_rows(
            &mut body,
            "first_response_business",
            "first response (business hours)",
            b,
        );
    }
    duration_rows(&mut body, "resolution", "resolution", &r.resolution);
    if let Some(b) = &r.resolution_business {
        duration_rows(
            &mut body,
            "resolution_business",
            "resolution (business hours)",
            b,
        );
    }
    body.push_str("</tbody></table>");
    for (path, given) in [
        (
            "first_response_business",
            r.first_response_business.is_some(),
        ),
        ("resolution_business", r.resolution_business.is_some()),
    ] {
        if !given {
            body.push_str(&hidden(path, "null"));
        }
    }
    body.push_str(&duration_chart("First response", &r.first_response));
    if let Some(b) = &r.first_response_business {
        body.push_str(&duration_chart("First response (business hours)", b));
    }
    body.push_str(&duration_chart("Resolution", &r.resolution));
    if let Some(b) = &r.resolution_business {
        body.push_str(&duration_chart("Resolution (business hours)", b));
    }
    Some(Section {
        title: "First response and resolution times".into(),
        body,
        wide: false,
    })
}

fn statuses(r: &Report) -> Option<Section> {
    let s = &r.status_counts;
    let p = &r.priority_counts;
    let mut body = String::from(
        "<table><thead><tr><th>created by status</th><th>tickets</th></tr></thead><tbody>",
    );
    for (label, key, n) in [
        ("open", "open", s.open),
        ("pending", "pending", s.pending),
        ("resolved", "resolved", s.resolved),
        ("closed", "closed", s.closed),
        (
            "waiting on customer",
            "waiting_on_customer",
            s.waiting_on_customer,
        ),
        (
            "waiting on third party",
            "waiting_on_third_party",
            s.waiting_on_third_party,
        ),
    ] {
        let _ = write!(
            body,
            "<tr><td>{label}</td>{}</tr>",
            int("td", &format!("status_counts.{key}"), n)
        );
    }
    body.push_str(
        "</tbody></table><table style=\"margin-top:12px\"><thead><tr><th>created by priority</th>\
         <th>tickets</th></tr></thead><tbody>",
    );
    for (label, n) in [
        ("low", p.low),
        ("medium", p.medium),
        ("high", p.high),
        ("urgent", p.urgent),
    ] {
        let _ = write!(
            body,
            "<tr><td>{label}</td>{}</tr>",
            int("td", &format!("priority_counts.{label}"), n)
        );
    }
    body.push_str("</tbody></table>");
    Some(Section {
        title: "Created by status and priority".into(),
        body,
        wide: false,
    })
}

fn csat_and_sla(r: &Report) -> Option<Section> {
    let c = &r.csat;
    let pct = c
        .csat_pct
        .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}%"));
    let mut body = String::new();
    if c.ratings > 0 {
        let rows = [
            (
                "positive".to_owned(),
                c.positive as f64,
                c.positive.to_string(),
                "resolved",
            ),
            (
                "neutral or negative".to_owned(),
                (c.ratings - c.positive) as f64,
                (c.ratings - c.positive).to_string(),
                "bad",
            ),
        ];
        body.push_str(&hbars("Satisfaction ratings", &rows));
    } else {
        body.push_str("<p class=\"none\">No ratings in the window.</p>");
    }
    let _ = write!(
        body,
        "<table><tbody><tr><td>ratings</td>{}</tr><tr><td>positive</td>{}</tr>\
         <tr><td>CSAT</td>{}</tr><tr><td>first response breached</td>{}</tr>\
         <tr><td>resolution breached</td>{}</tr></tbody></table>",
        int("td", "csat.ratings", c.ratings),
        int("td", "csat.positive", c.positive),
        cell("td", "csat.csat_pct", &opt_f64(c.csat_pct), &pct),
        int(
            "td",
            "sla.first_response_breached",
            r.sla.first_response_breached
        ),
        int("td", "sla.resolution_breached", r.sla.resolution_breached),
    );
    Some(Section {
        title: format!("Satisfaction (CSAT {pct}) and SLA"),
        body,
        wide: false,
    })
}

fn top_tags(r: &Report) -> Option<Section> {
    let mut body = String::new();
    if r.top_tags.is_empty() {
        body.push_str("<p class=\"none\">No tags in the window.</p>");
    } else {
        let rows: Vec<_> = r
            .top_tags
            .iter()
            .map(|t| {
                (
                    t.tag.clone(),
                    t.count as f64,
                    t.count.to_string(),
                    "created",
                )
            })
            .collect();
        body.push_str(&hbars("Top tags", &rows));
        body.push_str("<table><thead><tr><th>tag</th><th>tickets</th></tr></thead><tbody>");
        for (i, t) in r.top_tags.iter().enumerate() {
            let _ = write!(
                body,
                "<tr>{}{}</tr>",
                cell("td", &format!("top_tags.{i}.tag"), &t.tag, &t.tag),
                int("td", &format!("top_tags.{i}.count"), t.count)
            );
        }
        body.push_str("</tbody></table>");
    }
    Some(Section {
        title: "Top tags".into(),
        body,
        wide: false,
    })
}

/// The open backlog by age at `now`: a bar chart and the four counts.
fn backlog_age(r: &Report) -> Option<Section> {
    let a = &r.backlog_age;
    let buckets = [
        ("under 1 day", "lt_1d", a.lt_1d),
        ("1 to 3 days", "d1_3", a.d1_3),
        ("3 to 7 days", "d3_7", a.d3_7),
        ("7 days or more", "ge_7d", a.ge_7d),
    ];
    let rows: Vec<(String, f64, String, &str)> = buckets
        .iter()
        .map(|(label, _, n)| (label.to_string(), *n as f64, n.to_string(), "created"))
        .collect();
    let mut body = hbars("Open tickets by age", &rows);
    body.push_str("<table><thead><tr><th>age</th><th>open tickets</th></tr></thead><tbody>");
    for (label, key, n) in buckets {
        let _ = write!(
            body,
            "<tr><td>{}</td>{}</tr>",
            escape(label),
            int("td", &format!("backlog_age.{key}"), n)
        );
    }
    body.push_str("</tbody></table>");
    Some(Section {
        title: "Backlog by age".into(),
        body,
        wide: false,
    })
}

fn agents(r: &Report) -> Option<Section> {
    let mut body = String::new();
    if r.agents.is_empty() {
        body.push_str("<p class=\"none\">No tickets resolved by an agent in the window.</p>");
    } else {
        let rows: Vec<_> = r
            .agents
            .iter()
            .map(|a| {
                (
                    a.name
                        .clone()
                        .unwrap_or_else(|| format!("agent {}", a.responder_id)),
                    a.resolved as f64,
                    a.resolved.to_string(),
                    "resolved",
                )
            })
            .collect();
        body.push_str(&hbars("Tickets resolved per agent", &rows));
        body.push_str(
            "<table><thead><tr><th>agent</th><th>name</th><th>resolved</th><th>one-touch</th>\
             <th>avg first response</th></tr></thead><tbody>",
        );
        for (i, a) in r.agents.iter().enumerate() {
            let _ = write!(
                body,
                "<tr>{}{}{}{}{}</tr>",
                cell(
                    "td",
                    &format!("agents.{i}.responder_id"),
                    &a.responder_id.to_string(),
                    &format!("agent {}", a.responder_id)
                ),
                match &a.name {
                    Some(name) => cell("td", &format!("agents.{i}.name"), name, name),
                    None => cell("td", &format!("agents.{i}.name"), "null", "—"),
                },
                int("td", &format!("agents.{i}.resolved"), a.resolved),
                int("td", &format!("agents.{i}.one_touch"), a.one_touch),
                cell(
                    "td",
                    &format!("agents.{i}.avg_first_response_secs"),
                    &opt_f64(a.avg_first_response_secs),
                    &human_opt(a.avg_first_response_secs)
                ),
            );
        }
        body.push_str("</tbody></table>");
    }
    Some(Section {
        title: "Agents (resolved in the window)".into(),
        body,
        wide: false,
    })
}

fn daily_table(r: &Report) -> Option<Section> {
    if r.daily.is_empty() {
        return None;
    }
    let mut body = String::from(
        "<table><thead><tr><th>date</th><th>created</th><th>resolved</th></tr></thead><tbody>",
    );
    for (i, d) in r.daily.iter().enumerate() {
        let date = d.date.to_string();
        let _ = write!(
            body,
            "<tr>{}{}{}</tr>",
            cell("td", &format!("daily.{i}.date"), &date, &date),
            int("td", &format!("daily.{i}.created"), d.created),
            int("td", &format!("daily.{i}.resolved"), d.resolved),
        );
    }
    body.push_str("</tbody></table>");
    Some(Section {
        title: "Daily".into(),
        body,
        wide: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_everywhere() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        let rows = [("<b>\"vip\"</b>".to_owned(), 3.0, "3".to_owned(), "created")];
        let svg = hbars("tags & <more>", &rows);
        assert!(!svg.contains("<b>") && !svg.contains("\"vip\""), "{svg}");
        assert!(svg.contains("&lt;b&gt;&quot;vip&quot;&lt;/b&gt;"), "{svg}");
        assert!(
            svg.contains("aria-label=\"tags &amp; &lt;more&gt;\""),
            "{svg}"
        );
        assert_eq!(
            cell("td", "top_tags.0.tag", "a\"b", "a<b"),
            "<td data-field=\"top_tags.0.tag\" data-value=\"a&quot;b\">a&lt;b</td>"
        );
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        let rows = [
            ("a".to_owned(), 10.0, "10".to_owned(), "created"),
            ("b".to_owned(), 5.0, "5".to_owned(), "created"),
            ("c".to_owned(), 0.0, "0".to_owned(), "created"),
        ];
        let svg = hbars("x", &rows);
        // 520 wide, 150 for labels, 70 for values: the largest bar is 300.
        assert!(svg.contains("width=\"300.00\""), "{svg}");
        assert!(svg.contains("width=\"150.00\""), "{svg}");
        assert!(svg.contains("width=\"0.00\""), "{svg}");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(human(93_784.0), "1d 02h");
    }
}
