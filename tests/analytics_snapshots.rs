//! Cross-backend identity: the same generated data (fixed seed and anchor)
//! gives the same reports on SQLite, PostgreSQL and MariaDB, because every
//! backend's run compares its reports with the same committed snapshot,
//! `tests/snapshots/analytics_reports.json` (floats to 1e-9 relative,
//! everything else exactly).
//!
//! Surrogate ids differ between databases, so the snapshot names each
//! merchant by its position in the demo configuration and each agent by
//! its Freshdesk id. Regenerate with `UPDATE_SNAPSHOTS=1` (on SQLite, then
//! check the other two backends against it).

mod analytics_support;

use analytics_support::{at, date, diff, expected, load};
use freshdesk_store::analytics::{ReportParams, report};
use freshdesk_store::entity::agent;
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/analytics_reports.json"
);

/// Reports of three demo merchants over windows and offsets that cross
/// local midnight in every direction.
#[tokio::test]
async fn reports_match_the_committed_snapshot() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let anchor = at(2026, 11, 1, 0, 0, 0);
    let config = DemoConfig::new(3, 200, 2026)
        .first_merchant(unique_merchant_id())
        .anchor(anchor);
    for _ in 1..config.merchants {
        unique_merchant_id(); // the other merchants' ids follow the first
    }
    demo::fill(&txn, &config).await.unwrap();

    let cases = [
        (
            "october_utc",
            date(2026, 10, 1),
            date(2026, 11, 1),
            "+00:00",
        ),
        (
            "quarter_india",
            date(2026, 8, 3),
            date(2026, 11, 2),
            "+05:30",
        ),
        (
            "week_baker_island",
            date(2026, 10, 15),
            date(2026, 10, 22),
            "-12:00",
        ),
        (
            "week_kiribati",
            date(2026, 10, 25),
            date(2026, 11, 1),
            "+14:00",
        ),
        (
            "one_day_newfoundland",
            date(2026, 10, 20),
            date(2026, 10, 21),
            "-03:30",
        ),
    ];
    let mut actual = Map::new();
    for (position, merchant) in config.merchant_ids().into_iter().enumerate() {
        let agents = agent::Entity::find()
            .filter(agent::Column::MerchantId.eq(merchant))
            .all(&txn)
            .await
            .unwrap();
        let rows = load(&txn, merchant).await;
        for (name, from, to, offset) in cases {
            let params = ReportParams {
                merchant,
                from,
                to,
                utc_offset: offset.parse().unwrap(),
                now: anchor,
                business_hours: None,
            };
            let mut json = serde_json::to_value(report(&txn, &params).await.unwrap()).unwrap();
            let oracle = expected(&params, &rows);
            let d = diff(&oracle, &json);
            assert!(d.is_empty(), "{name}, merchant {position}: {d:#?}");
            // Database-independent names for surrogate ids.
            json["merchant_id"] = Value::from(position + 1);
            for a in json["agents"].as_array_mut().unwrap() {
                let id = a["responder_id"].as_i64().unwrap();
                let fd = agents.iter().find(|x| x.id.get() == id).unwrap();
                a["responder_id"] = Value::from(fd.freshdesk_agent_id.clone());
            }
            actual.insert(format!("merchant{}_{name}", position + 1), json);
        }
    }
    let actual = Value::Object(actual);

    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        std::fs::write(SNAPSHOT, text).unwrap();
        return;
    }
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(SNAPSHOT)
            .expect("snapshot missing: run with UPDATE_SNAPSHOTS=1 to create it"),
    )
    .unwrap();
    let d = diff(&committed, &actual);
    assert!(
        d.is_empty(),
        "reports differ from {SNAPSHOT} on {:?}:\n  {}",
        db.backend(),
        d.join("\n  ")
    );
}
