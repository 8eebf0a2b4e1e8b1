//! The shared shape of the agent and contact repositories: both tables have
//! the same columns under different names, so one macro writes the trait,
//! its SeaORM implementation and the insert type for each.

/// Writes `$Trait`, `$Impl` and `$New` for a people table.
macro_rules! person_repository {
    (
        trait $Trait:ident,
        impl $Impl:ident,
        new $New:ident,
        entity $module:ident,
        id $Id:ident,
        freshdesk $fd_field:ident / $FdCol:ident,
        name $name:literal,
        plural $plural:literal $(,)?
    ) => {
        use std::collections::BTreeMap;

        use async_trait::async_trait;
        use sea_orm::sea_query::OnConflict;
        use sea_orm::{
            ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
            NotSet, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
        };
        use serde::{Deserialize, Serialize};

        use super::bulk::{ids_per_statement, insert_chunked, write_chunked};
        use super::input::check_text;
        use super::page::{
            CursorPage, KeyKind, KeyValue, check_page_size, decode_cursor, encode_cursor,
            fingerprint,
        };
        use super::scope::{
            check_freshdesk_id, check_unique_in_batch, delete_by_ids, distinct, scoped,
        };
        use crate::entity::$module;
        use crate::error::{Error, Result};
        use crate::ids::{$Id, MerchantId};

        #[doc = concat!("A ", $name, " to insert or upsert. The merchant comes from the repository call.")]
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $New {
            #[doc = concat!("Freshdesk's ", $name, " id: non-empty, at most 255 bytes, unique per merchant.")]
            pub $fd_field: String,
            /// Display name.
            pub name: String,
            /// Email address, when known.
            pub email: Option<String>,
        }

        impl $New {
            #[doc = concat!("A ", $name, " with this Freshdesk id and name, and no email.")]
            pub fn new($fd_field: impl Into<String>, name: impl Into<String>) -> Self {
                Self {
                    $fd_field: $fd_field.into(),
                    name: name.into(),
                    email: None,
                }
            }

            /// With this email address.
            pub fn email(mut self, email: impl Into<String>) -> Self {
                self.email = Some(email.into());
                self
            }

            fn validate(&self, index: usize) -> Result<()> {
                check_freshdesk_id(stringify!($fd_field), index, &self.$fd_field)?;
                check_text(stringify!($fd_field), index, &self.$fd_field)?;
                check_text("name", index, &self.name)?;
                check_text("email", index, self.email.as_deref().unwrap_or(""))
            }

            fn into_active(self, merchant: MerchantId) -> $module::ActiveModel {
                $module::ActiveModel {
                    id: NotSet,
                    merchant_id: Set(merchant),
                    $fd_field: Set(self.$fd_field),
                    name: Set(self.name),
                    email: Set(self.email),
                    ..Default::default()
                }
            }
        }

        #[doc = concat!("Merchant-scoped reads and writes of ", $plural, ", in the caller's transaction.")]
        ///
        /// Every method filters by the merchant first, never commits or rolls
        /// back the caller's transaction, and runs in a `tracing` span named
        /// after it with the merchant id as a field. A chunk of ids is up to
        /// 65,519 (PostgreSQL, MariaDB) or 32,750 (SQLite) per statement.
        #[async_trait]
        pub trait $Trait: Send + Sync {
            #[doc = concat!("The ", $name, " with this id.")]
            ///
            /// Runs 1 statement.
            ///
            /// # Errors
            ///
            /// [`Error::NotFound`] naming the id when the merchant has no such
            /// row; [`Error::Database`] when the query fails.
            async fn get(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                id: $Id,
            ) -> Result<$module::Model>;

            #[doc = concat!("The ", $name, " with this Freshdesk id.")]
            ///
            /// Runs 1 statement.
            ///
            /// # Errors
            ///
            /// [`Error::NotFound`] naming the Freshdesk id when the merchant has
            /// no such row; [`Error::Database`] when the query fails.
            async fn get_by_freshdesk_id(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                freshdesk_id: &str,
            ) -> Result<$module::Model>;

            #[doc = concat!("The merchant's ", $plural, " with these ids, in id order (ids it does not have are skipped).")]
            ///
            /// Runs 1 statement per chunk of ids (none for an empty slice).
            ///
            /// # Errors
            ///
            /// [`Error::Database`] when a query fails.
            async fn get_many(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                ids: &[$Id],
            ) -> Result<Vec<$module::Model>>;

            /// The local ids of these Freshdesk ids, for the ones the merchant
            /// has (what a sync job needs to fill `requester_id` /
            /// `responder_id` of tickets).
            ///
            /// Runs 1 statement per chunk of ids (none for an empty slice).
            ///
            /// # Errors
            ///
            /// [`Error::Database`] when a query fails.
            async fn resolve_freshdesk_ids(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                freshdesk_ids: &[String],
            ) -> Result<BTreeMap<String, $Id>>;

            #[doc = concat!("A keyset page of the merchant's ", $plural, " in id order, after `after` (a previous page's `next_cursor`; `None` for the first page).")]
            ///
            /// Runs 1 statement.
            ///
            /// # Errors
            ///
            /// [`Error::InvalidInput`] for a page size of 0 or above
            /// [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE), or a malformed or
            /// foreign cursor; [`Error::Database`] when the query fails.
            async fn list(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                after: Option<&str>,
                page_size: u64,
            ) -> Result<CursorPage<$module::Model>>;

            #[doc = concat!("How many ", $plural, " the merchant has.")]
            ///
            /// Runs 1 statement.
            ///
            /// # Errors
            ///
            /// [`Error::Database`] when the query fails.
            async fn count(&self, txn: &DatabaseTransaction, merchant: MerchantId) -> Result<u64>;

            #[doc = concat!("Inserts ", $plural, " for the merchant; returns how many were inserted.")]
            ///
            /// Runs 1 `INSERT` per chunk of rows (as many as fit under the
            /// backend's bind-parameter limit); no per-row round trips.
            ///
            /// # Errors
            ///
            /// [`Error::InvalidInput`] for an empty or over-long Freshdesk id
            /// (nothing is sent); [`Error::Conflict`] when the merchant already
            /// has one of the Freshdesk ids; [`Error::Database`] otherwise.
            async fn insert_many(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                rows: Vec<$New>,
            ) -> Result<u64>;

            /// Inserts or updates by `(merchant_id, Freshdesk id)`, for sync
            /// jobs: running the same batch twice changes nothing, a changed
            /// row takes its new name and email, and the merchant of a row is
            /// never changed.
            ///
            /// Runs 1 `INSERT … ON CONFLICT DO UPDATE` (`ON DUPLICATE KEY
            /// UPDATE` on MariaDB) per chunk of rows.
            ///
            /// # Errors
            ///
            /// As [`insert_many`](Self::insert_many), and
            /// [`Error::InvalidInput`] when a Freshdesk id appears twice in
            /// the batch.
            async fn upsert_many(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                rows: Vec<$New>,
            ) -> Result<()>;

            #[doc = concat!("Deletes these ", $plural, "; returns how many were deleted.")]
            ///
            /// Runs 1 `DELETE` per chunk of ids, in a savepoint; 1 more
            /// statement when an id is missing, to name it.
            ///
            /// # Errors
            ///
            /// [`Error::NotFound`] naming the first id the merchant does not
            /// have; [`Error::Conflict`] of kind
            /// [`ForeignKey`](crate::ConflictKind::ForeignKey) when tickets
            /// still reference one of them. Either way nothing is deleted and
            /// the caller's transaction stays usable.
            async fn delete(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                ids: &[$Id],
            ) -> Result<u64>;
        }

        #[doc = concat!("The SeaORM implementation of [`", stringify!($Trait), "`]; a unit struct.")]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $Impl;

        fn scope_fingerprint(merchant: MerchantId) -> u64 {
            fingerprint(merchant, "id_asc", $plural)
        }

        #[async_trait]
        impl $Trait for $Impl {
            #[tracing::instrument(skip_all, fields(merchant_id = %merchant, id = %id))]
            async fn get(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                id: $Id,
            ) -> Result<$module::Model> {
                scoped::<$module::Entity>(merchant)
                    .filter($module::Column::Id.eq(id))
                    .one(txn)
                    .await?
                    .ok_or_else(|| Error::not_found($name, id))
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
            async fn get_by_freshdesk_id(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                freshdesk_id: &str,
            ) -> Result<$module::Model> {
                scoped::<$module::Entity>(merchant)
                    .filter($module::Column::$FdCol.eq(freshdesk_id))
                    .one(txn)
                    .await?
                    .ok_or_else(|| Error::not_found($name, format!("freshdesk:{freshdesk_id}")))
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
            async fn get_many(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                ids: &[$Id],
            ) -> Result<Vec<$module::Model>> {
                let ids = distinct(ids.iter().map(|id| id.get()));
                let mut out = Vec::new();
                for chunk in ids.chunks(ids_per_statement(txn.get_database_backend())) {
                    out.extend(
                        scoped::<$module::Entity>(merchant)
                            .filter($module::Column::Id.is_in(chunk.iter().copied()))
                            .order_by_asc($module::Column::Id)
                            .all(txn)
                            .await?,
                    );
                }
                Ok(out)
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
            async fn resolve_freshdesk_ids(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                freshdesk_ids: &[String],
            ) -> Result<BTreeMap<String, $Id>> {
                let mut out = BTreeMap::new();
                for chunk in freshdesk_ids.chunks(ids_per_statement(txn.get_database_backend())) {
                    let rows: Vec<(String, $Id)> = scoped::<$module::Entity>(merchant)
                        .select_only()
                        .columns([$module::Column::$FdCol, $module::Column::Id])
                        .filter($module::Column::$FdCol.is_in(chunk.iter().cloned()))
                        .into_tuple()
                        .all(txn)
                        .await?;
                    out.extend(rows);
                }
                Ok(out)
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
            async fn list(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                after: Option<&str>,
                page_size: u64,
            ) -> Result<CursorPage<$module::Model>> {
                let size = check_page_size("page_size", page_size)?;
                let fp = scope_fingerprint(merchant);
                let mut select = scoped::<$module::Entity>(merchant);
                if let Some(cursor) = after {
                    if let [KeyValue::Int(last)] = decode_cursor(cursor, fp, &[KeyKind::Int])?[..] {
                        select = select.filter($module::Column::Id.gt(last));
                    }
                }
                let mut items = select
                    .order_by_asc($module::Column::Id)
                    .limit(size + 1)
                    .all(txn)
                    .await?;
                let next_cursor = if items.len() as u64 > size {
                    items.truncate(size as usize);
                    items
                        .last()
                        .map(|row| encode_cursor(fp, &[KeyValue::Int(row.id.get())]))
                } else {
                    None
                };
                Ok(CursorPage { items, next_cursor })
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant))]
            async fn count(&self, txn: &DatabaseTransaction, merchant: MerchantId) -> Result<u64> {
                Ok(scoped::<$module::Entity>(merchant).count(txn).await?)
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
            async fn insert_many(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                rows: Vec<$New>,
            ) -> Result<u64> {
                for (i, row) in rows.iter().enumerate() {
                    row.validate(i)?;
                }
                let rows = rows.into_iter().map(|r| r.into_active(merchant)).collect();
                insert_chunked(txn, rows).await
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant, rows = rows.len()))]
            async fn upsert_many(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                rows: Vec<$New>,
            ) -> Result<()> {
                for (i, row) in rows.iter().enumerate() {
                    row.validate(i)?;
                }
                check_unique_in_batch(
                    stringify!($fd_field),
                    rows.iter().map(|r| r.$fd_field.as_str()),
                )?;
                let rows = rows.into_iter().map(|r| r.into_active(merchant)).collect();
                // Never `merchant_id`: an upsert cannot move a row to another merchant.
                let on_conflict =
                    OnConflict::columns([$module::Column::MerchantId, $module::Column::$FdCol])
                        .update_columns([$module::Column::Name, $module::Column::Email])
                        .to_owned();
                write_chunked(txn, rows, Some(on_conflict)).await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(merchant_id = %merchant, ids = ids.len()))]
            async fn delete(
                &self,
                txn: &DatabaseTransaction,
                merchant: MerchantId,
                ids: &[$Id],
            ) -> Result<u64> {
                let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
                delete_by_ids::<$module::Entity>(txn, merchant, &ids).await
            }
        }

        #[cfg(test)]
        mod validation_tests {
            use super::*;

            #[test]
            fn nul_characters_are_rejected_in_every_text_field() {
                assert!($New::new("fd-1", "name").email("a@b.c").validate(0).is_ok());
                for (row, field) in [
                    ($New::new("fd\0-1", "name"), stringify!($fd_field)),
                    ($New::new("fd-1", "na\0me"), "name"),
                    ($New::new("fd-1", "name").email("a\0@b.c"), "email"),
                ] {
                    match row.validate(3) {
                        Err(Error::InvalidInput { field: f, reason }) => {
                            assert_eq!(f, field);
                            assert!(reason.contains("row 3") && reason.contains("NUL"), "{reason}");
                        }
                        other => panic!("expected invalid {field}, got {other:?}"),
                    }
                }
            }
        }
    };
}

pub(crate) use person_repository;
