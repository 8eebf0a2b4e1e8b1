//! Applying ticket payloads: placeholders for requesters and responders
//! not synced yet, then one newest-wins upsert per chunk of tickets, in a
//! savepoint of the caller's transaction.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::DatabaseTransaction;

use super::ApplyCounts;
use crate::entity::{agent, contact, ticket};
use crate::error::{Error, Result};
use crate::freshdesk::Ticket;
use crate::ids::{AgentId, ContactId, MerchantId};
use crate::repository::newest::{ids_by_key, ticket_columns};
use crate::repository::savepoint::in_savepoint;
use crate::repository::upsert::{NewestWins, newest_per_key, upsert_newest};

/// The Freshdesk listing a batch of tickets came from: it decides the
/// `deleted` and `spam` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Listing {
    /// The ordinary listing (`updated_since`): a ticket there is neither
    /// deleted nor spam unless its payload says so, so a restored ticket
    /// has its flags cleared.
    #[default]
    Updated,
    /// `filter=deleted`: every ticket is marked deleted.
    Deleted,
    /// `filter=spam`: every ticket is marked spam.
    Spam,
}

/// The newest-wins columns of tickets from a sync: the repository's, and
/// the flags only payloads carry.
fn ticket_spec() -> NewestWins<ticket::Entity> {
    use ticket::Column as T;
    let mut update = ticket_columns();
    update.extend([T::Deleted, T::Spam, T::ReopenedAt]);
    crate::repository::newest::ticket_spec(update)
}

/// Placeholders: inserted when the contact has no row, and never
/// overwriting one (no column to update, and an `updated_at` of `NULL`
/// that is never `>=` a stored instant).
fn contact_spec() -> NewestWins<contact::Entity> {
    NewestWins {
        merchant: contact::Column::MerchantId,
        key: contact::Column::FreshdeskContactId,
        key_field: "freshdesk_contact_id",
        updated_at: contact::Column::UpdatedAt,
        update: Vec::new(),
    }
}

/// As [`contact_spec`], for agents.
fn agent_spec() -> NewestWins<agent::Entity> {
    NewestWins {
        merchant: agent::Column::MerchantId,
        key: agent::Column::FreshdeskAgentId,
        key_field: "freshdesk_agent_id",
        updated_at: agent::Column::UpdatedAt,
        update: Vec::new(),
    }
}

/// A checked ticket payload: its key, version and payload.
struct Keyed<'a> {
    key: String,
    version: DateTime<Utc>,
    ticket: &'a Ticket,
}

/// Applies ticket payloads for `merchant`, from `listing`: a new ticket is
/// inserted, a stored one takes the record when its `updated_at` is not
/// older than the row's, anything else changes nothing; `processed` is
/// never changed. A batch naming a ticket twice keeps its newest version.
///
/// Requesters and responders are resolved by Freshdesk id; one with no row
/// yet gets a placeholder (its Freshdesk id, and the included requester's
/// name and email when present, `updated_at` empty) that its own payload
/// fills in later ([`apply_contacts`](super::apply_contacts),
/// [`apply_agents`](super::apply_agents)). `deleted` and `spam` come from
/// the payload and the listing; `reopened_at` from `stats`.
///
/// Runs in a savepoint of the caller's transaction: all or nothing. Bulk
/// statements, chunked: placeholders, id look-ups, then the tickets. A dropped call (a timeout, `select!`) is undone whole
/// and never touches the caller's earlier writes
/// ([how](crate::repository#cancellation)).
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the ticket and the field for a record
/// that cannot be stored; nothing is written. A database error otherwise;
/// the caller's transaction stays usable.
pub async fn apply_tickets(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    listing: Listing,
    tickets: &[Ticket],
) -> Result<ApplyCounts> {
    let mut keyed = Vec::with_capacity(tickets.len());
    for (i, t) in tickets.iter().enumerate() {
        // Checks every field up front: nothing is written for a bad batch.
        let new = t.to_new_ticket(None, None)?;
        new.validate(i).map_err(|e| name_ticket(e, t.id))?;
        t.requester_contact()?;
        t.responder_key()?;
        keyed.push(Keyed {
            key: new.freshdesk_ticket_id,
            version: t.updated_at.trunc_subsecs(6),
            ticket: t,
        });
    }
    let total = keyed.len();
    let newest = newest_per_key(keyed, |k| k.key.clone(), |k| k.version);
    let duplicates = (total - newest.len()) as u64;

    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        let mut counts = ApplyCounts {
            skipped: duplicates,
            ..ApplyCounts::default()
        };
        // Placeholders: inserted when missing, never over a real record.
        let mut contacts = Vec::new();
        let mut agents = Vec::new();
        for k in &newest {
            if let Some(c) = k.ticket.requester_contact()? {
                contacts.push(c);
            }
            if let Some(a) = k.ticket.responder_key()? {
                agents.push(a);
            }
        }
        let contacts = newest_per_key(contacts, |c| c.freshdesk_contact_id.clone(), |_| 0);
        agents.sort();
        agents.dedup();
        let contact_keys: Vec<String> = contacts
            .iter()
            .map(|c| c.freshdesk_contact_id.clone())
            .collect();
        let placeholders: Vec<contact::ActiveModel> = contacts
            .into_iter()
            .map(|c| contact::ActiveModel {
                freshdesk_contact_id: Set(c.freshdesk_contact_id),
                name: Set(c.name),
                email: Set(c.email),
                updated_at: Set(None),
                ..Default::default()
            })
            .collect();
        counts.placeholders += upsert_newest(sp, merchant, &contact_spec(), placeholders)
            .await?
            .inserted;
        let placeholders: Vec<agent::ActiveModel> = agents
            .iter()
            .map(|a| agent::ActiveModel {
                freshdesk_agent_id: Set(a.clone()),
                name: Set(String::new()),
                email: Set(None),
                updated_at: Set(None),
                ..Default::default()
            })
            .collect();
        counts.placeholders += upsert_newest(sp, merchant, &agent_spec(), placeholders)
            .await?
            .inserted;

        use contact::Column as C;
        let contact_ids = ids_by_key::<_, contact::Entity>(
            sp,
            merchant,
            (C::MerchantId, C::FreshdeskContactId, C::Id),
            &contact_keys,
        )
        .await?;
        use agent::Column as A;
        let agent_ids = ids_by_key::<_, agent::Entity>(
            sp,
            merchant,
            (A::MerchantId, A::FreshdeskAgentId, A::Id),
            &agents,
        )
        .await?;

        let mut rows = Vec::with_capacity(newest.len());
        for k in &newest {
            let t = k.ticket;
            let requester = match t.requester_key()? {
                Some(key) => Some(resolved(&contact_ids, &key, ContactId::new)?),
                None => None,
            };
            let responder = match t.responder_key()? {
                Some(key) => Some(resolved(&agent_ids, &key, AgentId::new)?),
                None => None,
            };
            let mut row = t.to_new_ticket(requester, responder)?.into_active(merchant);
            row.updated_at = Set(k.version);
            row.deleted = Set(t.deleted || listing == Listing::Deleted);
            row.spam = Set(t.spam || listing == Listing::Spam);
            row.reopened_at = Set(t.reopened_at().map(|at| at.trunc_subsecs(6)));
            rows.push(row);
        }
        let upserted = upsert_newest(sp, merchant, &ticket_spec(), rows).await?;
        counts.inserted = upserted.inserted;
        counts.updated = upserted.updated;
        counts.skipped += upserted.skipped;
        Ok(counts)
    })
    .await
}

/// The local id of `key`, which the placeholders made sure exists.
///
/// A row that is not found after its upsert was written by a concurrent
/// transaction this one cannot see: under MariaDB's `REPEATABLE READ` the
/// upsert waits for the other transaction's insert and then finds a
/// duplicate, while this transaction's reads keep their older snapshot.
/// That is a serialization failure (retryable: `retry::run_in_transaction`
/// runs the batch again in a fresh transaction, which sees the row).
fn resolved<T>(
    ids: &std::collections::HashMap<String, i64>,
    key: &str,
    make: impl Fn(i64) -> Result<T>,
) -> Result<T> {
    match ids.get(key) {
        Some(id) => make(*id),
        None => Err(Error::SerializationFailure(sea_orm::DbErr::RecordNotFound(
            format!(
                "the row of Freshdesk id {key} was written by a concurrent transaction this \
                 one cannot see (its snapshot is older): retry the batch in a new transaction"
            ),
        ))),
    }
}

/// Adds the ticket's Freshdesk id to a row-index validation error.
fn name_ticket(error: Error, id: i64) -> Error {
    match error {
        Error::InvalidInput { field, reason } => {
            Error::invalid_input(field, format!("ticket {id}: {reason}"))
        }
        other => other,
    }
}
