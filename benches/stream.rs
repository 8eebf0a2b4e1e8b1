//! Streaming benchmark (issue item 5): every ticket of a merchant, read
//! with the crate's `stream_batches` (keyset batches of 500 full rows),
//! against raw sqlx reading and decoding the same 20 columns into a plain
//! struct, two ways: the same keyset batches of 500 (`raw_sqlx_keyset`,
//! what the crate does minus the crate) and one streamed query
//! (`raw_sqlx_fetch`, the driver's limit). At 100,000 tickets and at
//! `BENCH_BIG_TICKETS` (1,000,000 on PostgreSQL and MariaDB).
//!
//! Peak memory: a counting global allocator tracks the bytes this process
//! holds; after the timings, each variant streams each merchant once more
//! and the peak above the starting point is recorded. Flat means the same
//! peak at 100k and 1M rows.
//!
//! Run: `cargo bench --bench stream` (SQLite), or with
//! `DATABASE_URL=postgres://…` / `mysql://…` and `--all-features`.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use common::{DataSet, Db, Group, Recorder, timed};
use freshdesk_store::MerchantId;
use freshdesk_store::repository::{SeaTicketRepository, TicketFilter, TicketRepository};
use futures_util::StreamExt;
use sea_orm::{DbBackend, TransactionTrait};

/// The system allocator, counting the bytes held now and at the peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the counters are
// only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its output with the peak bytes held above the
/// starting point while it ran.
async fn peak_during<F: Future>(f: F) -> (F::Output, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f.await;
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

const BATCH: u64 = 500;

/// The crate: `stream_batches` over all of the merchant's tickets.
async fn crate_stream(db: &Db, merchant: MerchantId) -> (u64, usize) {
    let repo = SeaTicketRepository;
    let txn = db.db.begin().await.unwrap();
    let mut batches = repo
        .stream_batches(&txn, merchant, TicketFilter::new(), BATCH)
        .unwrap();
    let (mut rows, mut bytes) = (0, 0);
    while let Some(batch) = batches.next().await {
        for t in batch.unwrap() {
            rows += 1;
            bytes += t.subject.len();
        }
    }
    (rows, bytes)
}

/// A ticket row as raw sqlx decodes it: the same 20 columns, as plain types.
#[allow(dead_code)]
struct RawTicket {
    id: i64,
    merchant_id: i64,
    freshdesk_ticket_id: String,
    subject: String,
    status: i32,
    priority: i32,
    source: Option<i32>,
    requester_id: Option<i64>,
    responder_id: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    first_response_time: Option<i64>,
    fr_due_by: Option<DateTime<Utc>>,
    due_by: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    tags: serde_json::Value,
    custom_fields: serde_json::Value,
    processed: bool,
}

const SELECT: &str = "SELECT id, merchant_id, freshdesk_ticket_id, subject, status, priority, \
    source, requester_id, responder_id, created_at, updated_at, first_responded_at, \
    first_response_time, fr_due_by, due_by, resolved_at, closed_at, tags, custom_fields, \
    processed FROM freshdesk_unified_ticket_view";

/// Decodes a row; `$json` turns column `i` into a `serde_json::Value`.
macro_rules! decode {
    ($row:expr, $json:expr) => {{
        use sea_orm::sqlx::Row;
        let r = &$row;
        RawTicket {
            id: r.try_get(0).unwrap(),
            merchant_id: r.try_get(1).unwrap(),
            freshdesk_ticket_id: r.try_get(2).unwrap(),
            subject: r.try_get(3).unwrap(),
            status: r.try_get(4).unwrap(),
            priority: r.try_get(5).unwrap(),
            source: r.try_get(6).unwrap(),
            requester_id: r.try_get(7).unwrap(),
            responder_id: r.try_get(8).unwrap(),
            created_at: r.try_get(9).unwrap(),
            updated_at: r.try_get(10).unwrap(),
            first_responded_at: r.try_get(11).unwrap(),
            first_response_time: r.try_get(12).unwrap(),
            fr_due_by: r.try_get(13).unwrap(),
            due_by: r.try_get(14).unwrap(),
            resolved_at: r.try_get(15).unwrap(),
            closed_at: r.try_get(16).unwrap(),
            tags: $json(r, 17),
            custom_fields: $json(r, 18),
            processed: r.try_get(19).unwrap(),
        }
    }};
}

/// Raw sqlx, keyset batches (`$p1`/`$p2` are the backend's placeholders).
macro_rules! raw_keyset {
    ($pool:expr, $merchant:expr, $p1:literal, $p2:literal, $json:expr) => {{
        use sea_orm::sqlx;
        let sql = format!(
            "{SELECT} WHERE merchant_id = {} AND id > {} ORDER BY id LIMIT {BATCH}",
            $p1, $p2
        );
        let mut conn = $pool.acquire().await.unwrap();
        let (mut after, mut rows, mut bytes) = (0_i64, 0_u64, 0_usize);
        loop {
            let batch: Vec<RawTicket> = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind($merchant.get())
                .bind(after)
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .into_iter()
                .map(|row| decode!(row, $json))
                .collect();
            let Some(last) = batch.last() else { break };
            after = last.id;
            let full = batch.len() as u64 == BATCH;
            for t in batch {
                rows += 1;
                bytes += t.subject.len();
            }
            if !full {
                break;
            }
        }
        (rows, bytes)
    }};
}

/// Raw sqlx, one streamed query.
macro_rules! raw_fetch {
    ($pool:expr, $merchant:expr, $p1:literal, $json:expr) => {{
        use sea_orm::sqlx;
        let sql = format!("{SELECT} WHERE merchant_id = {} ORDER BY id", $p1);
        let mut conn = $pool.acquire().await.unwrap();
        let (mut rows, mut bytes) = (0_u64, 0_usize);
        let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind($merchant.get())
            .fetch(&mut *conn);
        while let Some(row) = stream.next().await {
            let t = decode!(row.unwrap(), $json);
            rows += 1;
            bytes += t.subject.len();
        }
        (rows, bytes)
    }};
}

#[cfg(feature = "postgres")]
fn pg_json(r: &sea_orm::sqlx::postgres::PgRow, i: usize) -> serde_json::Value {
    use sea_orm::sqlx::Row;
    r.try_get::<sea_orm::sqlx::types::Json<serde_json::Value>, _>(i)
        .unwrap()
        .0
}

/// JSON columns are text on SQLite and MariaDB.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
fn text_json<R: sea_orm::sqlx::Row>(r: &R, i: usize) -> serde_json::Value
where
    usize: sea_orm::sqlx::ColumnIndex<R>,
    for<'a> &'a str: sea_orm::sqlx::Decode<'a, R::Database> + sea_orm::sqlx::Type<R::Database>,
{
    serde_json::from_str(r.try_get::<&str, _>(i).unwrap()).unwrap()
}

async fn raw_stream(db: &Db, merchant: MerchantId, keyset: bool) -> (u64, usize) {
    match db.db.get_database_backend() {
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => {
            let pool = db.db.get_postgres_connection_pool();
            if keyset {
                raw_keyset!(pool, merchant, "$1", "$2", pg_json)
            } else {
                raw_fetch!(pool, merchant, "$1", pg_json)
            }
        }
        #[cfg(feature = "mysql")]
        DbBackend::MySql => {
            let pool = db.db.get_mysql_connection_pool();
            let json = text_json::<sea_orm::sqlx::mysql::MySqlRow>;
            if keyset {
                raw_keyset!(pool, merchant, "?", "?", json)
            } else {
                raw_fetch!(pool, merchant, "?", json)
            }
        }
        #[cfg(feature = "sqlite")]
        DbBackend::Sqlite => {
            let pool = db.db.get_sqlite_connection_pool();
            let json = text_json::<sea_orm::sqlx::sqlite::SqliteRow>;
            if keyset {
                raw_keyset!(pool, merchant, "?", "?", json)
            } else {
                raw_fetch!(pool, merchant, "?", json)
            }
        }
        #[allow(unreachable_patterns)]
        other => panic!("{other:?}: driver feature not compiled in"),
    }
}

fn main() {
    let mut c = common::criterion();
    let rt = common::runtime();
    let rec = Recorder::default();
    let db = rt.block_on(Db::connect());
    let backend = common::backend_name();

    let mut sets = vec![(DataSet::Tickets100k, "100k".to_owned())];
    if DataSet::Big.tickets() != DataSet::Tickets100k.tickets() {
        sets.push((DataSet::Big, format!("{}k", DataSet::Big.tickets() / 1_000)));
    }
    let mut merchants = Vec::new();
    for (set, label) in &sets {
        let merchant = rt.block_on(db.ensure(*set));
        let n = u64::from(set.tickets());
        merchants.push((merchant, n, label.clone()));
        let group = format!("stream_{label}");
        let mut g = Group::new(&mut c, &rt, &rec, &group);
        g.elements(n);
        g.group.sampling_mode(criterion::SamplingMode::Flat);
        g.bench("crate_stream_batches", || async {
            let ((rows, _), t) = timed(crate_stream(&db, merchant)).await;
            assert_eq!(rows, n);
            t
        });
        g.bench("raw_sqlx_keyset", || async {
            let ((rows, _), t) = timed(raw_stream(&db, merchant, true)).await;
            assert_eq!(rows, n);
            t
        });
        g.bench("raw_sqlx_fetch", || async {
            let ((rows, _), t) = timed(raw_stream(&db, merchant, false)).await;
            assert_eq!(rows, n);
            t
        });
        g.finish();
        let id = |b: &str| format!("{group}/{backend}/{b}");
        for raw in ["raw_sqlx_keyset", "raw_sqlx_fetch"] {
            rec.ratio(
                &format!("stream ({label} tickets): crate vs {raw} (time per row)"),
                &id("crate_stream_batches"),
                &id(raw),
                Some(1.3),
            );
        }
        if let Some(per_row) = rec.median(&id("crate_stream_batches")) {
            rec.note(format!(
                "stream ({label} tickets): crate reads {:.0} rows/s",
                1.0 / per_row
            ));
        }
    }

    // Peak memory, one more pass each, outside the timings.
    for (merchant, n, label) in &merchants {
        for variant in ["crate_stream_batches", "raw_sqlx_keyset", "raw_sqlx_fetch"] {
            let ((rows, _), peak) = rt.block_on(peak_during(async {
                match variant {
                    "crate_stream_batches" => crate_stream(&db, *merchant).await,
                    "raw_sqlx_keyset" => raw_stream(&db, *merchant, true).await,
                    _ => raw_stream(&db, *merchant, false).await,
                }
            }));
            assert_eq!(rows, *n);
            rec.note(format!(
                "stream ({label} tickets): {variant} peak memory {:.2} MiB above start",
                peak as f64 / (1024.0 * 1024.0)
            ));
        }
    }

    c.final_summary();
    rec.finish("stream");
}
