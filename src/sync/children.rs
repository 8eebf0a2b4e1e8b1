//! Applying conversation and rating payloads: tickets resolved by
//! Freshdesk id (a child of a ticket never synced is an orphan, left out
//! and counted), then one newest-wins upsert per chunk, in a savepoint of
//! the caller's transaction.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::DatabaseTransaction;

use super::ApplyCounts;
use crate::entity::ticket;
use crate::error::{Error, Result};
use crate::freshdesk::{Conversation, SatisfactionRating};
use crate::ids::{MerchantId, TicketId};
use crate::repository::newest::{conversation_spec, ids_by_key, rating_spec};
use crate::repository::savepoint::in_savepoint;
use crate::repository::upsert::{NewestWins, newest_per_key, upsert_newest};

/// A checked child payload: its key, version and ticket key.
struct Keyed<'a, P> {
    key: String,
    version: DateTime<Utc>,
    ticket: String,
    payload: &'a P,
}

/// Dedupes, resolves the tickets, leaves orphans out, and upserts the
/// rows `build` makes, in a savepoint.
async fn apply<'a, P, A>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    spec: NewestWins<A::Entity>,
    keyed: Vec<Keyed<'a, P>>,
    build: impl Fn(&P, TicketId, DateTime<Utc>) -> Result<A> + Send + Sync,
) -> Result<ApplyCounts>
where
    P: Sync,
    A: sea_orm::ActiveModelTrait + Send,
{
    let total = keyed.len();
    let newest = newest_per_key(keyed, |k| k.key.clone(), |k| k.version);
    let duplicates = (total - newest.len()) as u64;
    let mut ticket_keys: Vec<String> = newest.iter().map(|k| k.ticket.clone()).collect();
    ticket_keys.sort();
    ticket_keys.dedup();
    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        use ticket::Column as T;
        let tickets = ids_by_key::<_, ticket::Entity>(
            sp,
            merchant,
            (T::MerchantId, T::FreshdeskTicketId, T::Id),
            &ticket_keys,
        )
        .await?;
        let mut orphans = 0;
        let mut rows = Vec::with_capacity(newest.len());
        for k in &newest {
            match tickets.get(&k.ticket) {
                Some(id) => rows.push(build(k.payload, TicketId::new(*id)?, k.version)?),
                None => orphans += 1,
            }
        }
        let counts = upsert_newest(sp, merchant, &spec, rows).await?;
        Ok(ApplyCounts {
            inserted: counts.inserted,
            updated: counts.updated,
            skipped: counts.skipped + duplicates,
            placeholders: 0,
            orphans,
        })
    })
    .await
}

/// Adds the record to a row-index validation error.
fn name_record(error: Error, record: &str) -> Error {
    match error {
        Error::InvalidInput { field, reason } => {
            Error::invalid_input(field, format!("{record}: {reason}"))
        }
        other => other,
    }
}

/// Applies conversation payloads for `merchant`, newest wins (the version
/// is `updated_at`, else `created_at`). The ticket is resolved by its
/// Freshdesk id; a conversation of a ticket never synced for the merchant
/// is left out and counted in [`ApplyCounts::orphans`], not an error.
///
/// Runs in a savepoint of the caller's transaction: all or nothing. One
/// look-up per chunk of ticket ids, one upsert per chunk of rows. A dropped call (a timeout, `select!`) is undone whole
/// and never touches the caller's earlier writes
/// ([how](crate::repository#cancellation)).
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the conversation and the field for a
/// record that cannot be stored; nothing is written. A database error
/// otherwise; the caller's transaction stays usable.
pub async fn apply_conversations(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    conversations: &[Conversation],
) -> Result<ApplyCounts> {
    // Any ticket id stands in for the check: the row is rebuilt later.
    let probe = TicketId::new(1)?;
    let mut keyed = Vec::with_capacity(conversations.len());
    for (i, c) in conversations.iter().enumerate() {
        let new = c.to_new_conversation(probe)?;
        new.validate(i)
            .map_err(|e| name_record(e, &format!("conversation {}", c.id)))?;
        keyed.push(Keyed {
            key: new.freshdesk_conversation_id,
            version: c.version().trunc_subsecs(6),
            ticket: c.ticket_key()?,
            payload: c,
        });
    }
    let spec = conversation_spec();
    apply(
        txn,
        merchant,
        spec,
        keyed,
        |c: &Conversation, ticket, version| {
            let mut row = c.to_new_conversation(ticket)?.into_active(merchant);
            row.updated_at = Set(Some(version));
            Ok(row)
        },
    )
    .await
}

/// Applies satisfaction-rating payloads for `merchant`, newest wins, as
/// [`apply_conversations`] does (the stored rating is the answer to
/// `default_question`).
///
/// # Errors
///
/// As [`apply_conversations`], naming the rating.
pub async fn apply_ratings(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    ratings: &[SatisfactionRating],
) -> Result<ApplyCounts> {
    let probe = TicketId::new(1)?;
    let mut keyed = Vec::with_capacity(ratings.len());
    for (i, r) in ratings.iter().enumerate() {
        let new = r.to_new_rating(probe)?;
        new.validate(i)
            .map_err(|e| name_record(e, &format!("satisfaction rating {}", r.id)))?;
        keyed.push(Keyed {
            key: new.freshdesk_rating_id,
            version: r.version().trunc_subsecs(6),
            ticket: r.ticket_key()?,
            payload: r,
        });
    }
    let spec = rating_spec();
    apply(
        txn,
        merchant,
        spec,
        keyed,
        |r: &SatisfactionRating, ticket, version| {
            let mut row = r.to_new_rating(ticket)?.into_active(merchant);
            row.updated_at = Set(Some(version));
            Ok(row)
        },
    )
    .await
}
