//! Write benchmarks (issue items 1 and 7).
//!
//! * `insert_10k`: 10,000 tickets through the crate's chunked
//!   `insert_many`, against one `INSERT` and one `COMMIT` per row (the
//!   guide's anti-pattern), the same rows through raw sqlx multi-row
//!   `INSERT`s, and on PostgreSQL `COPY … FROM STDIN` (the physical limit).
//!   Every variant commits; the rows are deleted after each iteration,
//!   outside the measured time.
//! * `upsert_10k`: `upsert_many` of 10,000 tickets of which 5,000 exist,
//!   against delete-and-insert through the crate (resolve the Freshdesk ids,
//!   `delete`, `insert_many`).
//!
//! Times are per row (Criterion also prints rows per second).
//!
//! Run: `cargo bench --bench writes` (SQLite), or with
//! `DATABASE_URL=postgres://…` / `mysql://…` and `--all-features`.

mod common;

use common::{DataSet, Db, Group, Recorder, timed};
use freshdesk_store::MerchantId;
use freshdesk_store::entity::ticket;
use freshdesk_store::repository::{NewTicket, SeaTicketRepository, TicketRepository};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, IntoActiveModel, NotSet, QueryFilter,
    QueryOrder, TransactionTrait,
};

const ROWS: usize = 10_000;

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

/// The 10,000 demo tickets of the write merchant, as rows with a new
/// Freshdesk id `{prefix}{i}`.
fn renamed(source: &[ticket::Model], prefix: &str) -> Vec<ticket::Model> {
    source
        .iter()
        .enumerate()
        .map(|(i, t)| ticket::Model {
            freshdesk_ticket_id: format!("{prefix}{i}"),
            ..t.clone()
        })
        .collect()
}

fn new_ticket(t: ticket::Model) -> NewTicket {
    NewTicket {
        tags: t.tag_list().into_iter().map(str::to_owned).collect(),
        freshdesk_ticket_id: t.freshdesk_ticket_id,
        subject: t.subject,
        status: t.status,
        priority: t.priority,
        source: t.source,
        requester_id: t.requester_id,
        responder_id: t.responder_id,
        created_at: t.created_at,
        updated_at: t.updated_at,
        first_responded_at: t.first_responded_at,
        fr_due_by: t.fr_due_by,
        due_by: t.due_by,
        resolved_at: t.resolved_at,
        closed_at: t.closed_at,
        custom_fields: t.custom_fields,
        processed: t.processed,
    }
}

const COLUMNS: &str = "merchant_id, freshdesk_ticket_id, subject, status, priority, source, \
     requester_id, responder_id, created_at, updated_at, first_responded_at, first_response_time, \
     fr_due_by, due_by, resolved_at, closed_at, tags, custom_fields, processed";

/// Raw sqlx multi-row `INSERT`s of `rows`, as many rows per statement as the
/// crate puts in one, in one committed transaction.
macro_rules! raw_insert {
    ($pool:expr, $DB:ty, $rows:expr, $per_statement:expr) => {{
        use sea_orm::sqlx;
        let mut tx = $pool.begin().await.expect("begin");
        let mut rows = $rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut qb = sqlx::QueryBuilder::<$DB>::new(format!(
                "INSERT INTO freshdesk_unified_ticket_view ({COLUMNS}) "
            ));
            qb.push_values(rows.by_ref().take($per_statement), |mut b, t| {
                b.push_bind(t.merchant_id.get())
                    .push_bind(t.freshdesk_ticket_id)
                    .push_bind(t.subject)
                    .push_bind(t.status.code())
                    .push_bind(t.priority.code())
                    .push_bind(t.source.map(|s| s.code()))
                    .push_bind(t.requester_id.map(|i| i.get()))
                    .push_bind(t.responder_id.map(|i| i.get()))
                    .push_bind(t.created_at)
                    .push_bind(t.updated_at)
                    .push_bind(t.first_responded_at)
                    .push_bind(t.first_response_time)
                    .push_bind(t.fr_due_by)
                    .push_bind(t.due_by)
                    .push_bind(t.resolved_at)
                    .push_bind(t.closed_at)
                    .push_bind(sqlx::types::Json(t.tags))
                    .push_bind(sqlx::types::Json(t.custom_fields))
                    .push_bind(t.processed);
            });
            qb.build().execute(&mut *tx).await.expect("raw insert");
        }
        tx.commit().await.expect("commit");
    }};
}

async fn raw_sqlx_insert(db: &Db, rows: Vec<ticket::Model>) {
    // The crate's chunk: the bind limit over the entity's 20 columns.
    match db.db.get_database_backend() {
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => {
            let pool = db.db.get_postgres_connection_pool();
            raw_insert!(pool, sea_orm::sqlx::Postgres, rows, 65_535 / 20)
        }
        #[cfg(feature = "mysql")]
        DbBackend::MySql => {
            let pool = db.db.get_mysql_connection_pool();
            raw_insert!(pool, sea_orm::sqlx::MySql, rows, 65_535 / 20)
        }
        #[cfg(feature = "sqlite")]
        DbBackend::Sqlite => {
            let pool = db.db.get_sqlite_connection_pool();
            raw_insert!(pool, sea_orm::sqlx::Sqlite, rows, 32_766 / 20)
        }
        #[allow(unreachable_patterns)]
        other => panic!("{other:?}: driver feature not compiled in"),
    }
}

/// One CSV field for `COPY … (FORMAT csv)`: quoted text, or nothing for NULL.
#[cfg(feature = "postgres")]
fn csv_text(out: &mut String, value: Option<&str>) {
    if let Some(v) = value {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    }
}

/// `COPY … FROM STDIN` of `rows` in one committed transaction, the CSV
/// encoded in the measured time.
#[cfg(feature = "postgres")]
async fn pg_copy(db: &Db, rows: Vec<ticket::Model>) {
    use std::fmt::Write;
    let mut csv = String::with_capacity(rows.len() * 400);
    for t in rows {
        let ts = |v: Option<chrono::DateTime<chrono::Utc>>| v.map(|t| t.to_rfc3339());
        let fields: [Option<String>; 19] = [
            Some(t.merchant_id.get().to_string()),
            Some(t.freshdesk_ticket_id),
            Some(t.subject),
            Some(t.status.code().to_string()),
            Some(t.priority.code().to_string()),
            t.source.map(|s| s.code().to_string()),
            t.requester_id.map(|i| i.get().to_string()),
            t.responder_id.map(|i| i.get().to_string()),
            ts(Some(t.created_at)),
            ts(Some(t.updated_at)),
            ts(t.first_responded_at),
            t.first_response_time.map(|v| v.to_string()),
            ts(t.fr_due_by),
            ts(t.due_by),
            ts(t.resolved_at),
            ts(t.closed_at),
            Some(t.tags.to_string()),
            Some(t.custom_fields.to_string()),
            Some(if t.processed { "t" } else { "f" }.to_owned()),
        ];
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                csv.push(',');
            }
            csv_text(&mut csv, f.as_deref());
        }
        let _ = writeln!(csv);
    }
    let pool = db.db.get_postgres_connection_pool();
    let mut tx = pool.begin().await.expect("begin");
    let mut copy = tx
        .copy_in_raw(&format!(
            "COPY freshdesk_unified_ticket_view ({COLUMNS}) FROM STDIN (FORMAT csv)"
        ))
        .await
        .expect("copy");
    copy.send(csv.as_bytes()).await.expect("copy send");
    copy.finish().await.expect("copy finish");
    tx.commit().await.expect("commit");
}

async fn delete_prefixed(db: &Db, merchant: MerchantId, prefix: &str) {
    db.exec(&format!(
        "DELETE FROM freshdesk_unified_ticket_view \
         WHERE merchant_id = {merchant} AND freshdesk_ticket_id LIKE '{prefix}%'"
    ))
    .await;
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
