//! SLA breaches among the tickets created in the window.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{DatabaseTransaction, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::params::Window;
use super::sql::{self, count, one_row, ticket_col};
use crate::entity::instant_value;
use crate::entity::ticket::Column;
use crate::error::Result;

/// Tickets created in the window that missed a deadline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaBreaches {
    /// `fr_due_by` set, and the first response came after it, or has not
    /// come and the deadline is before `now`.
    pub first_response_breached: u64,
    /// `due_by` set, and the resolution came after it, or has not come and
    /// the deadline is before `now`.
    pub resolution_breached: u64,
}

#[derive(Debug, FromQueryResult)]
struct SlaRow {
    first_response_breached: i64,
    resolution_breached: i64,
}

/// `COUNT(CASE WHEN due IS NOT NULL AND (done > due OR (done IS NULL AND due < now)) THEN 1 END)`.
fn breached(due: Column, done: Column, w: &Window) -> Expr {
    let condition = ticket_col(due).is_not_null().and(
        ticket_col(done).gt(ticket_col(due)).or(ticket_col(done)
            .is_null()
            .and(ticket_col(due).lt(instant_value(w.now())))),
    );
    Func::count(Expr::case(condition, Expr::cust("1"))).into()
}

/// First-response and resolution SLA breaches among the tickets created in
/// the window, judged against the window's `now`: one statement over
/// `(merchant_id, created_at)`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn sla(db: &DatabaseTransaction, w: &Window) -> Result<SlaBreaches> {
    let mut q = sql::tickets_created_in(w);
    q.expr_as(
        breached(Column::FrDueBy, Column::FirstRespondedAt, w),
        "first_response_breached",
    )
    .expr_as(
        breached(Column::DueBy, Column::ResolvedAt, w),
        "resolution_breached",
    );
    let row: SlaRow = one_row(db, &q).await?;
    Ok(SlaBreaches {
        first_response_breached: count(row.first_response_breached),
        resolution_breached: count(row.resolution_breached),
    })
}
