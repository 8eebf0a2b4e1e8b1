//! Write benchmarks (issue items 1 and 7; issue 14 items 1, 3 and 5).
//!
//! * `insert_10k`: 10,000 tickets through the crate's chunked
//!   `insert_many`, against one `INSERT` and one `COMMIT` per row (the
//!   guide's anti-pattern), the same rows through raw sqlx multi-row
//!   `INSERT`s, and on PostgreSQL `COPY … FROM STDIN` (the physical limit).
//!   Every variant commits; the rows are deleted after each iteration,
//!   outside the measured time.
//!   Also `load::load_tickets` (`crate_load`) of the same rows.
//! * `load_<N>k`: `BENCH_LOAD_ROWS` tickets (default 250,000; 100,000 on
//!   SQLite), the 10,000 source rows cycled under fresh ids: `load_tickets`
//!   (insert-only and newest-wins), `insert_many` in one transaction, raw
//!   sqlx multi-row `INSERT`s and on PostgreSQL `COPY`.
//! * `upsert_10k`: `upsert_many` of 10,000 tickets of which 5,000 exist,
//!   against delete-and-insert through the crate (resolve the Freshdesk ids,
//!   `delete`, `insert_many`).
//!
//! Times are per row (Criterion also prints rows per second).
//!
//! Run: `cargo bench --bench writes` (SQLite), or with
//! `DATABASE_URL=postgres://…` / `mysql://…` and `--all-features`.

mod common;
mod write_rows;

use common::{DataSet, Db, Group, Recorder, timed};
use freshdesk_store::entity::ticket;
use freshdesk_store::load::{Existing, load_tickets};
use freshdesk_store::repository::{NewTicket, SeaTicketRepository, TicketRepository};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, IntoActiveModel, NotSet, QueryFilter,
    QueryOrder, TransactionTrait,
};
#[cfg(feature = "postgres")]
use write_rows::pg_copy;
use write_rows::{cycled, delete_prefixed, new_ticket, raw_sqlx_insert, renamed};

const ROWS: usize = 10_000;

/// Rows of the `load_<N>` group (`BENCH_LOAD_ROWS`; default 250,000 on
/// PostgreSQL and MariaDB, 100,000 on SQLite).
fn load_rows() -> usize {
    std::env::var("BENCH_LOAD_ROWS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(match common::backend() {
            DbBackend::Sqlite => 100_000,
            _ => 250_000,
        })
}

/// Rows of the per-row-commit variant (`BENCH_PER_ROW_ROWS`; default
/// 10,000 on PostgreSQL and MariaDB, 2,000 on SQLite to keep a fresh-clone
/// run short). Times are per row, and a per-row commit costs the same at
/// any count, so the ratio holds.
fn per_row_rows() -> usize {
    std::env::var("BENCH_PER_ROW_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(match common::backend() {
            DbBackend::Sqlite => 2_000,
            _ => ROWS,
        })
        .min(ROWS)
}

fn main() {
    let mut c = common::criterion();
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
    assert_eq!(source.len(), ROWS);
    rt.block_on(delete_prefixed(&db, merchant, "b"));

    // 1. Bulk insert of 10,000 tickets.
    let mut g = Group::new(&mut c, &rt, &rec, "insert_10k");
    g.elements(ROWS as u64);
    g.bench("crate_insert_many", || async {
        let rows: Vec<NewTicket> = renamed(&source, "bi-")
            .into_iter()
            .map(new_ticket)
            .collect();
        let (_, t) = timed(async {
            let txn = db.db.begin().await.unwrap();
            let n = repo.insert_many(&txn, merchant, rows).await.unwrap();
            txn.commit().await.unwrap();
            assert_eq!(n, ROWS as u64);
        })
        .await;
        delete_prefixed(&db, merchant, "bi-").await;
        t
    });
    g.bench("raw_sqlx_multirow", || async {
        let rows = renamed(&source, "bi-");
        let (_, t) = timed(raw_sqlx_insert(&db, rows)).await;
        delete_prefixed(&db, merchant, "bi-").await;
        t
    });
    g.bench("crate_load", || async {
        let rows: Vec<NewTicket> = renamed(&source, "bi-")
            .into_iter()
            .map(new_ticket)
            .collect();
        let (_, t) = timed(async {
            let counts = load_tickets(&db.db, merchant, Existing::Conflict, rows)
                .await
                .unwrap();
            assert_eq!(counts.inserted, ROWS as u64);
        })
        .await;
        delete_prefixed(&db, merchant, "bi-").await;
        t
    });
    #[cfg(feature = "postgres")]
    if db.db.get_database_backend() == DbBackend::Postgres {
        g.bench("pg_copy", || async {
            let rows = renamed(&source, "bi-");
            let (_, t) = timed(pg_copy(&db, rows)).await;
            delete_prefixed(&db, merchant, "bi-").await;
            t
        });
    }
    let per_row = per_row_rows();
    g.elements(per_row as u64);
    g.group.sampling_mode(criterion::SamplingMode::Flat);
    g.bench("per_row_commit", || async {
        let rows: Vec<ticket::ActiveModel> = renamed(&source[..per_row], "bi-")
            .into_iter()
            .map(|t| {
                let mut am = t.into_active_model().reset_all();
                am.id = NotSet;
                am
            })
            .collect();
        let (_, t) = timed(async {
            for row in rows {
                let txn = db.db.begin().await.unwrap();
                ticket::Entity::insert(row)
                    .exec_without_returning(&txn)
                    .await
                    .unwrap();
                txn.commit().await.unwrap();
            }
        })
        .await;
        delete_prefixed(&db, merchant, "bi-").await;
        t
    });
    g.finish();
    let id = |b: &str| format!("insert_10k/{}/{b}", common::backend_name());
    rec.ratio(
        "insert: per-row commit vs crate insert_many (per row)",
        &id("per_row_commit"),
        &id("crate_insert_many"),
        None,
    );
    rec.ratio(
        "insert: crate insert_many vs raw sqlx multi-row INSERT",
        &id("crate_insert_many"),
        &id("raw_sqlx_multirow"),
        None,
    );
    rec.ratio(
        "insert: crate insert_many vs PostgreSQL COPY",
        &id("crate_insert_many"),
        &id("pg_copy"),
        Some(2.0),
    );
    rec.ratio(
        "insert: crate load_tickets vs PostgreSQL COPY",
        &id("crate_load"),
        &id("pg_copy"),
        Some(1.3),
    );
    rec.ratio(
        "insert: crate load_tickets vs raw sqlx multi-row INSERT",
        &id("crate_load"),
        &id("raw_sqlx_multirow"),
        None,
    );

    // Bulk loading at size: BENCH_LOAD_ROWS tickets into an empty key range.
    let n = load_rows();
    let group = format!("load_{}k", n / 1000);
    let mut g = Group::new(&mut c, &rt, &rec, &group);
    g.elements(n as u64);
    g.group.sampling_mode(criterion::SamplingMode::Flat);
    let inputs = || -> Vec<NewTicket> {
        cycled(&source, n, "bl-")
            .into_iter()
            .map(new_ticket)
            .collect()
    };
    g.bench("crate_load", || async {
        let rows = inputs();
        let (_, t) = timed(async {
            let counts = load_tickets(&db.db, merchant, Existing::Conflict, rows)
                .await
                .unwrap();
            assert_eq!(counts.inserted, n as u64);
        })
        .await;
        delete_prefixed(&db, merchant, "bl-").await;
        t
    });
    g.bench("crate_load_newest_wins", || async {
        let rows = inputs();
        let (_, t) = timed(async {
            let counts = load_tickets(&db.db, merchant, Existing::NewestWins, rows)
                .await
                .unwrap();
            assert_eq!(counts.inserted, n as u64);
        })
        .await;
        delete_prefixed(&db, merchant, "bl-").await;
        t
    });
    g.bench("crate_insert_many", || async {
        let rows = inputs();
        let (_, t) = timed(async {
            let txn = db.db.begin().await.unwrap();
            let written = repo.insert_many(&txn, merchant, rows).await.unwrap();
            txn.commit().await.unwrap();
            assert_eq!(written, n as u64);
        })
        .await;
        delete_prefixed(&db, merchant, "bl-").await;
        t
    });
    g.bench("raw_sqlx_multirow", || async {
        let rows = cycled(&source, n, "bl-");
        let (_, t) = timed(raw_sqlx_insert(&db, rows)).await;
        delete_prefixed(&db, merchant, "bl-").await;
        t
    });
    #[cfg(feature = "postgres")]
    if db.db.get_database_backend() == DbBackend::Postgres {
        g.bench("pg_copy", || async {
            let rows = cycled(&source, n, "bl-");
            let (_, t) = timed(pg_copy(&db, rows)).await;
            delete_prefixed(&db, merchant, "bl-").await;
            t
        });
    }
    g.finish();
    let id = |b: &str| format!("{group}/{}/{b}", common::backend_name());
    let what = |w: &str| format!("{n} rows: {w}");
    rec.ratio(
        &what("crate load_tickets vs PostgreSQL COPY"),
        &id("crate_load"),
        &id("pg_copy"),
        Some(1.3),
    );
    rec.ratio(
        &what("crate load_tickets (newest wins) vs PostgreSQL COPY"),
        &id("crate_load_newest_wins"),
        &id("pg_copy"),
        Some(1.3),
    );
    rec.ratio(
        &what("crate load_tickets vs raw sqlx multi-row INSERT"),
        &id("crate_load"),
        &id("raw_sqlx_multirow"),
        None,
    );
    rec.ratio(
        &what("crate insert_many vs raw sqlx multi-row INSERT"),
        &id("crate_insert_many"),
        &id("raw_sqlx_multirow"),
        Some(1.1),
    );
    rec.ratio(
        &what("raw sqlx multi-row INSERT vs PostgreSQL COPY"),
        &id("raw_sqlx_multirow"),
        &id("pg_copy"),
        None,
    );

    // 7. Upsert of 10,000 tickets of which half exist.
    rt.block_on(async {
        let existing: Vec<NewTicket> = renamed(&source[..ROWS / 2], "bu-e-")
            .into_iter()
            .map(new_ticket)
            .collect();
        let txn = db.db.begin().await.unwrap();
        repo.insert_many(&txn, merchant, existing).await.unwrap();
        txn.commit().await.unwrap();
    });
    let batch = || -> Vec<NewTicket> {
        let (old, new) = source.split_at(ROWS / 2);
        renamed(old, "bu-e-")
            .into_iter()
            .chain(renamed(new, "bu-n-"))
            .map(|t| {
                let mut t = new_ticket(t);
                t.subject.push_str(" (updated)");
                t
            })
            .collect()
    };
    let mut g = Group::new(&mut c, &rt, &rec, "upsert_10k");
    g.elements(ROWS as u64);
    g.bench("crate_upsert_many", || async {
        let rows = batch();
        let (_, t) = timed(async {
            let txn = db.db.begin().await.unwrap();
            repo.upsert_many(&txn, merchant, rows).await.unwrap();
            txn.commit().await.unwrap();
        })
        .await;
        delete_prefixed(&db, merchant, "bu-n-").await;
        t
    });
    g.bench("delete_and_insert", || async {
        let rows = batch();
        let (_, t) = timed(async {
            let txn = db.db.begin().await.unwrap();
            let fd_ids: Vec<String> = rows.iter().map(|r| r.freshdesk_ticket_id.clone()).collect();
            let known = repo
                .resolve_freshdesk_ids(&txn, merchant, &fd_ids)
                .await
                .unwrap();
            let ids: Vec<_> = known.into_values().collect();
            repo.delete(&txn, merchant, &ids).await.unwrap();
            repo.insert_many(&txn, merchant, rows).await.unwrap();
            txn.commit().await.unwrap();
        })
        .await;
        delete_prefixed(&db, merchant, "bu-n-").await;
        t
    });
    g.finish();
    let id = |b: &str| format!("upsert_10k/{}/{b}", common::backend_name());
    rec.ratio(
        "upsert (half existing): delete-and-insert vs crate upsert_many",
        &id("delete_and_insert"),
        &id("crate_upsert_many"),
        None,
    );
    rt.block_on(delete_prefixed(&db, merchant, "b"));
    c.final_summary();
    rec.finish("writes");
}
