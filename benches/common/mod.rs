//! Shared by the benchmark binaries: the database under test, the
//! benchmark data sets (demo data under reserved merchant ids, filled once
//! and reused), and a recorder that turns each pair of measurements into the
//! ratio that `benches/README.md` reports.
//!
//! Environment:
//!
//! * `DATABASE_URL`: the database to measure. Unset: a SQLite file
//!   (`freshdesk-store-bench.sqlite` in the system temp directory), kept
//!   between runs so the data sets are generated only once.
//! * `BENCH_BIG_TICKETS`: tickets of the large merchant that pagination and
//!   streaming read (default 1,000,000 on PostgreSQL and MariaDB, 100,000 on
//!   SQLite).
//! * `BENCH_RESULTS`: a file the ratios are appended to (default
//!   `target/bench-results.md`).
#![allow(dead_code)]

pub mod raw;

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use freshdesk_store::entity::ticket;
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::{MerchantId, PoolConfig};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use tokio::runtime::Runtime;

/// Benchmark merchants live at and above this id, far from what tests and
/// demo runs use; the benchmarks never touch other merchants' rows.
pub const MERCHANT_BASE: i64 = 900_000_000;

/// The demo generator's seed for every benchmark data set.
pub const SEED: u64 = 20_261_101;

/// The fixed "now" of the benchmark data (so a data set filled on one day is
/// reused on the next).
pub fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// The benchmark data sets: one merchant each, at `MERCHANT_BASE + offset`.
#[derive(Clone, Copy, Debug)]
pub enum DataSet {
    /// 10,000 tickets (no children): the source rows of the write benchmarks,
    /// and the merchant (with its agents and contacts) they write into.
    Writes,
    /// 1,000 tickets with conversations and ratings.
    Children,
    /// 10,000 tickets with conversations and ratings.
    Analytics10k,
    /// 100,000 tickets with conversations and ratings.
    Analytics100k,
    /// 100,000 tickets, no children.
    Tickets100k,
    /// `BENCH_BIG_TICKETS` tickets, no children.
    Big,
}

impl DataSet {
    pub fn merchant(self) -> MerchantId {
        let offset = match self {
            DataSet::Writes => 1,
            DataSet::Children => 2,
            DataSet::Analytics10k => 3,
            DataSet::Analytics100k => 4,
            DataSet::Tickets100k => 5,
            // One merchant per size, so changing the size never refills another.
            DataSet::Big => 100 + i64::from(big_tickets() / 100_000),
        };
        MerchantId::new(MERCHANT_BASE + offset).unwrap()
    }

    pub fn tickets(self) -> u32 {
        match self {
            DataSet::Writes | DataSet::Analytics10k => 10_000,
            DataSet::Children => 1_000,
            DataSet::Analytics100k | DataSet::Tickets100k => 100_000,
            DataSet::Big => big_tickets(),
        }
    }

    pub fn children(self) -> bool {
        matches!(
            self,
            DataSet::Children | DataSet::Analytics10k | DataSet::Analytics100k
        )
    }
}

/// The URL under test.
pub fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        let path = std::env::temp_dir().join("freshdesk-store-bench.sqlite");
        format!("sqlite://{}?mode=rwc", path.display())
    })
}

/// The backend of [`url`], from its scheme.
pub fn backend() -> DbBackend {
    let url = url();
    if url.starts_with("postgres") {
        DbBackend::Postgres
    } else if url.starts_with("mysql") || url.starts_with("mariadb") {
        DbBackend::MySql
    } else {
        DbBackend::Sqlite
    }
}

pub fn backend_name() -> &'static str {
    match backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::MySql => "mariadb",
        _ => "sqlite",
    }
}

/// Tickets of the large merchant.
pub fn big_tickets() -> u32 {
    std::env::var("BENCH_BIG_TICKETS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(match backend() {
            DbBackend::Sqlite => 100_000,
            _ => 1_000_000,
        })
}

/// A multi-threaded Tokio runtime for the async benchmarks.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Criterion with defaults that keep a run short (10 samples, 1 s warm-up,
/// 5 s measurement); the command line overrides them.
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args()
}

/// The connection under test, with a statement counter.
pub struct Db {
    pub db: DatabaseConnection,
    statements: Arc<AtomicU64>,
    /// While `Some`, every statement SeaORM sends is appended ([`Db::capture`]).
    captured: Arc<Mutex<Option<Vec<sea_orm::Statement>>>>,
}

impl Db {
    /// Connects to [`url`] and migrates the schema (benchmarks need no
    /// statement timeout: one-time fills of a million rows run long).
    pub async fn connect() -> Self {
        let url = url();
        let mut config = PoolConfig::from_url(&url).expect("DATABASE_URL");
        config.statement_timeout = None;
        config.max_connections = 4;
        let mut db = config
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let statements = Arc::new(AtomicU64::new(0));
        let hook = statements.clone();
        let captured: Arc<Mutex<Option<Vec<sea_orm::Statement>>>> = Arc::default();
        let sink = captured.clone();
        db.set_metric_callback(move |info| {
            hook.fetch_add(1, Ordering::Relaxed);
            if let Some(log) = sink.lock().unwrap().as_mut() {
                log.push(info.statement.clone());
            }
        });
        Migrator::up(&db, None).await.expect("migrations");
        Self {
            db,
            statements,
            captured,
        }
    }

    /// Runs `f` and returns its output with the statements SeaORM sent
    /// meanwhile (SQL and bound values), to run them again with raw sqlx.
    pub async fn capture<F: Future>(&self, f: F) -> (F::Output, Vec<sea_orm::Statement>) {
        *self.captured.lock().unwrap() = Some(Vec::new());
        let out = f.await;
        let log = self.captured.lock().unwrap().take().unwrap_or_default();
        (out, log)
    }

    /// Statements SeaORM has sent so far (not `BEGIN`/`COMMIT`).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Makes sure the data set is there: reuses it when the merchant has
    /// exactly the expected number of tickets, otherwise deletes whatever
    /// the merchant has and fills it with `demo::fill` in one committed
    /// transaction.
    pub async fn ensure(&self, set: DataSet) -> MerchantId {
        let merchant = set.merchant();
        let have = ticket::Entity::find()
            .filter(ticket::Column::MerchantId.eq(merchant))
            .count(&self.db)
            .await
            .expect("count");
        if have == u64::from(set.tickets()) {
            return merchant;
        }
        eprintln!(
            "filling benchmark merchant {merchant} with {} tickets{} (once; reused by later runs)",
            set.tickets(),
            if set.children() { " and children" } else { "" },
        );
        let started = Instant::now();
        self.delete_merchant(merchant).await;
        let mut config = DemoConfig::new(1, set.tickets(), SEED)
            .first_merchant(merchant)
            .anchor(anchor());
        if !set.children() {
            config = config.without_children();
        }
        let txn = self.db.begin().await.expect("begin");
        demo::fill(&txn, &config).await.expect("demo fill");
        txn.commit().await.expect("commit");
        self.analyze().await;
        eprintln!("  filled in {:.1?}", started.elapsed());
        merchant
    }

    /// Deletes every row of one benchmark merchant.
    pub async fn delete_merchant(&self, merchant: MerchantId) {
        assert!(merchant.get() >= MERCHANT_BASE, "only benchmark merchants");
        for table in [
            "freshdesk_rating",
            "freshdesk_conversation",
            "freshdesk_unified_ticket_view",
            "freshdesk_agent",
            "freshdesk_contact",
        ] {
            self.exec(&format!(
                "DELETE FROM {table} WHERE merchant_id = {merchant}"
            ))
            .await;
        }
    }

    /// Refreshes the planner's statistics.
    pub async fn analyze(&self) {
        let sql = match self.db.get_database_backend() {
            DbBackend::Postgres => "ANALYZE",
            DbBackend::MySql => {
                "ANALYZE TABLE freshdesk_unified_ticket_view, freshdesk_conversation, freshdesk_rating"
            }
            _ => "ANALYZE",
        };
        self.exec(sql).await;
    }

    /// Runs a statement outside any measurement (setup and cleanup).
    pub async fn exec(&self, sql: &str) {
        self.db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Per-iteration times of every benchmark, and the notes (ratios, counts,
/// memory) a run reports.
#[derive(Default)]
pub struct Recorder {
    times: Mutex<BTreeMap<String, Vec<f64>>>,
    lines: Mutex<Vec<String>>,
}

impl Recorder {
    fn push(&self, id: &str, secs: f64) {
        self.times
            .lock()
            .unwrap()
            .entry(id.to_owned())
            .or_default()
            .push(secs);
    }

    /// Median time per iteration (per element when the benchmark has a
    /// throughput) of a benchmark, `group/name`.
    pub fn median(&self, id: &str) -> Option<f64> {
        let times = self.times.lock().unwrap();
        let mut v = times.get(id)?.clone();
        v.sort_by(f64::total_cmp);
        Some(v[v.len() / 2])
    }

    /// Records a line for the results table.
    pub fn note(&self, line: impl Into<String>) {
        let line = line.into();
        println!("RESULT {line}");
        self.lines.lock().unwrap().push(line);
    }

    /// Records `slow / fast` as a ratio (skipped when either did not run,
    /// for example under a Criterion filter). `target` is the largest
    /// acceptable ratio, when the issue sets one.
    pub fn ratio(&self, what: &str, slow: &str, fast: &str, target: Option<f64>) {
        let (Some(s), Some(f)) = (self.median(slow), self.median(fast)) else {
            return;
        };
        let r = s / f;
        let verdict = match target {
            Some(t) if r <= t => format!(" (target ≤ {t}×: met)"),
            Some(t) => format!(" (target ≤ {t}×: MISSED)"),
            None => String::new(),
        };
        self.note(format!(
            "{what}: {r:.2}× ({slow} {} / {fast} {}){verdict}",
            human(s),
            human(f)
        ));
    }

    /// Appends the run's lines to the results file, with the backend, date,
    /// machine load and the command line.
    pub fn finish(&self, bench: &str) {
        if std::env::var_os("BENCH_DEBUG").is_some() {
            for (id, v) in self.times.lock().unwrap().iter() {
                eprintln!("{id}: {v:?}");
            }
        }
        let lines = self.lines.lock().unwrap();
        if lines.is_empty() {
            return;
        }
        let path = std::env::var("BENCH_RESULTS")
            .unwrap_or_else(|_| format!("{}/target/bench-results.md", env!("CARGO_MANIFEST_DIR")));
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let mut out = format!(
            "\n## {bench} on {} — {} (load {})\n\nargs: {:?}, BENCH_BIG_TICKETS={}\n\n",
            backend_name(),
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            std::env::args().skip(1).collect::<Vec<_>>(),
            big_tickets(),
        );
        for line in lines.iter() {
            out.push_str(&format!("- {line}\n"));
        }
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            let _ = f.write_all(out.as_bytes());
            eprintln!("results appended to {path}");
        }
    }
}

/// A duration in seconds, readable.
pub fn human(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.2} µs", secs * 1e6)
    }
}

/// A Criterion group whose benchmarks are async functions that return the
/// time of one iteration (setup and cleanup left out of it), recorded for
/// the ratios.
pub struct Group<'a> {
    pub group: BenchmarkGroup<'a, WallTime>,
    name: String,
    rt: &'a Runtime,
    rec: &'a Recorder,
    elements: Option<u64>,
}

impl<'a> Group<'a> {
    pub fn new(c: &'a mut Criterion, rt: &'a Runtime, rec: &'a Recorder, name: &str) -> Self {
        let name = format!("{name}/{}", backend_name());
        Self {
            group: c.benchmark_group(&name),
            name,
            rt,
            rec,
            elements: None,
        }
    }

    /// The full id of a benchmark of this group, as [`Recorder`] keys it.
    pub fn id(&self, bench: &str) -> String {
        format!("{}/{bench}", self.name)
    }

    /// Rows per iteration: Criterion reports rows per second and the
    /// recorder keeps time per row (so runs of different sizes compare).
    pub fn elements(&mut self, n: u64) {
        self.elements = Some(n);
        self.group.throughput(Throughput::Elements(n));
    }

    /// Benchmarks `f`: each call is one iteration and returns its measured time.
    pub fn bench<F, Fut>(&mut self, bench: &str, f: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Duration>,
    {
        let id = self.id(bench);
        let rec = self.rec;
        let per = self.elements.unwrap_or(1) as f64;
        let f = &f;
        self.group.bench_function(bench, |b| {
            b.to_async(self.rt).iter_custom(|iters| {
                let id = id.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += f().await;
                    }
                    rec.push(&id, total.as_secs_f64() / iters as f64 / per);
                    total
                }
            })
        });
    }

    pub fn finish(self) {
        self.group.finish();
    }
}

/// Times one future.
pub async fn timed<F: Future>(f: F) -> (F::Output, Duration) {
    let start = Instant::now();
    let out = f.await;
    (out, start.elapsed())
}
