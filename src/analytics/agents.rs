//! Per-agent figures over the tickets resolved in the window.

use sea_orm::sea_query::{Expr, ExprTrait, Order};
use sea_orm::{DatabaseTransaction, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::params::Window;
use super::sql::{self, Dialect, all_rows, count, select_as, ticket_col};
use crate::entity::ticket::Column;
use crate::error::Result;
use crate::ids::AgentId;

/// One responder's tickets resolved in the window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentStats {
    /// The assigned agent (`responder_id`).
    pub responder_id: AgentId,
    /// Tickets of this responder resolved in the window.
    pub resolved: u64,
    /// Mean `first_response_time` of those tickets (seconds); null when
    /// none of them has one.
    pub avg_first_response_secs: Option<f64>,
}

#[derive(Debug, FromQueryResult)]
struct AgentRow {
    responder_id: AgentId,
    resolved: i64,
    avg_first_response_secs: Option<f64>,
}

/// Per responder (tickets without one are left out), over the tickets
/// resolved in the window: resolved count and average first response,
/// ordered by resolved count descending, then responder id ascending. One
/// row per agent of the merchant with a resolved ticket in the window.
///
/// One statement over `(merchant_id, resolved_at)`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn agents(db: &DatabaseTransaction, w: &Window) -> Result<Vec<AgentStats>> {
    let dialect = Dialect::of(db)?;
    let responder = dialect.ticket(Column::ResponderId);
    let mut q = sql::tickets_resolved_in(w);
    q.and_where(ticket_col(Column::ResponderId).is_not_null());
    select_as(&mut q, responder.clone(), "responder_id");
    select_as(&mut q, "COUNT(*)".to_owned(), "resolved");
    select_as(
        &mut q,
        dialect.avg(&dialect.ticket(Column::FirstResponseTime)),
        "avg_first_response_secs",
    );
    q.add_group_by([Expr::cust(responder.clone())])
        .order_by_expr(Expr::cust("COUNT(*)"), Order::Desc)
        .order_by_expr(Expr::cust(responder), Order::Asc);
    let rows: Vec<AgentRow> = all_rows(db, &q).await?;
    Ok(rows
        .into_iter()
        .map(|r| AgentStats {
            responder_id: r.responder_id,
            resolved: count(r.resolved),
            avg_first_response_secs: r.avg_first_response_secs,
        })
        .collect())
}
