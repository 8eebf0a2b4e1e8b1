//! Index use on PostgreSQL: every statement of the report, EXPLAINed on a
//! realistic table, reads the ticket and rating tables through their
//! merchant-leading indexes, never a sequential scan of the whole table.
//!
//! Each test creates a PostgreSQL database of its own, generates the data
//! server-side (`generate_series`), commits it and runs `VACUUM ANALYZE`,
//! so the planner sees a table like a live one (sizes, statistics, and the
//! visibility map that index-only scans need), and drops the database at
//! the end:
//!
//! * `report_statements_use_merchant_indexes` (runs with the suite when
//!   `DATABASE_URL` is PostgreSQL): a merchant of 100,000 tickets among
//!   300,000 tickets of 30 other merchants;
//! * `report_statements_use_merchant_indexes_at_scale` (`#[ignore]`d; run
//!   with `cargo test --all-features --test analytics_explain -- --ignored
//!   --nocapture`): a merchant of 1,000,000 tickets among 1,000,000 tickets
//!   of 50 other merchants. It prints every plan.
//!
//! On other backends the tests return at once.

mod analytics_support;

use std::sync::{Arc, Mutex};

use analytics_support::{at, date};
use freshdesk_store::analytics::{ReportParams, report};
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::testing::{AgentFactory, unique_merchant_id};
use freshdesk_store::{MerchantId, PoolConfig};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseTransaction, DbBackend, IsolationLevel, Statement,
    TransactionTrait,
};

/// Inserts `n` tickets of `merchant` over two years (one every 63 s × …),
/// with responders, first responses, SLA deadlines, resolutions, tags,
/// spam / deleted flags and reopenings, ratings for one ticket in ten and
/// public agent replies on two thirds of them.
async fn fill(txn: &DatabaseTransaction, merchant: MerchantId, n: i64, spacing_secs: i64) {
    for _ in 0..20 {
        AgentFactory::new(merchant).insert(txn).await.unwrap();
    }
    let tickets = format!(
        "WITH a AS (SELECT array_agg(id ORDER BY id) AS ids FROM freshdesk_agent WHERE merchant_id = {m})
         INSERT INTO freshdesk_unified_ticket_view (merchant_id, freshdesk_ticket_id, subject, status,
             priority, responder_id, created_at, updated_at, first_responded_at, first_response_time,
             fr_due_by, due_by, resolved_at, tags, custom_fields, processed, spam, deleted,
             reopened_at)
         SELECT {m}, 'x-' || i, 'subject', (ARRAY[2, 3, 4, 5, 6, 7])[1 + i % 6], 1 + i % 4,
             a.ids[1 + i % 20], c, c, c + fr, EXTRACT(EPOCH FROM fr)::bigint,
             c + INTERVAL '4 hours', c + INTERVAL '3 days',
             CASE WHEN i % 6 IN (2, 3) THEN c + (i % 500000) * INTERVAL '1 second' END,
             jsonb_build_array('tag' || (i % 37), 'tag' || (i % 11)), '{{}}'::jsonb, false,
             i % 50 = 7, i % 70 = 9, CASE WHEN i % 9 = 4 THEN c + INTERVAL '2 days' END
         FROM generate_series(1, {n}) AS i, a,
             LATERAL (SELECT TIMESTAMPTZ '2024-11-01 00:00:00+00' + i * INTERVAL '{spacing_secs} seconds' AS c,
                             (i % 7200) * INTERVAL '1 second' AS fr) AS x",
        m = merchant.get()
    );
    txn.execute_unprepared(&tickets).await.unwrap();
    let ratings = format!(
        "INSERT INTO freshdesk_rating (merchant_id, ticket_id, freshdesk_rating_id, rating, created_at)
         SELECT merchant_id, id, 'r-' || id, CASE WHEN id % 3 = 0 THEN 100 ELSE 102 END,
                created_at + INTERVAL '2 days'
         FROM freshdesk_unified_ticket_view WHERE merchant_id = {m} AND id % 10 = 0",
        m = merchant.get()
    );
    txn.execute_unprepared(&ratings).await.unwrap();
    // One public agent reply on a third of the tickets, two (and a private
    // note) on another third.
    let conversations = format!(
        "INSERT INTO freshdesk_conversation (merchant_id, ticket_id, freshdesk_conversation_id, body,
             incoming, private, created_at)
         SELECT merchant_id, id, 'c-' || id || '-' || k, 'reply', false, k = 3, created_at
         FROM freshdesk_unified_ticket_view, generate_series(1, 3) AS k
         WHERE merchant_id = {m} AND (k = 1 AND id % 3 <> 2 OR k > 1 AND id % 3 = 1)",
        m = merchant.get()
    );
    txn.execute_unprepared(&conversations).await.unwrap();
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let root = &base[..base.rfind('/').expect("a database URL has a path")];
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

async fn explain_report(big: i64, others: i64, other_merchants: i64) {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        return;
    };
    if !url.starts_with("postgres") {
        return;
    }
    // A database of its own, committed and vacuumed like a live one (the
    // planner needs the visibility map for index-only scans), dropped at
    // the end. With `EXPLAIN_IN_PLACE=1` the rows go into `DATABASE_URL`'s
    // own database instead (for a server where the test may not create
    // databases), under fresh merchant ids, and are deleted at the end.
    let in_place = std::env::var_os("EXPLAIN_IN_PLACE").is_some();
    let name = format!("fdstore_explain_{}_{big}", std::process::id());
    let admin = PoolConfig::from_url(&url).unwrap().connect().await.unwrap();
    if !in_place {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    }
    let mut config = if in_place {
        PoolConfig::from_url(&url).unwrap()
    } else {
        PoolConfig::from_url(&with_database(&url, &name)).unwrap()
    };
    config.statement_timeout = None;
    let mut db = config.connect().await.unwrap();
    let log: Arc<Mutex<Vec<Statement>>> = Arc::default();
    let sink = log.clone();
    db.set_metric_callback(move |info| sink.lock().unwrap().push(info.statement.clone()));
    Migrator::up(&db, None).await.unwrap();

    let started = std::time::Instant::now();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let mut merchants = vec![merchant];
    // Two years of tickets for the big merchant, the others spread likewise.
    fill(&txn, merchant, big, 63_072_000 / big).await;
    for _ in 0..other_merchants {
        let n = others / other_merchants;
        let other = unique_merchant_id();
        merchants.push(other);
        fill(&txn, other, n, 63_072_000 / n).await;
    }
    txn.commit().await.unwrap();
    db.execute_unprepared("VACUUM ANALYZE freshdesk_unified_ticket_view")
        .await
        .unwrap();
    db.execute_unprepared("VACUUM ANALYZE freshdesk_rating")
        .await
        .unwrap();
    db.execute_unprepared("VACUUM ANALYZE freshdesk_conversation")
        .await
        .unwrap();
    eprintln!(
        "filled {big} + {others} tickets in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let params = ReportParams {
        merchant,
        from: date(2026, 10, 1),
        to: date(2026, 11, 1),
        utc_offset: "+05:30".parse().unwrap(),
        now: at(2026, 11, 1, 0, 0, 0),
        business_hours: Some(
            "mon-fri 09:00-17:00"
                .parse::<freshdesk_store::analytics::BusinessHours>()
                .unwrap()
                .with_holiday_list("2026-10-02")
                .unwrap(),
        ),
    };
    // The report runs in the caller's transaction: REPEATABLE READ, so its
    // statements see one snapshot.
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await
        .unwrap();
    log.lock().unwrap().clear();
    let started = std::time::Instant::now();
    let r = report(&txn, &params).await.unwrap();
    eprintln!(
        "report in {:.3} s: {} created, {} resolved, {} open",
        started.elapsed().as_secs_f64(),
        r.tickets_created,
        r.tickets_resolved,
        r.open_backlog
    );
    let statements: Vec<Statement> = log.lock().unwrap().drain(..).collect();
    txn.commit().await.unwrap();
    log.lock().unwrap().clear();

    let mut offenders = Vec::new();
    for st in &statements {
        let explain = Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "EXPLAIN {}{}",
                if std::env::var_os("EXPLAIN_ANALYZE").is_some() {
                    "(ANALYZE, BUFFERS) "
                } else {
                    ""
                },
                st.sql
            ),
            st.values.clone().map(|v| v.0).unwrap_or_default(),
        );
        let plan: Vec<String> = db
            .query_all_raw(explain)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect();
        let plan = plan.join("\n");
        eprintln!("\n{}\n{plan}", st.sql);
        if plan.contains("Seq Scan on freshdesk_unified_ticket_view")
            || plan.contains("Seq Scan on freshdesk_rating")
            || plan.contains("Seq Scan on freshdesk_conversation")
        {
            offenders.push(st.sql.clone());
        }
    }
    if in_place {
        let list: Vec<String> = merchants.iter().map(|m| m.get().to_string()).collect();
        for table in ["freshdesk_unified_ticket_view", "freshdesk_agent"] {
            db.execute_unprepared(&format!(
                "DELETE FROM {table} WHERE merchant_id IN ({})",
                list.join(", ")
            ))
            .await
            .unwrap();
        }
    }
    db.close().await.unwrap();
    if !in_place {
        admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .unwrap();
    }

    assert!(r.tickets_created > 0 && r.tickets_resolved > 0 && r.csat.ratings > 0);
    assert!(r.reopened > 0 && r.one_touch_resolved > 0);
    assert!(r.resolution_business.is_some_and(|s| s.count > 0));
    assert_eq!(statements.len(), 3);
    assert!(offenders.is_empty(), "sequential scans in: {offenders:#?}");
}

/// A 100,000-ticket merchant among 300,000 tickets of 30 others.
#[tokio::test]
async fn report_statements_use_merchant_indexes() {
    explain_report(100_000, 300_000, 30).await;
}

/// A 1,000,000-ticket merchant among 1,000,000 tickets of 50 others.
#[tokio::test]
#[ignore = "fills 2,000,000 rows on PostgreSQL; run with --ignored"]
async fn report_statements_use_merchant_indexes_at_scale() {
    explain_report(1_000_000, 1_000_000, 50).await;
}
