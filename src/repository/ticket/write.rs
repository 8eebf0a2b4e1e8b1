//! Ticket writes: chunked inserts and upserts of tickets, conversations and
//! ratings (after validation and tenant checks), status and `processed`
//! updates by id or by [`TicketFilter`] (one `UPDATE`), and deletes; and
//! the chunked path of the bulk loader ([`load_chunked`], SQLite and
//! MariaDB).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryFilter, UpdateMany, Value};

use crate::entity::enums::TicketStatus;
use crate::entity::{agent, contact, instant_value, ticket};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::repository::bulk::{insert_chunked, insert_rows, lock_order};
use crate::repository::filter::TicketFilter;
use crate::repository::input::{NewTicket, TicketChild, micros};
use crate::repository::newest::{ids_by_key, ticket_columns, ticket_spec};
use crate::repository::savepoint::in_savepoint;
use crate::repository::scope::{
    delete_by_ids, distinct, ensure_exist, scoped_update, update_by_ids,
};
use crate::repository::upsert::{UpsertCounts, write_newest};
use crate::repository::validate::check_unique_in_batch;

/// The columns an insert of a new ticket sets, in the order of
/// [`ticket_values`] (the others take their defaults: `deleted`, `spam`,
/// `reopened_at`; the id is generated).
pub(crate) const TICKET_INSERT_COLUMNS: [ticket::Column; 19] = [
    ticket::Column::MerchantId,
    ticket::Column::FreshdeskTicketId,
    ticket::Column::Subject,
    ticket::Column::Status,
    ticket::Column::Priority,
    ticket::Column::Source,
    ticket::Column::RequesterId,
    ticket::Column::ResponderId,
    ticket::Column::CreatedAt,
    ticket::Column::UpdatedAt,
    ticket::Column::FirstRespondedAt,
    ticket::Column::FirstResponseTime,
    ticket::Column::FrDueBy,
    ticket::Column::DueBy,
    ticket::Column::ResolvedAt,
    ticket::Column::ClosedAt,
    ticket::Column::Tags,
    ticket::Column::CustomFields,
    ticket::Column::Processed,
];

/// Appends a checked row's bind values for `merchant`, in
/// [`TICKET_INSERT_COLUMNS`] order: the same values as
/// `NewTicket::into_active` (timestamps to the microsecond and bound as
/// [`instant_value`]s, `first_response_time` derived, the JSON columns as
/// text), moved rather than cloned.
fn ticket_values(row: NewTicket, merchant: MerchantId, out: &mut Vec<Value>) {
    let at = |t: Option<DateTime<Utc>>| match t {
        Some(t) => instant_value(micros(t)),
        None => Value::ChronoDateTimeWithTimeZone(None),
    };
    let created_at = micros(row.created_at);
    let first_responded_at = row.first_responded_at.map(micros);
    out.extend([
        Value::BigInt(Some(merchant.get())),
        Value::String(Some(row.freshdesk_ticket_id)),
        Value::String(Some(row.subject)),
        row.status.into(),
        row.priority.into(),
        Value::Int(row.source.map(|s| s.code())),
        Value::BigInt(row.requester_id.map(ContactId::get)),
        Value::BigInt(row.responder_id.map(AgentId::get)),
        instant_value(created_at),
        at(Some(row.updated_at)),
        at(first_responded_at),
        Value::BigInt(ticket::first_response_seconds(
            created_at,
            first_responded_at,
        )),
        at(row.fr_due_by),
        at(row.due_by),
        at(row.resolved_at),
        at(row.closed_at),
        json_text(&row.tags),
        json_text(&row.custom_fields),
        Value::Bool(Some(row.processed)),
    ]);
}

/// A JSON document bound as text (see [`insert_rows`]); serializing strings
/// or a `serde_json::Value` cannot fail.
fn json_text<T: serde::Serialize>(value: &T) -> Value {
    Value::String(Some(serde_json::to_string(value).unwrap_or_default()))
}

pub(super) async fn insert_many(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<NewTicket>,
) -> Result<u64> {
    insert_checked(txn, merchant, rows, true).await
}

/// [`insert_many`], validating the rows unless the caller already did.
async fn insert_checked(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<NewTicket>,
    validate: bool,
) -> Result<u64> {
    let rows = checked_tickets(txn, merchant, rows, validate).await?;
    let json = [ticket::Column::Tags, ticket::Column::CustomFields];
    insert_rows::<ticket::Entity, _>(txn, &TICKET_INSERT_COLUMNS, &json, rows, |row, out| {
        ticket_values(row, merchant, out)
    })
    .await
}

/// The checks of [`insert_many`] (`newest: false`) or [`upsert_many`]
/// (`newest: true`, which also refuses a Freshdesk id twice in the batch)
/// that need no database: every row valid. For the bulk loader, before it
/// sends anything.
pub(crate) fn check_tickets(rows: &[NewTicket], newest: bool) -> Result<()> {
    for (i, row) in rows.iter().enumerate() {
        row.validate(i)?;
    }
    if newest {
        check_unique_in_batch(
            "freshdesk_ticket_id",
            rows.iter().map(|r| r.freshdesk_ticket_id.as_str()),
        )?;
    }
    Ok(())
}

/// The bulk loader's chunked statements (SQLite, MariaDB), on the loader's
/// own transaction: [`insert_many`]'s path, or with `newest`
/// [`upsert_many`]'s newest-wins statements with their counts (no id
/// look-up). Rows are checked with [`check_tickets`] by the caller.
pub(crate) async fn load_chunked(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<NewTicket>,
    newest: bool,
) -> Result<UpsertCounts> {
    if !newest {
        let inserted = insert_checked(txn, merchant, rows, false).await?;
        return Ok(UpsertCounts {
            inserted,
            ..UpsertCounts::default()
        });
    }
    let rows = checked_tickets(txn, merchant, rows, false).await?;
    let rows = rows.into_iter().map(|r| r.into_active(merchant)).collect();
    write_newest(txn, merchant, &ticket_spec(ticket_columns()), rows, true).await
}

pub(super) async fn upsert_many(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<NewTicket>,
) -> Result<Vec<TicketId>> {
    check_unique_in_batch(
        "freshdesk_ticket_id",
        rows.iter().map(|r| r.freshdesk_ticket_id.as_str()),
    )?;
    let keys: Vec<String> = rows.iter().map(|r| r.freshdesk_ticket_id.clone()).collect();
    let rows = prepare_tickets(txn, merchant, rows).await?;
    use ticket::Column as T;
    let cols = (T::MerchantId, T::FreshdeskTicketId, T::Id);
    // All or nothing, and cancel-safe: in a savepoint, as every write.
    let ids = in_savepoint(txn, async |sp: &DatabaseTransaction| {
        write_newest(sp, merchant, &ticket_spec(ticket_columns()), rows, false).await?;
        ids_by_key::<_, ticket::Entity>(sp, merchant, cols, &keys).await
    })
    .await?;
    keys.iter()
        .map(|k| match ids.get(k) {
            Some(id) => TicketId::new(*id),
            None => Err(Error::not_found("ticket", k)),
        })
        .collect()
}

/// The write path of conversations and ratings: check every row, make
/// sure every ticket is the merchant's (1 statement per chunk of ticket
/// ids), then insert or upsert in chunks.
pub(super) async fn write_children<R: TicketChild>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<R>,
    upsert: bool,
) -> Result<u64> {
    for (i, row) in rows.iter().enumerate() {
        row.check(i)?;
    }
    if upsert {
        check_unique_in_batch(R::FRESHDESK_FIELD, rows.iter().map(|r| r.freshdesk_id()))?;
    }
    let tickets = distinct(rows.iter().map(|r| r.ticket().get()));
    ensure_exist::<ticket::Entity>(txn, merchant, &tickets).await?;
    let mut rows = rows;
    lock_order(&mut rows, R::freshdesk_id);
    let rows: Vec<R::Active> = rows.into_iter().map(|r| r.active(merchant)).collect();
    if upsert {
        // The upsert family returns no count: one statement per chunk.
        in_savepoint(txn, async |sp: &DatabaseTransaction| {
            write_newest(sp, merchant, &R::upsert(), rows, false).await
        })
        .await?;
        return Ok(0);
    }
    insert_chunked(txn, rows).await
}

pub(super) async fn set_status(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[TicketId],
    status: TicketStatus,
) -> Result<u64> {
    let now = instant_value(micros(Utc::now()));
    update_by_ids::<ticket::Entity, _>(txn, merchant, &ids_of(ids), |u| {
        with_status(u, status, &now)
    })
    .await
}

/// Sets `status`; Resolved or Closed stamps `resolved_at` / `closed_at`
/// with `now` when empty: a reopened ticket keeps its first resolution
/// (DESIGN's metrics).
fn with_status(
    u: UpdateMany<ticket::Entity>,
    status: TicketStatus,
    now: &Value,
) -> UpdateMany<ticket::Entity> {
    let stamp =
        |column: ticket::Column| Func::coalesce([Expr::col(column), Expr::val(now.clone())]);
    let (resolved, closed) = match status {
        TicketStatus::Resolved => (true, false),
        TicketStatus::Closed => (true, true),
        _ => (false, false),
    };
    let mut u = u.col_expr(ticket::Column::Status, Expr::value(status));
    if resolved {
        u = u.col_expr(
            ticket::Column::ResolvedAt,
            stamp(ticket::Column::ResolvedAt).into(),
        );
    }
    if closed {
        u = u.col_expr(
            ticket::Column::ClosedAt,
            stamp(ticket::Column::ClosedAt).into(),
        );
    }
    u
}

/// What [`update_where`](super::TicketRepository::update_where) sets on
/// every ticket it matches: a status (stamped as
/// [`set_status`](super::TicketRepository::set_status) stamps it), the
/// `processed` flag, or both, in one `UPDATE`.
///
/// ```
/// use freshdesk_store::entity::enums::TicketStatus;
/// use freshdesk_store::repository::TicketChange;
///
/// let change = TicketChange::new().status(TicketStatus::Resolved).processed(true);
/// assert_eq!(change.status, Some(TicketStatus::Resolved));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TicketChange {
    /// The new status, if any.
    pub status: Option<TicketStatus>,
    /// The new `processed` flag, if any.
    pub processed: Option<bool>,
}

impl TicketChange {
    /// Changes nothing yet (and is refused as it is: set something).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets this status.
    pub fn status(mut self, status: TicketStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the `processed` flag.
    pub fn processed(mut self, processed: bool) -> Self {
        self.processed = Some(processed);
        self
    }
}

/// Applies `change` to the merchant's tickets matching `filter` (deleted and
/// spam ones as the filter says): one `UPDATE … WHERE merchant_id = ? AND
/// <filter>`, in a savepoint (so a dropped call is undone whole by the next
/// crate call); the change and the filter are checked before anything is
/// sent.
pub(super) async fn update_where(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: &TicketFilter,
    change: TicketChange,
) -> Result<u64> {
    if change == TicketChange::default() {
        return Err(Error::invalid_input(
            "change",
            "sets nothing: give a status, a processed flag, or both",
        ));
    }
    let cond = filter.condition(txn.get_database_backend())?;
    let now = instant_value(micros(Utc::now()));
    let mut update = scoped_update::<ticket::Entity>(merchant).filter(cond);
    if let Some(status) = change.status {
        update = with_status(update, status, &now);
    }
    if let Some(processed) = change.processed {
        update = update.col_expr(ticket::Column::Processed, Expr::value(processed));
    }
    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        Ok(update.exec(sp).await?.rows_affected)
    })
    .await
}

pub(super) async fn mark_processed(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[TicketId],
) -> Result<u64> {
    update_by_ids::<ticket::Entity, _>(txn, merchant, &ids_of(ids), |u| {
        u.col_expr(ticket::Column::Processed, Expr::value(true))
    })
    .await
}

pub(super) async fn delete(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ids: &[TicketId],
) -> Result<u64> {
    delete_by_ids::<ticket::Entity>(txn, merchant, &ids_of(ids)).await
}

fn ids_of(ids: &[TicketId]) -> Vec<i64> {
    ids.iter().map(|id| id.get()).collect()
}

/// [`checked_tickets`], as active models.
async fn prepare_tickets(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    rows: Vec<NewTicket>,
) -> Result<Vec<ticket::ActiveModel>> {
    let rows = checked_tickets(txn, merchant, rows, true).await?;
    Ok(rows.into_iter().map(|r| r.into_active(merchant)).collect())
}

/// Validates ticket rows (unless `validate` is false: the bulk loader
/// checked them with [`check_tickets`] before it began) and checks their
/// requesters and responders are the merchant's; returns the rows to
/// write, in lock order (see [`lock_order`]).
async fn checked_tickets(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    mut rows: Vec<NewTicket>,
    validate: bool,
) -> Result<Vec<NewTicket>> {
    if validate {
        for (i, row) in rows.iter().enumerate() {
            row.validate(i)?;
        }
    }
    lock_order(&mut rows, |r| r.freshdesk_ticket_id.as_str());
    let requesters = distinct(
        rows.iter()
            .filter_map(|r| r.requester_id.map(ContactId::get)),
    );
    ensure_exist::<contact::Entity>(txn, merchant, &requesters).await?;
    let responders = distinct(rows.iter().filter_map(|r| r.responder_id.map(AgentId::get)));
    ensure_exist::<agent::Entity>(txn, merchant, &responders).await?;
    Ok(rows)
}
