//! Agents (ticket responders): [`AgentRepository`], its SeaORM
//! implementation [`SeaAgentRepository`], and [`NewAgent`]. The work is
//! done by the generic code in `people.rs`, shared with contacts.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::keyset::CursorPage;
use super::people::{self, Person};
use super::savepoint::guarded;
use crate::entity::agent;
use crate::error::Result;
use crate::ids::{AgentId, MerchantId};

/// An agent to insert or upsert. The merchant comes from the repository call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAgent {
    /// Freshdesk's agent id: non-empty, at most 255 bytes, unique per merchant.
    pub freshdesk_agent_id: String,
    /// Display name.
    pub name: String,
    /// Email address, when known.
    pub email: Option<String>,
}

impl NewAgent {
    /// An agent with this Freshdesk id and name, and no email.
    pub fn new(freshdesk_agent_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            freshdesk_agent_id: freshdesk_agent_id.into(),
            name: name.into(),
            email: None,
        }
    }

    /// With this email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
}

impl Person for agent::Entity {
    type Id = AgentId;
    type New = NewAgent;
    const PLURAL: &'static str = "agents";
    const FRESHDESK_FIELD: &'static str = "freshdesk_agent_id";

    fn freshdesk_col() -> agent::Column {
        agent::Column::FreshdeskAgentId
    }
    fn updated_at_col() -> agent::Column {
        agent::Column::UpdatedAt
    }
    fn updatable_cols() -> [agent::Column; 2] {
        [agent::Column::Name, agent::Column::Email]
    }
    fn id_of(row: &agent::Model) -> i64 {
        row.id.get()
    }
    fn fields(new: &NewAgent) -> (&str, &str, Option<&str>) {
        (&new.freshdesk_agent_id, &new.name, new.email.as_deref())
    }
    fn active(new: NewAgent, merchant: MerchantId) -> agent::ActiveModel {
        agent::ActiveModel {
            id: NotSet,
            merchant_id: Set(merchant),
            freshdesk_agent_id: Set(new.freshdesk_agent_id),
            name: Set(new.name),
            email: Set(new.email),
            ..Default::default()
        }
    }
}

/// Merchant-scoped reads and writes of agents, in the caller's transaction.
///
/// Every method filters by the merchant first, never commits or rolls back
/// the caller's transaction, and runs in a `tracing` span named after it
/// with the merchant id as a field. A chunk of ids is up to 65,519
/// (PostgreSQL, MariaDB) or 32,750 (SQLite) per statement. Every method has
/// a default body, the shared implementation; [`SeaAgentRepository`] uses
/// them all.
#[async_trait]
pub trait AgentRepository: Send + Sync {
    /// The agent with this id.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the id when the merchant has no such
    /// row; [`Error::Database`](crate::Error::Database) when the query fails.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, id = %id))]
    async fn get(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        id: AgentId,
    ) -> Result<agent::Model> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::get::<agent::Entity>(txn, merchant, id).await
        })
        .await
    }

    /// The agent with this Freshdesk id.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the Freshdesk id when the merchant has no
    /// such row; [`Error::Database`](crate::Error::Database) when the query fails.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn get_by_freshdesk_id(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_id: &str,
    ) -> Result<agent::Model> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::get_by_freshdesk_id::<agent::Entity>(txn, merchant, freshdesk_id).await
        })
        .await
    }

    /// The merchant's agents with these ids, in id order (ids it does not
    /// have are skipped).
    ///
    /// Runs 1 statement per chunk of ids (none for an empty slice).
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when a query fails.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
    async fn get_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[AgentId],
    ) -> Result<Vec<agent::Model>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::get_many::<agent::Entity>(txn, merchant, ids).await
        })
        .await
    }

    /// The local ids of these Freshdesk ids, for the ones the merchant has
    /// (what a sync job needs to fill `responder_id` of tickets).
    ///
    /// Runs 1 statement per chunk of ids (none for an empty slice).
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when a query fails.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn resolve_freshdesk_ids(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        freshdesk_ids: &[String],
    ) -> Result<BTreeMap<String, AgentId>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::resolve_freshdesk_ids::<agent::Entity>(txn, merchant, freshdesk_ids).await
        })
        .await
    }

    /// A keyset page of the merchant's agents in id order, after `after` (a
    /// previous page's `next_cursor`; `None` for the first page).
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a page size of 0 or above
    /// [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE), or a malformed or foreign
    /// cursor; [`Error::Database`](crate::Error::Database) when the query fails.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn list(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        after: Option<&str>,
        page_size: u64,
    ) -> Result<CursorPage<agent::Model>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::list::<agent::Entity>(txn, merchant, after, page_size).await
        })
        .await
    }

    /// How many agents the merchant has.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the query fails.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn count(&self, txn: &DatabaseTransaction, merchant: MerchantId) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::count::<agent::Entity>(txn, merchant).await
        })
        .await
    }

    /// Inserts agents for the merchant; returns how many were inserted.
    ///
    /// Runs 1 `INSERT` per chunk of rows (as many as fit under the
    /// backend's bind-parameter limit); no per-row round trips.
    /// A dropped call is undone whole by the next crate call on the
    /// transaction ([cancellation](super#cancellation)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an empty or over-long Freshdesk id, or
    /// text with a NUL character (nothing is sent); [`Error::Conflict`](crate::Error::Conflict)
    /// when the merchant already has one of the Freshdesk ids;
    /// [`Error::Database`](crate::Error::Database) otherwise.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn insert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewAgent>,
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::insert_many::<agent::Entity>(txn, merchant, rows).await
        })
        .await
    }

    /// Inserts or updates by `(merchant_id, freshdesk_agent_id)`, for sync
    /// jobs: running the same batch twice changes nothing, a changed row
    /// takes its new name and email, and the merchant of a row is never
    /// changed.
    ///
    /// Runs 1 `INSERT … ON CONFLICT DO UPDATE` (`ON DUPLICATE KEY UPDATE`
    /// on MariaDB) per chunk of rows.
    /// A dropped call is undone whole by the next crate call on the
    /// transaction ([cancellation](super#cancellation)).
    ///
    /// # Errors
    ///
    /// As [`insert_many`](Self::insert_many), and [`Error::InvalidInput`](crate::Error::InvalidInput)
    /// when a Freshdesk id appears twice in the batch.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
    async fn upsert_many(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        rows: Vec<NewAgent>,
    ) -> Result<()> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::upsert_many::<agent::Entity>(txn, merchant, rows).await
        })
        .await
    }

    /// Deletes these agents; returns how many were deleted.
    ///
    /// Runs 1 `DELETE` per chunk of ids, in a savepoint; 1 more statement
    /// when an id is missing, to name it.
    /// A dropped call is undone whole by the next crate call on the
    /// transaction ([cancellation](super#cancellation)).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) naming the first id the merchant does not have;
    /// [`Error::Conflict`](crate::Error::Conflict) of kind
    /// [`ForeignKey`](crate::ConflictKind::ForeignKey) when tickets still
    /// reference one of them. Either way nothing is deleted and the
    /// caller's transaction stays usable.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
    async fn delete(
        &self,
        txn: &DatabaseTransaction,
        merchant: MerchantId,
        ids: &[AgentId],
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::delete::<agent::Entity>(txn, merchant, ids).await
        })
        .await
    }
}

/// The SeaORM implementation of [`AgentRepository`]; a unit struct.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeaAgentRepository;

impl AgentRepository for SeaAgentRepository {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn nul_characters_are_rejected_in_every_text_field() {
        let ok = NewAgent::new("fd-1", "name").email("a@b.c");
        assert!(people::validate::<agent::Entity>(&ok, 0).is_ok());
        for (row, field) in [
            (NewAgent::new("fd\0-1", "name"), "freshdesk_agent_id"),
            (NewAgent::new("fd-1", "na\0me"), "name"),
            (NewAgent::new("fd-1", "name").email("a\0@b.c"), "email"),
        ] {
            match people::validate::<agent::Entity>(&row, 3) {
                Err(Error::InvalidInput { field: f, reason }) => {
                    assert_eq!(f, field);
                    assert!(
                        reason.contains("row 3") && reason.contains("NUL"),
                        "{reason}"
                    );
                }
                other => panic!("expected invalid {field}, got {other:?}"),
            }
        }
    }
}
