//! The opt-in Citus distribution step outside Citus: a no-op on plain
//! PostgreSQL, a typed error naming the backend elsewhere. (On a Citus
//! cluster the same call distributes the tables; see the README's
//! "Scaling out on Citus".)

use freshdesk_store::Error;
use freshdesk_store::citus::{self, Distribution};
use freshdesk_store::testing::TestDb;
use sea_orm::DbBackend;

#[tokio::test]
async fn distribute_is_a_no_op_on_plain_postgres_and_an_error_elsewhere() {
    let db = TestDb::connect().await.unwrap();
    let outcome = citus::distribute(db.connection()).await;
    match db.backend() {
        DbBackend::Postgres => {
            let citus_installed = matches!(outcome, Ok(Distribution::Distributed { .. }));
            if !citus_installed {
                assert_eq!(outcome.unwrap(), Distribution::NotCitus);
            }
            // Twice is the same as once (idempotent).
            let again = citus::distribute(db.connection()).await.unwrap();
            if citus_installed {
                assert_eq!(again, Distribution::Distributed { newly: vec![] });
            } else {
                assert_eq!(again, Distribution::NotCitus);
            }
        }
        backend => {
            let err = outcome.unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput { field: "backend", reason }
                    if reason.contains(&format!("{backend:?}"))),
                "{err}"
            );
        }
    }
}
