//! Ticket volume: tickets created in the window with their status and
//! priority counts, and the open backlog now.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{DatabaseTransaction, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::params::Window;
use super::sql::{self, count, one_row, select_as};
use crate::entity::enums::{Priority, TicketStatus};
use crate::entity::ticket;
use crate::error::Result;

/// Tickets created in the window, per status. A status outside the six
/// known ones counts in [`Created::tickets_created`] but in no field here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    /// Status 2.
    pub open: u64,
    /// Status 3.
    pub pending: u64,
    /// Status 4.
    pub resolved: u64,
    /// Status 5.
    pub closed: u64,
    /// Status 6.
    pub waiting_on_customer: u64,
    /// Status 7.
    pub waiting_on_third_party: u64,
}

/// Tickets created in the window, per priority. A priority outside the four
/// known ones counts in [`Created::tickets_created`] but in no field here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityCounts {
    /// Priority 1.
    pub low: u64,
    /// Priority 2.
    pub medium: u64,
    /// Priority 3.
    pub high: u64,
    /// Priority 4.
    pub urgent: u64,
}

/// What [`created`] computes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// Tickets with `created_at` in the window.
    pub tickets_created: u64,
    /// Those tickets per status.
    pub status_counts: StatusCounts,
    /// Those tickets per priority.
    pub priority_counts: PriorityCounts,
}

#[derive(Debug, FromQueryResult)]
struct CreatedRow {
    tickets_created: i64,
    s_open: i64,
    s_pending: i64,
    s_resolved: i64,
    s_closed: i64,
    s_waiting_on_customer: i64,
    s_waiting_on_third_party: i64,
    p_low: i64,
    p_medium: i64,
    p_high: i64,
    p_urgent: i64,
}

/// `COUNT(CASE WHEN column = code THEN 1 END)`.
fn count_where(column: ticket::Column, code: i32) -> Expr {
    Func::count(Expr::case(
        sql::ticket_col(column).eq(code),
        Expr::cust("1"),
    ))
    .into()
}

/// Tickets created in the window, per status and per priority: one
/// statement over `(merchant_id, created_at)`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn created(db: &DatabaseTransaction, w: &Window) -> Result<Created> {
    let mut q = sql::tickets_created_in(w);
    q.expr_as(Expr::cust("COUNT(*)"), "tickets_created");
    let statuses = [
        (TicketStatus::Open, "s_open"),
        (TicketStatus::Pending, "s_pending"),
        (TicketStatus::Resolved, "s_resolved"),
        (TicketStatus::Closed, "s_closed"),
        (TicketStatus::WaitingOnCustomer, "s_waiting_on_customer"),
        (
            TicketStatus::WaitingOnThirdParty,
            "s_waiting_on_third_party",
        ),
    ];
    for (status, alias) in statuses {
        q.expr_as(count_where(ticket::Column::Status, status.code()), alias);
    }
    let priorities = [
        (Priority::Low, "p_low"),
        (Priority::Medium, "p_medium"),
        (Priority::High, "p_high"),
        (Priority::Urgent, "p_urgent"),
    ];
    for (priority, alias) in priorities {
        q.expr_as(
            count_where(ticket::Column::Priority, priority.code()),
            alias,
        );
    }
    let row: CreatedRow = one_row(db, &q).await?;
    Ok(Created {
        tickets_created: count(row.tickets_created),
        status_counts: StatusCounts {
            open: count(row.s_open),
            pending: count(row.s_pending),
            resolved: count(row.s_resolved),
            closed: count(row.s_closed),
            waiting_on_customer: count(row.s_waiting_on_customer),
            waiting_on_third_party: count(row.s_waiting_on_third_party),
        },
        priority_counts: PriorityCounts {
            low: count(row.p_low),
            medium: count(row.p_medium),
            high: count(row.p_high),
            urgent: count(row.p_urgent),
        },
    })
}

#[derive(Debug, FromQueryResult)]
struct BacklogRow {
    open_backlog: i64,
}

/// The merchant's open backlog now: tickets whose status is open (2, 3, 6
/// or 7), whenever they were created. The window's dates play no part; one
/// statement over `(merchant_id, status)`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn open_backlog(db: &DatabaseTransaction, w: &Window) -> Result<u64> {
    let mut q = sql::merchant_tickets(w);
    q.and_where(
        sql::ticket_col(ticket::Column::Status).is_in(TicketStatus::OPEN.iter().map(|s| s.code())),
    );
    select_as(&mut q, "COUNT(*)".to_owned(), "open_backlog");
    let row: BacklogRow = one_row(db, &q).await?;
    Ok(count(row.open_backlog))
}
