//! Cancellation stress: every write and read method dropped at random points
//! of its work, many times, on the caller's transaction.
//!
//! Each try: the caller begins a transaction and writes a marker ticket (and
//! the rows the method works on); the method's future is polled a random
//! number of times, with random pauses, and dropped; then the test checks
//! that
//!
//! * the caller's marker is still there (nothing of the caller's was lost),
//! * after [`undo_cancelled`] (which every crate call also runs first), the
//!   merchant's rows are exactly as before the call or exactly as after a
//!   complete call (never half-written),
//! * the caller's later write and `rollback()` leave nothing committed (the
//!   transaction did not fall into autocommit),
//! * no step waits longer than 15 s (no hang),
//! * and, at the end, no pooled connection carries changed session state.
//!
//! Size: `STRESS_TRIES` cancellations per method (CI: 12; tries go on
//! until that many calls were really dropped before finishing, at most
//! `STRESS_MAX_FACTOR` times as many tries: 3 by default, 10 for the
//! full-size figures). The full-size run, 200 cancellations per method and
//! backend, is
//! `STRESS_TRIES=200 STRESS_MAX_FACTOR=10 DATABASE_URL=… cargo test --release --all-features --test stress_cancel -- --nocapture`
//! (figures in `benches/README.md`).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use freshdesk_store::analytics::{self, ReportParams, UtcOffset};
use freshdesk_store::entity::enums::TicketStatus;
use freshdesk_store::repository::{
    AgentRepository, ContactRepository, CursorRequest, NewAgent, NewContact, NewConversation,
    NewRating, NewTicket, SeaAgentRepository, SeaContactRepository, SeaTicketRepository,
    TicketFilter, TicketRepository, migrate_merchant_data, undo_cancelled,
};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use freshdesk_store::{MerchantId, TicketId};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};

/// Rows in the multi-chunk writes: more than one statement's worth on
/// every backend (PostgreSQL and MariaDB take about 3,400 tickets per
/// statement, SQLite about 1,700).
const BIG: usize = 3_600;
const HANG: Duration = Duration::from_secs(15);

/// Most tries per method, as a multiple of [`tries`].
fn max_factor() -> usize {
    std::env::var("STRESS_MAX_FACTOR")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

fn tries() -> usize {
    std::env::var("STRESS_TRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

/// xorshift64*: reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn from_env() -> Self {
        let seed = std::env::var("STRESS_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(7)
                    | 1
            });
        println!("STRESS_SEED={seed}");
        Self(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    InsertMany,
    UpsertMany,
    InsertConversations,
    UpsertRatings,
    SetStatus,
    MarkProcessed,
    Delete,
    UpsertAgents,
    InsertContacts,
    MoveMerchant,
    GetWithChildren,
    List,
    Report,
}

const OPS: [Op; 13] = [
    Op::InsertMany,
    Op::UpsertMany,
    Op::InsertConversations,
    Op::UpsertRatings,
    Op::SetStatus,
    Op::MarkProcessed,
    Op::Delete,
    Op::UpsertAgents,
    Op::InsertContacts,
    Op::MoveMerchant,
    Op::GetWithChildren,
    Op::List,
    Op::Report,
];

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, day, 12, 0, 0).unwrap()
}

/// What one try works on: the merchant, a second merchant (moves), and the
/// ids of the tickets the caller wrote before the call.
struct Setup {
    merchant: MerchantId,
    other: MerchantId,
    tickets: Vec<TicketId>,
}

async fn setup(txn: &DatabaseTransaction, op: Op) -> Setup {
    let merchant = unique_merchant_id();
    let other = unique_merchant_id();
    let repo = SeaTicketRepository;
    // The caller's own earlier write: must survive anything the call does.
    let mut rows = vec![NewTicket::new("marker", "the caller's row", at(1))];
    let base = if matches!(op, Op::UpsertMany) {
        BIG / 2
    } else {
        40
    };
    rows.extend((0..base).map(|i| NewTicket::new(format!("t{i}"), "subject", at(2))));
    repo.insert_many(txn, merchant, rows).await.unwrap();
    let ids = repo
        .resolve_freshdesk_ids(
            txn,
            merchant,
            &(0..base).map(|i| format!("t{i}")).collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let mut tickets: Vec<TicketId> = ids.into_values().collect();
    tickets.sort();
    let conversations = tickets
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, t)| NewConversation::new(*t, format!("c{i}"), "hello", at(3)))
        .collect();
    repo.insert_conversations(txn, merchant, conversations)
        .await
        .unwrap();
    Setup {
        merchant,
        other,
        tickets,
    }
}

type Call<'a> = Pin<Box<dyn Future<Output = Result<(), freshdesk_store::Error>> + Send + 'a>>;

fn call<'a>(txn: &'a DatabaseTransaction, op: Op, s: &'a Setup) -> Call<'a> {
    let repo = SeaTicketRepository;
    let m = s.merchant;
    Box::pin(async move {
        match op {
            Op::InsertMany => {
                let rows = (0..BIG)
                    .map(|i| NewTicket::new(format!("n{i}"), "new", at(4)))
                    .collect();
                repo.insert_many(txn, m, rows).await.map(drop)
            }
            Op::UpsertMany => {
                let rows = (0..BIG)
                    .map(|i| {
                        let mut t = NewTicket::new(format!("t{i}"), "upserted", at(2));
                        t.status = TicketStatus::Pending;
                        t
                    })
                    .collect();
                repo.upsert_many(txn, m, rows).await.map(drop)
            }
            Op::InsertConversations => {
                let rows = s
                    .tickets
                    .iter()
                    .enumerate()
                    .map(|(i, t)| NewConversation::new(*t, format!("x{i}"), "reply", at(5)))
                    .collect();
                repo.insert_conversations(txn, m, rows).await.map(drop)
            }
            Op::UpsertRatings => {
                let rows = s
                    .tickets
                    .iter()
                    .enumerate()
                    .map(|(i, t)| NewRating::new(*t, format!("r{i}"), 103, at(6)))
                    .collect();
                repo.upsert_ratings(txn, m, rows).await
            }
            Op::SetStatus => repo
                .set_status(txn, m, &s.tickets, TicketStatus::Closed)
                .await
                .map(drop),
            Op::MarkProcessed => repo.mark_processed(txn, m, &s.tickets).await.map(drop),
            Op::Delete => repo.delete(txn, m, &s.tickets).await.map(drop),
            Op::UpsertAgents => {
                let rows = (0..200)
                    .map(|i| NewAgent::new(format!("a{i}"), format!("Agent {i}")))
                    .collect();
                SeaAgentRepository.upsert_many(txn, m, rows).await
            }
            Op::InsertContacts => {
                let rows = (0..200)
                    .map(|i| NewContact::new(format!("p{i}"), format!("Person {i}")))
                    .collect();
                SeaContactRepository
                    .insert_many(txn, m, rows)
                    .await
                    .map(drop)
            }
            Op::MoveMerchant => migrate_merchant_data(txn, m, s.other).await.map(drop),
            Op::GetWithChildren => repo.get_with_children(txn, m, s.tickets[0]).await.map(drop),
            Op::List => repo
                .list(txn, m, &TicketFilter::default(), &CursorRequest::first(100))
                .await
                .map(drop),
            Op::Report => {
                let params = ReportParams {
                    merchant: m,
                    from: at(1).date_naive(),
                    to: at(30).date_naive(),
                    utc_offset: UtcOffset::UTC,
                    now: at(30),
                    business_hours: None,
                };
                analytics::report(txn, &params).await.map(drop)
            }
        }
    })
}

/// Row counts and a fingerprint of the mutable ticket columns, for both
/// merchants of a try, read with plain SQL (no crate call, so nothing is
/// undone by reading).
async fn snapshot<C: ConnectionTrait>(db: &C, s: &Setup) -> Vec<i64> {
    let mut out = Vec::new();
    for m in [s.merchant.get(), s.other.get()] {
        for table in [
            "freshdesk_unified_ticket_view",
            "freshdesk_conversation",
            "freshdesk_rating",
            "freshdesk_agent",
            "freshdesk_contact",
        ] {
            out.push(
                scalar(
                    db,
                    &format!("SELECT COUNT(*) FROM {table} WHERE merchant_id = {m}"),
                )
                .await,
            );
        }
        out.push(
            scalar(
                db,
                &format!(
                    "SELECT COALESCE(SUM(status * 2 + CASE WHEN processed THEN 1 ELSE 0 END), 0) \
                     FROM freshdesk_unified_ticket_view WHERE merchant_id = {m}"
                ),
            )
            .await,
        );
    }
    out
}

async fn scalar<C: ConnectionTrait>(db: &C, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::MySql => format!("SELECT CAST(({sql}) AS SIGNED) AS v"),
        _ => format!("SELECT CAST(({sql}) AS BIGINT) AS v"),
    };
    let row = tokio::time::timeout(
        HANG,
        db.query_one_raw(Statement::from_string(backend, sql.clone())),
    )
    .await
    .unwrap_or_else(|_| panic!("a statement hung after a cancelled call: {sql}"))
    .expect("query")
    .expect("one row");
    row.try_get::<i64>("", "v").expect("an integer")
}

async fn marker_present(txn: &DatabaseTransaction, s: &Setup) -> bool {
    scalar(
        txn,
        &format!(
            "SELECT COUNT(*) FROM freshdesk_unified_ticket_view \
             WHERE merchant_id IN ({}, {}) AND freshdesk_ticket_id = 'marker'",
            s.merchant, s.other
        ),
    )
    .await
        == 1
}

/// Polls `fut` until it finishes or `deadline` has passed since the first
/// poll, then drops it; `true` when it finished.
async fn poll_then_drop(mut fut: Call<'_>, deadline: Duration) -> bool {
    let started = Instant::now();
    loop {
        if futures_util::poll!(fut.as_mut()).is_ready() {
            return true;
        }
        if started.elapsed() >= deadline {
            return false;
        }
        tokio::task::yield_now().await;
    }
}

#[derive(Default, Debug)]
struct Figures {
    tries: usize,
    cancelled: usize,
    completed: usize,
    lost_caller_rows: usize,
    half_written: usize,
    committed_after_rollback: usize,
    /// Tries after which the crate reported the transaction gone
    /// (`ConnectionLost`) instead of going on.
    refused: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_never_lose_half_write_or_autocommit() {
    let db = TestDb::connect().await.unwrap();
    let mut rng = Rng::from_env();
    let tries = tries();
    let mut total = Figures::default();
    // `STRESS_OPS=InsertMany,Report` runs only those methods.
    let only = std::env::var("STRESS_OPS").unwrap_or_default();
    for op in OPS {
        if !only.is_empty() && !only.split(',').any(|o| o.trim() == format!("{op:?}")) {
            continue;
        }
        // Calibrate: the outcome of a complete call and how long it takes
        // (the fastest of 3, so that deadlines fall inside a warm call).
        let relative = |v: &[i64], base: &[i64]| -> Vec<i64> {
            v.iter().zip(base).map(|(a, b)| a - b).collect()
        };
        let mut full_delta = Vec::new();
        let mut took = Duration::MAX;
        for _ in 0..3 {
            let txn = db.begin().await.unwrap();
            let s = setup(&txn, op).await;
            let before = snapshot(&txn, &s).await;
            let mut fut = call(&txn, op, &s);
            let started = Instant::now();
            loop {
                if let Poll::Ready(r) = futures_util::poll!(fut.as_mut()) {
                    r.unwrap_or_else(|e| panic!("{op:?} failed uncancelled: {e}"));
                    break;
                }
                tokio::task::yield_now().await;
            }
            drop(fut);
            took = took.min(started.elapsed());
            full_delta = relative(&snapshot(&txn, &s).await, &before);
            drop(txn);
        }

        // Until `tries` calls were really cancelled (a deadline past the
        // call's end lets it complete; those tries count too, up to
        // `STRESS_MAX_FACTOR`× as many).
        let mut figures = Figures::default();
        while figures.cancelled < tries && figures.tries < tries * max_factor() {
            figures.tries += 1;
            let txn = db.begin().await.unwrap();
            let s = setup(&txn, op).await;
            let before = snapshot(&txn, &s).await;
            // A deadline anywhere inside a complete call's duration.
            let deadline = Duration::from_micros(rng.below(took.as_micros() as u64 + 1));
            let finished = tokio::time::timeout(HANG, poll_then_drop(call(&txn, op, &s), deadline))
                .await
                .expect("polling hung");
            if finished {
                figures.completed += 1;
            } else {
                figures.cancelled += 1;
            }
            // The caller's next move: the crate's undo (every crate call runs
            // it first). It either restores the transaction or reports it
            // gone; it never hangs.
            let undone = tokio::time::timeout(HANG, undo_cancelled(&txn))
                .await
                .expect("undo_cancelled hung");
            if let Err(e) = undone {
                // MariaDB: the driver lost step with the server on a dropped
                // prepared statement; the crate closed the connection.
                assert!(
                    matches!(e, freshdesk_store::Error::ConnectionLost(_)),
                    "{op:?}: undo_cancelled failed untyped: {e}"
                );
                figures.refused += 1;
                // The transaction is gone: the caller drops it (a rollback
                // over a connection out of step may never return).
                drop(txn);
                let committed = snapshot(db.connection(), &s).await;
                if committed.iter().any(|n| *n != 0) {
                    figures.committed_after_rollback += 1;
                }
                continue;
            }
            if !marker_present(&txn, &s).await {
                figures.lost_caller_rows += 1;
            }
            let after = relative(&snapshot(&txn, &s).await, &before);
            let untouched = after.iter().all(|d| *d == 0);
            if !(untouched || after == full_delta) {
                figures.half_written += 1;
                eprintln!("{op:?}: half-written: {after:?} (complete: {full_delta:?})");
            }
            // The caller goes on, then rolls back: nothing may be committed.
            SeaTicketRepository
                .insert_many(&txn, s.merchant, vec![NewTicket::new("after", "s", at(7))])
                .await
                .unwrap();
            tokio::time::timeout(HANG, txn.rollback())
                .await
                .expect("rollback hung")
                .unwrap();
            let committed = snapshot(db.connection(), &s).await;
            if committed.iter().any(|n| *n != 0) {
                figures.committed_after_rollback += 1;
                eprintln!("{op:?}: committed after rollback: {committed:?}");
            }
        }
        println!(
            "{op:?} (complete call: {took:?}): {} tries, {} cancelled, {} completed; lost caller rows {}, half-written {}, committed after rollback {}, refused (connection closed) {}",
            figures.tries,
            figures.cancelled,
            figures.completed,
            figures.lost_caller_rows,
            figures.half_written,
            figures.committed_after_rollback,
            figures.refused
        );
        total.tries += figures.tries;
        total.cancelled += figures.cancelled;
        total.completed += figures.completed;
        total.lost_caller_rows += figures.lost_caller_rows;
        total.half_written += figures.half_written;
        total.committed_after_rollback += figures.committed_after_rollback;
        total.refused += figures.refused;
    }
    println!("stress_cancel {:?}: {total:?}", db.backend());
    session_state_is_clean(&db).await;
    assert_eq!(total.lost_caller_rows, 0, "{total:?}");
    assert_eq!(total.half_written, 0, "{total:?}");
    assert_eq!(total.committed_after_rollback, 0, "{total:?}");
    assert!(total.cancelled > 0, "no call was cancelled: {total:?}");
}

/// Every pooled connection (held at once, so each is a different one)
/// carries the server's defaults: foreign-key checks on (MariaDB), no
/// merchant binding (PostgreSQL), no open transaction.
async fn session_state_is_clean(db: &TestDb) {
    let backend = db.backend();
    let mut held = Vec::new();
    for _ in 0..4 {
        match tokio::time::timeout(Duration::from_secs(2), db.connection().begin()).await {
            Ok(Ok(txn)) => held.push(txn),
            _ => break,
        }
    }
    for txn in &held {
        match backend {
            DbBackend::MySql => {
                assert_eq!(scalar(txn, "SELECT @@foreign_key_checks").await, 1);
            }
            DbBackend::Postgres => {
                assert_eq!(
                    scalar(
                        txn,
                        "SELECT length(coalesce(current_setting('freshdesk.merchant_id', true), ''))"
                    )
                    .await,
                    0
                );
            }
            _ => {
                assert_eq!(scalar(txn, "SELECT 1").await, 1);
            }
        }
    }
}
