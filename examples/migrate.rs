//! Applies the schema of DESIGN.md to a database. Idempotent.
//!
//! ```text
//! cargo run --example migrate -- --database-url postgres://root@127.0.0.1/test [--citus]
//! ```
//!
//! Without `--database-url` it reads `DATABASE_URL`. With `--citus` it then
//! distributes the tables on `merchant_id` (`citus::distribute`): on a Citus
//! coordinator it says which tables it distributed, on plain PostgreSQL it
//! says there is nothing to do, elsewhere it is an error naming the backend.

mod common;

use std::process::ExitCode;

use common::{Args, fail};
use freshdesk_store::PoolConfig;
use freshdesk_store::citus::{self, Distribution};
use freshdesk_store::migration::{Migrator, MigratorTrait};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match Args::parse(&["database-url"], &["citus"]) {
        Ok(args) => args,
        Err(e) => return fail(format!("{e} (usage: migrate --database-url URL [--citus])")),
    };
    let Some(url) = args.database_url() else {
        return fail("no database: pass --database-url URL or set DATABASE_URL");
    };
    match run(&url, args.has("citus")).await {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn run(url: &str, distribute: bool) -> freshdesk_store::Result<Vec<String>> {
    let db = PoolConfig::from_url(url)?.connect().await?;
    let pending = Migrator::get_pending_migrations(&db).await?.len();
    Migrator::up(&db, None).await?;
    let mut lines = vec![match pending {
        0 => "schema is up to date (nothing to apply)".to_owned(),
        n => format!("applied {n} migration(s); schema is up to date"),
    }];
    if distribute {
        lines.push(match citus::distribute(&db).await? {
            Distribution::Distributed { newly } if newly.is_empty() => {
                "citus: every table is already distributed on merchant_id".to_owned()
            }
            Distribution::Distributed { newly } => format!(
                "citus: distributed {} on merchant_id (colocated)",
                newly.join(", ")
            ),
            Distribution::NotCitus => {
                "citus: the citus extension is not installed here (plain PostgreSQL): nothing to distribute"
                    .to_owned()
            }
            _ => "citus: done".to_owned(),
        });
    }
    db.close().await?;
    Ok(lines)
}
