//! Cross-backend identity: the same generated data (fixed seed and anchor)
//! gives the same reports on SQLite, PostgreSQL and MariaDB, because every
//! backend's run compares its reports with the same committed snapshot,
//! `tests/snapshots/analytics_reports.json` (floats to 1e-9 relative,
//! everything else exactly).
//!
//! Surrogate ids differ between databases, so the snapshot names each
//! merchant by its position in the demo configuration and each agent by
//! its Freshdesk id. `tests/snapshots/analytics_business.json` holds the
//! same cases with some tickets flagged and a business schedule. Regenerate
//! with `UPDATE_SNAPSHOTS=1` (on SQLite, then
//! check the other two backends against it).

mod analytics_support;

use analytics_support::{at, date, diff, expected, load};
use freshdesk_store::analytics::{BusinessHours, ReportParams, report};
use freshdesk_store::entity::{agent, ticket};
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/analytics_reports.json"
);
const BUSINESS_SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/analytics_business.json"
);

/// Flags tickets by their position in Freshdesk-id order (the same on every
/// backend): one in 11 spam, one in 13 deleted, one in 5 reopened a day
/// and a half after creation.
async fn flag_some(txn: &sea_orm::DatabaseTransaction, merchants: &[freshdesk_store::MerchantId]) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    for merchant in merchants {
        let mut tickets = load(txn, *merchant).await.tickets;
        tickets.sort_by(|a, b| a.freshdesk_ticket_id.cmp(&b.freshdesk_ticket_id));
        for (i, t) in tickets.into_iter().enumerate() {
            let created = t.created_at;
            let mut row: ticket::ActiveModel = t.into();
            if i % 11 == 3 {
                row.spam = Set(true);
            } else if i % 13 == 4 {
                row.deleted = Set(true);
            } else if i % 5 == 1 {
                row.reopened_at = Set(Some(created + chrono::Duration::hours(36)));
            } else {
                continue;
            }
            row.update(txn).await.unwrap();
        }
    }
}

/// Reports of three demo merchants over windows and offsets that cross
/// local midnight in every direction.
#[tokio::test]
async fn reports_match_the_committed_snapshot() {
    compare(SNAPSHOT, None).await;
}

/// The same merchants with some tickets flagged spam, deleted or reopened,
/// and a business schedule with holidays: the second version's figures are
/// the same on every backend too.
#[tokio::test]
async fn business_reports_match_the_committed_snapshot() {
    let hours: BusinessHours = "mon-thu 09:00-17:30,fri 10:00-24:00,sun 22:00-24:00"
        .parse()
        .unwrap();
    let hours = hours.with_holiday_list("2026-10-12,2026-10-30").unwrap();
    compare(BUSINESS_SNAPSHOT, Some(hours)).await;
}

/// Fills the demo merchants (flagging some tickets when a schedule is
/// given), runs every case and compares with `snapshot`.
async fn compare(snapshot: &str, hours: Option<BusinessHours>) {
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
    if hours.is_some() {
        flag_some(&txn, &config.merchant_ids()).await;
    }

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
                business_hours: hours.clone(),
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
        std::fs::write(snapshot, text).unwrap();
        return;
    }
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(snapshot)
            .expect("snapshot missing: run with UPDATE_SNAPSHOTS=1 to create it"),
    )
    .unwrap();
    let d = diff(&committed, &actual);
    assert!(
        d.is_empty(),
        "reports differ from {snapshot} on {:?}:\n  {}",
        db.backend(),
        d.join("\n  ")
    );
}
