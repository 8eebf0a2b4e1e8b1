//! An index for the report's one-touch figure (issue 13): each ticket
//! resolved in the window counts its public agent replies (conversations
//! neither incoming nor private). On PostgreSQL and SQLite a partial index
//! of those replies by `(merchant_id, ticket_id)`, so the count reads the
//! index alone (no table rows, no notes or customer messages); MariaDB has
//! no partial indexes and gets `(merchant_id, ticket_id, incoming,
//! private)`, which covers the count the same way.
//!
//! `CREATE INDEX IF NOT EXISTS`, so applying the migration twice, or to a
//! database that already has the index, changes nothing; an existing
//! install upgrades in place.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000005_public_reply_index"
    }
}

const CONVERSATION: &str = "freshdesk_conversation";
const INDEX: &str = "idx_conversation_merchant_public_reply";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sql = match m.get_database_backend() {
            DbBackend::MySql => format!(
                "CREATE INDEX IF NOT EXISTS {INDEX} ON {CONVERSATION} \
                 (merchant_id, ticket_id, incoming, private)"
            ),
            _ => format!(
                "CREATE INDEX IF NOT EXISTS {INDEX} ON {CONVERSATION} (merchant_id, ticket_id) \
                 WHERE NOT incoming AND NOT private"
            ),
        };
        m.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sql = match m.get_database_backend() {
            DbBackend::MySql => format!("DROP INDEX IF EXISTS {INDEX} ON {CONVERSATION}"),
            _ => format!("DROP INDEX IF EXISTS {INDEX}"),
        };
        m.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }
}
