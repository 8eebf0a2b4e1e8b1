//! Issue 9, items 3–7 and 10, and the hostile-input property test, on every
//! backend (SQLite by default; PostgreSQL or MariaDB through `DATABASE_URL`).
//!
//! Each defect has its own test: chrono overflows on caller input (item 3),
//! NUL bytes in lookups (4), forged cursors (5), timestamps outside the
//! supported range (6), deeply nested or huge JSON (7) — each a typed
//! [`Error::InvalidInput`] naming the argument, after which a read on the
//! same transaction still works (PostgreSQL aborts a transaction on an
//! error that reaches it) — and 16 writers of the same 500 Freshdesk ids in
//! different orders end with no deadlock (10, PostgreSQL and MariaDB).
//!
//! `hostile_arguments_never_panic_or_poison_the_transaction` generates
//! hostile values for the arguments of the public functions and prints its
//! counts. Its size is `HOSTILE_API_CASES` (CI: the default, 64); full
//! size: `HOSTILE_API_CASES=2000 DATABASE_URL=… cargo test --all-features
//! --test hostile_api -- --nocapture`.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use freshdesk_store::analytics::{ReportParams, report};
use freshdesk_store::repository::*;
use freshdesk_store::retry::{RetryPolicy, run_in_transaction};
use freshdesk_store::testing::*;
use freshdesk_store::time::{MAX_INSTANT, MIN_INSTANT, UtcOffset};
use freshdesk_store::{Error, MerchantId, Result};
use futures_util::FutureExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{DatabaseTransaction, DbBackend};
use serde_json::{Value, json};

const TICKETS: SeaTicketRepository = SeaTicketRepository;
const AGENTS: SeaAgentRepository = SeaAgentRepository;
const CONTACTS: SeaContactRepository = SeaContactRepository;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
}

/// Asserts `result` is an `InvalidInput` naming `field`.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: Result<T>, field: &str) {
    match result {
        Err(Error::InvalidInput { field: f, .. }) if f == field => {}
        other => panic!("expected InvalidInput({field}), got {other:?}"),
    }
}

/// A simple crate read on `txn`: fails when the transaction was aborted.
async fn still_usable(txn: &DatabaseTransaction, m: MerchantId) {
    TICKETS
        .count(txn, m, &TicketFilter::new())
        .await
        .expect("the caller's transaction is still usable");
}

/// A merchant with two tickets, in an open transaction.
async fn setup(db: &TestDb) -> (DatabaseTransaction, MerchantId) {
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    TICKETS
        .insert_many(
            &txn,
            m,
            vec![
                NewTicket::new("h-1", "one", now()),
                NewTicket::new("h-2", "two", now() + Duration::hours(1)),
            ],
        )
        .await
        .unwrap();
    (txn, m)
}

/// Item 3: chrono overflows on caller input are typed errors, not panics.
#[tokio::test]
#[allow(deprecated)] // the deprecated `created_on` / `urgent_or_old_high_priority` wrappers
async fn chrono_limits_are_typed_errors_naming_the_argument() {
    let db = TestDb::connect().await.unwrap();
    let (txn, m) = setup(&db).await;
    let page = CursorRequest::first(10);
    let plus14 = FixedOffset::east_opt(14 * 3600).unwrap();
    for date in [NaiveDate::MAX, NaiveDate::MIN] {
        assert_invalid(TicketFilter::new().created_on(date, UtcOffset::MAX), "date");
        assert_invalid(TicketFilter::new().created_on(date, UtcOffset::MIN), "date");
        assert_invalid(
            TICKETS.created_on(&txn, m, date, plus14, &page).await,
            "date",
        );
        assert_invalid(UtcOffset::MAX.start_of(date), "date");
        assert_invalid(UtcOffset::MIN.day(date), "date");
        still_usable(&txn, m).await;
    }
    for instant in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
        assert_invalid(UtcOffset::MAX.local_date(instant), "instant");
        assert_invalid(UtcOffset::MIN.local_date(instant), "instant");
        assert_invalid(
            TicketFilter::urgent_or_old_high_priority(instant, Duration::hours(1)),
            "now",
        );
        assert_invalid(
            TICKETS
                .urgent_or_old_high_priority(&txn, m, instant, Duration::hours(1), &page)
                .await,
            "now",
        );
    }
    // A duration reaching past the supported range matches urgent tickets only.
    for older_than in [Duration::MAX, Duration::days(365 * 20_000)] {
        let filter = TicketFilter::urgent_or_old_high_priority(now(), older_than).unwrap();
        assert_eq!(TICKETS.count(&txn, m, &filter).await.unwrap(), 0);
        let got = TICKETS
            .urgent_or_old_high_priority(&txn, m, now(), older_than, &page)
            .await
            .unwrap();
        assert!(got.items.is_empty());
    }
    assert_invalid(
        TicketFilter::urgent_or_old_high_priority(now(), Duration::MIN),
        "older_than",
    );
    for (page_no, per_page) in [(u64::MAX, 500), (u64::MAX / 2, 500), (1 << 62, 4)] {
        assert_invalid(
            TICKETS
                .list_paginated(
                    &txn,
                    m,
                    &TicketFilter::new(),
                    TicketSort::IdAsc,
                    page_no,
                    per_page,
                )
                .await,
            "page",
        );
        still_usable(&txn, m).await;
    }
    // The largest page that fits an OFFSET is answered (empty).
    let last = (i64::MAX as u64) / 500 + 1;
    let page = TICKETS
        .list_paginated(&txn, m, &TicketFilter::new(), TicketSort::IdAsc, last, 500)
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.total == 2);
    txn.rollback().await.unwrap();
}

/// Item 4: NUL bytes (and over-long values) in lookups are typed errors sent
/// before the database, for every lookup of every repository.
#[tokio::test]
async fn nul_bytes_in_lookups_are_typed_errors() {
    let db = TestDb::connect().await.unwrap();
    let (txn, m) = setup(&db).await;
    let first = CursorRequest::first(10);
    for bad in ["a\0b", "\0", "x\0"] {
        let many = vec!["h-1".to_owned(), bad.to_owned()];
        assert_invalid(
            TICKETS.get_by_freshdesk_id(&txn, m, bad).await,
            "freshdesk_ticket_id",
        );
        assert_invalid(
            TICKETS.resolve_freshdesk_ids(&txn, m, &many).await,
            "freshdesk_ticket_ids",
        );
        assert_invalid(
            AGENTS.get_by_freshdesk_id(&txn, m, bad).await,
            "freshdesk_agent_id",
        );
        assert_invalid(
            AGENTS.resolve_freshdesk_ids(&txn, m, &many).await,
            "freshdesk_ids",
        );
        assert_invalid(
            CONTACTS.get_by_freshdesk_id(&txn, m, bad).await,
            "freshdesk_contact_id",
        );
        assert_invalid(
            CONTACTS.resolve_freshdesk_ids(&txn, m, &many).await,
            "freshdesk_ids",
        );
        let tagged = TicketFilter::new().tag(bad);
        assert_invalid(TICKETS.list(&txn, m, &tagged, &first).await, "tag");
        assert_invalid(TICKETS.count(&txn, m, &tagged).await, "tag");
        assert_invalid(TICKETS.list_ids(&txn, m, &tagged, &first).await, "tag");
        assert_invalid(
            TICKETS.list_with_children(&txn, m, &tagged, &first).await,
            "tag",
        );
        assert_invalid(
            TICKETS
                .list_paginated(&txn, m, &tagged, TicketSort::IdAsc, 1, 10)
                .await,
            "tag",
        );
        assert!(TICKETS.stream_batches(&txn, m, tagged, 10).is_err());
        still_usable(&txn, m).await;
    }
    let long = "x".repeat(256);
    assert_invalid(
        TICKETS.get_by_freshdesk_id(&txn, m, &long).await,
        "freshdesk_ticket_id",
    );
    // Control characters other than NUL are ordinary text: not found.
    assert!(matches!(
        TICKETS.get_by_freshdesk_id(&txn, m, "a\u{1}\u{7f}b").await,
        Err(Error::NotFound { .. })
    ));
    still_usable(&txn, m).await;
    txn.rollback().await.unwrap();
}

/// Replaces the timestamp value of a real cursor (hex of
/// `c1|<fp>|t<secs>.<nanos>|i<id>`) with `ts` and the id with `id`.
fn forge(cursor: &str, ts: &str, id: &str) -> String {
    let bytes: Vec<u8> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).unwrap())
        .collect();
    let text = String::from_utf8(bytes).unwrap();
    let parts: Vec<String> = text
        .split('|')
        .map(|p| match p.as_bytes().first() {
            Some(b't') => format!("t{ts}"),
            Some(b'i') => format!("i{id}"),
            _ => p.to_owned(),
        })
        .collect();
    parts
        .join("|")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Item 5: a forged cursor with out-of-range values is a typed error for
/// `cursor`, and the caller's transaction stays usable.
#[tokio::test]
async fn forged_cursor_values_are_range_checked() {
    let db = TestDb::connect().await.unwrap();
    let (txn, m) = setup(&db).await;
    let filter = TicketFilter::new();
    let first = TICKETS
        .list(&txn, m, &filter, &CursorRequest::first(1))
        .await
        .unwrap();
    let cursor = first.next_cursor.expect("two tickets, page of one");
    // The cursor is accepted as made.
    let next = CursorRequest::first(1).after(Some(cursor.clone()));
    assert_eq!(
        TICKETS
            .list(&txn, m, &filter, &next)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    for (ts, id) in [
        ("-283000000000.0", "1"),
        ("253402300800.0", "1"),
        ("-30610224001.999999999", "1"),
        ("8210266876799.0", "1"),
        ("1790000000.0", "0"),
        ("1790000000.0", "-9223372036854775808"),
    ] {
        let forged = CursorRequest::first(1).after(Some(forge(&cursor, ts, id)));
        assert_invalid(TICKETS.list(&txn, m, &filter, &forged).await, "cursor");
        still_usable(&txn, m).await;
    }
    // People cursors: ids above 0.
    let agent_cursor: String = format!("c1|{:016x}|i0", 0_u64)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_invalid(
        AGENTS.list(&txn, m, Some(&agent_cursor), 10).await,
        "cursor",
    );
    still_usable(&txn, m).await;
    txn.rollback().await.unwrap();
}

/// Item 6: every timestamp the crate writes or compares is checked against
/// the supported range, with a typed error naming the field.
#[tokio::test]
async fn timestamps_outside_the_supported_range_are_typed_errors() {
    let db = TestDb::connect().await.unwrap();
    let (txn, m) = setup(&db).await;
    let year = |y: i32| Utc.with_ymd_and_hms(y, 6, 1, 0, 0, 0).single();
    let outside: Vec<DateTime<Utc>> = [
        year(10_000),
        year(-1),
        year(999),
        Some(DateTime::<Utc>::MIN_UTC),
        Some(DateTime::<Utc>::MAX_UTC),
        Some(MAX_INSTANT + Duration::nanoseconds(1)),
        Some(MIN_INSTANT - Duration::microseconds(1)),
    ]
    .into_iter()
    .flatten()
    .collect();
    for bad in outside {
        assert_invalid(
            TICKETS
                .insert_many(&txn, m, vec![NewTicket::new("r-1", "s", bad)])
                .await,
            "created_at",
        );
        let mut row = NewTicket::new("r-1", "s", now());
        row.fr_due_by = Some(bad);
        assert_invalid(TICKETS.upsert_many(&txn, m, vec![row]).await, "fr_due_by");
        let mut row = NewTicket::new("r-1", "s", now());
        row.updated_at = bad;
        assert_invalid(TICKETS.upsert_many(&txn, m, vec![row]).await, "updated_at");
        let ticket = TICKETS
            .get_by_freshdesk_id(&txn, m, "h-1")
            .await
            .unwrap()
            .id;
        assert_invalid(
            TICKETS
                .insert_conversations(&txn, m, vec![NewConversation::new(ticket, "c", "b", bad)])
                .await,
            "created_at",
        );
        assert_invalid(
            TICKETS
                .insert_ratings(&txn, m, vec![NewRating::new(ticket, "r", 100, bad)])
                .await,
            "created_at",
        );
        let between = TicketFilter::new().created_between(bad, now());
        assert_invalid(TICKETS.count(&txn, m, &between).await, "created_from");
        let between = TicketFilter::new().created_between(now(), bad);
        assert_invalid(TICKETS.count(&txn, m, &between).await, "created_before");
        let sla = TicketFilter::breaching_sla(Sla::Either, bad);
        assert_invalid(
            TICKETS.list(&txn, m, &sla, &CursorRequest::first(5)).await,
            "breaching.now",
        );
        let params = ReportParams {
            merchant: m,
            from: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 10, 2).unwrap(),
            utc_offset: UtcOffset::UTC,
            now: bad,
            business_hours: None,
        };
        assert_invalid(report(&txn, &params).await, "now");
        still_usable(&txn, m).await;
    }
    // The range's ends are stored and read back on every backend.
    TICKETS
        .insert_many(
            &txn,
            m,
            vec![
                NewTicket::new("edge-min", "s", MIN_INSTANT),
                NewTicket::new("edge-max", "s", MAX_INSTANT),
            ],
        )
        .await
        .unwrap();
    let all = TicketFilter::new().created_between(MIN_INSTANT, MAX_INSTANT);
    assert_eq!(TICKETS.count(&txn, m, &all).await.unwrap(), 3);
    let min = TICKETS
        .get_by_freshdesk_id(&txn, m, "edge-min")
        .await
        .unwrap();
    assert_eq!(min.created_at, MIN_INSTANT);
    let first = TICKETS
        .list(
            &txn,
            m,
            &TicketFilter::new(),
            &CursorRequest::first(1).sort(TicketSort::CreatedAsc),
        )
        .await
        .unwrap();
    assert_eq!(first.items[0].freshdesk_ticket_id, "edge-min");
    txn.rollback().await.unwrap();
}

fn nested(levels: usize) -> Value {
    let mut value = json!(1);
    for _ in 1..levels {
        value = json!({ "a": value });
    }
    value
}

/// Item 7: `custom_fields` is bounded in depth and size at write time.
#[tokio::test]
async fn deep_or_huge_custom_fields_are_refused_at_write_time() {
    let db = TestDb::connect().await.unwrap();
    let (txn, m) = setup(&db).await;
    for levels in [MAX_JSON_DEPTH + 1, 40, 200] {
        let mut row = NewTicket::new("j-1", "s", now());
        row.custom_fields = json!({ "deep": nested(levels) });
        let mut rows = vec![NewTicket::new("j-0", "s", now()), row];
        match TICKETS.upsert_many(&txn, m, rows.clone()).await {
            Err(Error::InvalidInput {
                field: "custom_fields",
                reason,
            }) => assert!(reason.contains("row 1"), "{reason}"),
            other => panic!("{levels} levels: {other:?}"),
        }
        rows.truncate(1);
        still_usable(&txn, m).await;
    }
    let mut huge = NewTicket::new("j-2", "s", now());
    huge.custom_fields = json!({ "k": "x".repeat(MAX_JSON_BYTES) });
    assert_invalid(
        TICKETS.insert_many(&txn, m, vec![huge]).await,
        "custom_fields",
    );
    let mut tags = NewTicket::new("j-3", "s", now());
    tags.tags = vec!["t".repeat(1024); 300];
    assert_invalid(TICKETS.insert_many(&txn, m, vec![tags]).await, "tags");
    // At the limit: stored, and every page holding it loads.
    let mut deepest = NewTicket::new("j-4", "s", now());
    deepest.custom_fields = nested(MAX_JSON_DEPTH);
    if !deepest.custom_fields.is_object() {
        deepest.custom_fields = json!({ "a": nested(MAX_JSON_DEPTH - 1) });
    }
    TICKETS.insert_many(&txn, m, vec![deepest]).await.unwrap();
    let page = TICKETS
        .list(&txn, m, &TicketFilter::new(), &CursorRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    txn.rollback().await.unwrap();
}

/// A deterministic shuffle (xorshift), a different order per `seed`.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = usize::try_from(state % (i as u64 + 1)).unwrap();
        order.swap(i, j);
    }
    order
}

/// Item 10: 16 tasks upserting the same 500 Freshdesk ids, each in its own
/// order, through `run_in_transaction`: no deadlock, 500 rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_upserts_take_locks_in_one_order() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() == DbBackend::Sqlite {
        // One writer at a time: SQLite takes no row locks.
        eprintln!("skipped on SQLite (no row locks)");
        return;
    }
    let m = unique_merchant_id();
    let attempts = Arc::new(AtomicU64::new(0));
    let deadlocks = Arc::new(AtomicU64::new(0));
    let retried = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for task in 0..16_u64 {
        let conn = db.connection().clone();
        let (attempts, deadlocks, retried) = (attempts.clone(), deadlocks.clone(), retried.clone());
        tasks.push(tokio::spawn(async move {
            let rows: Vec<NewTicket> = shuffled(500, task + 1)
                .into_iter()
                .map(|i| NewTicket::new(format!("lock-{i}"), format!("task {task}"), now()))
                .collect();
            let policy = RetryPolicy::default().max_attempts(20);
            run_in_transaction(&conn, &policy, |txn| {
                let rows = rows.clone();
                let (attempts, deadlocks, retried) =
                    (attempts.clone(), deadlocks.clone(), retried.clone());
                Box::pin(async move {
                    attempts.fetch_add(1, Ordering::Relaxed);
                    let result = TICKETS.upsert_many(txn, m, rows).await;
                    if let Err(err) = &result {
                        if matches!(err, Error::Deadlock(_)) {
                            deadlocks.fetch_add(1, Ordering::Relaxed);
                        }
                        if err.is_retryable() {
                            retried.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    result
                })
            })
            .await
        }));
    }
    let mut failed = Vec::new();
    for task in tasks {
        if let Err(err) = task.await.unwrap() {
            failed.push(err.to_string());
        }
    }
    let txn = db.begin().await.unwrap();
    let rows = TICKETS.count(&txn, m, &TicketFilter::new()).await.unwrap();
    txn.rollback().await.unwrap();
    println!(
        "contention ({:?}): 16 tasks x 500 ids: attempts {}, retryable errors {}, deadlocks {}, failed {}, rows {rows}",
        db.backend(),
        attempts.load(Ordering::Relaxed),
        retried.load(Ordering::Relaxed),
        deadlocks.load(Ordering::Relaxed),
        failed.len(),
    );
    assert_eq!(deadlocks.load(Ordering::Relaxed), 0);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(rows, 500);
}

/// One hostile call of a public function.
#[derive(Clone, Debug)]
enum Call {
    CreatedOn(NaiveDate, i32),
    Urgent(DateTime<Utc>, Duration),
    Between(DateTime<Utc>, DateTime<Utc>),
    Breaching(DateTime<Utc>),
    LocalDate(DateTime<Utc>, i32),
    Paginated(u64, u64),
    PageSize(u64),
    Lookup(String),
    Tag(String),
    Write(String, DateTime<Utc>, usize, usize),
    Cursor(String),
    ForgedCursor(String, String),
    Report(NaiveDate, NaiveDate, DateTime<Utc>),
}

fn hostile_instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        Just(MIN_INSTANT),
        Just(MAX_INSTANT),
        Just(MAX_INSTANT + Duration::nanoseconds(1)),
        (
            DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            0_u32..2_000_000_000
        )
            .prop_filter_map("a chrono instant", |(s, n)| DateTime::from_timestamp(s, n)),
        (-40_000_000_000_i64..260_000_000_000)
            .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
    ]
}

fn hostile_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
        (-3_000_000_i32..3_000_000)
            .prop_map(|d| { NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MAX) }),
    ]
}

fn hostile_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(u64::MAX),
        Just(i64::MAX as u64),
        Just(i64::MAX as u64 + 1),
        any::<u64>(),
        0_u64..1_000,
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z\\x00-\\x1f\\x7f]{0,12}",
        Just("a\0b".to_owned()),
        Just("x".repeat(300)),
        ".{0,20}",
    ]
}

fn hostile_call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (hostile_date(), any::<i32>()).prop_map(|(d, o)| Call::CreatedOn(d, o)),
        (hostile_instant(), any::<i64>()).prop_map(|(n, s)| {
            Call::Urgent(
                n,
                Duration::try_milliseconds(s).unwrap_or(if s < 0 {
                    Duration::MIN
                } else {
                    Duration::MAX
                }),
            )
        }),
        (hostile_instant(), hostile_instant()).prop_map(|(a, b)| Call::Between(a, b)),
        hostile_instant().prop_map(Call::Breaching),
        (hostile_instant(), any::<i32>()).prop_map(|(t, o)| Call::LocalDate(t, o)),
        (hostile_u64(), hostile_u64()).prop_map(|(p, s)| Call::Paginated(p, s)),
        hostile_u64().prop_map(Call::PageSize),
        hostile_text().prop_map(Call::Lookup),
        hostile_text().prop_map(Call::Tag),
        (
            hostile_text(),
            hostile_instant(),
            0_usize..80,
            0_usize..400_000
        )
            .prop_map(|(id, at, depth, size)| Call::Write(id, at, depth, size)),
        "[0-9a-fA-F]{0,80}|.{0,40}".prop_map(Call::Cursor),
        ("-?[0-9]{1,22}\\.-?[0-9]{1,12}", "-?[0-9]{1,21}")
            .prop_map(|(t, i)| Call::ForgedCursor(t, i)),
        (hostile_date(), hostile_date(), hostile_instant())
            .prop_map(|(f, t, n)| Call::Report(f, t, n)),
    ]
}

/// Runs one hostile call; the result with its value dropped.
async fn run_call(
    txn: &DatabaseTransaction,
    m: MerchantId,
    cursor: &str,
    call: Call,
) -> Result<()> {
    let first = CursorRequest::first(10);
    let list = |f: TicketFilter| async move { TICKETS.list(txn, m, &f, &first).await.map(drop) };
    match call {
        Call::CreatedOn(date, secs) => {
            let offset = UtcOffset::from_seconds(secs)?;
            list(TicketFilter::new().created_on(date, offset)?).await
        }
        Call::Urgent(now, older) => {
            list(TicketFilter::urgent_or_old_high_priority(now, older)?).await
        }
        Call::Between(a, b) => list(TicketFilter::new().created_between(a, b)).await,
        Call::Breaching(now) => list(TicketFilter::breaching_sla(Sla::Either, now)).await,
        Call::LocalDate(at, secs) => UtcOffset::from_seconds(secs)?.local_date(at).map(drop),
        Call::Paginated(page, per) => TICKETS
            .list_paginated(
                txn,
                m,
                &TicketFilter::new(),
                TicketSort::CreatedDesc,
                page,
                per,
            )
            .await
            .map(drop),
        Call::PageSize(size) => TICKETS
            .list(txn, m, &TicketFilter::new(), &CursorRequest::first(size))
            .await
            .map(drop),
        Call::Lookup(id) => {
            let one = TICKETS.get_by_freshdesk_id(txn, m, &id).await.map(drop);
            let many = AGENTS
                .resolve_freshdesk_ids(txn, m, std::slice::from_ref(&id))
                .await
                .map(drop);
            let contact = CONTACTS.get_by_freshdesk_id(txn, m, &id).await.map(drop);
            one.and(many).and(contact)
        }
        Call::Tag(tag) => list(TicketFilter::new().tag(tag)).await,
        Call::Write(id, at, depth, size) => {
            let mut row = NewTicket::new(id, "hostile", at);
            row.custom_fields = json!({ "d": nested(depth.max(1)), "s": "x".repeat(size) });
            TICKETS.upsert_many(txn, m, vec![row]).await.map(drop)
        }
        Call::Cursor(c) => {
            let req = CursorRequest::first(10).after(Some(c));
            TICKETS
                .list(txn, m, &TicketFilter::new(), &req)
                .await
                .map(drop)
        }
        Call::ForgedCursor(ts, id) => {
            let req = CursorRequest::first(1).after(Some(forge(cursor, &ts, &id)));
            TICKETS
                .list(txn, m, &TicketFilter::new(), &req)
                .await
                .map(drop)
        }
        Call::Report(from, to, now) => {
            let params = ReportParams {
                merchant: m,
                from,
                to,
                utc_offset: UtcOffset::UTC,
                now,
                business_hours: None,
            };
            report(txn, &params).await.map(drop)
        }
    }
}

/// Hostile values for every argument: 0 panics, 0 untyped errors, 0
/// aborted caller transactions (a read on the same transaction after every
/// call), on every backend.
#[test]
fn hostile_arguments_never_panic_or_poison_the_transaction() {
    let cases: u32 = std::env::var("HOSTILE_API_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDb::connect()).unwrap();
    let backend = db.backend();
    let (txn, m) = rt.block_on(setup(&db));
    let cursor = rt
        .block_on(TICKETS.list(&txn, m, &TicketFilter::new(), &CursorRequest::first(1)))
        .unwrap()
        .next_cursor
        .unwrap();
    let counts: [AtomicU64; 6] = Default::default();
    let [ok, invalid, other_typed, untyped, panics, aborted] = &counts;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&hostile_call(), |call| {
            let shown = format!("{call:?}");
            let outcome =
                rt.block_on(AssertUnwindSafe(run_call(&txn, m, &cursor, call)).catch_unwind());
            match outcome {
                Err(_) => {
                    panics.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Ok(())) => {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Err(Error::InvalidInput { .. })) => {
                    invalid.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Err(Error::Database(e))) => {
                    untyped.fetch_add(1, Ordering::Relaxed);
                    eprintln!("untyped error for {:.200}: {e}", shown);
                }
                Ok(Err(_)) => {
                    other_typed.fetch_add(1, Ordering::Relaxed);
                }
            }
            let read = rt.block_on(TICKETS.count(&txn, m, &TicketFilter::new()));
            if read.is_err() {
                aborted.fetch_add(1, Ordering::Relaxed);
            }
            prop_assert!(read.is_ok(), "transaction unusable after {:.300}", shown);
            Ok(())
        })
        .unwrap();
    rt.block_on(txn.rollback()).unwrap();
    let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "hostile API ({backend:?}): {cases} cases: ok {}, InvalidInput {}, other typed {}, untyped {}, panics {}, aborted transactions {}",
        n(ok),
        n(invalid),
        n(other_typed),
        n(untyped),
        n(panics),
        n(aborted)
    );
    assert_eq!(n(panics), 0);
    assert_eq!(n(untyped), 0);
    assert_eq!(n(aborted), 0);
}
