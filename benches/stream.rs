//! Streaming benchmark (issue 14, items 2 and 5): every ticket of a
//! merchant, read with the crate's `stream_batches` (on PostgreSQL a
//! server-side cursor, `FETCH` per batch; keyset batches elsewhere) in
//! batches of `STREAM_BATCH` (1,000), 500 and 5,000, against raw sqlx
//! reading and decoding the same 23 columns by index into a plain struct,
//! two ways: one streamed query (`raw_sqlx_fetch`, the driver's limit: the
//! target is crate ≤ 1.3× this) and keyset batches of 500
//! (`raw_sqlx_keyset`). At 100,000 tickets and at `BENCH_BIG_TICKETS`
//! (1,000,000 by default on PostgreSQL and MariaDB).
//!
//! Peak memory: a counting global allocator tracks the bytes this process
//! holds; after the timings, each variant streams each merchant once more
//! and the peak above the starting point is recorded. Flat means the same
//! peak at 100k and at the big size.
//!
//! Run: `cargo bench --bench stream` (SQLite), or with
//! `DATABASE_URL=postgres://…` / `mysql://…` and `--all-features`.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::raw::{self, COLUMNS, RawTicket};
use common::{DataSet, Db, Group, Recorder, timed};
use freshdesk_store::MerchantId;
use freshdesk_store::repository::{
    STREAM_BATCH, SeaTicketRepository, TicketFilter, TicketRepository,
};
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

/// The raw keyset batches' size (the crate's batch before the cursor).
const KEYSET_BATCH: u64 = 500;

/// The crate: `stream_batches` over all of the merchant's tickets, in
/// batches of `batch` (a cursor on PostgreSQL, keyset batches elsewhere).
async fn crate_stream(db: &Db, merchant: MerchantId, batch: u64) -> (u64, usize) {
    let repo = SeaTicketRepository;
    let txn = db.db.begin().await.unwrap();
    let mut batches = repo
        .stream_batches(&txn, merchant, TicketFilter::new(), batch)
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

/// Raw sqlx, keyset batches (`$p1`/`$p2` are the backend's placeholders).
macro_rules! raw_keyset {
    ($pool:expr, $merchant:expr, $p1:literal, $p2:literal, $decode:expr) => {{
        use sea_orm::sqlx;
        let sql = format!(
            "SELECT {COLUMNS} FROM freshdesk_unified_ticket_view WHERE merchant_id = {} AND id > {} \
             AND deleted = false AND spam = false ORDER BY id LIMIT {KEYSET_BATCH}",
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
                .iter()
                .map($decode)
                .collect();
            let Some(last) = batch.last() else { break };
            after = last.id;
            let full = batch.len() as u64 == KEYSET_BATCH;
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
    ($pool:expr, $merchant:expr, $p1:literal, $decode:expr) => {{
        use sea_orm::sqlx;
        let sql = format!(
            "SELECT {COLUMNS} FROM freshdesk_unified_ticket_view WHERE merchant_id = {} \
             AND deleted = false AND spam = false ORDER BY id",
            $p1
        );
        let mut conn = $pool.acquire().await.unwrap();
        let (mut rows, mut bytes) = (0_u64, 0_usize);
        let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind($merchant.get())
            .fetch(&mut *conn);
        while let Some(row) = stream.next().await {
            let t = $decode(&row.unwrap());
            rows += 1;
            bytes += t.subject.len();
        }
        (rows, bytes)
    }};
}

async fn raw_stream(db: &Db, merchant: MerchantId, keyset: bool) -> (u64, usize) {
    match db.db.get_database_backend() {
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => {
            let pool = db.db.get_postgres_connection_pool();
            if keyset {
                raw_keyset!(pool, merchant, "$1", "$2", raw::decode_pg)
            } else {
                raw_fetch!(pool, merchant, "$1", raw::decode_pg)
            }
        }
        #[cfg(feature = "mysql")]
        DbBackend::MySql => {
            let pool = db.db.get_mysql_connection_pool();
            if keyset {
                raw_keyset!(pool, merchant, "?", "?", raw::decode_mysql)
            } else {
                raw_fetch!(pool, merchant, "?", raw::decode_mysql)
            }
        }
        #[cfg(feature = "sqlite")]
        DbBackend::Sqlite => {
            let pool = db.db.get_sqlite_connection_pool();
            if keyset {
                raw_keyset!(pool, merchant, "?", "?", raw::decode_sqlite)
            } else {
                raw_fetch!(pool, merchant, "?", raw::decode_sqlite)
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
        for (name, batch) in [
            ("crate_stream_batches", STREAM_BATCH),
            ("crate_stream_batches_500", 500),
            ("crate_stream_batches_5000", 5_000),
        ] {
            let db = &db;
            g.bench(name, || async move {
                let ((rows, _), t) = timed(crate_stream(db, merchant, batch)).await;
                assert_eq!(rows, n);
                t
            });
        }
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
        for (ours, raw, target) in [
            ("crate_stream_batches", "raw_sqlx_fetch", Some(1.3)),
            ("crate_stream_batches_500", "raw_sqlx_fetch", None),
            ("crate_stream_batches_5000", "raw_sqlx_fetch", None),
            ("crate_stream_batches", "raw_sqlx_keyset", None),
        ] {
            rec.ratio(
                &format!("stream ({label} tickets): {ours} vs {raw} (time per row)"),
                &id(ours),
                &id(raw),
                target,
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
                    "crate_stream_batches" => crate_stream(&db, *merchant, STREAM_BATCH).await,
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
