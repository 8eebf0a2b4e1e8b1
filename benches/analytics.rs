//! Analytics benchmark (issue item 3): the daily snapshot of one merchant
//! (every metric of DESIGN.md over a 90-day window) computed by the
//! database with the crate's `report` (9 aggregate statements), against
//! loading the merchant's tickets and ratings and computing the same
//! figures in Rust (the plain-Rust oracle of the analytics tests), at
//! 10,000 and 100,000 tickets with their conversations and ratings.
//!
//! Before measuring, the two results are compared: they must agree.
//!
//! Run: `cargo bench --bench analytics` (SQLite), or with
//! `DATABASE_URL=postgres://…` / `mysql://…` and `--all-features`.

mod common;

#[path = "../tests/analytics_support/mod.rs"]
mod oracle;

use chrono::Duration;
use common::{DataSet, Db, Group, Recorder, timed};
use freshdesk_store::MerchantId;
use freshdesk_store::analytics::{ReportParams, UtcOffset, report};
use sea_orm::TransactionTrait;

fn params(merchant: MerchantId) -> ReportParams {
    let to = common::anchor().date_naive();
    ReportParams {
        merchant,
        from: to - Duration::days(90),
        to,
        utc_offset: UtcOffset::UTC,
        now: common::anchor(),
        business_hours: None,
    }
}

async fn in_sql(db: &Db, p: &ReportParams) -> serde_json::Value {
    let txn = db.db.begin().await.unwrap();
    serde_json::to_value(report(&txn, p).await.unwrap()).unwrap()
}

async fn in_rust(db: &Db, p: &ReportParams) -> serde_json::Value {
    let txn = db.db.begin().await.unwrap();
    let rows = oracle::load(&txn, p.merchant).await;
    oracle::expected(p, &rows)
}

fn main() {
    let mut c = common::criterion();
    let rt = common::runtime();
    let rec = Recorder::default();
    let db = rt.block_on(Db::connect());
    let backend = common::backend_name();

    for (set, label) in [
        (DataSet::Analytics10k, "10k"),
        (DataSet::Analytics100k, "100k"),
    ] {
        let merchant = rt.block_on(db.ensure(set));
        let p = params(merchant);
        let (sql, rust) = rt.block_on(async { (in_sql(&db, &p).await, in_rust(&db, &p).await) });
        let diff = oracle::diff(&rust, &sql);
        assert!(diff.is_empty(), "report and Rust disagree: {diff:?}");
        rec.note(format!(
            "snapshot {label}: {} tickets created in the window; SQL and Rust agree",
            sql["tickets_created"]
        ));
        let group = format!("snapshot_{label}");
        let mut g = Group::new(&mut c, &rt, &rec, &group);
        g.bench("crate_report_sql", || async {
            timed(in_sql(&db, &p)).await.1
        });
        g.bench("load_rows_compute_in_rust", || async {
            timed(in_rust(&db, &p)).await.1
        });
        g.finish();
        // Where the SQL time goes: each of the report's statements, alone.
        let w = p.window().unwrap();
        let mut parts = Vec::new();
        macro_rules! part {
            ($name:literal, $f:path) => {{
                let (_, t) = rt.block_on(async {
                    let txn = db.db.begin().await.unwrap();
                    timed($f(&txn, &w)).await
                });
                parts.push(format!("{} {:.0} ms", $name, t.as_secs_f64() * 1e3));
            }};
        }
        use freshdesk_store::analytics as a;
        part!("created", a::volume::created);
        part!("open_backlog", a::volume::open_backlog);
        part!("first_response", a::durations::first_response);
        part!("resolution", a::durations::resolution);
        part!("daily", a::daily::daily);
        part!("csat", a::csat::csat);
        part!("sla", a::sla::sla);
        part!("top_tags", a::tags::top_tags);
        part!("agents", a::agents::agents);
        rec.note(format!(
            "snapshot ({label} tickets): report statements, one run each: {}",
            parts.join(", ")
        ));
        rec.ratio(
            &format!("snapshot ({label} tickets): load + Rust vs report in SQL"),
            &format!("{group}/{backend}/load_rows_compute_in_rust"),
            &format!("{group}/{backend}/crate_report_sql"),
            None,
        );
    }

    c.final_summary();
    rec.finish("analytics");
}
