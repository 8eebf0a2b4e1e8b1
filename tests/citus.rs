//! The opt-in Citus distribution step: a no-op on plain PostgreSQL, a typed
//! error naming the backend elsewhere, and on a Citus cluster
//! (`FDSTORE_TEST_CITUS=1`, see the README's "Scaling out on Citus") every
//! table distributed on `merchant_id` in one colocation group.

use freshdesk_store::Error;
use freshdesk_store::citus::{self, Distribution};
use freshdesk_store::testing::TestDb;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

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
                // Every table, on merchant_id, in one colocation group.
                let row = db
                    .connection()
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!(
                            "SELECT count(*) AS tables, count(DISTINCT colocationid) AS groups, \
                             bool_and(column_to_column_name(logicalrelid, partkey) = 'merchant_id') AS on_merchant \
                             FROM pg_dist_partition WHERE logicalrelid::text IN ({})",
                            citus::TABLES.map(|t| format!("'{t}'")).join(", ")
                        ),
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(row.try_get::<i64>("", "tables").unwrap(), 6);
                assert_eq!(row.try_get::<i64>("", "groups").unwrap(), 1);
                assert!(row.try_get::<bool>("", "on_merchant").unwrap());
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
