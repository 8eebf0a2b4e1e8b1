//! The agent and contact repositories on a real database (SQLite by
//! default; PostgreSQL or MariaDB through `DATABASE_URL`). The two share one
//! implementation, so one macro writes the same tests for both: lookups,
//! keyset pages, counts, chunked inserts, idempotent upserts and deletes,
//! each with a second merchant's rows present and untouched.

macro_rules! people_tests {
    (
        mod $module:ident,
        repo $Repo:ident,
        new $New:ident,
        factory $Factory:ident,
        entity $entity:ident,
        reference |$t:ident, $id:ident| $reference:expr,
        fd_field $fd_field:literal $(,)?
    ) => {
        mod $module {
            use freshdesk_store::entity::$entity;
            use freshdesk_store::repository::*;
            use freshdesk_store::testing::*;
            use freshdesk_store::{ConflictKind, Error, MerchantId};
            use sea_orm::{
                ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder,
            };

            type TestResult = Result<(), Box<dyn std::error::Error>>;

            const REPO: $Repo = $Repo;

            async fn rows(txn: &DatabaseTransaction, m: MerchantId) -> Vec<$entity::Model> {
                $entity::Entity::find()
                    .filter($entity::Column::MerchantId.eq(m))
                    .order_by_asc($entity::Column::Id)
                    .all(txn)
                    .await
                    .unwrap()
            }

            fn assert_not_found(err: Error, id: impl ToString) {
                let id = id.to_string();
                assert!(
                    matches!(&err, Error::NotFound { id: i, .. } if i.contains(&id)),
                    "expected not found naming {id}, got {err}"
                );
            }

            fn assert_invalid(err: Error, field: &str) {
                assert!(
                    matches!(&err, Error::InvalidInput { field: f, .. } if *f == field),
                    "expected invalid {field}, got {err}"
                );
            }

            /// Lookups by id, by Freshdesk id, by many ids and Freshdesk-id
            /// resolution find only the merchant's rows.
            #[tokio::test]
            async fn lookups_are_scoped() -> TestResult {
                let db = TestDb::connect().await?;
                let txn = db.begin().await?;
                let (a, b) = (unique_merchant_id(), unique_merchant_id());
                let mine = $Factory::new(a).freshdesk_id("P-1").insert(&txn).await?;
                let theirs = $Factory::new(b).freshdesk_id("P-1").insert(&txn).await?;
                let mine2 = $Factory::new(a).freshdesk_id("P-2").insert(&txn).await?;

                db.counter().reset();
                assert_eq!(REPO.get(&txn, a, mine.id).await?, mine);
                assert_eq!(db.counter().get(), 1);
                assert_not_found(REPO.get(&txn, a, theirs.id).await.unwrap_err(), theirs.id);
                assert_eq!(REPO.get_by_freshdesk_id(&txn, b, "P-1").await?, theirs);
                assert_not_found(
                    REPO.get_by_freshdesk_id(&txn, a, "P-9").await.unwrap_err(),
                    "P-9",
                );
                let many = REPO
                    .get_many(&txn, a, &[mine2.id, theirs.id, mine.id, mine.id])
                    .await?;
                assert_eq!(many, vec![mine.clone(), mine2.clone()]);
                let resolved = REPO
                    .resolve_freshdesk_ids(&txn, a, &["P-1".into(), "P-2".into(), "P-3".into()])
                    .await?;
                assert_eq!(
                    resolved.into_iter().collect::<Vec<_>>(),
                    vec![("P-1".to_owned(), mine.id), ("P-2".to_owned(), mine2.id)]
                );
                db.counter().reset();
                assert!(REPO.get_many(&txn, a, &[]).await?.is_empty());
                assert_eq!(db.counter().get(), 0);
                Ok(())
            }

            /// Keyset pages walk every row once, one statement a page; the
            /// count agrees; foreign and malformed cursors are rejected.
            #[tokio::test]
            async fn pages_and_count() -> TestResult {
                let db = TestDb::connect().await?;
                let txn = db.begin().await?;
                let (a, b) = (unique_merchant_id(), unique_merchant_id());
                for m in [a, b] {
                    for _ in 0..7 {
                        $Factory::new(m).insert(&txn).await?;
                    }
                }
                let mut seen = Vec::new();
                let mut cursor: Option<String> = None;
                let mut first_cursor = None;
                loop {
                    db.counter().reset();
                    let page = REPO.list(&txn, a, cursor.as_deref(), 3).await?;
                    assert_eq!(db.counter().get(), 1);
                    seen.extend(page.items);
                    cursor = page.next_cursor;
                    if first_cursor.is_none() {
                        first_cursor = cursor.clone();
                    }
                    if cursor.is_none() {
                        break;
                    }
                }
                assert_eq!(seen, rows(&txn, a).await);
                assert_eq!(REPO.count(&txn, a).await?, 7);
                let foreign = REPO.list(&txn, b, first_cursor.as_deref(), 3).await;
                assert_invalid(foreign.unwrap_err(), "cursor");
                assert_invalid(REPO.list(&txn, a, Some("xyz"), 3).await.unwrap_err(), "cursor");
                for size in [0, MAX_PAGE_SIZE + 1] {
                    assert_invalid(REPO.list(&txn, a, None, size).await.unwrap_err(), "page_size");
                }
                Ok(())
            }

            /// Bulk inserts: one statement per chunk under the bind limit,
            /// the merchant forced from the argument, inputs validated, and
            /// duplicates reported by the database as conflicts.
            #[tokio::test]
            async fn insert_many_is_chunked_and_validated() -> TestResult {
                let db = TestDb::connect().await?;
                let txn = db.begin().await?;
                let (a, b) = (unique_merchant_id(), unique_merchant_id());
                $Factory::new(b).freshdesk_id("X-0").insert(&txn).await?;
                let n = 9000usize;
                let batch: Vec<$New> = (0..n)
                    .map(|i| $New::new(format!("X-{i}"), format!("Person {i}")).email("p@example.com"))
                    .collect();
                db.counter().reset();
                assert_eq!(REPO.insert_many(&txn, a, batch).await?, n as u64);
                // 4 bound columns a row (the id is generated): 8,191 rows per
                // statement on SQLite, 16,383 elsewhere.
                let per_statement = match db.backend() {
                    DbBackend::Sqlite => 8191,
                    _ => 16383,
                };
                assert_eq!(db.counter().get(), n.div_ceil(per_statement) as u64);
                assert_eq!(REPO.count(&txn, a).await?, n as u64);
                assert_eq!(REPO.count(&txn, b).await?, 1);
                let x = REPO.get_by_freshdesk_id(&txn, a, "X-5").await?;
                assert_eq!((x.merchant_id, x.name.as_str()), (a, "Person 5"));

                for bad in [String::new(), "z".repeat(256)] {
                    db.counter().reset();
                    let err = REPO.insert_many(&txn, a, vec![$New::new(bad, "n")]).await;
                    assert_invalid(err.unwrap_err(), $fd_field);
                    assert_eq!(db.counter().get(), 0);
                }
                let err = REPO
                    .insert_many(&txn, a, vec![$New::new("X-1", "again")])
                    .await
                    .unwrap_err();
                assert!(err.is_conflict(ConflictKind::Unique), "{err}");
                Ok(())
            }

            /// Upserts: the same batch twice changes nothing, a changed row
            /// takes its new values, and the other merchant's row with the
            /// same Freshdesk id stays as it was.
            #[tokio::test]
            async fn upsert_is_idempotent_and_scoped() -> TestResult {
                let db = TestDb::connect().await?;
                let txn = db.begin().await?;
                let (a, b) = (unique_merchant_id(), unique_merchant_id());
                let theirs = $Factory::new(b).freshdesk_id("U-1").name("Theirs").insert(&txn).await?;
                let batch: Vec<$New> =
                    (0..4).map(|i| $New::new(format!("U-{i}"), format!("v1 {i}"))).collect();
                REPO.upsert_many(&txn, a, batch.clone()).await?;
                let first = rows(&txn, a).await;
                assert_eq!(first.len(), 4);
                db.counter().reset();
                REPO.upsert_many(&txn, a, batch.clone()).await?;
                assert_eq!(db.counter().get(), 1);
                assert_eq!(rows(&txn, a).await, first);

                let mut changed = batch;
                changed[1].name = "v2".into();
                changed[1].email = Some("new@example.com".into());
                REPO.upsert_many(&txn, a, changed).await?;
                let after = rows(&txn, a).await;
                assert_eq!(after[1].id, first[1].id);
                assert_eq!(after[1].name, "v2");
                assert_eq!(after[1].email.as_deref(), Some("new@example.com"));
                assert_eq!(after[0], first[0]);
                assert_eq!(rows(&txn, b).await, vec![theirs]);

                let dup = vec![$New::new("D", "1"), $New::new("D", "2")];
                assert_invalid(REPO.upsert_many(&txn, a, dup).await.unwrap_err(), $fd_field);
                Ok(())
            }

            /// Deletes: another merchant's id is not found and nothing is
            /// deleted; a row tickets still reference is a foreign-key
            /// conflict and the transaction stays usable.
            #[tokio::test]
            async fn delete_is_scoped_and_guarded() -> TestResult {
                let db = TestDb::connect().await?;
                let txn = db.begin().await?;
                let (a, b) = (unique_merchant_id(), unique_merchant_id());
                let free = $Factory::new(a).insert(&txn).await?;
                let used = $Factory::new(a).insert(&txn).await?;
                let theirs = $Factory::new(b).insert(&txn).await?;
                {
                    let $t = TicketFactory::new(a);
                    let $id = used.id;
                    $reference.insert(&txn).await?;
                }

                let err = REPO.delete(&txn, a, &[free.id, theirs.id]).await.unwrap_err();
                assert_not_found(err, theirs.id);
                assert_eq!(rows(&txn, a).await.len(), 2, "nothing deleted");

                let err = REPO.delete(&txn, a, &[free.id, used.id]).await.unwrap_err();
                assert!(err.is_conflict(ConflictKind::ForeignKey), "{err}");
                assert_eq!(rows(&txn, a).await.len(), 2, "nothing deleted");

                db.counter().reset();
                assert_eq!(REPO.delete(&txn, a, &[free.id]).await?, 1);
                assert_eq!(db.counter().get(), 1);
                assert_eq!(rows(&txn, a).await, vec![used]);
                assert_eq!(rows(&txn, b).await, vec![theirs]);
                Ok(())
            }
        }
    };
}

people_tests!(
    mod agents,
    repo SeaAgentRepository,
    new NewAgent,
    factory AgentFactory,
    entity agent,
    reference |t, id| t.responder(id),
    fd_field "freshdesk_agent_id",
);

people_tests!(
    mod contacts,
    repo SeaContactRepository,
    new NewContact,
    factory ContactFactory,
    entity contact,
    reference |t, id| t.requester(id),
    fd_field "freshdesk_contact_id",
);
