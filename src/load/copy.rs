//! The PostgreSQL path of the bulk loader: `COPY … FROM STDIN` (text
//! format) into a temporary table, then one `INSERT … SELECT … ON CONFLICT`
//! into the tickets, in one transaction on one pooled connection that the
//! loader owns and closes if the load is dropped before it finished.

use std::io::Write;

use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};
use sea_orm::sea_query::{Alias, Expr, Order, PostgresQueryBuilder, Query};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgConnection, PgPool};
use sea_orm::sqlx::{self, AssertSqlSafe, Postgres, Row};
use sea_orm::{DbBackend, IdenStatic};

use super::{LoadCounts, driver_error};
use crate::entity::ticket;
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId, MerchantId};
use crate::repository::NewTicket;
use crate::repository::TICKET_INSERT_COLUMNS;
use crate::repository::newest::{ticket_columns, ticket_spec};
use crate::repository::upsert::on_conflict;

/// The temporary table the rows are copied into (dropped at commit).
const STAGE: &str = "fds_load_ticket";

/// Bytes of `COPY` data sent at a time: the encoded rows never take more
/// memory than this beyond the caller's rows.
const SEND_BYTES: usize = 1 << 20;

/// Requesters of the stage that the merchant does not have (the first).
///
/// The stage is read in a materialised `WITH` query, never joined
/// directly: Citus refuses a join between a local (temporary) table and a
/// distributed one, and plans a materialised `WITH` query on its own (here
/// on the coordinator, its distinct ids shipped to the merchant's shard as
/// an intermediate result), so the check is single-shard there. On
/// PostgreSQL it costs what the direct anti-join did: one pass over the
/// stage either way (7–20 ms for 50,000 rows, both forms, out of seconds).
const MISSING_REQUESTER: &str = "WITH ids AS MATERIALIZED (SELECT DISTINCT requester_id AS id \
     FROM fds_load_ticket WHERE requester_id IS NOT NULL) \
     SELECT ids.id FROM ids WHERE NOT EXISTS (SELECT 1 FROM freshdesk_contact c \
     WHERE c.merchant_id = $1 AND c.id = ids.id) ORDER BY 1 LIMIT 1";

/// Responders of the stage that the merchant does not have (the first);
/// see [`MISSING_REQUESTER`].
const MISSING_RESPONDER: &str = "WITH ids AS MATERIALIZED (SELECT DISTINCT responder_id AS id \
     FROM fds_load_ticket WHERE responder_id IS NOT NULL) \
     SELECT ids.id FROM ids WHERE NOT EXISTS (SELECT 1 FROM freshdesk_agent a \
     WHERE a.merchant_id = $1 AND a.id = ids.id) ORDER BY 1 LIMIT 1";

/// A pooled connection that is closed, not returned to the pool, unless
/// the load left it idle (committed or rolled back): a load dropped
/// mid-`COPY` or mid-statement leaves messages on the wire that the next
/// user would read as its own answers.
struct Owned {
    conn: PoolConnection<Postgres>,
    idle: bool,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.idle {
            self.conn.close_on_drop();
        }
    }
}

/// How a load failed: with the connection still answering (roll back and
/// reuse it), or in the middle of `COPY` data (close it).
enum Failure {
    Answering(Error),
    MidCopy(Error),
}

/// Loads checked, non-empty `rows` (see [`super::load_tickets`]).
pub(super) async fn load_tickets(
    pool: &PgPool,
    merchant: MerchantId,
    newest: bool,
    rows: Vec<NewTicket>,
) -> Result<LoadCounts> {
    let mut owned = Owned {
        conn: pool.acquire().await.map_err(driver_error)?,
        idle: false,
    };
    match run(&mut owned.conn, merchant, newest, rows).await {
        Ok(counts) => {
            owned.idle = true;
            Ok(counts)
        }
        Err(Failure::MidCopy(err)) => Err(err),
        Err(Failure::Answering(err)) => {
            if sqlx::raw_sql("ROLLBACK")
                .execute(&mut *owned.conn)
                .await
                .is_ok()
            {
                owned.idle = true;
            }
            Err(err)
        }
    }
}

async fn run(
    conn: &mut PgConnection,
    merchant: MerchantId,
    newest: bool,
    rows: Vec<NewTicket>,
) -> std::result::Result<LoadCounts, Failure> {
    let answering = |e: sqlx::Error| Failure::Answering(driver_error(e));
    let total = rows.len() as u64;
    let columns: Vec<&str> = TICKET_INSERT_COLUMNS[1..]
        .iter()
        .map(IdenStatic::as_str)
        .collect();
    let columns = columns.join(", ");
    sqlx::raw_sql("BEGIN")
        .execute(&mut *conn)
        .await
        .map_err(answering)?;
    // The real table's column types, no constraints, no WAL.
    let stage = format!(
        "CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS SELECT {columns} \
         FROM freshdesk_unified_ticket_view WITH NO DATA"
    );
    sqlx::raw_sql(AssertSqlSafe(stage))
        .execute(&mut *conn)
        .await
        .map_err(answering)?;

    let mut copy = conn
        .copy_in_raw(&format!("COPY {STAGE} ({columns}) FROM STDIN"))
        .await
        .map_err(answering)?;
    let mut buf = Vec::with_capacity(SEND_BYTES + 64 * 1024);
    let mut json = Vec::new();
    for row in rows {
        encode(&mut buf, &mut json, row);
        if buf.len() >= SEND_BYTES {
            copy.send(buf.as_slice())
                .await
                .map_err(|e| Failure::MidCopy(driver_error(e)))?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_slice())
            .await
            .map_err(|e| Failure::MidCopy(driver_error(e)))?;
    }
    drop(buf);
    copy.finish().await.map_err(answering)?;

    for (sql, entity) in [(MISSING_REQUESTER, "contact"), (MISSING_RESPONDER, "agent")] {
        let missing: Option<i64> = sqlx::query_scalar(sql)
            .bind(merchant.get())
            .fetch_optional(&mut *conn)
            .await
            .map_err(answering)?;
        if let Some(id) = missing {
            return Err(Failure::Answering(Error::not_found(entity, id)));
        }
    }

    let insert = insert_sql(merchant, newest).map_err(Failure::Answering)?;
    let counts = if newest {
        let sql = format!(
            "WITH written AS ({insert} RETURNING (xmax = 0) AS inserted) \
             SELECT count(*) FILTER (WHERE inserted), count(*) FROM written"
        );
        let row = sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(answering)?;
        let inserted: i64 = row.try_get(0).map_err(answering)?;
        let written: i64 = row.try_get(1).map_err(answering)?;
        let (inserted, written) = (inserted as u64, written as u64);
        LoadCounts {
            inserted,
            updated: written - inserted,
            skipped: total - written,
        }
    } else {
        let done = sqlx::raw_sql(AssertSqlSafe(insert))
            .execute(&mut *conn)
            .await
            .map_err(answering)?;
        LoadCounts {
            inserted: done.rows_affected(),
            ..LoadCounts::default()
        }
    };
    sqlx::raw_sql("COMMIT")
        .execute(&mut *conn)
        .await
        .map_err(answering)?;
    Ok(counts)
}

/// `INSERT INTO tickets (…) SELECT merchant, … FROM stage ORDER BY
/// freshdesk_ticket_id` (byte order, as the repository's lock order), with
/// the repository's newest-wins `ON CONFLICT` clause when `newest`. The
/// merchant is the one value, inlined as an integer.
fn insert_sql(merchant: MerchantId, newest: bool) -> Result<String> {
    let mut select = Query::select();
    select.expr(Expr::val(merchant.get()));
    for column in &TICKET_INSERT_COLUMNS[1..] {
        select.column(*column);
    }
    select.from(Alias::new(STAGE)).order_by_expr(
        Expr::cust("\"freshdesk_ticket_id\" COLLATE \"C\""),
        Order::Asc,
    );
    let mut insert = Query::insert();
    insert
        .into_table(ticket::Entity)
        .columns(TICKET_INSERT_COLUMNS)
        .select_from(select)
        .map_err(|e| Error::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    if newest {
        insert.on_conflict(on_conflict(
            DbBackend::Postgres,
            &ticket_spec(ticket_columns()),
        ));
    }
    Ok(insert.to_string(PostgresQueryBuilder))
}

/// One row of `COPY` text: fields in [`TICKET_INSERT_COLUMNS`] order
/// without the merchant, the same values as `insert_many` writes
/// (timestamps to the microsecond, `first_response_time` derived).
fn encode(out: &mut Vec<u8>, json: &mut Vec<u8>, row: NewTicket) {
    // As the repository's writes: to the microsecond, then derived.
    let created_at = row.created_at.trunc_subsecs(6);
    let first_responded_at = row.first_responded_at.map(|at| at.trunc_subsecs(6));
    text(out, &row.freshdesk_ticket_id);
    out.push(b'\t');
    text(out, &row.subject);
    out.push(b'\t');
    number(out, Some(i64::from(row.status.code())));
    number(out, Some(i64::from(row.priority.code())));
    number(out, row.source.map(|s| i64::from(s.code())));
    number(out, row.requester_id.map(ContactId::get));
    number(out, row.responder_id.map(AgentId::get));
    instant(out, Some(created_at));
    instant(out, Some(row.updated_at));
    instant(out, first_responded_at);
    number(
        out,
        ticket::first_response_seconds(created_at, first_responded_at),
    );
    instant(out, row.fr_due_by);
    instant(out, row.due_by);
    instant(out, row.resolved_at);
    instant(out, row.closed_at);
    json.clear();
    // Serializing strings and a `Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *json, &row.tags);
    text_bytes(out, json);
    out.push(b'\t');
    json.clear();
    let _ = serde_json::to_writer(&mut *json, &row.custom_fields);
    text_bytes(out, json);
    out.push(b'\t');
    out.push(if row.processed { b't' } else { b'f' });
    out.push(b'\n');
}

/// A text field, escaped for `COPY`'s text format (NUL characters are
/// refused by validation before this).
fn text(out: &mut Vec<u8>, value: &str) {
    text_bytes(out, value.as_bytes());
}

fn text_bytes(out: &mut Vec<u8>, value: &[u8]) {
    let mut start = 0;
    for (i, b) in value.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&value[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&value[start..]);
}

/// An integer field (or `\N`) and its tab.
fn number(out: &mut Vec<u8>, value: Option<i64>) {
    match value {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.extend_from_slice(b"\\N"),
    }
    out.push(b'\t');
}

/// A `timestamptz` field in UTC to the microsecond (or `\N`) and its tab.
/// Validation keeps years within 1000..=9999.
fn instant(out: &mut Vec<u8>, value: Option<DateTime<Utc>>) {
    match value {
        Some(at) => {
            let at = at.naive_utc();
            // chrono carries a leap second as a nanosecond count past 1e9.
            let (second, nanos) = match at.nanosecond() {
                n if n >= 1_000_000_000 => (at.second() + 1, n - 1_000_000_000),
                n => (at.second(), n),
            };
            let _ = write!(
                out,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
                at.year(),
                at.month(),
                at.day(),
                at.hour(),
                at.minute(),
                second,
                nanos / 1_000
            );
        }
        None => out.extend_from_slice(b"\\N"),
    }
    out.push(b'\t');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text format's escapes: a field cannot end early or split a row.
    #[test]
    fn text_fields_are_escaped() {
        let mut out = Vec::new();
        text(&mut out, "a\\b\tc\nd\re \\N");
        assert_eq!(out, b"a\\\\b\\tc\\nd\\re \\\\N");
    }

    /// The newest-wins statement is the repository's clause on a
    /// `SELECT` from the stage, in byte order, with the merchant inlined.
    #[test]
    fn insert_statement_shape() {
        let merchant = MerchantId::new(77).unwrap();
        let plain = insert_sql(merchant, false).unwrap();
        assert!(plain.starts_with(
            "INSERT INTO \"freshdesk_unified_ticket_view\" (\"merchant_id\", \"freshdesk_ticket_id\""
        ));
        assert!(
            plain.contains("SELECT 77, \"freshdesk_ticket_id\""),
            "{plain}"
        );
        assert!(
            plain.ends_with(
                "FROM \"fds_load_ticket\" ORDER BY \"freshdesk_ticket_id\" COLLATE \"C\" ASC"
            ),
            "{plain}"
        );
        let newest = insert_sql(merchant, true).unwrap();
        assert!(
            newest.contains("ON CONFLICT (\"merchant_id\", \"freshdesk_ticket_id\") DO UPDATE SET"),
            "{newest}"
        );
        assert!(newest.contains("WHERE (\"excluded\".\"updated_at\" >= \"freshdesk_unified_ticket_view\".\"updated_at\""), "{newest}");
        assert!(!newest.contains("\"processed\" = "), "{newest}");
    }
}
