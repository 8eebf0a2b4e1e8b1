//! The crate's main job: a merchant's helpdesk report, every figure
//! computed by the database.
//!
//! ```text
//! cargo run --release --example report -- \
//!   [--database-url URL] [--merchant ID] [--from DATE] [--to DATE] \
//!   [--utc-offset +HH:MM] [--now RFC3339] [--format table|json|html] \
//!   [--business-hours "mon-fri 09:00-17:00"] [--holidays 2026-12-25,2026-12-26]
//! ```
//!
//! With no `--database-url` (and no `DATABASE_URL`) it creates an embedded
//! SQLite database, creates the schema, fills it with generated demo data
//! for a few merchants and reports on the first of them. With a URL it
//! reports on the data already there, reads only, and changes nothing.
//!
//! `--from` / `--to` are local dates in `--utc-offset` (`--from` inclusive,
//! `--to` exclusive); `--now` defaults to the current time, `--to` to the
//! day after `--now`'s local date and `--from` to 30 days before `--to`.
//! `--business-hours` (comma-separated groups such as
//! `"mon-thu 09:00-17:00,fri 09:00-13:00"`, in `--utc-offset`) adds the
//! business-hours first response and resolution; `--holidays` needs it.
//! Bad arguments end with one `error: …` line on stderr and exit code 2.
//!
//! `--format html` prints one self-contained HTML page (inline CSS and SVG
//! charts, no network assets, no JavaScript) with the same figures as the
//! table: `report --format html > report.html`. Its renderer is
//! `examples/common/html.rs`.

mod common;
#[path = "common/html.rs"]
mod html;

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::{Args, fail};
use freshdesk_store::analytics::{
    BusinessHours, DurationStats, Report, ReportParams, UtcOffset, report,
};
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::{MerchantId, PoolConfig};
use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};

const USAGE: &str = "usage: report [--database-url URL] [--merchant ID] [--from YYYY-MM-DD] \
                     [--to YYYY-MM-DD] [--utc-offset +HH:MM] [--now RFC3339] [--format table|json|html] \
                     [--business-hours \"mon-fri 09:00-17:00\"] [--holidays YYYY-MM-DD,...]";

/// Demo data when no database is given: merchants, tickets each, seed.
const DEMO: (u32, u32, u64) = (3, 500, 42);

/// How the report is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    /// One self-contained HTML page (`html.rs`).
    Html,
}

/// The parsed command line, defaults applied.
#[derive(Clone, Debug, PartialEq)]
struct Options {
    /// `None`: embedded SQLite with demo data.
    url: Option<String>,
    merchant: Option<MerchantId>,
    from: NaiveDate,
    to: NaiveDate,
    utc_offset: UtcOffset,
    now: DateTime<Utc>,
    format: Format,
    business_hours: Option<BusinessHours>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse(
        std::env::args().skip(1),
        std::env::var("DATABASE_URL").ok(),
        Utc::now(),
    ) {
        Ok(options) => options,
        Err(e) => return fail(format!("{e} ({USAGE})")),
    };
    match run(&options).await {
        Ok(text) => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Parses the arguments (`--flag value` or `--flag=value`) and applies the
/// defaults: `env_url` stands for `DATABASE_URL`, `clock` for the current
/// time.
fn parse(
    args: impl IntoIterator<Item = String>,
    env_url: Option<String>,
    clock: DateTime<Utc>,
) -> Result<Options, String> {
    let args = Args::parse_from(
        args,
        &[
            "database-url",
            "merchant",
            "from",
            "to",
            "utc-offset",
            "now",
            "format",
            "business-hours",
            "holidays",
        ],
        &[],
    )?;
    let url = args
        .get("database-url")
        .map(str::to_owned)
        .or(env_url)
        .filter(|u| !u.is_empty());
    let merchant = args
        .get("merchant")
        .map(|m| {
            m.parse::<MerchantId>()
                .map_err(|e| format!("--merchant: {e}"))
        })
        .transpose()?;
    if url.is_some() && merchant.is_none() {
        return Err("--merchant is required with a database URL".to_owned());
    }
    let utc_offset = match args.get("utc-offset") {
        Some(o) => o
            .parse::<UtcOffset>()
            .map_err(|e| format!("--utc-offset: {e}"))?,
        None => UtcOffset::UTC,
    };
    let now = match args.get("now") {
        Some(n) => DateTime::parse_from_rfc3339(n)
            .map_err(|e| format!("--now: `{n}` is not an RFC 3339 instant ({e})"))?
            .with_timezone(&Utc),
        None => clock,
    };
    let date = |flag: &str| -> Result<Option<NaiveDate>, String> {
        args.get(flag)
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| format!("--{flag}: `{d}` is not a date of the form YYYY-MM-DD"))
            })
            .transpose()
    };
    let to = match date("to")? {
        Some(to) => to,
        None => utc_offset
            .local_date(now)
            .map_err(|e| format!("--now: {e}"))?
            .succ_opt()
            .ok_or("--now is too far in the future")?,
    };
    let from = match date("from")? {
        Some(from) => from,
        None => to
            .checked_sub_signed(Duration::days(30))
            .ok_or("--to is too far in the past")?,
    };
    if to <= from {
        return Err(format!("--to ({to}) must be after --from ({from})"));
    }
    let format = match args.get("format") {
        None | Some("table") => Format::Table,
        Some("json") => Format::Json,
        Some("html") => Format::Html,
        Some(other) => {
            return Err(format!(
                "--format: `{other}` is not `table`, `json` or `html`"
            ));
        }
    };
    let business_hours = match (args.get("business-hours"), args.get("holidays")) {
        (None, None) => None,
        (None, Some(_)) => return Err("--holidays needs --business-hours".to_owned()),
        (Some(hours), holidays) => {
            let hours = hours
                .parse::<BusinessHours>()
                .map_err(|e| format!("--business-hours: {e}"))?;
            Some(match holidays {
                Some(list) => hours
                    .with_holiday_list(list)
                    .map_err(|e| format!("--holidays: {e}"))?,
                None => hours,
            })
        }
    };
    Ok(Options {
        url,
        merchant,
        from,
        to,
        utc_offset,
        now,
        format,
        business_hours,
    })
}

/// Connects (or builds the demo database), computes the report and renders it.
async fn run(options: &Options) -> Result<String, String> {
    let (db, merchant) = match &options.url {
        Some(url) => {
            let db = PoolConfig::from_url(url)
                .map_err(|e| e.to_string())?
                .connect()
                .await
                .map_err(|e| e.to_string())?;
            let merchant = options.merchant.ok_or("--merchant is required")?;
            (db, merchant)
        }
        None => {
            let db = PoolConfig::new("sqlite::memory:")
                .connect()
                .await
                .map_err(|e| match e {
                    freshdesk_store::Error::DriverNotEnabled { .. } => {
                        "no --database-url: the embedded demo database needs the `sqlite` cargo \
                         feature; pass --database-url URL (and --merchant ID), or build with \
                         `--features sqlite`"
                            .to_owned()
                    }
                    e => e.to_string(),
                })?;
            Migrator::up(&db, None).await.map_err(|e| e.to_string())?;
            let (merchants, tickets, seed) = DEMO;
            let anchor = options
                .now
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .ok_or("bad --now")?
                .and_utc();
            let config = DemoConfig::new(merchants, tickets, seed).anchor(anchor);
            let txn = db.begin().await.map_err(|e| e.to_string())?;
            demo::fill(&txn, &config).await.map_err(|e| e.to_string())?;
            txn.commit().await.map_err(|e| e.to_string())?;
            let first = config.merchant_ids()[0];
            (db, options.merchant.unwrap_or(first))
        }
    };
    let params = ReportParams {
        merchant,
        from: options.from,
        to: options.to,
        utc_offset: options.utc_offset,
        now: options.now,
        business_hours: options.business_hours.clone(),
    };
    // One read-only snapshot for all the statements (SQLite ignores the
    // isolation level: its transactions are serializable anyway).
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await
        .map_err(|e| e.to_string())?;
    let report = report(&txn, &params).await.map_err(|e| e.to_string())?;
    txn.rollback().await.map_err(|e| e.to_string())?;
    Ok(match options.format {
        Format::Json => {
            let mut json = serde_json::to_string(&report).map_err(|e| e.to_string())?;
            json.push('\n');
            json
        }
        Format::Table => table(&report, options.business_hours.as_ref()),
        Format::Html => html::render(&report),
    })
}

/// A duration in seconds for people: `45s`, `12m 05s`, `3h 25m`, `2d 04h`.
fn human(secs: f64) -> String {
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

fn opt(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), human)
}

fn duration_row(out: &mut String, label: &str, s: &DurationStats) {
    let _ = writeln!(
        out,
        "  {label:<16} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
        s.count,
        opt(s.avg_secs),
        opt(s.min_secs.map(|v| v as f64)),
        opt(s.max_secs.map(|v| v as f64)),
        opt(s.p50_secs),
        opt(s.p90_secs),
    );
}

/// A bar of `#` for `n` out of `peak`, at most 30 wide.
fn bar(n: u64, peak: u64) -> String {
    "#".repeat((n * 30).div_ceil(peak.max(1)) as usize)
}

/// The report as aligned, readable sections.
fn table(r: &Report, hours: Option<&BusinessHours>) -> String {
    let mut out = String::new();
    let last = r.to.pred_opt().unwrap_or(r.to);
    let _ = writeln!(
        out,
        "Helpdesk report: merchant {}, {} to {} (local dates, UTC{})",
        r.merchant_id, r.from, last, r.utc_offset
    );
    if let Some(h) = hours {
        let holidays: Vec<String> = h.holidays().iter().map(|d| d.to_string()).collect();
        let _ = write!(out, "Business hours: {h}");
        if !holidays.is_empty() {
            let _ = write!(out, "; holidays {}", holidays.join(", "));
        }
        out.push('\n');
    }
    out.push('\n');
    let _ = writeln!(out, "Tickets");
    for (label, n) in [
        ("created", r.tickets_created),
        ("resolved", r.tickets_resolved),
        ("one-touch", r.one_touch_resolved),
        ("reopened", r.reopened),
        ("open now", r.open_backlog),
    ] {
        let _ = writeln!(out, "  {label:<16} {n:>7}");
    }
    let a = &r.backlog_age;
    let ages = [
        ("< 1 day", a.lt_1d),
        ("1-3 days", a.d1_3),
        ("3-7 days", a.d3_7),
        (">= 7 days", a.ge_7d),
    ];
    let peak = ages.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let _ = writeln!(out, "\nOpen backlog by age");
    for (label, n) in ages {
        let _ = writeln!(out, "  {label:<16} {n:>7}  {}", bar(n, peak));
    }
    let _ = writeln!(
        out,
        "\nTimes            {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "count", "avg", "min", "max", "p50", "p90"
    );
    duration_row(&mut out, "first response", &r.first_response);
    if let Some(b) = &r.first_response_business {
        duration_row(&mut out, "  business hours", b);
    }
    duration_row(&mut out, "resolution", &r.resolution);
    if let Some(b) = &r.resolution_business {
        duration_row(&mut out, "  business hours", b);
    }

    let s = &r.status_counts;
    let p = &r.priority_counts;
    let _ = writeln!(
        out,
        "\nCreated by status                  Created by priority"
    );
    let statuses = [
        ("open", s.open),
        ("pending", s.pending),
        ("resolved", s.resolved),
        ("closed", s.closed),
        ("waiting on customer", s.waiting_on_customer),
        ("waiting on third party", s.waiting_on_third_party),
    ];
    let priorities = [
        ("low", p.low),
        ("medium", p.medium),
        ("high", p.high),
        ("urgent", p.urgent),
    ];
    for (i, (label, n)) in statuses.iter().enumerate() {
        let _ = write!(out, "  {label:<24} {n:>7}");
        if let Some((pl, pn)) = priorities.get(i) {
            let _ = write!(out, "   {pl:<12} {pn:>7}");
        }
        out.push('\n');
    }

    let c = &r.csat;
    let _ = writeln!(out, "\nSatisfaction and SLA");
    let _ = writeln!(out, "  {:<24} {:>7}", "ratings", c.ratings);
    let _ = writeln!(out, "  {:<24} {:>7}", "positive", c.positive);
    let pct = c
        .csat_pct
        .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}%"));
    let _ = writeln!(out, "  {:<24} {pct:>7}", "CSAT");
    let _ = writeln!(
        out,
        "  {:<24} {:>7}",
        "first response breached", r.sla.first_response_breached
    );
    let _ = writeln!(
        out,
        "  {:<24} {:>7}",
        "resolution breached", r.sla.resolution_breached
    );

    let _ = writeln!(out, "\nTop tags");
    if r.top_tags.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (i, t) in r.top_tags.iter().enumerate() {
        let _ = writeln!(out, "  {:>2}. {:<28} {:>7}", i + 1, t.tag, t.count);
    }

    let _ = writeln!(
        out,
        "\nAgents (resolved in window)  {:>8} {:>9} {:>18}",
        "resolved", "one-touch", "avg first response"
    );
    if r.agents.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for a in &r.agents {
        let name = match &a.name {
            Some(name) => name.chars().take(28).collect::<String>(),
            None => format!("agent {}", a.responder_id),
        };
        let _ = writeln!(
            out,
            "  {name:<28} {:>8} {:>9} {:>18}",
            a.resolved,
            a.one_touch,
            opt(a.avg_first_response_secs)
        );
    }

    let _ = writeln!(out, "\nDaily            {:>7} {:>8}", "created", "resolved");
    let peak = r
        .daily
        .iter()
        .map(|d| d.created.max(d.resolved))
        .max()
        .unwrap_or(0)
        .max(1);
    for d in &r.daily {
        let bar = bar(d.created, peak);
        let _ = writeln!(
            out,
            "  {:<14} {:>7} {:>8}  {bar}",
            d.date.to_string(),
            d.created,
            d.resolved
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn clock() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 31, 22, 0, 0).unwrap()
    }

    #[test]
    fn defaults() {
        let o = parse(args(&[]), None, clock()).unwrap();
        assert_eq!(o.url, None);
        assert_eq!(o.to, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(o.from, NaiveDate::from_ymd_opt(2026, 10, 2).unwrap());
        assert_eq!(o.utc_offset, UtcOffset::UTC);
        assert_eq!(o.format, Format::Table);
        // The default `to` follows `--now`'s local date in the offset.
        let o = parse(args(&["--utc-offset", "+05:30"]), None, clock()).unwrap();
        assert_eq!(o.to, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
    }

    #[test]
    fn both_flag_forms() {
        let o = parse(
            args(&[
                "--utc-offset=-05:00",
                "--from",
                "2026-10-01",
                "--to=2026-11-01",
                "--format=json",
                "--merchant",
                "7",
                "--database-url",
                "sqlite::memory:",
                "--now=2026-11-01T00:00:00+01:00",
            ]),
            None,
            clock(),
        )
        .unwrap();
        assert_eq!(o.utc_offset.seconds(), -18_000);
        assert_eq!(o.format, Format::Json);
        assert_eq!(o.merchant.unwrap().get(), 7);
        assert_eq!(o.now, Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap());
        let o = parse(args(&["--utc-offset", "-05:00"]), None, clock()).unwrap();
        assert_eq!(o.utc_offset.seconds(), -18_000);
    }

    #[test]
    fn bad_arguments_are_one_line_errors() {
        for bad in [
            &["--bogus", "1"][..],
            &["--from", "2026-13-01"],
            &["--from", "yesterday"],
            &["--from", "2026-10-02", "--to", "2026-10-01"],
            &["--from", "2026-10-02", "--to", "2026-10-02"],
            &["--merchant", "0"],
            &["--merchant", "-3"],
            &["--merchant", "x"],
            &["--utc-offset", "+15:00"],
            &["--utc-offset", "5"],
            &["--now", "tomorrow"],
            &["--format", "xml"],
            &["--from"],
            &["stray"],
            &["--database-url", "postgres://nowhere/db"],
        ] {
            let err = parse(args(bad), None, clock()).unwrap_err();
            assert!(!err.contains('\n'), "{bad:?}: {err}");
        }
        let err = parse(args(&[]), Some("postgres://x/y".into()), clock()).unwrap_err();
        assert!(err.contains("--merchant"), "{err}");
    }

    #[tokio::test]
    async fn demo_report_as_table_and_json() {
        let mut o = parse(args(&["--now", "2026-11-01T00:00:00Z"]), None, clock()).unwrap();
        let text = run(&o).await.unwrap();
        assert!(text.starts_with("Helpdesk report: merchant 1, 2026-10-03 to 2026-11-01"));
        assert!(text.contains("Top tags"), "{text}");
        o.format = Format::Json;
        let json: serde_json::Value = serde_json::from_str(&run(&o).await.unwrap()).unwrap();
        assert_eq!(json["merchant_id"], 1);
        assert!(json["tickets_created"].as_u64().unwrap() > 50);
        assert_eq!(json["daily"].as_array().unwrap().len(), 30);
    }

    #[test]
    fn business_hours_and_holidays() {
        let o = parse(
            args(&[
                "--business-hours",
                "mon-thu 09:00-17:00,fri 09:00-13:00",
                "--holidays=2026-12-25,2026-12-26",
            ]),
            None,
            clock(),
        )
        .unwrap();
        let h = o.business_hours.unwrap();
        assert_eq!(h.holidays().len(), 2);
        assert_eq!(h.weekly_seconds(), 4 * 8 * 3_600 + 4 * 3_600);
        for bad in [
            &["--holidays", "2026-12-25"][..],
            &["--business-hours", "mon 17:00-09:00"],
            &["--business-hours", "mon 09:00-17:00,mon 18:00-19:00"],
            &["--business-hours", "mon 09:00-17:00", "--holidays", "12/25"],
        ] {
            let err = parse(args(bad), None, clock()).unwrap_err();
            assert!(!err.contains('\n'), "{bad:?}: {err}");
            assert!(
                err.contains("--business-hours") || err.contains("--holidays"),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn demo_report_with_business_hours() {
        let o = parse(
            args(&[
                "--now",
                "2026-11-01T00:00:00Z",
                "--business-hours",
                "mon-fri 09:00-17:00",
                "--holidays",
                "2026-10-12",
            ]),
            None,
            clock(),
        )
        .unwrap();
        let text = run(&o).await.unwrap();
        assert!(
            text.contains("Business hours: mon-fri 09:00-17:00; holidays 2026-10-12"),
            "{text}"
        );
        assert_eq!(text.matches("  business hours").count(), 2, "{text}");
        assert!(text.contains("Open backlog by age"), "{text}");
        assert!(text.contains("one-touch"), "{text}");
    }

    #[tokio::test]
    async fn unreachable_database_is_an_error() {
        let o = parse(
            args(&[
                "--database-url",
                "postgres://nobody@127.0.0.1:1/none",
                "--merchant",
                "1",
            ]),
            None,
            clock(),
        )
        .unwrap();
        let err = run(&o).await.unwrap_err();
        if cfg!(feature = "postgres") {
            assert!(
                err.starts_with("cannot reach the database server at 127.0.0.1:1"),
                "{err}"
            );
        } else {
            assert!(err.contains("the `postgres` cargo feature"), "{err}");
        }
    }
}
