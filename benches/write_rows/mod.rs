//! Shared by the write benchmarks (`writes`, `write_cpu`): the source rows
//! renamed to fresh Freshdesk ids, their repository input, and the raw
//! driver baselines (sqlx multi-row `INSERT`s, PostgreSQL `COPY`).
#![allow(dead_code)]

use freshdesk_store::MerchantId;
use freshdesk_store::entity::ticket;
use freshdesk_store::repository::NewTicket;
use sea_orm::DbBackend;

use crate::common::Db;

/// The 10,000 demo tickets of the write merchant, as rows with a new
/// Freshdesk id `{prefix}{i}`.
pub fn renamed(source: &[ticket::Model], prefix: &str) -> Vec<ticket::Model> {
    source
        .iter()
        .enumerate()
        .map(|(i, t)| ticket::Model {
            freshdesk_ticket_id: format!("{prefix}{i}"),
            ..t.clone()
        })
        .collect()
}

pub fn new_ticket(t: ticket::Model) -> NewTicket {
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

pub const COLUMNS: &str = "merchant_id, freshdesk_ticket_id, subject, status, priority, source, \
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

pub async fn raw_sqlx_insert(db: &Db, rows: Vec<ticket::Model>) {
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
pub async fn pg_copy(db: &Db, rows: Vec<ticket::Model>) {
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

pub async fn delete_prefixed(db: &Db, merchant: MerchantId, prefix: &str) {
    db.exec(&format!(
        "DELETE FROM freshdesk_unified_ticket_view \
         WHERE merchant_id = {merchant} AND freshdesk_ticket_id LIKE '{prefix}%'"
    ))
    .await;
}

/// `n` rows cycling through `source`, with Freshdesk ids `{prefix}{i}`:
/// the same generator for every size.
pub fn cycled(source: &[ticket::Model], n: usize, prefix: &str) -> Vec<ticket::Model> {
    (0..n)
        .map(|i| ticket::Model {
            freshdesk_ticket_id: format!("{prefix}{i}"),
            ..source[i % source.len()].clone()
        })
        .collect()
}

/// CPU time this process has used so far (user, system), from
/// `/proc/self/stat` (clock ticks of 10 ms); zero where there is no
/// `/proc`.
pub fn process_cpu() -> (std::time::Duration, std::time::Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 here.
    let tick = std::time::Duration::from_millis(10);
    (tick * ticks(11) as u32, tick * ticks(12) as u32)
}
