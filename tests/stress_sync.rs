//! Concurrent sync under contention: 32 tasks on a multi-threaded runtime
//! apply overlapping batches (tickets with their requesters as placeholder
//! contacts, then the tickets' conversations, then the watermark) for 32
//! merchants that share the same Freshdesk ids, each unit of work in
//! `run_in_transaction`. In every round two tasks sync the same merchant at
//! the same time with overlapping, out-of-order versions of the same
//! records, so their statements wait on each other's row locks.
//!
//! After the rounds: 0 deadlocks (bulk writes take their locks in
//! unique-key order), 0 errors left after retries, and every merchant's
//! rows equal the model — each record's newest version, once, and nothing
//! of another merchant. Statement timeouts, lock timeouts and SQLite busy
//! retries are counted and printed.
//!
//! Size: `STRESS_SYNC_ROUNDS` rounds per task (CI: 4). Full size (25):
//! `STRESS_SYNC_ROUNDS=25 DATABASE_URL=… cargo test --release --all-features --test stress_sync -- --nocapture`.
//! Without `DATABASE_URL` it runs on a temporary SQLite file (WAL, busy
//! timeout), where writers serialise on the database lock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use freshdesk_store::entity::{contact, conversation, sync_state, ticket};
use freshdesk_store::freshdesk::{Conversation, Ticket};
use freshdesk_store::retry::{RetryPolicy, run_in_transaction};
use freshdesk_store::sync::{
    Listing, SyncStream, advance_watermark, apply_conversations, apply_tickets, read_watermark,
};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use freshdesk_store::{Error, MerchantId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const TASKS: usize = 32;
const TICKET_KEYS: u64 = 48;
const PER_BATCH: usize = 24;

fn rounds() -> usize {
    std::env::var("STRESS_SYNC_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

fn at(v: u64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::minutes(v as i64)
}

/// A small deterministic generator (xorshift), one per task and round.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The batch of task `task` in round `round`: `PER_BATCH` (ticket key,
/// version) pairs drawn from a shared pool, duplicates and stale versions
/// included, in random order.
fn batch(task: usize, round: usize) -> Vec<(u64, u64)> {
    let mut rng = Rng::new((task * 1_000 + round) as u64 + 1);
    (0..PER_BATCH)
        .map(|_| (rng.next() % TICKET_KEYS, rng.next() % 1_000))
        .collect()
}

/// The merchant task `task` syncs in `round`: tasks `t` and `t + 16` share
/// one, and the pairs move on every round.
fn merchant_of(merchants: &[MerchantId], task: usize, round: usize) -> MerchantId {
    merchants[(task % (TASKS / 2) + round * 3) % TASKS]
}

fn ticket_payload(k: u64, v: u64) -> Ticket {
    serde_json::from_value(serde_json::json!({
        "id": 9_000_000_000_u64 + k, "subject": format!("t{k} v{v}"),
        "status": 2, "priority": 1, "requester_id": 3_000_000_000_u64 + k % 7,
        "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

/// Ticket `k` has conversations `2k` and `2k + 1`.
fn conversation_payloads(k: u64, v: u64) -> [Conversation; 2] {
    [2 * k, 2 * k + 1].map(|c| {
        serde_json::from_value(serde_json::json!({
            "id": 11_000_000_000_u64 + c, "ticket_id": 9_000_000_000_u64 + k,
            "body": format!("c{c} v{v}"), "created_at": at(0), "updated_at": at(v),
        }))
        .unwrap()
    })
}

#[derive(Default)]
struct Tally {
    attempts: AtomicU64,
    deadlocks: AtomicU64,
    statement_timeouts: AtomicU64,
    lock_timeouts: AtomicU64,
    other_retryable: AtomicU64,
}

impl Tally {
    fn record(&self, e: &Error) {
        let counter = match e {
            Error::Deadlock(_) => &self.deadlocks,
            Error::StatementTimeout(_) => &self.statement_timeouts,
            Error::LockTimeout(_) => &self.lock_timeouts,
            _ => &self.other_retryable,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

async fn connect() -> (TestDb, Option<std::path::PathBuf>) {
    match std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(_) => (TestDb::connect().await.unwrap(), None),
        None => {
            let dir = std::env::temp_dir().join(format!(
                "fdstore-stress-sync-{}-{}",
                std::process::id(),
                unique_merchant_id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!(
                "sqlite://{}/x.db?mode=rwc&sqlite_busy_timeout=30",
                dir.display()
            );
            (TestDb::connect_to(&url).await.unwrap(), Some(dir))
        }
    }
}

async fn worker(
    db: Arc<TestDb>,
    merchants: Arc<Vec<MerchantId>>,
    task: usize,
    rounds: usize,
    tally: Arc<Tally>,
) -> Result<(), Error> {
    let policy = RetryPolicy::default().max_attempts(30);
    for round in 0..rounds {
        let m = merchant_of(&merchants, task, round);
        let tickets: Arc<Vec<Ticket>> = Arc::new(
            batch(task, round)
                .into_iter()
                .map(|(k, v)| ticket_payload(k, v))
                .collect(),
        );
        let convs: Arc<Vec<Conversation>> = Arc::new(
            batch(task, round)
                .into_iter()
                .flat_map(|(k, v)| conversation_payloads(k, v))
                .collect(),
        );
        let newest = batch(task, round)
            .iter()
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0);
        let tally = tally.clone();
        run_in_transaction(db.connection(), &policy, |txn| {
            let (tickets, convs, tally) = (tickets.clone(), convs.clone(), tally.clone());
            Box::pin(async move {
                tally.attempts.fetch_add(1, Ordering::SeqCst);
                let work = async {
                    apply_tickets(txn, m, Listing::Updated, &tickets).await?;
                    apply_conversations(txn, m, &convs).await?;
                    advance_watermark(txn, m, SyncStream::Tickets, at(newest)).await?;
                    Ok(())
                };
                let result: Result<(), Error> = work.await;
                if let Err(e) = &result {
                    tally.record(e);
                }
                result
            })
        })
        .await?;
    }
    Ok(())
}

/// Subjects, bodies and placeholder contacts of `m` as stored.
type Rows = (
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    Vec<String>,
);

async fn stored(db: &TestDb, m: MerchantId) -> Rows {
    let conn = db.connection();
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(m))
        .all(conn)
        .await
        .unwrap();
    let convs = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(m))
        .all(conn)
        .await
        .unwrap();
    let mut contacts: Vec<String> = contact::Entity::find()
        .filter(contact::Column::MerchantId.eq(m))
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.freshdesk_contact_id)
        .collect();
    contacts.sort();
    (
        tickets
            .into_iter()
            .map(|t| (t.freshdesk_ticket_id, t.subject))
            .collect(),
        convs
            .into_iter()
            .map(|c| (c.freshdesk_conversation_id, c.body))
            .collect(),
        contacts,
    )
}

/// Each record's newest version, once, per merchant, and the watermark.
fn model(merchants: &[MerchantId], rounds: usize) -> BTreeMap<MerchantId, (Rows, Option<u64>)> {
    let mut newest: BTreeMap<MerchantId, (BTreeMap<u64, u64>, Option<u64>)> = merchants
        .iter()
        .map(|m| (*m, (BTreeMap::new(), None)))
        .collect();
    for task in 0..TASKS {
        for round in 0..rounds {
            let (versions, mark) = newest
                .get_mut(&merchant_of(merchants, task, round))
                .unwrap();
            for (k, v) in batch(task, round) {
                let e = versions.entry(k).or_insert(v);
                *e = (*e).max(v);
                *mark = Some(mark.map_or(v, |w| w.max(v)));
            }
        }
    }
    newest
        .into_iter()
        .map(|(m, (versions, mark))| {
            let tickets = versions
                .iter()
                .map(|(k, v)| ((9_000_000_000 + k).to_string(), format!("t{k} v{v}")))
                .collect();
            let convs = versions
                .iter()
                .flat_map(|(k, v)| {
                    [2 * k, 2 * k + 1]
                        .map(|c| ((11_000_000_000 + c).to_string(), format!("c{c} v{v}")))
                })
                .collect();
            let mut contacts: Vec<String> = versions
                .keys()
                .map(|k| (3_000_000_000 + k % 7).to_string())
                .collect();
            contacts.sort();
            contacts.dedup();
            (m, ((tickets, convs, contacts), mark))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overlapping_syncs_of_32_merchants_converge_without_deadlocks() {
    let (db, dir) = connect().await;
    let db = Arc::new(db);
    let rounds = rounds();
    let merchants: Arc<Vec<MerchantId>> =
        Arc::new((0..TASKS).map(|_| unique_merchant_id()).collect());
    let tally = Arc::new(Tally::default());
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..TASKS)
        .map(|task| {
            tokio::spawn(worker(
                db.clone(),
                merchants.clone(),
                task,
                rounds,
                tally.clone(),
            ))
        })
        .collect();
    let mut errors = Vec::new();
    for h in handles {
        if let Err(e) = h.await.unwrap() {
            errors.push(e.to_string());
        }
    }
    let elapsed = started.elapsed();

    let expected = model(&merchants, rounds);
    let mut mismatched = Vec::new();
    for (m, (rows, mark)) in &expected {
        let got = stored(&db, *m).await;
        if &got != rows {
            mismatched.push(format!("merchant {m}: rows differ from the model"));
        }
        let txn = db.begin().await.unwrap();
        let watermark = read_watermark(&txn, *m, SyncStream::Tickets).await.unwrap();
        txn.rollback().await.unwrap();
        if watermark != mark.map(at) {
            mismatched.push(format!(
                "merchant {m}: watermark {watermark:?}, want {:?}",
                mark.map(at)
            ));
        }
    }
    let t = |c: &AtomicU64| c.load(Ordering::SeqCst);
    println!(
        "RESULT stress_sync backend={:?} tasks={TASKS} merchants={TASKS} rounds={rounds} \
         units={} attempts={} deadlocks={} statement_timeouts={} lock_timeouts={} \
         other_retried={} errors_left={} mismatched_merchants={} elapsed={elapsed:.1?}",
        db.backend(),
        TASKS * rounds,
        t(&tally.attempts),
        t(&tally.deadlocks),
        t(&tally.statement_timeouts),
        t(&tally.lock_timeouts),
        t(&tally.other_retryable),
        errors.len(),
        mismatched.len(),
    );

    for m in merchants.iter() {
        let conn = db.connection();
        ticket::Entity::delete_many()
            .filter(ticket::Column::MerchantId.eq(*m))
            .exec(conn)
            .await
            .unwrap();
        contact::Entity::delete_many()
            .filter(contact::Column::MerchantId.eq(*m))
            .exec(conn)
            .await
            .unwrap();
        sync_state::Entity::delete_many()
            .filter(sync_state::Column::MerchantId.eq(*m))
            .exec(conn)
            .await
            .unwrap();
    }
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }

    assert!(errors.is_empty(), "units failed after retries: {errors:?}");
    assert!(mismatched.is_empty(), "{mismatched:?}");
    assert_eq!(t(&tally.deadlocks), 0, "deadlocks under overlapping syncs");
}
