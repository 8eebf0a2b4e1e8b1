//! Per-agent figures over the tickets resolved in the window.

use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::onepass::Plan;
use super::params::Window;
use super::sql::Dialect;
use crate::error::Result;
use crate::ids::AgentId;

/// One responder's tickets resolved in the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentStats {
    /// The assigned agent (`responder_id`).
    pub responder_id: AgentId,
    /// Tickets of this responder resolved in the window.
    pub resolved: u64,
    /// Mean `first_response_time` of those tickets (seconds); null when
    /// none of them has one.
    pub avg_first_response_secs: Option<f64>,
    /// The agent row's name; null when the agent row is missing or its
    /// name is empty (a name of spaces is kept).
    pub name: Option<String>,
    /// Of those tickets, the ones with exactly one public agent reply.
    pub one_touch: u64,
}

/// Per responder (tickets without one are left out), over the tickets
/// resolved in the window (spam and deleted ones left out): resolved count,
/// one-touch count, average first response and the agent's name, ordered by
/// resolved count descending, then responder id ascending.
///
/// One statement over the window's rows (the report's daily-and-agents
/// statement, whose daily rows are dropped here).
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails;
/// [`Error::InvalidInput`](crate::Error::InvalidInput) when the window's
/// `now` is too early to measure backlog ages.
pub async fn agents(db: &DatabaseTransaction, w: &Window) -> Result<Vec<AgentStats>> {
    let plan = Plan {
        dialect: Dialect::of(db)?,
        w,
        hours: None,
    };
    Ok(plan
        .groups(db)
        .await?
        .agents
        .into_iter()
        .map(|a| AgentStats {
            responder_id: a.responder_id,
            resolved: a.resolved,
            avg_first_response_secs: a.avg_first_response_secs,
            name: a.name,
            one_touch: a.one_touch,
        })
        .collect())
}
