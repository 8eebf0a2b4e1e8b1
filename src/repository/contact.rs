//! Contacts (ticket requesters): [`ContactRepository`], its SeaORM
//! implementation [`SeaContactRepository`], and [`NewContact`]. The work is
//! done by the generic code in `people.rs`, shared with agents.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::keyset::CursorPage;
use super::people::{self, Person};
use super::savepoint::guarded;
use crate::entity::contact;
use crate::error::Result;
use crate::ids::{ContactId, MerchantId};

/// A contact to insert or upsert. The merchant comes from the repository call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// Freshdesk's contact id: non-empty, at most 255 bytes, unique per merchant.
    pub freshdesk_contact_id: String,
    /// Display name.
    pub name: String,
    /// Email address, when known.
    pub email: Option<String>,
}

impl NewContact {
    /// A contact with this Freshdesk id and name, and no email.
    pub fn new(freshdesk_contact_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            freshdesk_contact_id: freshdesk_contact_id.into(),
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

impl Person for contact::Entity {
    type Id = ContactId;
    type New = NewContact;
    const PLURAL: &'static str = "contacts";
    const FRESHDESK_FIELD: &'static str = "freshdesk_contact_id";

    fn freshdesk_col() -> contact::Column {
        contact::Column::FreshdeskContactId
    }
    fn updated_at_col() -> contact::Column {
        contact::Column::UpdatedAt
    }
    fn updatable_cols() -> [contact::Column; 2] {
        [contact::Column::Name, contact::Column::Email]
    }
    fn id_of(row: &contact::Model) -> i64 {
        row.id.get()
    }
    fn fields(new: &NewContact) -> (&str, &str, Option<&str>) {
        (&new.freshdesk_contact_id, &new.name, new.email.as_deref())
    }
    fn active(new: NewContact, merchant: MerchantId) -> contact::ActiveModel {
        contact::ActiveModel {
            id: NotSet,
            merchant_id: Set(merchant),
            freshdesk_contact_id: Set(new.freshdesk_contact_id),
            name: Set(new.name),
            email: Set(new.email),
            ..Default::default()
        }
    }
}

/// Merchant-scoped reads and writes of contacts, in the caller's transaction.
///
/// Every method filters by the merchant first, never commits or rolls back
/// the caller's transaction, and runs in a `tracing` span named after it
/// with the merchant id as a field. A chunk of ids is up to 65,519
/// (PostgreSQL, MariaDB) or 32,750 (SQLite) per statement. Every method has
/// a default body, the shared implementation; [`SeaContactRepository`] uses
/// them all.
#[async_trait]
pub trait ContactRepository: Send + Sync {
    /// The contact with this id.
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
        id: ContactId,
    ) -> Result<contact::Model> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::get::<contact::Entity>(txn, merchant, id).await
        })
        .await
    }

    /// The contact with this Freshdesk id.
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
    ) -> Result<contact::Model> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::get_by_freshdesk_id::<contact::Entity>(txn, merchant, freshdesk_id).await
        })
        .await
    }

    /// The merchant's contacts with these ids, in id order (ids it does not
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
        ids: &[ContactId],
    ) -> Result<Vec<contact::Model>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::get_many::<contact::Entity>(txn, merchant, ids).await
        })
        .await
    }

    /// The local ids of these Freshdesk ids, for the ones the merchant has
    /// (what a sync job needs to fill `requester_id` of tickets).
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
    ) -> Result<BTreeMap<String, ContactId>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::resolve_freshdesk_ids::<contact::Entity>(txn, merchant, freshdesk_ids).await
        })
        .await
    }

    /// A keyset page of the merchant's contacts in id order, after `after` (a
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
    ) -> Result<CursorPage<contact::Model>> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::list::<contact::Entity>(txn, merchant, after, page_size).await
        })
        .await
    }

    /// How many contacts the merchant has.
    ///
    /// Runs 1 statement.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the query fails.
    #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
    async fn count(&self, txn: &DatabaseTransaction, merchant: MerchantId) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::count::<contact::Entity>(txn, merchant).await
        })
        .await
    }

    /// Inserts contacts for the merchant; returns how many were inserted.
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
        rows: Vec<NewContact>,
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::insert_many::<contact::Entity>(txn, merchant, rows).await
        })
        .await
    }

    /// Inserts or updates by `(merchant_id, freshdesk_contact_id)`, for sync
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
        rows: Vec<NewContact>,
    ) -> Result<()> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::upsert_many::<contact::Entity>(txn, merchant, rows).await
        })
        .await
    }

    /// Deletes these contacts; returns how many were deleted.
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
        ids: &[ContactId],
    ) -> Result<u64> {
        guarded(txn, async |txn: &DatabaseTransaction| {
            people::delete::<contact::Entity>(txn, merchant, ids).await
        })
        .await
    }
}

/// The SeaORM implementation of [`ContactRepository`]; a unit struct.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeaContactRepository;

impl ContactRepository for SeaContactRepository {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn nul_characters_are_rejected_in_every_text_field() {
        let ok = NewContact::new("fd-1", "name").email("a@b.c");
        assert!(people::validate::<contact::Entity>(&ok, 0).is_ok());
        for (row, field) in [
            (NewContact::new("fd\0-1", "name"), "freshdesk_contact_id"),
            (NewContact::new("fd-1", "na\0me"), "name"),
            (NewContact::new("fd-1", "name").email("a\0@b.c"), "email"),
        ] {
            match people::validate::<contact::Entity>(&row, 3) {
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
