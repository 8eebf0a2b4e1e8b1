//! The second version of the report (DESIGN.md, "Added in the second
//! version of the report"), against the plain-Rust oracle and hand-worked
//! figures: spam and deleted tickets left out (with their ratings),
//! `reopened`, `one_touch_resolved`, `backlog_age`, agent names and
//! one-touch counts, and business-hours durations (a weekend span, a
//! holiday, an answer before opening time, per-day schedules, wrapping day
//! ranges and `24:00`, fractions of a second, offsets -12:00 / +05:30 /
//! +14:00, window edges outside working time). Runs on whatever
//! `DATABASE_URL` points at (in-memory SQLite when unset); each test works
//! in its own rolled-back transaction with other merchants' rows present.

mod analytics_support;

use analytics_support::{assert_same, at, business_seconds, date, expected, load};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use freshdesk_store::analytics::{BusinessHours, ReportParams, UtcOffset, report};
use freshdesk_store::entity::enums::TicketStatus;
use freshdesk_store::entity::ticket;
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::testing::{
    AgentFactory, ConversationFactory, RatingFactory, TestDb, TicketFactory, unique_merchant_id,
};
use freshdesk_store::{Error, MerchantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};

fn params(
    merchant: MerchantId,
    from: NaiveDate,
    to: NaiveDate,
    offset: &str,
    hours: Option<&str>,
) -> ReportParams {
    ReportParams {
        merchant,
        from,
        to,
        utc_offset: offset.parse().unwrap(),
        now: at(2026, 11, 1, 0, 0, 0),
        business_hours: hours.map(|h| h.parse().unwrap()),
    }
}

/// Runs the report and the oracle over the same rows and compares them.
async fn check(txn: &DatabaseTransaction, p: &ReportParams) -> Value {
    let report = report(txn, p).await.unwrap();
    let actual = serde_json::to_value(&report).unwrap();
    let rows = load(txn, p.merchant).await;
    assert_same(&format!("{p:?}"), &expected(p, &rows), &actual);
    actual
}

/// Inserts a ticket created at `created`, resolved at `resolved`, first
/// answered at `answered`.
async fn ticket(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    created: DateTime<Utc>,
    answered: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
) -> ticket::Model {
    let mut f = TicketFactory::new(merchant)
        .created_at(created)
        .status(if resolved.is_some() {
            TicketStatus::Resolved
        } else {
            TicketStatus::Open
        })
        .resolved_at(resolved);
    if let Some(a) = answered {
        f = f.first_responded_at(a);
    }
    f.insert(txn).await.unwrap()
}

/// Spam and deleted tickets count nowhere (created, resolved, reopened,
/// backlog, tags, agents, SLA, durations), and neither do their ratings.
#[tokio::test]
async fn spam_and_deleted_tickets_count_nowhere() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let agent = AgentFactory::new(merchant).insert(&txn).await.unwrap();
    let c = at(2026, 10, 5, 10, 0, 0);
    let mut flagged = Vec::new();
    for (spam, deleted) in [(true, false), (false, true), (true, true), (false, false)] {
        let mut row = TicketFactory::new(merchant)
            .created_at(c)
            .responder(agent.id)
            .status(TicketStatus::Closed)
            .resolved_at(Some(c + Duration::hours(3)))
            .first_responded_at(c + Duration::minutes(5))
            .fr_due_by(c + Duration::minutes(1))
            .tags(["refund"])
            .build();
        row.spam = Set(spam);
        row.deleted = Set(deleted);
        row.reopened_at = Set(Some(c + Duration::hours(5)));
        let t = row.insert(&txn).await.unwrap();
        RatingFactory::new(&t)
            .rating(103)
            .created_at(c + Duration::hours(4))
            .insert(&txn)
            .await
            .unwrap();
        ConversationFactory::new(&t)
            .incoming(false)
            .private(false)
            .insert(&txn)
            .await
            .unwrap();
        flagged.push(t);
    }
    // An open spam ticket is not in the backlog.
    let mut row = TicketFactory::new(merchant).created_at(c).build();
    row.spam = Set(true);
    row.insert(&txn).await.unwrap();

    let r = check(
        &txn,
        &params(
            merchant,
            date(2026, 10, 1),
            date(2026, 11, 1),
            "+00:00",
            Some("mon-fri 09:00-17:00"),
        ),
    )
    .await;
    assert_eq!(r["tickets_created"], 1);
    assert_eq!(r["tickets_resolved"], 1);
    assert_eq!(r["reopened"], 1);
    assert_eq!(r["one_touch_resolved"], 1);
    assert_eq!(r["open_backlog"], 0);
    assert_eq!(r["csat"]["ratings"], 1);
    assert_eq!(r["sla"]["first_response_breached"], 1);
    assert_eq!(r["top_tags"], json!([{"tag": "refund", "count": 1}]));
    assert_eq!(r["agents"][0]["resolved"], 1);
    assert_eq!(r["first_response_business"]["count"], 1);
    assert_eq!(r["resolution_business"]["max_secs"], 3 * 3_600);

    // Flag the last one as well: nothing is left but zeros.
    ticket::Entity::update_many()
        .col_expr(ticket::Column::Spam, Expr::value(true))
        .filter(ticket::Column::MerchantId.eq(merchant))
        .filter(ticket::Column::Id.eq(flagged[3].id))
        .exec(&txn)
        .await
        .unwrap();
    let r = check(
        &txn,
        &params(
            merchant,
            date(2026, 10, 1),
            date(2026, 11, 1),
            "+00:00",
            None,
        ),
    )
    .await;
    assert_eq!(r["tickets_created"], 0);
    assert_eq!(r["csat"]["ratings"], 0);
    assert_eq!(r["agents"], json!([]));
}

/// Reopened counts reopened_at in the window (whenever the ticket was
/// created or resolved); one-touch counts exactly one public agent reply;
/// agent names are null when missing or empty, kept when spaces.
#[tokio::test]
async fn reopened_one_touch_and_agent_names() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let named = AgentFactory::new(merchant)
        .name("Ada")
        .insert(&txn)
        .await
        .unwrap();
    let spaces = AgentFactory::new(merchant)
        .name("   ")
        .insert(&txn)
        .await
        .unwrap();
    let empty = AgentFactory::new(merchant).insert(&txn).await.unwrap();
    agent_name(&txn, empty.id, "").await;
    let old = at(2026, 6, 1, 0, 0, 0);
    let inside = at(2026, 10, 10, 12, 0, 0);
    // Reopened in the window: created and resolved long before, created in
    // the window, resolved in the window. Reopened outside: not counted.
    for (created, resolved, reopened) in [
        (old, Some(old + Duration::days(1)), inside),
        (inside, None, inside + Duration::hours(1)),
        (old, Some(inside), inside + Duration::hours(2)),
        (old, Some(old + Duration::days(1)), old + Duration::days(2)),
        (inside, None, at(2026, 11, 1, 0, 0, 0)),
    ] {
        let mut row = TicketFactory::new(merchant)
            .created_at(created)
            .resolved_at(resolved)
            .build();
        row.reopened_at = Set(Some(reopened));
        row.insert(&txn).await.unwrap();
    }
    // One-touch: replies (public agent, private note, incoming) per ticket.
    for (agent, public, private, incoming, one_touch) in [
        (named.id, 1, 0, 0, true),
        (named.id, 1, 2, 3, true),
        (named.id, 2, 0, 0, false),
        (spaces.id, 0, 1, 1, false),
        (spaces.id, 1, 0, 0, true),
        (empty.id, 1, 0, 0, true),
    ] {
        let t = TicketFactory::new(merchant)
            .responder(agent)
            .created_at(old)
            .status(TicketStatus::Resolved)
            .resolved_at(Some(inside))
            .insert(&txn)
            .await
            .unwrap();
        for (n, is_incoming, is_private) in [
            (public, false, false),
            (private, false, true),
            (incoming, true, false),
        ] {
            for _ in 0..n {
                ConversationFactory::new(&t)
                    .incoming(is_incoming)
                    .private(is_private)
                    .insert(&txn)
                    .await
                    .unwrap();
            }
        }
        let _ = one_touch;
    }
    let r = check(
        &txn,
        &params(
            merchant,
            date(2026, 10, 1),
            date(2026, 11, 1),
            "+00:00",
            None,
        ),
    )
    .await;
    assert_eq!(r["reopened"], 3);
    assert_eq!(r["one_touch_resolved"], 4);
    let agents = r["agents"].as_array().unwrap();
    let by_id = |id: freshdesk_store::AgentId| {
        agents
            .iter()
            .find(|a| a["responder_id"] == id.get())
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(named.id)["name"], "Ada");
    assert_eq!(by_id(named.id)["one_touch"], 2);
    assert_eq!(by_id(spaces.id)["name"], "   ");
    assert_eq!(by_id(spaces.id)["one_touch"], 1);
    assert_eq!(by_id(empty.id)["name"], Value::Null);
}

/// Sets an agent's name directly (the factory may refuse an empty one).
async fn agent_name(txn: &DatabaseTransaction, id: freshdesk_store::AgentId, name: &str) {
    use freshdesk_store::entity::agent;
    agent::Entity::update_many()
        .col_expr(agent::Column::Name, Expr::value(name))
        .filter(agent::Column::Id.eq(id))
        .exec(txn)
        .await
        .unwrap();
}

/// Backlog ages at the bucket edges: exactly 24 h, 72 h and 168 h old go
/// to the older bucket; a ticket created after `now` counts in `lt_1d`.
#[tokio::test]
async fn backlog_age_buckets_and_edges() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let now = at(2026, 11, 1, 0, 0, 0);
    let ago = |h: i64, ms: i64| now - Duration::hours(h) + Duration::milliseconds(ms);
    for created in [
        now + Duration::hours(5), // future: lt_1d
        ago(0, 0),
        ago(24, 1),   // lt_1d
        ago(24, 0),   // d1_3
        ago(72, 1),   // d1_3
        ago(72, 0),   // d3_7
        ago(168, 1),  // d3_7
        ago(168, 0),  // ge_7d
        ago(5000, 0), // ge_7d
    ] {
        TicketFactory::new(merchant)
            .created_at(created)
            .status(TicketStatus::Pending)
            .insert(&txn)
            .await
            .unwrap();
    }
    // Resolved tickets are not in the backlog.
    TicketFactory::new(merchant)
        .created_at(ago(30, 0))
        .status(TicketStatus::Closed)
        .insert(&txn)
        .await
        .unwrap();
    let r = check(
        &txn,
        &params(
            merchant,
            date(2026, 10, 1),
            date(2026, 11, 1),
            "-12:00",
            None,
        ),
    )
    .await;
    assert_eq!(r["open_backlog"], 9);
    assert_eq!(
        r["backlog_age"],
        json!({"lt_1d": 3, "d1_3": 2, "d3_7": 2, "ge_7d": 2})
    );
}

/// Hand-worked business durations (UTC, Monday to Friday 09:00-17:00,
/// 2026-10-05 is a Monday), each checked against its figure and the oracle.
#[tokio::test]
async fn business_hours_worked_examples() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let ms = |y, mo, d, h, mi, s, ms: i64| at(y, mo, d, h, mi, s) + Duration::milliseconds(ms);
    let cases: [(DateTime<Utc>, DateTime<Utc>, i64); 9] = [
        // Saturday 10:00 -> Monday 09:30: half an hour.
        (
            at(2026, 10, 10, 10, 0, 0),
            at(2026, 10, 12, 9, 30, 0),
            1_800,
        ),
        // Before opening time: Monday 07:00 -> 08:30.
        (at(2026, 10, 5, 7, 0, 0), at(2026, 10, 5, 8, 30, 0), 0),
        // Before opening to after closing, same day: 8 h.
        (at(2026, 10, 5, 6, 0, 0), at(2026, 10, 5, 20, 0, 0), 28_800),
        // Friday 16:00 -> Tuesday 10:00: 1 h + 8 h + 1 h.
        (
            at(2026, 10, 9, 16, 0, 0),
            at(2026, 10, 13, 10, 0, 0),
            36_000,
        ),
        // Two whole weeks: 80 h.
        (at(2026, 10, 5, 0, 0, 0), at(2026, 10, 19, 0, 0, 0), 288_000),
        // Fractions: 9.5 s inside working time truncates to 9.
        (
            ms(2026, 10, 5, 9, 0, 0, 700),
            ms(2026, 10, 5, 9, 0, 10, 200),
            9,
        ),
        // 0.5 s before closing and 0.25 s after opening: 0.75 s -> 0.
        (
            ms(2026, 10, 5, 16, 59, 59, 500),
            ms(2026, 10, 6, 9, 0, 0, 250),
            0,
        ),
        // Starting in a non-working second: only the working 1.2 s count.
        (
            ms(2026, 10, 5, 8, 59, 59, 500),
            ms(2026, 10, 5, 9, 0, 1, 200),
            1,
        ),
        // Weekend only.
        (at(2026, 10, 10, 0, 0, 0), at(2026, 10, 12, 0, 0, 0), 0),
    ];
    for (created, resolved, _) in cases {
        ticket(&txn, merchant, created, Some(resolved), Some(resolved)).await;
    }
    let hours = "mon-fri 09:00-17:00";
    let h: BusinessHours = hours.parse().unwrap();
    for (created, resolved, want) in cases {
        assert_eq!(
            business_seconds(&h, UtcOffset::UTC, created, resolved),
            want,
            "oracle {created} -> {resolved}"
        );
    }
    let p = params(
        merchant,
        date(2026, 10, 1),
        date(2026, 11, 1),
        "+00:00",
        Some(hours),
    );
    let r = check(&txn, &p).await;
    let mut want: Vec<i64> = cases.iter().map(|c| c.2).collect();
    want.sort_unstable();
    assert_eq!(r["resolution_business"]["count"], 9);
    assert_eq!(r["resolution_business"]["min_secs"], want[0]);
    assert_eq!(r["resolution_business"]["max_secs"], want[8]);
    assert_eq!(r["resolution_business"]["p50_secs"], want[4] as f64);
    assert_eq!(
        r["first_response_business"]["avg_secs"],
        want.iter().sum::<i64>() as f64 / 9.0
    );
}

/// A holiday, a schedule with different hours per day, a wrapping day
/// range ending at 24:00, and the first-response end derived from
/// `first_response_time` when `first_responded_at` is missing.
#[tokio::test]
async fn holidays_per_day_schedules_and_wraps() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    // Thursday 16:00 -> Monday 10:00 over Friday 2026-10-09.
    let t1 = ticket(
        &txn,
        merchant,
        at(2026, 10, 8, 16, 0, 0),
        None,
        Some(at(2026, 10, 12, 10, 0, 0)),
    )
    .await;
    // Friday 12:00 -> Monday 10:00.
    ticket(
        &txn,
        merchant,
        at(2026, 10, 9, 12, 0, 0),
        None,
        Some(at(2026, 10, 12, 10, 0, 0)),
    )
    .await;
    // Saturday 23:00 -> Sunday 01:00 (spans midnight).
    ticket(
        &txn,
        merchant,
        at(2026, 10, 10, 23, 0, 0),
        None,
        Some(at(2026, 10, 11, 1, 0, 0)),
    )
    .await;
    // first_response_time without first_responded_at: 3 hours from Monday 08:00.
    let mut row = TicketFactory::new(merchant)
        .created_at(at(2026, 10, 5, 8, 0, 0))
        .build();
    row.first_responded_at = Set(None);
    row.first_response_time = Set(Some(3 * 3_600));
    row.insert(&txn).await.unwrap();
    let _ = t1;

    let range = (date(2026, 10, 1), date(2026, 11, 1));
    let holiday = |p: &mut ReportParams| {
        p.business_hours = p
            .business_hours
            .take()
            .map(|h| h.with_holiday_list("2026-10-09").unwrap());
    };
    let mut p = params(
        merchant,
        range.0,
        range.1,
        "+00:00",
        Some("mon-fri 09:00-17:00"),
    );
    holiday(&mut p);
    let r = check(&txn, &p).await;
    // 1 h Thu + 1 h Mon; 1 h Mon (Friday is a holiday); 0.
    assert_eq!(r["resolution_business"]["max_secs"], 7_200);
    assert_eq!(r["resolution_business"]["min_secs"], 0);
    assert_eq!(r["first_response_business"]["max_secs"], 7_200);

    let p = params(
        merchant,
        range.0,
        range.1,
        "+00:00",
        Some("mon-thu 09:00-17:00, fri 09:00-13:00"),
    );
    let r = check(&txn, &p).await;
    // Thu 1 h + Fri 4 h + Mon 1 h; Fri 1 h + Mon 1 h; 0.
    assert_eq!(r["resolution_business"]["max_secs"], 21_600);

    let p = params(
        merchant,
        range.0,
        range.1,
        "+00:00",
        Some("fri-sun 22:00-24:00"),
    );
    let r = check(&txn, &p).await;
    // The Saturday-night ticket: Sat 23:00-24:00 and Sun 00:00-01:00 -> 1 h.
    assert_eq!(r["resolution_business"]["min_secs"], 3_600);
}

/// Instants far from today (before 1990, after 2060, where PostgreSQL
/// takes the exact path instead of the float one) and at the edges of that
/// range, with fractions of a second, measure as the oracle does.
#[tokio::test]
async fn distant_instants_and_fractions() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let ms = |t: DateTime<Utc>, ms: i64| t + Duration::milliseconds(ms);
    let resolved = ms(at(2026, 10, 6, 10, 0, 0), 500);
    for created in [
        ms(at(1985, 3, 4, 12, 34, 56), 789),
        ms(at(1989, 12, 31, 23, 59, 59), 999),
        at(1990, 1, 1, 0, 0, 0),
        ms(at(1990, 1, 1, 9, 0, 0), 1),
    ] {
        ticket(&txn, merchant, created, None, Some(resolved)).await;
    }
    // Created in the window, first answered after 2060 (and at its edge).
    for answered in [
        ms(at(2071, 1, 2, 11, 0, 0), 125),
        ms(at(2059, 12, 31, 23, 59, 59), 999),
        at(2060, 1, 1, 0, 0, 0),
    ] {
        ticket(
            &txn,
            merchant,
            ms(at(2026, 10, 7, 9, 0, 0), 250),
            Some(answered),
            None,
        )
        .await;
    }
    for offset in ["+00:00", "+05:30", "-12:00"] {
        let mut p = params(
            merchant,
            date(2026, 10, 1),
            date(2026, 11, 1),
            offset,
            Some("mon-fri 09:00-17:00"),
        );
        p.business_hours = p.business_hours.take().map(|h| {
            h.with_holiday_list("1985-03-05,2026-10-06,2065-01-05")
                .unwrap()
        });
        let r = check(&txn, &p).await;
        assert_eq!(r["resolution_business"]["count"], 4);
        assert_eq!(r["first_response_business"]["count"], 3);
    }
}

/// The same local-time tickets in offsets -12:00, +05:30 and +14:00 (and
/// others) take the same business seconds, and windows whose edges fall
/// outside working time (tickets created before the window, resolved in
/// it, and the reverse) agree with the oracle.
#[tokio::test]
async fn offsets_and_window_edges() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let schedule = "mon-thu 08:30-17:45,fri 10:00-24:00,sun 00:00-06:00";
    for offset in ["-12:00", "+05:30", "+14:00", "-03:45", "+00:00"] {
        let o: UtcOffset = offset.parse().unwrap();
        let merchant = unique_merchant_id();
        let local =
            |d: NaiveDate, h: i64, m: i64| o.start_of(d).unwrap() + Duration::minutes(h * 60 + m);
        for (c, r) in [
            (
                local(date(2026, 10, 9), 23, 0),
                local(date(2026, 10, 12), 9, 0),
            ),
            (
                local(date(2026, 10, 4), 5, 59),
                local(date(2026, 10, 5), 8, 31),
            ),
            (
                local(date(2026, 9, 30), 17, 0),
                local(date(2026, 10, 1), 9, 0),
            ),
            (
                local(date(2026, 10, 30), 16, 0),
                local(date(2026, 11, 2), 9, 0),
            ),
            (
                local(date(2026, 10, 31), 23, 59),
                local(date(2026, 11, 1), 0, 1),
            ),
        ] {
            ticket(&txn, merchant, c, Some(r), Some(r)).await;
        }
        let mut p = params(
            merchant,
            date(2026, 10, 1),
            date(2026, 11, 1),
            offset,
            Some(schedule),
        );
        p.business_hours = p
            .business_hours
            .map(|h| h.with_holiday_list("2026-10-05,2026-10-31").unwrap());
        let r = check(&txn, &p).await;
        assert!(
            r["resolution_business"]["count"].as_u64().unwrap() >= 3,
            "{offset}: {r}"
        );
        // Fri 23:00-24:00 (1 h) + Sun 00:00-06:00 (6 h) + Mon 08:30-09:00 (0.5 h).
        let first = business_seconds(
            p.business_hours.as_ref().unwrap(),
            o,
            local(date(2026, 10, 9), 23, 0),
            local(date(2026, 10, 12), 9, 0),
        );
        assert_eq!(first, 27_000, "{offset}");
        for window in [
            (date(2026, 10, 2), date(2026, 10, 31)),
            (date(2026, 10, 10), date(2026, 10, 11)),
        ] {
            let mut q = p.clone();
            (q.from, q.to) = window;
            check(&txn, &q).await;
        }
    }
}

/// Generated data with flags set on some tickets: every metric, business
/// ones included, matches the oracle for several offsets and schedules.
#[tokio::test]
async fn generated_data_with_flags_and_schedules_matches_the_oracle() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let config = DemoConfig::new(1, 250, 13)
        .first_merchant(merchant)
        .anchor(at(2026, 11, 1, 0, 0, 0));
    demo::fill(&txn, &config).await.unwrap();
    let tickets = load(&txn, merchant).await.tickets;
    for (i, t) in tickets.iter().enumerate() {
        let mut row: ticket::ActiveModel = t.clone().into();
        match i % 9 {
            0 => row.spam = Set(true),
            1 => row.deleted = Set(true),
            2 | 5 => row.reopened_at = Set(Some(t.created_at + Duration::hours(30))),
            _ => continue,
        }
        row.update(&txn).await.unwrap();
    }
    for (offset, hours, holidays) in [
        ("+00:00", "mon-fri 09:00-17:00", ""),
        (
            "+05:30",
            "mon-thu 09:00-17:00,fri 09:00-13:00",
            "2026-10-02,2026-10-15",
        ),
        ("-12:00", "sat-tue 20:00-24:00", "2026-10-20"),
        ("+14:00", "mon-sun 00:00-24:00", ""),
    ] {
        let mut p = params(
            merchant,
            date(2026, 9, 1),
            date(2026, 11, 2),
            offset,
            Some(hours),
        );
        if !holidays.is_empty() {
            p.business_hours = p
                .business_hours
                .map(|h| h.with_holiday_list(holidays).unwrap());
        }
        let r = check(&txn, &p).await;
        assert!(r["reopened"].as_u64().unwrap() > 0);
        assert!(r["resolution_business"]["count"].as_u64().unwrap() > 10);
        if hours == "mon-sun 00:00-24:00" {
            // Around the clock, business time is calendar time.
            assert_eq!(r["resolution_business"], r["resolution"]);
        }
    }
}

/// Bad schedules and extreme `now` values are typed errors, before any
/// statement is sent.
#[tokio::test]
async fn invalid_input_is_rejected_before_any_statement() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    db.counter().reset();
    for now in [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        at(999, 12, 31, 0, 0, 0),
    ] {
        let mut p = params(
            merchant,
            date(2026, 10, 1),
            date(2026, 11, 1),
            "+00:00",
            None,
        );
        p.now = now;
        match report(&txn, &p).await {
            Err(Error::InvalidInput { field: "now", .. }) => {}
            other => panic!("{now}: {other:?}"),
        }
    }
    for bad in [
        "mon 09:00-09:00",
        "mon-fri 09:00-17:00,wed 18:00-19:00",
        "mon 25:00-26:00",
    ] {
        match bad.parse::<BusinessHours>() {
            Err(Error::InvalidInput {
                field: "business_hours",
                ..
            }) => {}
            other => panic!("{bad}: {other:?}"),
        }
    }
    // A schedule that arrives through serde is validated too.
    let json = |hours: &str| {
        json!({"merchant": merchant.get(), "from": "2026-10-01", "to": "2026-11-01",
        "utc_offset": "+00:00", "now": "2026-11-01T00:00:00Z",
        "business_hours": {"hours": hours, "holidays": ["2026-12-25"]}})
    };
    let ok: ReportParams = serde_json::from_value(json("fri-mon 09:00-17:00")).unwrap();
    assert_eq!(ok.business_hours.unwrap().holidays().len(), 1);
    let err = serde_json::from_value::<ReportParams>(json("fri-mon 17:00-09:00")).unwrap_err();
    assert!(err.to_string().contains("business_hours"), "{err}");
    assert_eq!(db.counter().get(), 0);
}
