//! Fills a database with deterministic demo data (migrating it first if needed).
//!
//! ```text
//! cargo run --example seed -- --database-url URL --merchants 3 \
//!     --tickets-per-merchant 500 --seed 42 [--first-merchant 1] \
//!     [--anchor 2026-11-01T00:00:00Z] [--replace]
//! ```
//!
//! The same seed, counts and anchor give the same rows on every backend.
//! The anchor (the data's "now") defaults to the start of the current UTC
//! day. Merchants that already have rows are refused unless `--replace` is
//! given, which deletes their rows first, in the same transaction.
//!
//! While it writes, stderr shows a progress bar with the rate and the time
//! left when it is a terminal, and one summary line when it is not.

mod common;

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use common::progress::Progress;
use common::{Args, fail};
use freshdesk_store::entity::{agent, contact, ticket};
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::{Error, MerchantId, PoolConfig};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};

const USAGE: &str = "usage: seed --database-url URL --merchants N --tickets-per-merchant M --seed S \
                     [--first-merchant ID] [--anchor RFC3339] [--replace]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match parse() {
        Ok(parsed) => parsed,
        Err(e) => return fail(format!("{e} ({USAGE})")),
    };
    let (url, config, replace) = config;
    match run(&url, &config, replace).await {
        Ok(summary) => {
            println!(
                "seeded merchants {}..={} with seed {} (anchor {}): {} agents, {} contacts, {} tickets, {} conversations, {} ratings",
                config.first_merchant,
                config.first_merchant.get() + i64::from(config.merchants) - 1,
                config.seed,
                config.anchor.to_rfc3339(),
                summary.agents,
                summary.contacts,
                summary.tickets,
                summary.conversations,
                summary.ratings
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn parse() -> Result<(String, DemoConfig, bool), String> {
    let args = Args::parse(
        &[
            "database-url",
            "merchants",
            "tickets-per-merchant",
            "seed",
            "first-merchant",
            "anchor",
        ],
        &["replace"],
    )?;
    let url = args
        .database_url()
        .ok_or("no database: pass --database-url URL or set DATABASE_URL")?;
    let merchants: u32 = args.number("merchants", 3)?;
    if merchants == 0 {
        return Err("--merchants must be at least 1".into());
    }
    let tickets: u32 = args.number("tickets-per-merchant", 500)?;
    let seed: u64 = args.number("seed", 42)?;
    let first: i64 = args.number("first-merchant", 1)?;
    let first = MerchantId::new(first).map_err(|e| format!("--first-merchant: {e}"))?;
    if first.get().checked_add(i64::from(merchants)).is_none() {
        return Err("--first-merchant + --merchants overflows a 64-bit id".into());
    }
    let mut config = DemoConfig::new(merchants, tickets, seed).first_merchant(first);
    if let Some(anchor) = args.get("anchor") {
        let at = DateTime::parse_from_rfc3339(anchor)
            .map_err(|e| format!("--anchor: `{anchor}` is not an RFC 3339 instant ({e})"))?;
        config = config.anchor(at.with_timezone(&Utc));
    }
    Ok((url, config, args.has("replace")))
}

async fn run(
    url: &str,
    config: &DemoConfig,
    replace: bool,
) -> freshdesk_store::Result<demo::DemoSummary> {
    let db = PoolConfig::from_url(url)?.connect().await?;
    Migrator::up(&db, None).await?;
    let txn = db.begin().await?;
    let merchants = config.merchant_ids();
    let existing = count_rows(&txn, &merchants).await?;
    if existing > 0 {
        if !replace {
            return Err(Error::invalid_input(
                "merchants",
                format!(
                    "merchants {}..={} already have {existing} rows; pass --replace to delete them first",
                    merchants[0],
                    merchants[merchants.len() - 1]
                ),
            ));
        }
        // Conversations and ratings go with their tickets (ON DELETE CASCADE).
        ticket::Entity::delete_many()
            .filter(ticket::Column::MerchantId.is_in(merchants.clone()))
            .exec(&txn)
            .await?;
        agent::Entity::delete_many()
            .filter(agent::Column::MerchantId.is_in(merchants.clone()))
            .exec(&txn)
            .await?;
        contact::Entity::delete_many()
            .filter(contact::Column::MerchantId.is_in(merchants.clone()))
            .exec(&txn)
            .await?;
    }
    let total = u64::from(config.merchants) * u64::from(config.tickets_per_merchant);
    let mut progress = Progress::stderr("seeding", total, "tickets");
    let summary = demo::fill_with_progress(&txn, config, |s| progress.set(s.tickets)).await?;
    txn.commit().await?;
    progress.finish();
    db.close().await?;
    Ok(summary)
}

async fn count_rows(
    txn: &DatabaseTransaction,
    merchants: &[MerchantId],
) -> freshdesk_store::Result<u64> {
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.is_in(merchants.to_vec()))
        .count(txn)
        .await?;
    let agents = agent::Entity::find()
        .filter(agent::Column::MerchantId.is_in(merchants.to_vec()))
        .count(txn)
        .await?;
    let contacts = contact::Entity::find()
        .filter(contact::Column::MerchantId.is_in(merchants.to_vec()))
        .count(txn)
        .await?;
    Ok(tickets + agents + contacts)
}
