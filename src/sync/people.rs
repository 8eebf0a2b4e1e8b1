//! Applying agent and contact payloads: one newest-wins upsert per chunk,
//! in a savepoint of the caller's transaction.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, DatabaseTransaction};
use serde::Serialize;

use crate::entity::{agent, contact};
use crate::error::{Error, Result};
use crate::freshdesk::{Agent, Contact, RecordKind, RecordRef};
use crate::ids::MerchantId;
use crate::repository::savepoint::in_savepoint;
use crate::repository::upsert::{NewestWins, UpsertCounts, newest_per_key, upsert_newest};

/// What applying a batch of payloads did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApplyCounts {
    /// Records that had no row: inserted.
    pub inserted: u64,
    /// Rows that took a newer (or equally new) version of their record.
    pub updated: u64,
    /// Records that changed nothing: older than the row, a replay, or an
    /// older duplicate in the same batch.
    pub skipped: u64,
    /// Placeholder rows created for a requester or responder not synced
    /// yet (tickets only).
    pub placeholders: u64,
    /// Records naming a ticket that was never synced, left out
    /// (conversations and ratings only).
    pub orphans: u64,
}

impl ApplyCounts {
    pub(super) fn from_upsert(counts: UpsertCounts, duplicates: usize) -> Self {
        Self {
            inserted: counts.inserted,
            updated: counts.updated,
            skipped: counts.skipped + duplicates as u64,
            ..Self::default()
        }
    }
}

/// Rejects text with a NUL character (PostgreSQL cannot store one), naming
/// the record and the field.
fn check_text(record: &RecordRef, field: &'static str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::invalid_input(
            field,
            format!("{record}: must not contain a NUL character"),
        ));
    }
    Ok(())
}

/// A person row ready for the upsert: key, version, row.
struct PersonRow<A> {
    key: String,
    version: DateTime<Utc>,
    row: A,
}

/// Keeps each record's newest version, then upserts newest-wins in a
/// savepoint (all or nothing).
async fn apply<A>(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    spec: &NewestWins<A::Entity>,
    rows: Vec<PersonRow<A>>,
) -> Result<ApplyCounts>
where
    A: ActiveModelTrait + Send,
{
    let total = rows.len();
    let newest = newest_per_key(rows, |r| r.key.clone(), |r| r.version);
    let duplicates = total - newest.len();
    let rows: Vec<A> = newest.into_iter().map(|r| r.row).collect();
    let counts = in_savepoint(txn, async |sp: &DatabaseTransaction| {
        upsert_newest(sp, merchant, spec, rows).await
    })
    .await?;
    Ok(ApplyCounts::from_upsert(counts, duplicates))
}

/// Applies agent payloads for `merchant`: a new agent is inserted, a stored
/// one takes the record when its `updated_at` is not older than the row's
/// (a placeholder row, with none, always does), anything else changes
/// nothing. Name and email come from the nested `contact`.
///
/// Runs in a savepoint of the caller's transaction: all or nothing. One
/// `INSERT … ON CONFLICT` per chunk of rows (plus, on SQLite and MariaDB,
/// one `SELECT COUNT(*)` per chunk to count). A dropped call (a timeout, `select!`) is undone whole
/// and never touches the caller's earlier writes
/// ([how](crate::repository#cancellation)).
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the agent and the field for a record that
/// cannot be stored (an id that is not positive, no `updated_at` nor
/// `created_at`, a NUL character); nothing is written. A database error
/// otherwise; the caller's transaction stays usable.
pub async fn apply_agents(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    agents: &[Agent],
) -> Result<ApplyCounts> {
    let mut rows = Vec::with_capacity(agents.len());
    for a in agents {
        let record = RecordRef::id(RecordKind::Agent, a.id);
        let new = a.to_new_agent()?;
        let version = a.version()?.trunc_subsecs(6);
        check_text(&record, "contact.name", &new.name)?;
        check_text(&record, "contact.email", new.email.as_deref().unwrap_or(""))?;
        rows.push(PersonRow {
            key: new.freshdesk_agent_id.clone(),
            version,
            row: agent::ActiveModel {
                merchant_id: Set(merchant),
                freshdesk_agent_id: Set(new.freshdesk_agent_id),
                name: Set(new.name),
                email: Set(new.email),
                updated_at: Set(Some(version)),
                ..Default::default()
            },
        });
    }
    let spec = NewestWins::<agent::Entity> {
        merchant: agent::Column::MerchantId,
        key: agent::Column::FreshdeskAgentId,
        key_field: "freshdesk_agent_id",
        updated_at: agent::Column::UpdatedAt,
        update: vec![agent::Column::Name, agent::Column::Email],
    };
    apply(txn, merchant, &spec, rows).await
}

/// Applies contact payloads for `merchant`, newest wins, exactly as
/// [`apply_agents`] does for agents (a placeholder contact created for a
/// ticket's requester is filled in here).
///
/// # Errors
///
/// As [`apply_agents`], naming the contact.
pub async fn apply_contacts(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    contacts: &[Contact],
) -> Result<ApplyCounts> {
    let mut rows = Vec::with_capacity(contacts.len());
    for c in contacts {
        let record = RecordRef::id(RecordKind::Contact, c.id);
        let new = c.to_new_contact()?;
        let version = c.version()?.trunc_subsecs(6);
        check_text(&record, "name", &new.name)?;
        check_text(&record, "email", new.email.as_deref().unwrap_or(""))?;
        rows.push(PersonRow {
            key: new.freshdesk_contact_id.clone(),
            version,
            row: contact::ActiveModel {
                merchant_id: Set(merchant),
                freshdesk_contact_id: Set(new.freshdesk_contact_id),
                name: Set(new.name),
                email: Set(new.email),
                updated_at: Set(Some(version)),
                ..Default::default()
            },
        });
    }
    let spec = NewestWins::<contact::Entity> {
        merchant: contact::Column::MerchantId,
        key: contact::Column::FreshdeskContactId,
        key_field: "freshdesk_contact_id",
        updated_at: contact::Column::UpdatedAt,
        update: vec![contact::Column::Name, contact::Column::Email],
    };
    apply(txn, merchant, &spec, rows).await
}
