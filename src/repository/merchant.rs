//! Moving all of a merchant's rows to another merchant id.
//!
//! The one repository operation that touches two merchants; its name says
//! so, and it moves every table or nothing.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, Iden, Iterable, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};
use serde::Serialize;

use super::savepoint::{guarded, in_savepoint};
use super::scope::{MerchantScoped, scoped, scoped_delete, scoped_update};
use crate::entity::{agent, contact, conversation, rating, ticket};
use crate::error::{ConflictKind, Error, Result};
use crate::ids::MerchantId;

/// How many rows [`migrate_merchant_data`] moved, per table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MovedRows {
    /// Tickets moved.
    pub tickets: u64,
    /// Conversations moved.
    pub conversations: u64,
    /// Ratings moved.
    pub ratings: u64,
    /// Agents moved.
    pub agents: u64,
    /// Contacts moved.
    pub contacts: u64,
}

/// Moves every row of merchant `from` (tickets, conversations, ratings,
/// agents, contacts) to merchant `to`, in the caller's transaction, all or
/// nothing. Row ids stay the same; nothing else changes.
///
/// The work runs in a savepoint: if it fails, nothing was moved and the
/// caller's transaction is still usable. The database decides conflicts
/// (the unique `(merchant_id, freshdesk_*_id)` keys); only after it has
/// refused does this look up which Freshdesk id collided, to name it.
///
/// Statements: PostgreSQL copies and deletes (Citus refuses to change a
/// distribution column in place): one `INSERT … SELECT` per table, parents
/// first, with the same ids (the primary key is `(merchant_id, id)` there),
/// then one `DELETE` per table, children first — 10 statements, all in the
/// savepoint; on Citus the copies are the one place the crate moves rows
/// between shards. MariaDB and SQLite (whose primary key is `id` alone, so a
/// copy with the same id cannot exist beside its source) run 5 `UPDATE`s with foreign-key checks
/// switched off for each statement alone (MariaDB: `SET STATEMENT
/// foreign_key_checks = 0 FOR UPDATE …`, which changes nothing in the
/// session) or deferred to the end of the transaction (SQLite:
/// `defer_foreign_keys`, which SQLite itself resets at the transaction's
/// end and which still checks every key then); every parent and child
/// moves together, so the references stay intact. On a conflict, up to 5
/// more statements find the colliding id. Sync watermarks
/// (`freshdesk_sync_state`) stay with `from`: the moved merchant's next
/// sync starts from the beginning, which newest-wins makes harmless.
///
/// # Cancellation
///
/// The move runs in one savepoint: a dropped call is undone whole by the
/// next crate call on the transaction or by
/// [`undo_cancelled`](super::undo_cancelled) ([more](super#cancellation)).
///
/// # Errors
///
/// [`Error::InvalidInput`] when `from == to`; [`Error::Conflict`] of kind
/// [`ConflictKind::Unique`] when `to` already has a row with the same
/// Freshdesk id as one of `from`'s, naming the table and the id;
/// [`Error::Database`] otherwise.
#[tracing::instrument(skip_all, fields(merchant_id = %from, to_merchant_id = %to))]
pub async fn migrate_merchant_data(
    txn: &DatabaseTransaction,
    from: MerchantId,
    to: MerchantId,
) -> Result<MovedRows> {
    if from == to {
        return Err(Error::invalid_input(
            "to",
            format!("the target merchant must differ from the source, both are {from}"),
        ));
    }
    guarded(txn, async |txn: &DatabaseTransaction| {
        let moved = in_savepoint(txn, async |sp: &DatabaseTransaction| {
            move_all(sp, from, to).await
        })
        .await;
        match moved {
            Err(err) if err.is_conflict(ConflictKind::Unique) => {
                // The savepoint is rolled back; the transaction is usable again.
                Err(find_conflict(txn, from, to).await?.unwrap_or(err))
            }
            other => other,
        }
    })
    .await
}

async fn move_all(sp: &DatabaseTransaction, from: MerchantId, to: MerchantId) -> Result<MovedRows> {
    match sp.get_database_backend() {
        DbBackend::Postgres => move_all_postgres(sp, from, to).await,
        // Each UPDATE runs with foreign-key checks off for that statement
        // alone (`SET STATEMENT … FOR`): nothing changes the session, so a
        // failed or cancelled move cannot hand a pooled connection with
        // checks disabled to its next user.
        DbBackend::MySql => move_each(sp, from, to).await,
        _ => {
            sp.execute_unprepared("PRAGMA defer_foreign_keys = ON")
                .await?;
            let moved = move_each(sp, from, to).await;
            sp.execute_unprepared("PRAGMA defer_foreign_keys = OFF")
                .await?;
            moved
        }
    }
}

/// One `UPDATE … SET merchant_id = to WHERE merchant_id = from` per table.
async fn move_each(
    sp: &DatabaseTransaction,
    from: MerchantId,
    to: MerchantId,
) -> Result<MovedRows> {
    async fn one<E: MerchantScoped>(
        sp: &DatabaseTransaction,
        from: MerchantId,
        to: MerchantId,
    ) -> Result<u64> {
        let update = scoped_update::<E>(from).col_expr(E::merchant_col(), Expr::value(to));
        let backend = sp.get_database_backend();
        if backend == DbBackend::MySql {
            let mut stmt = backend.build(&update.into_query());
            stmt.sql = format!("SET STATEMENT foreign_key_checks = 0 FOR {}", stmt.sql);
            return Ok(sp.execute_raw(stmt).await?.rows_affected());
        }
        Ok(update.exec(sp).await?.rows_affected)
    }
    Ok(MovedRows {
        agents: one::<agent::Entity>(sp, from, to).await?,
        contacts: one::<contact::Entity>(sp, from, to).await?,
        tickets: one::<ticket::Entity>(sp, from, to).await?,
        conversations: one::<conversation::Entity>(sp, from, to).await?,
        ratings: one::<rating::Entity>(sp, from, to).await?,
    })
}

/// PostgreSQL (and Citus, which refuses to change a distribution column):
/// copy every row to merchant `to` with the same `id` (the primary key is
/// `(merchant_id, id)` there), parents before children, then delete the
/// source rows, children before parents. One `INSERT … SELECT` per table and
/// one `DELETE` per table, all inside the caller's savepoint.
async fn move_all_postgres(
    sp: &DatabaseTransaction,
    from: MerchantId,
    to: MerchantId,
) -> Result<MovedRows> {
    let moved = MovedRows {
        agents: copy::<agent::Entity>(sp, from, to).await?,
        contacts: copy::<contact::Entity>(sp, from, to).await?,
        tickets: copy::<ticket::Entity>(sp, from, to).await?,
        conversations: copy::<conversation::Entity>(sp, from, to).await?,
        ratings: copy::<rating::Entity>(sp, from, to).await?,
    };
    scoped_delete::<rating::Entity>(from).exec(sp).await?;
    scoped_delete::<conversation::Entity>(from).exec(sp).await?;
    scoped_delete::<ticket::Entity>(from).exec(sp).await?;
    scoped_delete::<agent::Entity>(from).exec(sp).await?;
    scoped_delete::<contact::Entity>(from).exec(sp).await?;
    Ok(moved)
}

/// `INSERT INTO e (merchant_id, every other column) SELECT to, every other
/// column FROM e WHERE merchant_id = from`.
async fn copy<E: MerchantScoped>(
    sp: &DatabaseTransaction,
    from: MerchantId,
    to: MerchantId,
) -> Result<u64> {
    let others: Vec<E::Column> = E::Column::iter()
        .filter(|c| Iden::to_string(c) != Iden::to_string(&E::merchant_col()))
        .collect();
    let mut select = Query::select();
    select
        .expr(Expr::value(to))
        .columns(others.iter().copied())
        .from(E::default())
        .and_where(E::merchant_col().eq(from));
    let mut insert = Query::insert();
    insert
        .into_table(E::default())
        .columns(std::iter::once(E::merchant_col()).chain(others.iter().copied()))
        .select_from(select)
        .map_err(|e| Error::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    Ok(sp.execute(&insert).await?.rows_affected())
}

/// The first Freshdesk id that both merchants have, in any table, as a
/// conflict error naming it.
async fn find_conflict(
    txn: &DatabaseTransaction,
    from: MerchantId,
    to: MerchantId,
) -> Result<Option<Error>> {
    async fn shared<E: MerchantScoped>(
        txn: &DatabaseTransaction,
        from: MerchantId,
        to: MerchantId,
        freshdesk: E::Column,
    ) -> Result<Option<String>> {
        let of_source = Query::select()
            .column(freshdesk)
            .from(E::default())
            .and_where(E::merchant_col().eq(from))
            .to_owned();
        Ok(scoped::<E>(to)
            .select_only()
            .column(freshdesk)
            .filter(freshdesk.in_subquery(of_source))
            .order_by_asc(freshdesk)
            .limit(1)
            .into_tuple::<String>()
            .one(txn)
            .await?)
    }
    let conflict = |table: &str, constraint: &str, id: String| Error::Conflict {
        kind: ConflictKind::Unique,
        constraint: constraint.to_owned(),
        detail: format!("merchant {to} already has a {table} with Freshdesk id `{id}`"),
    };
    if let Some(id) =
        shared::<agent::Entity>(txn, from, to, agent::Column::FreshdeskAgentId).await?
    {
        return Ok(Some(conflict("agent", "uq_agent_freshdesk_id", id)));
    }
    if let Some(id) =
        shared::<contact::Entity>(txn, from, to, contact::Column::FreshdeskContactId).await?
    {
        return Ok(Some(conflict("contact", "uq_contact_freshdesk_id", id)));
    }
    if let Some(id) =
        shared::<ticket::Entity>(txn, from, to, ticket::Column::FreshdeskTicketId).await?
    {
        return Ok(Some(conflict("ticket", "uq_ticket_freshdesk_id", id)));
    }
    if let Some(id) =
        shared::<conversation::Entity>(txn, from, to, conversation::Column::FreshdeskConversationId)
            .await?
    {
        return Ok(Some(conflict(
            "conversation",
            "uq_conversation_freshdesk_id",
            id,
        )));
    }
    if let Some(id) =
        shared::<rating::Entity>(txn, from, to, rating::Column::FreshdeskRatingId).await?
    {
        return Ok(Some(conflict("rating", "uq_rating_freshdesk_id", id)));
    }
    Ok(None)
}
