//! The SQL the metric modules share: the merchant-scoped, window-selected
//! base queries, and the few expressions whose text differs per backend.
//!
//! Every backend-specific fragment is built by `format!` from constant
//! identifiers and validated integers only (an offset in seconds, a
//! percentile in tenths): no caller string ever reaches SQL text. Values
//! the caller gives (merchant, window bounds, `now`) are bound parameters
//! through sea-query.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, IdenStatic, StatementBuilder};

use super::params::Window;
use crate::entity::{instant_value, rating, ticket};
use crate::error::{Error, Result};
use crate::time::UtcOffset;

/// Alias of the ticket table in every analytics statement.
pub(crate) const TICKET: &str = "t";
/// Alias of the rating table.
pub(crate) const RATING: &str = "r";

/// The backend, as far as analytics SQL is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    MySql,
    Sqlite,
}

impl Dialect {
    /// The dialect of `db`'s backend.
    pub(crate) fn of<C: ConnectionTrait>(db: &C) -> Result<Self> {
        match ConnectionTrait::get_database_backend(db) {
            DbBackend::Postgres => Ok(Self::Postgres),
            DbBackend::MySql => Ok(Self::MySql),
            DbBackend::Sqlite => Ok(Self::Sqlite),
            #[allow(unreachable_patterns)]
            _ => Err(Error::Database(DbErr::BackendNotSupported {
                db: "unknown",
                ctx: "analytics",
            })),
        }
    }

    /// A quoted identifier.
    fn quote(self, ident: &str) -> String {
        match self {
            Self::MySql => format!("`{ident}`"),
            _ => format!("\"{ident}\""),
        }
    }

    /// A quoted, qualified column: `"t"."created_at"`.
    pub(crate) fn col(self, table: &str, column: &str) -> String {
        format!("{}.{}", self.quote(table), self.quote(column))
    }

    /// A ticket column, qualified with [`TICKET`].
    pub(crate) fn ticket(self, column: ticket::Column) -> String {
        self.col(TICKET, column.as_str())
    }

    /// `sql` as a double-precision float.
    pub(crate) fn double(self, sql: &str) -> String {
        let ty = match self {
            Self::Postgres => "DOUBLE PRECISION",
            Self::MySql => "DOUBLE",
            Self::Sqlite => "REAL",
        };
        format!("CAST({sql} AS {ty})")
    }

    /// Integer division of two integer expressions (truncating toward zero).
    pub(crate) fn int_div(self, a: &str, b: &str) -> String {
        match self {
            Self::MySql => format!("({a} DIV {b})"),
            _ => format!("({a} / {b})"),
        }
    }

    /// `SUM(x) / COUNT(x)` as a float, null for an empty set: the average of
    /// integers with one rounding, the same on every backend.
    pub(crate) fn avg(self, x: &str) -> String {
        format!(
            "{} / NULLIF(COUNT({x}), 0)",
            self.double(&format!("SUM({x})"))
        )
    }

    /// The local date (`YYYY-MM-DD` text) of the instant in column `column`,
    /// shifted by `offset`.
    pub(crate) fn local_day(self, column: &str, offset: UtcOffset) -> String {
        let secs = offset.seconds();
        match self {
            Self::Postgres => format!(
                "to_char(({column} AT TIME ZONE 'UTC') + INTERVAL '{secs} seconds', 'YYYY-MM-DD')"
            ),
            Self::MySql => {
                format!("DATE_FORMAT(DATE_ADD({column}, INTERVAL {secs} SECOND), '%Y-%m-%d')")
            }
            // The first 19 characters are the UTC date and time without the
            // fraction, which SQLite would round to milliseconds.
            Self::Sqlite => format!("date(substr({column}, 1, 19), '{secs:+} seconds')"),
        }
    }

    /// Whole seconds from `start` to `end` (two timestamp columns), the
    /// fraction truncated toward zero.
    pub(crate) fn seconds_between(self, start: &str, end: &str) -> String {
        match self {
            Self::Postgres => {
                format!("CAST(TRUNC(EXTRACT(EPOCH FROM ({end} - {start}))) AS BIGINT)")
            }
            Self::MySql => format!("TIMESTAMPDIFF(SECOND, {start}, {end})"),
            // RFC 3339 text in UTC: whole seconds from the first 19
            // characters, nanoseconds from the fraction (if any) before the
            // `+00:00`; exact integer arithmetic, then truncating division.
            Self::Sqlite => {
                let epoch = |c: &str| format!("unixepoch(substr({c}, 1, 19))");
                let nanos = |c: &str| {
                    format!(
                        "(CASE WHEN substr({c}, 20, 1) = '.' THEN CAST(substr(substr({c}, 21, \
                         instr({c}, '+') - 21) || '000000000', 1, 9) AS INTEGER) ELSE 0 END)"
                    )
                };
                format!(
                    "((({} - {}) * 1000000000 + ({} - {})) / 1000000000)",
                    epoch(end),
                    epoch(start),
                    nanos(end),
                    nanos(start)
                )
            }
        }
    }
}

/// A ticket column qualified with [`TICKET`], for sea-query conditions.
pub(crate) fn ticket_col(column: ticket::Column) -> Expr {
    Expr::col((Alias::new(TICKET), column))
}

/// `SELECT … FROM ticket AS t WHERE t.merchant_id = ? AND NOT t.spam AND
/// NOT t.deleted`: the one place the ticket table is opened, always scoped
/// to the window's merchant, spam and deleted tickets left out.
pub(crate) fn merchant_tickets(w: &Window) -> SelectStatement {
    Query::select()
        .from_as(ticket::Entity, Alias::new(TICKET))
        .and_where(ticket_col(ticket::Column::MerchantId).eq(w.merchant()))
        .and_where(ticket_col(ticket::Column::Spam).not())
        .and_where(ticket_col(ticket::Column::Deleted).not())
        .to_owned()
}

/// The merchant's tickets with `created_at` in the window.
pub(crate) fn tickets_created_in(w: &Window) -> SelectStatement {
    let mut q = merchant_tickets(w);
    q.and_where(ticket_col(ticket::Column::CreatedAt).gte(instant_value(w.start())))
        .and_where(ticket_col(ticket::Column::CreatedAt).lt(instant_value(w.end())));
    q
}

/// The merchant's tickets with `resolved_at` in the window.
pub(crate) fn tickets_resolved_in(w: &Window) -> SelectStatement {
    let mut q = merchant_tickets(w);
    q.and_where(ticket_col(ticket::Column::ResolvedAt).gte(instant_value(w.start())))
        .and_where(ticket_col(ticket::Column::ResolvedAt).lt(instant_value(w.end())));
    q
}

/// The merchant's ratings with `created_at` in the window whose ticket is
/// neither spam nor deleted.
pub(crate) fn ratings_created_in(w: &Window) -> SelectStatement {
    let col = |c: rating::Column| Expr::col((Alias::new(RATING), c));
    let flagged = |c: ticket::Column| Expr::col((Alias::new("ft"), c));
    let flagged_ticket = Query::select()
        .expr(Expr::cust("1"))
        .from_as(ticket::Entity, Alias::new("ft"))
        .and_where(
            flagged(ticket::Column::MerchantId)
                .equals((Alias::new(RATING), rating::Column::MerchantId)),
        )
        .and_where(
            flagged(ticket::Column::Id).equals((Alias::new(RATING), rating::Column::TicketId)),
        )
        .and_where(flagged(ticket::Column::Spam).or(flagged(ticket::Column::Deleted)))
        .to_owned();
    Query::select()
        .from_as(rating::Entity, Alias::new(RATING))
        .and_where(col(rating::Column::MerchantId).eq(w.merchant()))
        .and_where(col(rating::Column::CreatedAt).gte(instant_value(w.start())))
        .and_where(col(rating::Column::CreatedAt).lt(instant_value(w.end())))
        .and_where(Expr::exists(flagged_ticket).not())
        .to_owned()
}

/// A custom select expression with an alias.
pub(crate) fn select_as(q: &mut SelectStatement, sql: String, alias: &str) {
    q.expr_as(Expr::cust(sql), Alias::new(alias).into_iden());
}

/// Runs an aggregate statement that returns exactly one row.
pub(crate) async fn one_row<R, C, S>(db: &C, stmt: &S) -> Result<R>
where
    R: FromQueryResult,
    C: ConnectionTrait,
    S: StatementBuilder,
{
    let statement = ConnectionTrait::get_database_backend(db).build(stmt);
    R::find_by_statement(statement)
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::Database(DbErr::RecordNotFound(
                "an aggregate statement returned no row".to_owned(),
            ))
        })
}

/// Runs a statement and returns every row.
pub(crate) async fn all_rows<R, C, S>(db: &C, stmt: &S) -> Result<Vec<R>>
where
    R: FromQueryResult,
    C: ConnectionTrait,
    S: StatementBuilder,
{
    let statement = ConnectionTrait::get_database_backend(db).build(stmt);
    Ok(R::find_by_statement(statement).all(db).await?)
}

/// A count from the database as `u64` (counts are never negative).
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
