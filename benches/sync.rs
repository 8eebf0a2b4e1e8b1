//! `sync`: applying N ticket payloads (default 100,000, `BENCH_SYNC_TICKETS`)
//! with 3 conversations each through `sync::apply_tickets` and
//! `sync::apply_conversations` (newest wins, in batches of 1,000 records),
//! next to the crate's plain `insert_many` (with `resolve_freshdesk_ids`) /
//! `insert_conversations` of the same rows; records per second for both. Meant for PostgreSQL:
//!
//! ```sh
//! DATABASE_URL=postgres://root@127.0.0.1:5432/bench cargo bench --all-features --bench sync
//! ```
//!
//! With `BENCH_SYNC_ROUNDS=N` it runs N interleaved rounds (one sync, then
//! one plain insert, per round) instead of criterion's two groups, and
//! reports the median of the per-round ratios: steadier on a shared
//! machine, where the load changes between groups.

mod common;

use std::time::{Duration, Instant};

use chrono::Duration as Span;
use common::{Db, MERCHANT_BASE, anchor, criterion, runtime};
use freshdesk_store::MerchantId;
use freshdesk_store::freshdesk::{Conversation, Ticket};
use freshdesk_store::repository::{
    NewConversation, NewTicket, SeaTicketRepository, TicketRepository,
};
use freshdesk_store::sync::{Listing, apply_conversations, apply_tickets};
use sea_orm::{DbBackend, TransactionTrait};

const BATCH: usize = 1000;

fn size() -> usize {
    std::env::var("BENCH_SYNC_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn payloads(n: usize) -> (Vec<Ticket>, Vec<Conversation>) {
    let at = anchor() - Span::days(30);
    let tickets = (0..n)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": i + 1, "subject": format!("ticket {i}"), "status": 2, "priority": 1,
                "created_at": at, "updated_at": at + Span::seconds(i as i64),
                "tags": ["bench"], "custom_fields": {"cf_n": i},
            }))
            .expect("ticket payload")
        })
        .collect();
    let conversations = (0..n * 3)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": i + 1, "ticket_id": i / 3 + 1, "body": format!("reply {i}"),
                "created_at": at, "updated_at": at,
            }))
            .expect("conversation payload")
        })
        .collect();
    (tickets, conversations)
}

/// One sync of all payloads in one transaction; the time, then the rows are
/// deleted (and on PostgreSQL vacuumed, so every iteration starts from the
/// same tables, not from the dead rows of the last one).
async fn sync_once(
    db: &Db,
    merchant: MerchantId,
    tickets: &[Ticket],
    conversations: &[Conversation],
) -> Duration {
    let start = Instant::now();
    let txn = db.db.begin().await.expect("begin");
    for batch in tickets.chunks(BATCH) {
        apply_tickets(&txn, merchant, Listing::Updated, batch)
            .await
            .expect("apply_tickets");
    }
    for batch in conversations.chunks(BATCH) {
        apply_conversations(&txn, merchant, batch)
            .await
            .expect("apply_conversations");
    }
    txn.commit().await.expect("commit");
    let t = start.elapsed();
    reset(db, merchant).await;
    t
}

/// The same rows through the crate's plain inserts; the time.
async fn plain_once(
    db: &Db,
    merchant: MerchantId,
    tickets: &[Ticket],
    conversations: &[Conversation],
) -> Duration {
    let start = Instant::now();
    let txn = db.db.begin().await.expect("begin");
    let rows: Vec<NewTicket> = tickets
        .iter()
        .map(|t| t.to_new_ticket(None, None).expect("ticket"))
        .collect();
    let keys: Vec<String> = rows.iter().map(|r| r.freshdesk_ticket_id.clone()).collect();
    SeaTicketRepository
        .insert_many(&txn, merchant, rows)
        .await
        .expect("insert");
    let ids = SeaTicketRepository
        .resolve_freshdesk_ids(&txn, merchant, &keys)
        .await
        .expect("ids");
    let children: Vec<NewConversation> = conversations
        .iter()
        .map(|c| {
            c.to_new_conversation(ids[&c.ticket_id.to_string()])
                .expect("conversation")
        })
        .collect();
    SeaTicketRepository
        .insert_conversations(&txn, merchant, children)
        .await
        .expect("insert conversations");
    txn.commit().await.expect("commit");
    let t = start.elapsed();
    reset(db, merchant).await;
    t
}

async fn reset(db: &Db, merchant: MerchantId) {
    db.delete_merchant(merchant).await;
    if db.db.get_database_backend() == DbBackend::Postgres {
        db.exec("VACUUM freshdesk_conversation, freshdesk_unified_ticket_view")
            .await;
    }
}

/// This process's CPU time (user + system) so far, from `/proc/self/stat`
/// (Linux; `None` elsewhere): the client's share of a run, which the
/// machine's load changes far less than the wall time.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rt = runtime();
    let _context = rt.enter();
    let db = rt.block_on(Db::connect());
    let n = size();
    let (tickets, conversations) = payloads(n);
    let records = (n * 4) as f64;
    let merchant = MerchantId::new(MERCHANT_BASE + 51).expect("merchant");
    rt.block_on(reset(&db, merchant));

    // Interleaved rounds (sync, then plain, in each): on a shared machine
    // the load changes between criterion's groups, so the ratio is taken
    // per round and the median reported.
    let rounds: usize = std::env::var("BENCH_SYNC_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if rounds > 0 {
        let mut ratios = Vec::new();
        let (mut syncs, mut plains) = (Vec::new(), Vec::new());
        let cpu = |from: Option<f64>| match (from, cpu_seconds()) {
            (Some(a), Some(b)) => format!(", client CPU {:.1} µs/record", (b - a) * 1e6 / records),
            _ => String::new(),
        };
        for round in 1..=rounds {
            let at = cpu_seconds();
            let s = rt.block_on(sync_once(&db, merchant, &tickets, &conversations));
            let sync_cpu = cpu(at);
            let at = cpu_seconds();
            let p = rt.block_on(plain_once(&db, merchant, &tickets, &conversations));
            let plain_cpu = cpu(at);
            let ratio = s.as_secs_f64() / p.as_secs_f64();
            eprintln!(
                "sync_{n} round {round}: sync {:.2} s ({:.0} records/s{sync_cpu}), plain {:.2} s ({:.0} records/s{plain_cpu}), sync/plain {ratio:.2}x",
                s.as_secs_f64(),
                records / s.as_secs_f64(),
                p.as_secs_f64(),
                records / p.as_secs_f64(),
            );
            ratios.push(ratio);
            syncs.push(s.as_secs_f64());
            plains.push(p.as_secs_f64());
        }
        eprintln!(
            "sync_{n}: {rounds} interleaved rounds, medians: sync {:.2} s, plain {:.2} s, sync/plain {:.2}x",
            median(syncs),
            median(plains),
            median(ratios)
        );
        return;
    }

    let mut c = criterion();
    let mut g = c.benchmark_group(format!("sync_{n}"));
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(records as u64));
    let mut report = Vec::new();
    g.bench_function("sync_apply", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += rt.block_on(sync_once(&db, merchant, &tickets, &conversations));
            }
            report.push(("sync_apply", total / iters.max(1) as u32));
            total
        })
    });
    let mut plain = Vec::new();
    g.bench_function("plain_insert_many", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += rt.block_on(plain_once(&db, merchant, &tickets, &conversations));
            }
            plain.push(("plain_insert_many", total / iters.max(1) as u32));
            total
        })
    });
    g.finish();
    // The last (longest) measurement of each, and their ratio.
    if let (Some((_, s)), Some((_, p))) = (report.last(), plain.last()) {
        eprintln!(
            "sync_{n}: sync {:.0} records/s, plain insert_many {:.0} records/s, sync/plain time {:.2}x",
            records / s.as_secs_f64(),
            records / p.as_secs_f64(),
            s.as_secs_f64() / p.as_secs_f64()
        );
    }
}
