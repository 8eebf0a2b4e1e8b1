//! Tickets with their children: conversations, ratings, requester and
//! responder ([`TicketWithChildren`]), loaded in a fixed number of
//! statements and bounded — at most [`MAX_TICKETS_WITH_CHILDREN`] tickets
//! per call and [`MAX_CHILDREN_PER_TICKET`] conversations and ratings per
//! ticket.

use std::collections::HashMap;

use sea_orm::sea_query::{Asterisk, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde::Serialize;

use super::read;
use crate::entity::{agent, contact, conversation, rating, ticket};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::repository::filter::TicketFilter;
use crate::repository::keyset::{CursorPage, CursorRequest};
use crate::repository::limits::ids_per_statement;
use crate::repository::scope::{MerchantScoped, distinct, scoped};

/// The most tickets [`get_many_with_children`] loads in one call: 50,000
/// distinct ids. A page of [`list_with_children`] is at most
/// [`MAX_PAGE_SIZE`](crate::repository::MAX_PAGE_SIZE) tickets.
///
/// [`get_many_with_children`]: super::TicketRepository::get_many_with_children
/// [`list_with_children`]: super::TicketRepository::list_with_children
pub const MAX_TICKETS_WITH_CHILDREN: usize = 50_000;

/// The most conversations, and the most ratings, loaded with one ticket:
/// 100 of each, the oldest. A ticket with more says so
/// ([`TicketWithChildren::conversations_truncated`],
/// [`TicketWithChildren::ratings_truncated`]).
pub const MAX_CHILDREN_PER_TICKET: u64 = 100;

/// A ticket with its conversations, ratings, requester and responder,
/// loaded without N+1 queries.
///
/// At most [`MAX_CHILDREN_PER_TICKET`] conversations and as many ratings
/// are loaded, the oldest first; the `*_truncated` flags say when the
/// ticket has more.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketWithChildren {
    /// The ticket.
    pub ticket: ticket::Model,
    /// Its conversations, oldest first (at most [`MAX_CHILDREN_PER_TICKET`]).
    pub conversations: Vec<conversation::Model>,
    /// True when the ticket has more conversations than were loaded.
    pub conversations_truncated: bool,
    /// Its satisfaction ratings, oldest first (at most
    /// [`MAX_CHILDREN_PER_TICKET`]).
    pub ratings: Vec<rating::Model>,
    /// True when the ticket has more ratings than were loaded.
    pub ratings_truncated: bool,
    /// The contact who asked, if any.
    pub requester: Option<contact::Model>,
    /// The assigned agent, if any.
    pub responder: Option<agent::Model>,
}

pub(super) async fn get_with_children(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    id: TicketId,
) -> Result<TicketWithChildren> {
    let ticket = read::get(txn, merchant, id).await?;
    let mut loaded = attach_children(txn, merchant, vec![ticket]).await?;
    loaded.pop().ok_or_else(|| Error::not_found("ticket", id))
}

pub(super) async fn get_many_with_children(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[TicketId],
) -> Result<Vec<TicketWithChildren>> {
    let ids = distinct(ids.iter().map(|id| id.get()));
    if ids.len() > MAX_TICKETS_WITH_CHILDREN {
        return Err(Error::invalid_input(
            "ids",
            format!(
                "at most {MAX_TICKETS_WITH_CHILDREN} tickets per call, got {}",
                ids.len()
            ),
        ));
    }
    let tickets = tickets_by_ids(txn, merchant, &ids).await?;
    attach_children(txn, merchant, tickets).await
}

pub(super) async fn list_with_children(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
    page: &CursorRequest,
) -> Result<CursorPage<TicketWithChildren>> {
    let page = read::list::<ticket::Model>(txn, merchant, filter, page).await?;
    Ok(CursorPage {
        items: attach_children(txn, merchant, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// Tickets by id, one query per chunk, in id order.
async fn tickets_by_ids(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[i64],
) -> Result<Vec<ticket::Model>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ids_per_statement(txn.get_database_backend())) {
        out.extend(
            scoped::<ticket::Entity>(merchant)
                .filter(ticket::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(ticket::Column::Id)
                .all(txn)
                .await?,
        );
    }
    Ok(out)
}

/// A child table of tickets: its rows are loaded per ticket, oldest first.
trait Child: MerchantScoped<Model: FromQueryResult + Send + Sync> {
    /// The `ticket_id` column.
    fn ticket_col() -> Self::Column;
    /// The row's ticket.
    fn ticket_of(row: &Self::Model) -> TicketId;
}

impl Child for conversation::Entity {
    fn ticket_col() -> Self::Column {
        conversation::Column::TicketId
    }
    fn ticket_of(row: &conversation::Model) -> TicketId {
        row.ticket_id
    }
}

impl Child for rating::Entity {
    fn ticket_col() -> Self::Column {
        rating::Column::TicketId
    }
    fn ticket_of(row: &rating::Model) -> TicketId {
        row.ticket_id
    }
}

/// The children of these tickets: at most [`MAX_CHILDREN_PER_TICKET`] + 1
/// per ticket (the extra one says "there are more"), oldest first, one
/// statement per chunk of ticket ids.
///
/// `ROW_NUMBER() OVER (PARTITION BY ticket_id …)` numbers each ticket's
/// children in a merchant-scoped subquery, and the outer query keeps the
/// first ones: every backend (PostgreSQL, MariaDB 10.2+, SQLite 3.25+)
/// runs the same text.
async fn load_children<E: Child>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ticket_ids: &[i64],
) -> Result<HashMap<TicketId, Vec<E::Model>>> {
    let mut out: HashMap<TicketId, Vec<E::Model>> = HashMap::new();
    for ids in ticket_ids.chunks(ids_per_statement(txn.get_database_backend())) {
        let ranked = scoped::<E>(merchant)
            .filter(E::ticket_col().is_in(ids.iter().copied()))
            .expr_as(
                Expr::cust("ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY created_at, id)"),
                "child_rank",
            )
            .into_query();
        let mut outer: SelectStatement = Query::select();
        outer
            .column(Asterisk)
            .from_subquery(ranked, "ranked")
            .and_where(Expr::col("child_rank").lte(MAX_CHILDREN_PER_TICKET + 1))
            .order_by("child_rank", sea_orm::Order::Asc);
        let stmt = txn.get_database_backend().build(&outer);
        for row in E::Model::find_by_statement(stmt).all(txn).await? {
            out.entry(E::ticket_of(&row)).or_default().push(row);
        }
    }
    Ok(out)
}

/// Up to [`MAX_CHILDREN_PER_TICKET`] of `rows`, and whether there were more.
fn bounded<T>(rows: Option<Vec<T>>) -> (Vec<T>, bool) {
    let mut rows = rows.unwrap_or_default();
    let truncated = rows.len() as u64 > MAX_CHILDREN_PER_TICKET;
    rows.truncate(MAX_CHILDREN_PER_TICKET as usize);
    (rows, truncated)
}

/// Loads conversations, ratings, requesters and responders of `tickets`
/// with one query each per chunk of ids.
async fn attach_children(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    tickets: Vec<ticket::Model>,
) -> Result<Vec<TicketWithChildren>> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let ticket_ids = distinct(tickets.iter().map(|t| t.id.get()));
    let mut conversations =
        load_children::<conversation::Entity>(txn, merchant, &ticket_ids).await?;
    let mut ratings = load_children::<rating::Entity>(txn, merchant, &ticket_ids).await?;
    let contact_ids = distinct(
        tickets
            .iter()
            .filter_map(|t| t.requester_id.map(ContactId::get)),
    );
    let contacts = by_id::<contact::Entity, _>(txn, merchant, &contact_ids, |c| c.id).await?;
    let agent_ids = distinct(
        tickets
            .iter()
            .filter_map(|t| t.responder_id.map(AgentId::get)),
    );
    let agents = by_id::<agent::Entity, _>(txn, merchant, &agent_ids, |a| a.id).await?;

    Ok(tickets
        .into_iter()
        .map(|ticket| {
            let (conversations, conversations_truncated) =
                bounded(conversations.remove(&ticket.id));
            let (ratings, ratings_truncated) = bounded(ratings.remove(&ticket.id));
            TicketWithChildren {
                conversations,
                conversations_truncated,
                ratings,
                ratings_truncated,
                requester: ticket
                    .requester_id
                    .and_then(|id| contacts.get(&id).cloned()),
                responder: ticket.responder_id.and_then(|id| agents.get(&id).cloned()),
                ticket,
            }
        })
        .collect())
}

/// The merchant's rows of `E` with these ids, keyed by `key`; one
/// statement per chunk of ids (none for no ids).
async fn by_id<E, K>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[i64],
    key: impl Fn(&E::Model) -> K,
) -> Result<HashMap<K, E::Model>>
where
    E: MerchantScoped,
    K: std::hash::Hash + Eq,
{
    let mut out = HashMap::new();
    for chunk in ids.chunks(ids_per_statement(txn.get_database_backend())) {
        let rows = scoped::<E>(merchant)
            .filter(E::id_col().is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        out.extend(rows.into_iter().map(|row| (key(&row), row)));
    }
    Ok(out)
}
