//! Row-level security on PostgreSQL: a second lock behind the merchant
//! filters, opt-in.
//!
//! Every repository and analytics query already filters by merchant. With
//! row-level security enabled, PostgreSQL enforces the same rule itself: a
//! transaction sees and writes only the rows of the merchant bound to it,
//! even where a query forgot its merchant filter.
//!
//! # What it guards, and what it does not
//!
//! It guards against **mistakes in code that does not run attacker-chosen
//! SQL**: a forgotten `WHERE merchant_id = …` in the service's own queries,
//! a report written by hand, a join that drops the filter. It is not a
//! sandbox for untrusted SQL: the binding is an ordinary setting, and a
//! session that can run arbitrary statements as the application role can
//! call `set_config('freshdesk.merchant_id', …)` itself and read another
//! merchant's rows. Keep arbitrary SQL away from the application role.
//!
//! [`bind_merchant`] refuses (a typed error, nothing changed) to bind a
//! transaction that already carries a different merchant, whether from an
//! earlier `bind_merchant` in the same transaction or from a session-level
//! `SET freshdesk.merchant_id` that a caller left on a pooled connection:
//! the crate never silently replaces a binding it did not make.
//!
//! # Enabling it
//!
//! 1. Apply [`RlsMigrator`] after [`Migrator`](crate::migration::Migrator)
//!    (PostgreSQL only; on other backends it does nothing). It enables and
//!    **forces** RLS on the five tenant tables, with a policy keyed on the
//!    transaction-local setting `freshdesk.merchant_id`, and creates the
//!    role [`APP_ROLE`] (`NOLOGIN NOBYPASSRLS`, not the tables' owner) with
//!    the table privileges the crate needs.
//! 2. Let the service log in as a role that is **not a superuser, not the
//!    tables' owner and not `BYPASSRLS`**, and grant it the application
//!    role: `GRANT freshdesk_app TO my_service;`. (Superusers and
//!    `BYPASSRLS` roles always bypass RLS.)
//! 3. In each transaction, call [`bind_merchant`] before touching tenant
//!    rows. Without a bound merchant the policy matches nothing: no rows are
//!    visible and every write is refused (fail closed).
//!
//! ```no_run
//! # async fn run(db: &sea_orm::DatabaseConnection) -> freshdesk_store::Result<()> {
//! use freshdesk_store::{MerchantId, rls};
//! use sea_orm::TransactionTrait;
//!
//! let merchant = MerchantId::new(42)?;
//! let txn = db.begin().await?;
//! rls::bind_merchant(&txn, merchant).await?; // ends with the transaction
//! // … repository and analytics calls for `merchant` …
//! txn.commit().await?;
//! # Ok(()) }
//! ```
//!
//! # On Citus
//!
//! The policies and the binding work on a Citus cluster too, with two
//! requirements:
//!
//! - Citus opens its connections to the workers as the role in force, so
//!   that role must be able to log in there. `SET LOCAL ROLE freshdesk_app`
//!   with the migration's `NOLOGIN` role fails on Citus (`role
//!   "freshdesk_app" is not permitted to log in`, from a worker); let the
//!   service log in as a `LOGIN` role that is a member of `freshdesk_app`
//!   (`CREATE ROLE my_service LOGIN; GRANT freshdesk_app TO my_service;`,
//!   with the same authentication on the workers), or `SET LOCAL ROLE` to
//!   such a role.
//! - A transaction that switches role does so before it writes: Citus
//!   refuses to touch shards that the same transaction modified as another
//!   role (`25001 cannot perform query on placements that were modified in
//!   this transaction by a different user`). Logging in as the service's
//!   role avoids the question.
//!
//! [`bind_merchant`] also issues `SET LOCAL` (propagated to the workers)
//! there, because `set_config` is not.
//!
//! The binding uses `set_config(…, true)`: it ends with the transaction, so
//! it cannot leak to the next user of a pooled connection. Applications
//! that share the tables keep working as long as RLS is not enabled; once
//! it is, they too must bind a merchant (or use a role with `BYPASSRLS` for
//! cross-merchant jobs such as moving a merchant's data).

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use sea_orm_migration::prelude::*;

use crate::error::{Error, Result};
use crate::ids::MerchantId;

/// The transaction-local setting the policies read.
pub const MERCHANT_SETTING: &str = "freshdesk.merchant_id";

/// The application role the RLS migration creates: `NOLOGIN NOBYPASSRLS`,
/// with `SELECT, INSERT, UPDATE, DELETE` on the tenant tables.
pub const APP_ROLE: &str = "freshdesk_app";

/// The name of every policy the migration creates.
pub const POLICY: &str = "freshdesk_merchant_isolation";

const TENANT_TABLES: [&str; 5] = [
    "freshdesk_agent",
    "freshdesk_contact",
    "freshdesk_unified_ticket_view",
    "freshdesk_conversation",
    "freshdesk_rating",
];

/// Binds `merchant` to the caller's transaction (PostgreSQL
/// `set_config('freshdesk.merchant_id', …, true)`): with RLS enabled, the
/// transaction sees and writes only that merchant's rows. One statement,
/// which checks and binds together (on Citus two more, `SET LOCAL
/// citus.propagate_set_commands = 'local'` and `SET LOCAL
/// freshdesk.merchant_id`, because `set_config` is not propagated to the
/// workers). Binding the same merchant again is a no-op.
///
/// # Errors
///
/// [`Error::InvalidInput`] for `merchant` when the transaction already
/// carries a different merchant (bound earlier in the transaction, or set
/// for the whole session by someone else): nothing is changed, and the
/// message names the merchant found. [`Error::InvalidInput`] for `backend`
/// on a backend other than PostgreSQL (it has no row-level security); a
/// database error otherwise.
pub async fn bind_merchant(txn: &DatabaseTransaction, merchant: MerchantId) -> Result<()> {
    let backend = ConnectionTrait::get_database_backend(txn);
    if backend != DbBackend::Postgres {
        return Err(Error::invalid_input(
            "backend",
            "row-level security is a PostgreSQL feature",
        ));
    }
    let wanted = merchant.get().to_string();
    // Binds only when nothing, or the same merchant, is bound already; the
    // current value comes back either way so a refusal can name it.
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT coalesce(current_setting($1, true), '') AS found, \
                    CASE WHEN coalesce(current_setting($1, true), '') IN ('', $2) \
                         THEN set_config($1, $2, true) END AS bound, \
                    current_setting('citus.propagate_set_commands', true) AS citus",
            [MERCHANT_SETTING.into(), wanted.clone().into()],
        ))
        .await?
        .ok_or_else(|| Error::Database(sea_orm::DbErr::RecordNotFound("binding".into())))?;
    let bound: Option<String> = row.try_get("", "bound")?;
    if bound.is_none() {
        let found: String = row.try_get("", "found")?;
        return Err(Error::invalid_input(
            "merchant",
            format!(
                "cannot bind merchant {wanted}: this transaction already carries \
                 {MERCHANT_SETTING} = `{found}` (a different merchant, or a session-level SET \
                 left on the connection); use a fresh transaction on a clean connection"
            ),
        ));
    }
    // Citus: `set_config` stays on the coordinator, but `SET LOCAL` reaches
    // the workers when `citus.propagate_set_commands` is `local`. The id is
    // an integer the crate formats itself, so it is safe in the text.
    let citus: Option<String> = row.try_get("", "citus")?;
    if citus.is_some() {
        txn.execute_unprepared("SET LOCAL citus.propagate_set_commands = 'local'")
            .await?;
        txn.execute_unprepared(&format!(
            "SET LOCAL {MERCHANT_SETTING} = '{}'",
            merchant.get()
        ))
        .await?;
    }
    Ok(())
}

/// The opt-in RLS migrations, with their own bookkeeping table
/// (`freshdesk_store_rls_migrations`), so that services that do not use RLS
/// never see them. Apply after [`Migrator`](crate::migration::Migrator).
pub struct RlsMigrator;

#[async_trait::async_trait]
impl MigratorTrait for RlsMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(EnableRls)]
    }

    fn migration_table_name() -> DynIden {
        "freshdesk_store_rls_migrations".into_iden()
    }
}

struct EnableRls;

impl MigrationName for EnableRls {
    fn name(&self) -> &str {
        "m20261126_000101_enable_rls"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for EnableRls {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN \
                 CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS; \
               END IF; \
             END $$"
        ))
        .await?;
        let predicate = format!(
            "merchant_id = NULLIF(current_setting('{MERCHANT_SETTING}', true), '')::bigint"
        );
        // One statement per call: Citus refuses several commands in one
        // string when it forwards them to the workers.
        for table in TENANT_TABLES {
            for sql in [
                format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
                format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"),
                format!("DROP POLICY IF EXISTS {POLICY} ON {table}"),
                format!(
                    "CREATE POLICY {POLICY} ON {table} USING ({predicate}) WITH CHECK ({predicate})"
                ),
                format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}"),
            ] {
                db.execute_unprepared(&sql).await?;
            }
        }
        db.execute_unprepared(&format!(
            "DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema()); \
             EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema()); END $$"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        for table in TENANT_TABLES {
            for sql in [
                format!("DROP POLICY IF EXISTS {POLICY} ON {table}"),
                format!("ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"),
                format!("ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"),
            ] {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}
