//! MariaDB/MySQL: Freshdesk ids compare byte for byte, trailing spaces
//! included.
//!
//! `utf8mb4_bin` is a PAD SPACE collation: its unique keys treat `"42"` and
//! `"42 "` as the same id, unlike PostgreSQL and SQLite. This migration gives
//! the `freshdesk_*_id` columns a NO PAD binary collation
//! (`utf8mb4_nopad_bin` on MariaDB, `utf8mb4_0900_bin` on MySQL 8). On other
//! backends it does nothing.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000002_mariadb_nopad_ids"
    }
}

const ID_COLUMNS: [(&str, &str); 5] = [
    ("freshdesk_agent", "freshdesk_agent_id"),
    ("freshdesk_contact", "freshdesk_contact_id"),
    ("freshdesk_unified_ticket_view", "freshdesk_ticket_id"),
    ("freshdesk_conversation", "freshdesk_conversation_id"),
    ("freshdesk_rating", "freshdesk_rating_id"),
];

/// The NO PAD binary collation of the server.
async fn nopad_collation(m: &SchemaManager<'_>) -> Result<&'static str, DbErr> {
    let row = m
        .get_connection()
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT VERSION() AS v",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("SELECT VERSION() returned no row".into()))?;
    let version: String = row.try_get("", "v")?;
    Ok(if version.contains("MariaDB") {
        "utf8mb4_nopad_bin"
    } else {
        "utf8mb4_0900_bin"
    })
}

async fn set_collation(m: &SchemaManager<'_>, collation: &str) -> Result<(), DbErr> {
    for (table, column) in ID_COLUMNS {
        m.get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE `{table}` MODIFY `{column}` VARCHAR(255) \
                 CHARACTER SET utf8mb4 COLLATE {collation} NOT NULL"
            ))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        let collation = nopad_collation(m).await?;
        set_collation(m, collation).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        set_collation(m, "utf8mb4_bin").await
    }
}
