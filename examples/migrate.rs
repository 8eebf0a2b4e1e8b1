//! Applies the schema of DESIGN.md to a database. Idempotent.
//!
//! ```text
//! cargo run --example migrate -- --database-url postgres://root@127.0.0.1/test
//! ```
//!
//! Without `--database-url` it reads `DATABASE_URL`.

mod common;

use std::process::ExitCode;

use common::{Args, fail};
use freshdesk_store::PoolConfig;
use freshdesk_store::migration::{Migrator, MigratorTrait};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match Args::parse(&["database-url"], &[]) {
        Ok(args) => args,
        Err(e) => return fail(format!("{e} (usage: migrate --database-url URL)")),
    };
    let Some(url) = args.database_url() else {
        return fail("no database: pass --database-url URL or set DATABASE_URL");
    };
    match run(&url).await {
        Ok(0) => {
            println!("schema is up to date (nothing to apply)");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            println!("applied {applied} migration(s); schema is up to date");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn run(url: &str) -> freshdesk_store::Result<usize> {
    let db = PoolConfig::from_url(url)?.connect().await?;
    let pending = Migrator::get_pending_migrations(&db).await?.len();
    Migrator::up(&db, None).await?;
    db.close().await?;
    Ok(pending)
}
