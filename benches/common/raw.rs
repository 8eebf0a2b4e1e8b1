//! Raw sqlx, the benchmarks' yardstick: full ticket rows decoded by column
//! index into plain types, and statements the crate built (captured with
//! [`Db::capture`](super::Db::capture)) run again through sqlx directly, the
//! same SQL and the same bound values, so a ratio measures the crate's
//! own cost and nothing else.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, Statement, sqlx};
use sea_query_sqlx::SqlxValues;

use super::Db;

/// The ticket table's columns, in the entity's order (what the crate's
/// full-row `SELECT` reads).
pub const COLUMNS: &str = "id, merchant_id, freshdesk_ticket_id, subject, status, priority, \
    source, requester_id, responder_id, created_at, updated_at, first_responded_at, \
    first_response_time, fr_due_by, due_by, resolved_at, closed_at, tags, custom_fields, \
    processed, deleted, spam, reopened_at";

/// A ticket row as raw sqlx decodes it: the same 23 columns, plain types.
#[allow(dead_code)]
pub struct RawTicket {
    pub id: i64,
    pub merchant_id: i64,
    pub freshdesk_ticket_id: String,
    pub subject: String,
    pub status: i32,
    pub priority: i32,
    pub source: Option<i32>,
    pub requester_id: Option<i64>,
    pub responder_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_time: Option<i64>,
    pub fr_due_by: Option<DateTime<Utc>>,
    pub due_by: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub tags: serde_json::Value,
    pub custom_fields: serde_json::Value,
    pub processed: bool,
    pub deleted: bool,
    pub spam: bool,
    pub reopened_at: Option<DateTime<Utc>>,
}

/// A decoder by column index for one driver's row type; `$json` reads
/// column `i` as a `serde_json::Value`.
macro_rules! decoder {
    ($name:ident, $row:ty, $json:expr) => {
        pub fn $name(r: &$row) -> RawTicket {
            use sea_orm::sqlx::Row;
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
                deleted: r.try_get(20).unwrap(),
                spam: r.try_get(21).unwrap(),
                reopened_at: r.try_get(22).unwrap(),
            }
        }
    };
}

#[cfg(feature = "postgres")]
fn pg_json(r: &sqlx::postgres::PgRow, i: usize) -> serde_json::Value {
    use sea_orm::sqlx::Row;
    r.try_get::<sqlx::types::Json<serde_json::Value>, _>(i)
        .unwrap()
        .0
}

/// JSON columns are text on SQLite and MariaDB.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
fn text_json<R: sqlx::Row>(r: &R, i: usize) -> serde_json::Value
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> &'a str: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    serde_json::from_str(r.try_get::<&str, _>(i).unwrap()).unwrap()
}

#[cfg(feature = "postgres")]
decoder!(decode_pg, sqlx::postgres::PgRow, pg_json);
#[cfg(feature = "mysql")]
decoder!(
    decode_mysql,
    sqlx::mysql::MySqlRow,
    text_json::<sqlx::mysql::MySqlRow>
);
#[cfg(feature = "sqlite")]
decoder!(
    decode_sqlite,
    sqlx::sqlite::SqliteRow,
    text_json::<sqlx::sqlite::SqliteRow>
);

/// The statement's SQL and values as a sqlx query.
macro_rules! query_of {
    ($stmt:expr) => {
        sqlx::query_with(
            sqlx::AssertSqlSafe($stmt.sql.clone()),
            SqlxValues($stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new()))),
        )
    };
}

/// Runs a captured `SELECT` of full ticket rows with raw sqlx on a pooled
/// connection (acquired before the clock starts); returns the rows decoded
/// and the time the query and decoding took.
pub async fn fetch_tickets(db: &Db, stmt: &Statement) -> (Vec<RawTicket>, Duration) {
    match db.db.get_database_backend() {
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => {
            let mut conn = db
                .db
                .get_postgres_connection_pool()
                .acquire()
                .await
                .unwrap();
            let start = Instant::now();
            let rows = query_of!(stmt).fetch_all(&mut *conn).await.unwrap();
            let out: Vec<_> = rows.iter().map(decode_pg).collect();
            (out, start.elapsed())
        }
        #[cfg(feature = "mysql")]
        DbBackend::MySql => {
            let mut conn = db.db.get_mysql_connection_pool().acquire().await.unwrap();
            let start = Instant::now();
            let rows = query_of!(stmt).fetch_all(&mut *conn).await.unwrap();
            let out: Vec<_> = rows.iter().map(decode_mysql).collect();
            (out, start.elapsed())
        }
        #[cfg(feature = "sqlite")]
        DbBackend::Sqlite => {
            let mut conn = db.db.get_sqlite_connection_pool().acquire().await.unwrap();
            let start = Instant::now();
            let rows = query_of!(stmt).fetch_all(&mut *conn).await.unwrap();
            let out: Vec<_> = rows.iter().map(decode_sqlite).collect();
            (out, start.elapsed())
        }
        #[allow(unreachable_patterns)]
        other => panic!("{other:?}: driver feature not compiled in"),
    }
}

/// Runs a captured write statement with raw sqlx in a transaction of its
/// own (begun before the clock starts) and rolls it back; returns the rows
/// affected and the time the statement took.
pub async fn execute_rolled_back(db: &Db, stmt: &Statement) -> (u64, Duration) {
    macro_rules! run {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await.unwrap();
            let start = Instant::now();
            let done = query_of!(stmt).execute(&mut *tx).await.unwrap();
            let t = start.elapsed();
            tx.rollback().await.unwrap();
            (done.rows_affected(), t)
        }};
    }
    match db.db.get_database_backend() {
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => run!(db.db.get_postgres_connection_pool()),
        #[cfg(feature = "mysql")]
        DbBackend::MySql => run!(db.db.get_mysql_connection_pool()),
        #[cfg(feature = "sqlite")]
        DbBackend::Sqlite => run!(db.db.get_sqlite_connection_pool()),
        #[allow(unreachable_patterns)]
        other => panic!("{other:?}: driver feature not compiled in"),
    }
}
