//! The newest-wins column sets of the five synced tables, and the look-up
//! of local ids by Freshdesk id that upserts and sync share.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, EntityTrait, ExprTrait};

use super::limits::{any_of, ids_per_statement};
use super::upsert::NewestWins;
use crate::entity::{conversation, rating, ticket};
use crate::error::Result;
use crate::ids::MerchantId;

/// The ticket columns a newer record overwrites through the repository's
/// `upsert_many`: never the key, the merchant, the id, `processed` (the
/// service's), nor the sync flags (`deleted`, `spam`, `reopened_at`).
pub(crate) fn ticket_columns() -> Vec<ticket::Column> {
    use ticket::Column as T;
    vec![
        T::Subject,
        T::Status,
        T::Priority,
        T::Source,
        T::RequesterId,
        T::ResponderId,
        T::CreatedAt,
        T::FirstRespondedAt,
        T::FirstResponseTime,
        T::FrDueBy,
        T::DueBy,
        T::ResolvedAt,
        T::ClosedAt,
        T::Tags,
        T::CustomFields,
    ]
}

/// Tickets, newest wins, writing `update` (see [`ticket_columns`]).
pub(crate) fn ticket_spec(update: Vec<ticket::Column>) -> NewestWins<ticket::Entity> {
    NewestWins {
        merchant: ticket::Column::MerchantId,
        key: ticket::Column::FreshdeskTicketId,
        key_field: "freshdesk_ticket_id",
        updated_at: ticket::Column::UpdatedAt,
        update,
    }
}

/// Conversations, newest wins.
pub(crate) fn conversation_spec() -> NewestWins<conversation::Entity> {
    use conversation::Column as C;
    NewestWins {
        merchant: C::MerchantId,
        key: C::FreshdeskConversationId,
        key_field: "freshdesk_conversation_id",
        updated_at: C::UpdatedAt,
        update: vec![
            C::TicketId,
            C::Body,
            C::Incoming,
            C::Private,
            C::AuthorId,
            C::CreatedAt,
        ],
    }
}

/// Ratings, newest wins.
pub(crate) fn rating_spec() -> NewestWins<rating::Entity> {
    use rating::Column as R;
    NewestWins {
        merchant: R::MerchantId,
        key: R::FreshdeskRatingId,
        key_field: "freshdesk_rating_id",
        updated_at: R::UpdatedAt,
        update: vec![R::TicketId, R::Rating, R::Feedback, R::CreatedAt],
    }
}

/// The local ids of the merchant's rows whose key column is one of `keys`,
/// by key, one `SELECT` per chunk of keys. Keys with no row are absent.
pub(crate) async fn ids_by_key<C, E>(
    db: &C,
    merchant: MerchantId,
    (merchant_col, key_col, id_col): (E::Column, E::Column, E::Column),
    keys: &[String],
) -> Result<HashMap<String, i64>>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let mut found = HashMap::with_capacity(keys.len());
    let chunk = ids_per_statement(db.get_database_backend()).max(1);
    for keys in keys.chunks(chunk) {
        let mut select = Query::select();
        select
            .column(id_col)
            .column(key_col)
            .from(E::default())
            .and_where(Expr::col(merchant_col).eq(merchant.get()))
            .and_where(any_of(
                db.get_database_backend(),
                key_col,
                keys.iter().cloned(),
            ));
        for row in db.query_all(&select).await? {
            let id: i64 = row.try_get_by_index(0)?;
            let key: String = row.try_get_by_index(1)?;
            found.insert(key, id);
        }
    }
    Ok(found)
}
