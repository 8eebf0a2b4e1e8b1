//! Concurrency on every backend: 32 tasks on a multi-threaded runtime run
//! units of work for 32 merchants at once through `run_in_transaction`
//! (retrying SQLite busy/locked errors and MariaDB deadlocks), mixing bulk
//! inserts, upserts, `mark_processed`, lists, counts and the analytics
//! report. Every task sees only its own merchant's rows, every figure
//! matches what was committed, and no row is lost. The data is committed
//! under fresh merchant ids and deleted at the end. Without `DATABASE_URL`
//! the test uses a temporary SQLite file (WAL, busy timeout), not the
//! in-memory database, so that writers really contend for the lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use freshdesk_store::analytics::{ReportParams, UtcOffset, report};
use freshdesk_store::entity::ticket;
use freshdesk_store::repository::*;
use freshdesk_store::retry::{RetryPolicy, run_in_transaction};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use freshdesk_store::{Error, MerchantId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const TASKS: usize = 32;
const ROUNDS: usize = 4;
const PER_ROUND: usize = 20;
const REPO: SeaTicketRepository = SeaTicketRepository;

async fn connect() -> (TestDb, Option<std::path::PathBuf>) {
    match std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(_) => (TestDb::connect().await.unwrap(), None),
        None => {
            let dir = std::env::temp_dir().join(format!(
                "fdstore-concurrency-{}-{}",
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

/// One task: `ROUNDS` units of work for its merchant, each checking what it
/// sees against what the task has committed so far.
async fn worker(
    db: Arc<TestDb>,
    merchant: MerchantId,
    task: usize,
    attempts: Arc<AtomicU64>,
    foreign: Arc<AtomicU64>,
    commits: Arc<AtomicU64>,
) -> Result<u64, Error> {
    let policy = RetryPolicy::default().max_attempts(20);
    let created = Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap();
    let mut committed = 0u64;
    for round in 0..ROUNDS {
        let before = committed;
        let attempts = attempts.clone();
        let foreign = foreign.clone();
        committed = run_in_transaction(db.connection(), &policy, move |txn| {
            let attempts = attempts.clone();
            let foreign = foreign.clone();
            Box::pin(async move {
                attempts.fetch_add(1, Ordering::SeqCst);
                let rows: Vec<NewTicket> = (0..PER_ROUND)
                    .map(|i| {
                        let mut t = NewTicket::new(
                            format!("t{task}-r{round}-{i}"),
                            format!("subject {i}"),
                            created + Duration::minutes((round * PER_ROUND + i) as i64),
                        );
                        t.tags = vec![format!("task-{task}")];
                        t
                    })
                    .collect();
                let inserted = REPO.insert_many(txn, merchant, rows.clone()).await?;
                assert_eq!(inserted, PER_ROUND as u64);
                // Upsert half of them again with a new subject.
                let changed = rows[..PER_ROUND / 2]
                    .iter()
                    .cloned()
                    .map(|mut t| {
                        t.subject = format!("{} (edited)", t.subject);
                        t
                    })
                    .collect();
                REPO.upsert_many(txn, merchant, changed).await?;
                let total = before + PER_ROUND as u64;
                let page = REPO
                    .list(
                        txn,
                        merchant,
                        &TicketFilter::new(),
                        &CursorRequest::first(MAX_PAGE_SIZE),
                    )
                    .await?;
                let wrong = page
                    .items
                    .iter()
                    .filter(|t| t.merchant_id != merchant)
                    .count() as u64;
                foreign.fetch_add(wrong, Ordering::SeqCst);
                assert_eq!(page.items.len() as u64, total);
                let ids: Vec<_> = page
                    .items
                    .iter()
                    .filter(|t| t.freshdesk_ticket_id.contains(&format!("-r{round}-")))
                    .map(|t| t.id)
                    .collect();
                assert_eq!(
                    REPO.mark_processed(txn, merchant, &ids).await?,
                    PER_ROUND as u64
                );
                let count = REPO
                    .count(txn, merchant, &TicketFilter::new().processed(true))
                    .await?;
                assert_eq!(count, total);
                let r = report(
                    txn,
                    &ReportParams {
                        merchant,
                        from: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                        to: NaiveDate::from_ymd_opt(2026, 10, 3).unwrap(),
                        utc_offset: UtcOffset::UTC,
                        now: created,
                        business_hours: None,
                    },
                )
                .await?;
                assert_eq!(r.tickets_created, total);
                assert_eq!(r.open_backlog, total);
                assert_eq!(r.top_tags.len(), 1);
                assert_eq!(r.top_tags[0].tag, format!("task-{task}"));
                Ok(total)
            })
        })
        .await?;
        commits.fetch_add(1, Ordering::SeqCst);
    }
    Ok(committed)
}

/// 32 tasks, 32 merchants, 4 units of work each, all at once: nothing lost,
/// nothing of another merchant seen, every total as committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_units_of_work_keep_merchants_apart_and_lose_nothing() {
    let (db, dir) = connect().await;
    let db = Arc::new(db);
    let merchants: Vec<MerchantId> = (0..TASKS).map(|_| unique_merchant_id()).collect();
    let attempts = Arc::new(AtomicU64::new(0));
    let foreign = Arc::new(AtomicU64::new(0));
    let commits = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = merchants
        .iter()
        .enumerate()
        .map(|(task, &m)| {
            tokio::spawn(worker(
                db.clone(),
                m,
                task,
                attempts.clone(),
                foreign.clone(),
                commits.clone(),
            ))
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap());
    }
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| format!("{e:?}")))
        .collect();

    // What is committed, read fresh, then deleted.
    let txn = db.begin().await.unwrap();
    let mut edited_seen = Vec::new();
    let mut lost = 0u64;
    for &m in &merchants {
        let n = REPO
            .count(&txn, m, &TicketFilter::new().processed(true))
            .await
            .unwrap();
        lost += (ROUNDS * PER_ROUND) as u64 - n;
        let edited = ticket::Entity::find()
            .filter(ticket::Column::MerchantId.eq(m))
            .filter(ticket::Column::Subject.like("%(edited)"))
            .all(&txn)
            .await
            .unwrap();
        edited_seen.push(edited.len());
    }
    ticket::Entity::delete_many()
        .filter(ticket::Column::MerchantId.is_in(merchants.iter().copied()))
        .exec(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    if let Some(dir) = dir {
        drop(db);
        let _ = std::fs::remove_dir_all(dir);
    }

    let committed = commits.load(Ordering::SeqCst);
    let attempts = attempts.load(Ordering::SeqCst);
    let foreign = foreign.load(Ordering::SeqCst);
    eprintln!(
        "concurrency: {TASKS} tasks, {committed} transactions committed, {} retries, \
         rows lost = {lost}, cross-merchant rows seen = {foreign}",
        attempts - committed
    );
    assert!(failed.is_empty(), "units of work failed: {failed:#?}");
    for r in results {
        assert_eq!(r.unwrap(), (ROUNDS * PER_ROUND) as u64);
    }
    assert!(edited_seen.iter().all(|&n| n == ROUNDS * PER_ROUND / 2));
    assert_eq!(committed, (TASKS * ROUNDS) as u64);
    assert_eq!(lost, 0);
    assert_eq!(foreign, 0);
}
