//! The schema of DESIGN.md as `sea-orm-migration` migrations.
//!
//! Run them from the service's entry point (or a deploy step), never from a
//! request path:
//!
//! ```no_run
//! # async fn run(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
//! use freshdesk_store::migration::{Migrator, MigratorTrait};
//! Migrator::up(db, None).await?;
//! # Ok(()) }
//! ```
//!
//! Applying them twice is a no-op. They keep their own bookkeeping table,
//! `freshdesk_store_migrations`, so they do not clash with a service's own
//! SeaORM migrations in `seaql_migrations`. Every `CREATE` is
//! `IF NOT EXISTS`, so applying them to a database whose tables another
//! application already created leaves those tables alone.
//!
//! The column types follow DESIGN.md on each backend: `timestamptz` and
//! `jsonb` on PostgreSQL; `DATETIME(6)` (UTC), `JSON` and `VARCHAR(255)` ids
//! on MariaDB/MySQL (with a NO PAD binary collation, so ids compare byte for
//! byte as elsewhere); RFC 3339 UTC text and JSON text on SQLite.

use sea_orm_migration::prelude::*;
pub use sea_orm_migration::{MigrationTrait, MigratorTrait};

mod m20261126_000001_create_schema;
mod m20261126_000002_mariadb_nopad_ids;
mod m20261202_000003_sync_and_scale_out;
mod m20261202_000004_analytics_indexes;
mod m20261202_000005_public_reply_index;

/// Every migration of the crate, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_schema::Migration),
            Box::new(m20261126_000002_mariadb_nopad_ids::Migration),
            Box::new(m20261202_000003_sync_and_scale_out::Migration),
            Box::new(m20261202_000004_analytics_indexes::Migration),
            Box::new(m20261202_000005_public_reply_index::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "freshdesk_store_migrations".into_iden()
    }
}
