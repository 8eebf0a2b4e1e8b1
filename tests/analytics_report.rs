//! `analytics::report` against an independent plain-Rust computation of
//! DESIGN.md's metrics, on generated data (several merchants, windows and
//! offsets) and on hand-built edge cases. Runs on whatever `DATABASE_URL`
//! points at (in-memory SQLite when unset); each test works in its own
//! rolled-back transaction, with other merchants' rows present.

mod analytics_support;

use analytics_support::{assert_same, at, date, expected, load};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use freshdesk_store::analytics::{self, ReportParams, UtcOffset, report};
use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::testing::{
    AgentFactory, RatingFactory, TestDb, TicketFactory, unique_merchant_id,
};
use freshdesk_store::{Error, MerchantId};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction};

fn params(merchant: MerchantId, from: NaiveDate, to: NaiveDate, offset: &str) -> ReportParams {
    ReportParams {
        merchant,
        from,
        to,
        utc_offset: offset.parse().unwrap(),
        now: at(2026, 11, 1, 0, 0, 0),
        business_hours: None,
    }
}

/// Runs the report and the oracle over the same rows and compares them.
async fn check(txn: &DatabaseTransaction, p: &ReportParams) -> serde_json::Value {
    let report = report(txn, p).await.unwrap();
    let actual = serde_json::to_value(&report).unwrap();
    let rows = load(txn, p.merchant).await;
    let want = expected(p, &rows);
    assert_same(&format!("{p:?}"), &want, &actual);
    actual
}

/// Generated data for three merchants: every metric matches the oracle for
/// several merchants, windows and offsets.
#[tokio::test]
async fn generated_data_matches_the_oracle() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let config = DemoConfig::new(3, 150, 11)
        .first_merchant(unique_merchant_id())
        .anchor(at(2026, 11, 1, 0, 0, 0));
    // Reserve the ids: unique_merchant_id hands out consecutive ids.
    for _ in 1..3 {
        unique_merchant_id();
    }
    demo::fill(&txn, &config).await.unwrap();
    let windows = [
        (date(2026, 10, 1), date(2026, 11, 1)),
        (date(2026, 8, 1), date(2026, 11, 2)),
        (date(2026, 10, 20), date(2026, 10, 21)),
    ];
    let offsets = ["+00:00", "+05:30", "-12:00", "+14:00", "-03:45"];
    for merchant in config.merchant_ids() {
        for (from, to) in windows {
            for offset in offsets {
                let report = check(&txn, &params(merchant, from, to, offset)).await;
                assert_eq!(report["merchant_id"], merchant.get());
            }
        }
    }
    // The data is rich enough to exercise every metric.
    let big = check(
        &txn,
        &params(
            config.merchant_ids()[0],
            date(2026, 8, 1),
            date(2026, 11, 2),
            "+00:00",
        ),
    )
    .await;
    assert!(big["tickets_created"].as_u64().unwrap() > 100, "{big}");
    assert!(big["first_response"]["count"].as_u64().unwrap() > 10);
    assert!(big["resolution"]["count"].as_u64().unwrap() > 10);
    assert!(big["csat"]["ratings"].as_u64().unwrap() > 5);
    assert!(big["sla"]["first_response_breached"].as_u64().unwrap() > 0);
    assert_eq!(big["top_tags"].as_array().unwrap().len(), 10);
    assert!(big["agents"].as_array().unwrap().len() > 2);
}

/// The report runs a fixed number of statements, whatever the data size.
#[tokio::test]
async fn statement_count_is_fixed() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let p = params(merchant, date(2026, 10, 1), date(2026, 11, 1), "+05:30");
    // 3 aggregate statements (on PostgreSQL inside a savepoint, whose
    // control statements the counter does not count).
    let fixed = 3;
    db.counter().reset();
    report(&txn, &p).await.unwrap();
    assert_eq!(
        db.counter().get(),
        fixed,
        "{:#?}",
        db.counter().statements()
    );

    let config = DemoConfig::new(1, 300, 5)
        .first_merchant(merchant)
        .anchor(at(2026, 11, 1, 0, 0, 0));
    demo::fill(&txn, &config).await.unwrap();
    db.counter().reset();
    let r = report(&txn, &p).await.unwrap();
    assert_eq!(
        db.counter().get(),
        fixed,
        "{:#?}",
        db.counter().statements()
    );
    assert!(r.tickets_created > 50);

    // Each metric group on its own.
    let w = p.window().unwrap();
    for (name, expected) in [("created", 1), ("backlog", 1), ("first", 1), ("daily", 1)] {
        db.counter().reset();
        match name {
            "created" => drop(analytics::volume::created(&txn, &w).await.unwrap()),
            "backlog" => drop(analytics::volume::open_backlog(&txn, &w).await.unwrap()),
            "first" => drop(
                analytics::durations::first_response(&txn, &w)
                    .await
                    .unwrap(),
            ),
            _ => drop(analytics::daily::daily(&txn, &w).await.unwrap()),
        }
        assert_eq!(db.counter().get(), expected, "{name}");
    }
}

/// A merchant with no rows gets an all-zero report with a zero-filled
/// daily series, while other merchants have data.
#[tokio::test]
async fn merchant_without_tickets_gets_zeros() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let other = unique_merchant_id();
    TicketFactory::new(other)
        .tags(["refund"])
        .insert(&txn)
        .await
        .unwrap();
    let nobody = unique_merchant_id();
    let p = params(nobody, date(2026, 10, 1), date(2026, 10, 4), "+00:00");
    let r = check(&txn, &p).await;
    assert_eq!(
        r,
        serde_json::json!({
            "merchant_id": nobody.get(), "from": "2026-10-01", "to": "2026-10-04", "utc_offset": "+00:00",
            "tickets_created": 0, "tickets_resolved": 0, "open_backlog": 0,
            "reopened": 0, "one_touch_resolved": 0,
            "backlog_age": {"lt_1d": 0, "d1_3": 0, "d3_7": 0, "ge_7d": 0},
            "first_response": {"count": 0, "avg_secs": null, "min_secs": null, "max_secs": null, "p50_secs": null, "p90_secs": null},
            "first_response_business": null,
            "resolution": {"count": 0, "avg_secs": null, "min_secs": null, "max_secs": null, "p50_secs": null, "p90_secs": null},
            "resolution_business": null,
            "status_counts": {"open": 0, "pending": 0, "resolved": 0, "closed": 0, "waiting_on_customer": 0, "waiting_on_third_party": 0},
            "priority_counts": {"low": 0, "medium": 0, "high": 0, "urgent": 0},
            "daily": [{"date": "2026-10-01", "created": 0, "resolved": 0},
                      {"date": "2026-10-02", "created": 0, "resolved": 0},
                      {"date": "2026-10-03", "created": 0, "resolved": 0}],
            "csat": {"ratings": 0, "positive": 0, "csat_pct": null},
            "sla": {"first_response_breached": 0, "resolution_breached": 0},
            "top_tags": [],
            "agents": []
        })
    );
}

/// An empty window of a merchant that has tickets elsewhere in time: only
/// the open backlog (which has no window) is non-zero.
#[tokio::test]
async fn empty_window() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    TicketFactory::new(merchant).insert(&txn).await.unwrap(); // open, 2026-10-01
    let r = check(
        &txn,
        &params(merchant, date(2026, 9, 1), date(2026, 9, 2), "+14:00"),
    )
    .await;
    assert_eq!(r["tickets_created"], 0);
    assert_eq!(r["open_backlog"], 1);
    assert_eq!(r["daily"].as_array().unwrap().len(), 1);
}

/// Tickets with no first response are left out of the first-response
/// figures but counted everywhere else; unknown codes count only in
/// tickets_created.
#[tokio::test]
async fn missing_first_responses_and_unknown_codes() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let created = at(2026, 10, 5, 8, 0, 0);
    TicketFactory::new(merchant)
        .created_at(created)
        .insert(&txn)
        .await
        .unwrap();
    TicketFactory::new(merchant)
        .created_at(created)
        .status(TicketStatus::Other(12))
        .priority(Priority::Other(9))
        .insert(&txn)
        .await
        .unwrap();
    let p = params(merchant, date(2026, 10, 1), date(2026, 11, 1), "+00:00");
    let r = check(&txn, &p).await;
    assert_eq!(r["tickets_created"], 2);
    assert_eq!(r["first_response"]["count"], 0);
    assert!(r["first_response"]["p50_secs"].is_null());
    assert_eq!(r["status_counts"]["open"], 1);
    assert_eq!(r["priority_counts"]["medium"], 1);
    assert_eq!(r["open_backlog"], 1);

    TicketFactory::new(merchant)
        .created_at(created)
        .first_responded_at(created + Duration::seconds(100))
        .insert(&txn)
        .await
        .unwrap();
    let r = check(&txn, &p).await;
    assert_eq!(r["first_response"]["count"], 1);
    assert_eq!(r["first_response"]["p90_secs"], 100.0);
}

/// Ratings in the window of tickets created long before it count for CSAT
/// even though no ticket is created in the window.
#[tokio::test]
async fn ratings_without_tickets_in_the_window() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let old = TicketFactory::new(merchant)
        .created_at(at(2026, 6, 1, 0, 0, 0))
        .status(TicketStatus::Resolved)
        .insert(&txn)
        .await
        .unwrap();
    for (score, day) in [(103, 2), (101, 3), (100, 3), (-102, 4)] {
        RatingFactory::new(&old)
            .rating(score)
            .created_at(at(2026, 10, day, 12, 0, 0))
            .insert(&txn)
            .await
            .unwrap();
    }
    // Outside the window.
    RatingFactory::new(&old)
        .created_at(at(2026, 9, 30, 23, 59, 59))
        .insert(&txn)
        .await
        .unwrap();
    let r = check(
        &txn,
        &params(merchant, date(2026, 10, 1), date(2026, 11, 1), "+00:00"),
    )
    .await;
    assert_eq!(r["tickets_created"], 0);
    assert_eq!(
        r["csat"],
        serde_json::json!({"ratings": 4, "positive": 2, "csat_pct": 50.0})
    );
}

/// A tag repeated in one ticket counts once; ties are broken by the tag's
/// bytes (case-sensitive, trailing spaces significant); only strings count.
#[tokio::test]
async fn tags_dedupe_ties_and_binary_order() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    for tags in [
        vec!["refund", "refund", "Refund"],
        vec!["refund", "b", "a "],
        vec!["a", "B", "b"],
        vec!["ünïcode", "a"],
        vec!["zz", "yy", "xx", "ww", "vv", "uu", "tt", "ss", "rr"],
    ] {
        TicketFactory::new(merchant)
            .tags(tags)
            .insert(&txn)
            .await
            .unwrap();
    }
    // Non-string elements and non-array values are not tags.
    for tags in [
        serde_json::json!(["a", 1, null, {"k": "v"}, ["b"], true]),
        serde_json::json!({"refund": "refund"}),
        serde_json::json!("refund"),
    ] {
        let mut row = TicketFactory::new(merchant).build();
        row.tags = Set(tags);
        row.insert(&txn).await.unwrap();
    }
    // Another merchant's tags never leak in.
    TicketFactory::new(unique_merchant_id())
        .tags(["refund", "a"])
        .insert(&txn)
        .await
        .unwrap();
    let r = check(
        &txn,
        &params(merchant, date(2026, 10, 1), date(2026, 10, 2), "+00:00"),
    )
    .await;
    let tags: Vec<(String, u64)> = r["top_tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tag"].as_str().unwrap().to_owned(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("a", 3),
        ("b", 2),
        ("refund", 2),
        ("B", 1),
        ("Refund", 1),
        ("a ", 1),
        ("rr", 1),
        ("ss", 1),
        ("tt", 1),
        ("uu", 1),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_owned(), n))
    .collect();
    assert_eq!(tags, want);
}

/// Rows a second either side of local midnight land on the right local
/// day, and in or out of the window, for offsets from -12:00 to +14:00.
#[tokio::test]
async fn local_midnight_edges() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    for offset in ["+05:30", "-12:00", "+14:00", "+00:00", "-09:30"] {
        let o: UtcOffset = offset.parse().unwrap();
        for day in [date(2026, 10, 10), date(2026, 10, 11), date(2026, 10, 12)] {
            let midnight = o.start_of(day).unwrap();
            for delta_ms in [-1_000, -1, 0, 1, 999] {
                let created = midnight + Duration::milliseconds(delta_ms);
                TicketFactory::new(merchant)
                    .created_at(created)
                    .status(TicketStatus::Resolved)
                    .resolved_at(Some(
                        created + Duration::hours(24) + Duration::milliseconds(delta_ms.abs()),
                    ))
                    .insert(&txn)
                    .await
                    .unwrap();
            }
        }
    }
    for offset in ["+05:30", "-12:00", "+14:00", "+00:00", "-09:30", "+01:00"] {
        let r = check(
            &txn,
            &params(merchant, date(2026, 10, 11), date(2026, 10, 13), offset),
        )
        .await;
        assert!(r["tickets_created"].as_u64().unwrap() > 0, "{offset}");
    }
}

/// Durations are whole seconds with the fraction truncated before they are
/// aggregated; percentiles interpolate between ranks.
#[tokio::test]
async fn durations_truncate_and_interpolate() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let base = at(2026, 10, 3, 10, 0, 0);
    // Resolution times 0.2 s → 0, 1.9 s → 1, 10 s, 3600.5 s → 3600.
    for (created_ms, resolved_ms) in [(900, 1_100), (100, 2_000), (0, 10_000), (500, 3_601_000)] {
        let created = base + Duration::milliseconds(created_ms);
        TicketFactory::new(merchant)
            .created_at(created)
            .status(TicketStatus::Closed)
            .resolved_at(Some(base + Duration::milliseconds(resolved_ms)))
            .first_responded_at(created + Duration::milliseconds(resolved_ms / 2))
            .insert(&txn)
            .await
            .unwrap();
    }
    let r = check(
        &txn,
        &params(merchant, date(2026, 10, 1), date(2026, 11, 1), "+00:00"),
    )
    .await;
    assert_eq!(r["resolution"]["min_secs"], 0);
    assert_eq!(r["resolution"]["max_secs"], 3600);
    // Sorted 0, 1, 10, 3600: p50 at rank 2.5 → 5.5; p90 at 3.7 → 10 + 0.7 × 3590.
    assert_eq!(r["resolution"]["p50_secs"], 5.5);
    let p90 = r["resolution"]["p90_secs"].as_f64().unwrap();
    assert!((p90 - 2523.0).abs() < 1e-9, "{p90}");
}

/// Resolved counts follow resolved_at, not the status: a reopened ticket
/// keeps its old resolution; agents tie on count and are ordered by id.
#[tokio::test]
async fn resolved_by_timestamp_and_agent_ties() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let a1 = AgentFactory::new(merchant).insert(&txn).await.unwrap();
    let a2 = AgentFactory::new(merchant).insert(&txn).await.unwrap();
    let a3 = AgentFactory::new(merchant).insert(&txn).await.unwrap();
    let created = at(2026, 9, 20, 9, 0, 0);
    // a3 and a1 resolve two each, a2 one (without a first response).
    for (agent, frt) in [
        (&a3, Some(60)),
        (&a1, Some(30)),
        (&a3, None),
        (&a1, Some(91)),
        (&a2, None),
    ] {
        let mut f = TicketFactory::new(merchant)
            .responder(agent.id)
            .created_at(created)
            .status(TicketStatus::Open) // reopened: resolved_at kept
            .resolved_at(Some(at(2026, 10, 2, 0, 0, 0)));
        if let Some(secs) = frt {
            f = f.first_responded_at(created + Duration::seconds(secs));
        }
        f.insert(&txn).await.unwrap();
    }
    // Resolved without a responder: in tickets_resolved, not in agents.
    TicketFactory::new(merchant)
        .created_at(created)
        .status(TicketStatus::Resolved)
        .resolved_at(Some(at(2026, 10, 3, 0, 0, 0)))
        .insert(&txn)
        .await
        .unwrap();
    let r = check(
        &txn,
        &params(merchant, date(2026, 10, 1), date(2026, 11, 1), "+00:00"),
    )
    .await;
    assert_eq!(r["tickets_resolved"], 6);
    assert_eq!(r["open_backlog"], 5);
    let order: Vec<i64> = r["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["responder_id"].as_i64().unwrap())
        .collect();
    let (first, second) = if a1.id < a3.id {
        (a1.id, a3.id)
    } else {
        (a3.id, a1.id)
    };
    assert_eq!(order, vec![first.get(), second.get(), a2.id.get()]);
    assert!(r["agents"][2]["avg_first_response_secs"].is_null());
}

/// SLA breaches: late, missing past `now`, and on time.
#[tokio::test]
async fn sla_breaches() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let c = at(2026, 10, 10, 0, 0, 0);
    let h = |n: i64| c + Duration::hours(n);
    type At = Option<DateTime<Utc>>;
    let cases: [(At, At, At, At); 6] = [
        (Some(h(1)), Some(h(2)), Some(h(10)), Some(h(12))), // both late
        (Some(h(1)), None, Some(h(10)), None),              // both missing, past now
        (Some(h(1)), Some(h(1)), Some(h(10)), Some(h(10))), // exactly on time
        (None, None, None, None),                           // no SLA
        (Some(h(24 * 60)), None, Some(h(24 * 60)), None),   // missing, deadline after now
        (Some(h(1)), Some(h(0)), None, Some(h(100))),       // on time, no resolution SLA
    ];
    for (fr_due, fr_at, due, resolved) in cases {
        let mut f = TicketFactory::new(merchant)
            .created_at(c)
            .resolved_at(resolved);
        if let Some(t) = fr_due {
            f = f.fr_due_by(t);
        }
        if let Some(t) = fr_at {
            f = f.first_responded_at(t);
        }
        if let Some(t) = due {
            f = f.due_by(t);
        }
        f.insert(&txn).await.unwrap();
    }
    let r = check(
        &txn,
        &params(merchant, date(2026, 10, 1), date(2026, 11, 1), "+00:00"),
    )
    .await;
    assert_eq!(
        r["sla"],
        serde_json::json!({"first_response_breached": 2, "resolution_breached": 2})
    );
}

/// Bad parameters are rejected before any statement is sent.
#[tokio::test]
async fn invalid_params_are_rejected() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    db.counter().reset();
    for (from, to, field) in [
        (date(2026, 10, 2), date(2026, 10, 2), "to"),
        (date(2026, 10, 2), date(2026, 10, 1), "to"),
        (date(2000, 1, 1), date(2026, 10, 1), "to"),
    ] {
        match report(&txn, &params(merchant, from, to, "+00:00")).await {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(db.counter().get(), 0);
}

/// On PostgreSQL, the percentiles agree with `percentile_cont` itself.
#[tokio::test]
async fn percentiles_agree_with_postgres_percentile_cont() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let config = DemoConfig::new(1, 300, 3)
        .first_merchant(merchant)
        .anchor(at(2026, 11, 1, 0, 0, 0));
    demo::fill(&txn, &config).await.unwrap();
    let p = params(merchant, date(2026, 8, 1), date(2026, 11, 1), "+05:30");
    let w = p.window().unwrap();
    let r = report(&txn, &p).await.unwrap();
    let sql = "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_time),
                      percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_time)
               FROM freshdesk_unified_ticket_view
               WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3";
    let row = txn
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            [merchant.get().into(), w.start().into(), w.end().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let p50: f64 = row.try_get_by_index(0).unwrap();
    let p90: f64 = row.try_get_by_index(1).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    assert!(
        close(p50, r.first_response.p50_secs.unwrap()),
        "{p50} {r:?}"
    );
    assert!(
        close(p90, r.first_response.p90_secs.unwrap()),
        "{p90} {r:?}"
    );
}

/// PostgreSQL: a report dropped at any point of its work leaves neither its
/// session settings (`jit`, `max_parallel_workers_per_gather`, `work_mem`)
/// nor an unusable transaction behind once the crate's next call (here
/// `undo_cancelled`) has run.
#[tokio::test]
async fn a_cancelled_report_leaves_the_settings_as_they_were() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() != sea_orm::DbBackend::Postgres {
        eprintln!("skipped: the report changes session settings on PostgreSQL only");
        return;
    }
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let config = DemoConfig::new(1, 300, 5)
        .first_merchant(merchant)
        .anchor(at(2026, 11, 1, 0, 0, 0));
    demo::fill(&txn, &config).await.unwrap();
    let p = params(merchant, date(2026, 10, 1), date(2026, 11, 1), "+05:30");
    // The settings of the session, and as read on the merchant's rows: on
    // Citus the report's statements (and their `set_config` calls) run on
    // the shard's worker connection, which a plain `SELECT` does not reach.
    let settings = async |txn: &DatabaseTransaction| -> String {
        let shown = "current_setting('jit') || ' ' || \
                     current_setting('max_parallel_workers_per_gather') || ' ' || \
                     current_setting('work_mem')";
        let mut out = Vec::new();
        for stmt in [
            sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("SELECT {shown} AS s"),
            ),
            sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                format!(
                    "SELECT max({shown}) AS s FROM freshdesk_unified_ticket_view \
                     WHERE merchant_id = $1"
                ),
                [merchant.get().into()],
            ),
        ] {
            let row = txn.query_one_raw(stmt).await.unwrap().unwrap();
            out.push(row.try_get::<String>("", "s").unwrap());
        }
        out.join(" / ")
    };
    let before = settings(&txn).await;
    let mut cancelled = 0;
    for polls in 1..40 {
        let mut fut = Box::pin(report(&txn, &p));
        let mut done = false;
        for _ in 0..polls {
            if futures_util::poll!(fut.as_mut()).is_ready() {
                done = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_micros(300)).await;
        }
        drop(fut);
        cancelled += usize::from(!done);
        freshdesk_store::repository::undo_cancelled(&txn)
            .await
            .unwrap();
        assert_eq!(settings(&txn).await, before, "after {polls} polls");
    }
    assert!(cancelled > 0, "no report was dropped midway");
    // And a whole report afterwards leaves them as they were too.
    report(&txn, &p).await.unwrap();
    assert_eq!(settings(&txn).await, before);
    txn.rollback().await.unwrap();
}
