//! `write_cpu`: what one inserted row costs the client, in CPU time of
//! this process (user and system, from `/proc/self/stat`), for the crate's
//! `insert_many` inside a transaction and for raw sqlx multi-row `INSERT`s
//! of the same rows (issue 14, item 3: "client CPU per row at most half of
//! today's").
//!
//! Same generator as `writes`: the 10,000 demo tickets of the write
//! merchant, cycled to `BENCH_CPU_ROWS` rows (default 100,000) with fresh
//! Freshdesk ids; best of `BENCH_CPU_ROUNDS` rounds (default 3). Building
//! the inputs and deleting the rows afterwards are outside the measurement.
//! Meant for PostgreSQL, where the server runs in another process; on
//! SQLite the engine runs in this one, so its work counts too.
//!
//! Run: `DATABASE_URL=postgres://… cargo bench --all-features --bench write_cpu`.

mod common;
mod write_rows;

use std::time::{Duration, Instant};

use common::{DataSet, Db, Recorder};
use freshdesk_store::entity::ticket;
use freshdesk_store::repository::{NewTicket, SeaTicketRepository, TicketRepository};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use write_rows::{cycled, delete_prefixed, new_ticket, process_cpu, raw_sqlx_insert};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// CPU (user + system) and wall time of `f`.
async fn measured<F: std::future::Future<Output = ()>>(f: F) -> (Duration, Duration, Duration) {
    let (user0, sys0) = process_cpu();
    let started = Instant::now();
    f.await;
    let wall = started.elapsed();
    let (user1, sys1) = process_cpu();
    (user1 - user0, sys1 - sys0, wall)
}

fn main() {
    let rt = common::runtime();
    let rec = Recorder::default();
    let repo = SeaTicketRepository;
    let db = rt.block_on(Db::connect());
    let merchant = rt.block_on(db.ensure(DataSet::Writes));
    let source: Vec<ticket::Model> = rt.block_on(async {
        ticket::Entity::find()
            .filter(ticket::Column::MerchantId.eq(merchant))
            .filter(ticket::Column::FreshdeskTicketId.not_like("b%"))
            .order_by_asc(ticket::Column::Id)
            .all(&db.db)
            .await
            .expect("source rows")
    });
    let n = env_usize("BENCH_CPU_ROWS", 100_000);
    let rounds = env_usize("BENCH_CPU_ROUNDS", 3).max(1);
    rt.block_on(delete_prefixed(&db, merchant, "bc-"));
    let per_row = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let mut best: Vec<(&str, f64, f64, f64)> = Vec::new();
    for variant in ["crate_insert_many", "raw_sqlx_multirow"] {
        let mut kept = (f64::MAX, 0.0, 0.0);
        for _ in 0..rounds {
            let rows = cycled(&source, n, "bc-");
            let (user, sys, wall) = rt.block_on(async {
                if variant == "crate_insert_many" {
                    let rows: Vec<NewTicket> = rows.into_iter().map(new_ticket).collect();
                    measured(async {
                        let txn = db.db.begin().await.unwrap();
                        let written = repo.insert_many(&txn, merchant, rows).await.unwrap();
                        txn.commit().await.unwrap();
                        assert_eq!(written, n as u64);
                    })
                    .await
                } else {
                    measured(raw_sqlx_insert(&db, rows)).await
                }
            });
            rt.block_on(delete_prefixed(&db, merchant, "bc-"));
            if per_row(user + sys) < kept.0 {
                kept = (per_row(user + sys), per_row(user), per_row(wall));
            }
        }
        println!(
            "{variant}: client CPU {:.2} µs/row (user {:.2}), wall {:.2} µs/row",
            kept.0, kept.1, kept.2
        );
        best.push((variant, kept.0, kept.1, kept.2));
    }
    for (variant, cpu, user, wall) in &best {
        rec.note(format!(
            "client CPU per row, {variant}, {n} rows: {cpu:.2} µs (user {user:.2} µs), wall {wall:.2} µs"
        ));
    }
    if let [(_, crate_cpu, ..), (_, raw_cpu, ..)] = best.as_slice() {
        rec.note(format!(
            "client CPU per row: crate insert_many ÷ raw sqlx multi-row INSERT = {:.2}×",
            crate_cpu / raw_cpu
        ));
    }
    rec.finish("write_cpu");
}
