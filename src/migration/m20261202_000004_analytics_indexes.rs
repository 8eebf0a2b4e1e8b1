//! Indexes for the second version of the report (issue 13): the window of
//! tickets reopened in the window reads `(merchant_id, reopened_at)`, and
//! the open backlog by age reads a partial index of the open, unflagged
//! tickets by `(merchant_id, created_at)` (PostgreSQL and SQLite; MariaDB
//! has no partial indexes and keeps reading `(merchant_id, status)`).
//!
//! Both are `CREATE INDEX IF NOT EXISTS`, so applying the migration twice,
//! or to a database that already has them, changes nothing.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000004_analytics_indexes"
    }
}

const TICKET: &str = "freshdesk_unified_ticket_view";
const REOPENED_INDEX: &str = "idx_ticket_merchant_reopened";
const BACKLOG_INDEX: &str = "idx_ticket_merchant_open_backlog";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {REOPENED_INDEX} ON {TICKET} (merchant_id, reopened_at)"
        ))
        .await?;
        if matches!(
            m.get_database_backend(),
            DbBackend::Postgres | DbBackend::Sqlite
        ) {
            db.execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {BACKLOG_INDEX} ON {TICKET} (merchant_id, created_at) \
                 WHERE status IN (2, 3, 6, 7) AND NOT spam AND NOT deleted"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::MySql => {
                db.execute_unprepared(&format!(
                    "DROP INDEX IF EXISTS {REOPENED_INDEX} ON {TICKET}"
                ))
                .await?;
            }
            _ => {
                for index in [BACKLOG_INDEX, REOPENED_INDEX] {
                    db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                        .await?;
                }
            }
        }
        Ok(())
    }
}
