//! PostgreSQL row-level security as the only guard: with a merchant bound
//! to the transaction and the application role in force, unfiltered SQL
//! sees, counts, changes and deletes only that merchant's rows, and cannot
//! write rows of another merchant. On other backends `bind_merchant` is a
//! typed error.
//!
//! The tests run as a service would on both plain PostgreSQL and Citus:
//! the setup rows are committed by the tables' owner in a transaction of
//! their own (Citus refuses a role switch after writes in the same
//! transaction), and each guarded transaction starts with `SET LOCAL ROLE`
//! to [`LOGIN_ROLE`], a `LOGIN` member of the migration's `NOLOGIN`
//! application role (Citus opens its connections to the workers as the
//! role in force, so that role must be able to log in). The committed rows
//! belong to fresh merchant ids and are deleted at the end of each test.

use freshdesk_store::entity::{agent, contact, conversation, rating, ticket};
use freshdesk_store::migration::MigratorTrait;
use freshdesk_store::rls::{self, APP_ROLE, RlsMigrator};
use freshdesk_store::testing::*;
use freshdesk_store::{Error, MerchantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Statement, TransactionTrait,
};

/// The role the guarded transactions switch to: `LOGIN`, not a superuser,
/// not `BYPASSRLS`, owning nothing, and a member of [`APP_ROLE`] (the
/// deployment the `rls` module describes). Created by [`enable_rls`].
const LOGIN_ROLE: &str = "freshdesk_app_login_test";

/// Applies the RLS migration once, under a lock (tests run in parallel),
/// and makes sure [`LOGIN_ROLE`] exists.
async fn enable_rls(db: &TestDb) {
    let txn = db.begin().await.unwrap();
    txn.execute_unprepared("SELECT pg_advisory_xact_lock(72615002)")
        .await
        .unwrap();
    RlsMigrator::up(&txn, None).await.unwrap();
    let exists = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT 1 AS one FROM pg_roles WHERE rolname = '{LOGIN_ROLE}'"),
        ))
        .await
        .unwrap()
        .is_some();
    if !exists {
        // One statement per call (Citus forwards role DDL to the workers).
        // Roles are per server and the lock above per database: a test run
        // on another database of the server may create it first.
        let sp = txn.begin().await.unwrap();
        let created = sp
            .execute_unprepared(&format!(
                "CREATE ROLE {LOGIN_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            ))
            .await;
        match created {
            Ok(_) => sp.commit().await.unwrap(),
            Err(e) if e.to_string().contains("already exists") => drop(sp),
            Err(e) => panic!("{e}"),
        }
    }
    txn.execute_unprepared(&format!("GRANT {APP_ROLE} TO {LOGIN_ROLE}"))
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

/// Two merchants with a ticket, conversation, rating, agent and contact
/// each, committed by the owner (a role switch must come before any write
/// of its transaction on Citus). [`cleanup`] deletes them.
async fn two_merchants(db: &TestDb) -> (MerchantId, MerchantId) {
    let txn = db.begin().await.unwrap();
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    for m in [a, b] {
        let agent = AgentFactory::new(m).insert(&txn).await.unwrap();
        let contact = ContactFactory::new(m).insert(&txn).await.unwrap();
        for _ in 0..3 {
            let t = TicketFactory::new(m)
                .responder(agent.id)
                .requester(contact.id)
                .insert(&txn)
                .await
                .unwrap();
            ConversationFactory::new(&t).insert(&txn).await.unwrap();
            RatingFactory::new(&t).insert(&txn).await.unwrap();
        }
    }
    txn.commit().await.unwrap();
    (a, b)
}

/// Deletes the committed rows of these merchants (as the owner), children
/// first.
async fn cleanup(db: &TestDb, merchants: &[MerchantId]) {
    let txn = db.begin().await.unwrap();
    for &m in merchants {
        rating::Entity::delete_many()
            .filter(rating::Column::MerchantId.eq(m))
            .exec(&txn)
            .await
            .unwrap();
        conversation::Entity::delete_many()
            .filter(conversation::Column::MerchantId.eq(m))
            .exec(&txn)
            .await
            .unwrap();
        ticket::Entity::delete_many()
            .filter(ticket::Column::MerchantId.eq(m))
            .exec(&txn)
            .await
            .unwrap();
        agent::Entity::delete_many()
            .filter(agent::Column::MerchantId.eq(m))
            .exec(&txn)
            .await
            .unwrap();
        contact::Entity::delete_many()
            .filter(contact::Column::MerchantId.eq(m))
            .exec(&txn)
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
}

/// Switches a fresh transaction (nothing written in it yet) to
/// [`LOGIN_ROLE`], without binding a merchant.
async fn become_unbound_app(txn: &DatabaseTransaction) {
    txn.execute_unprepared(&format!("SET LOCAL ROLE {LOGIN_ROLE}"))
        .await
        .unwrap();
}

/// Switches a fresh transaction to [`LOGIN_ROLE`] and binds `merchant`.
async fn become_app(txn: &DatabaseTransaction, merchant: MerchantId) {
    become_unbound_app(txn).await;
    rls::bind_merchant(txn, merchant).await.unwrap();
}

async fn merchants_seen<E: EntityTrait>(txn: &DatabaseTransaction, column: E::Column) -> Vec<i64> {
    E::find()
        .select_only()
        .column(column)
        .into_tuple::<i64>()
        .all(txn)
        .await
        .unwrap()
}

/// Unfiltered reads and counts see only the bound merchant's rows, in every
/// tenant table.
#[tokio::test]
async fn unfiltered_reads_see_only_the_bound_merchant() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() != DbBackend::Postgres {
        let txn = db.begin().await.unwrap();
        let err = rls::bind_merchant(&txn, unique_merchant_id())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    field: "backend",
                    ..
                }
            ),
            "{err}"
        );
        return;
    }
    enable_rls(&db).await;
    let txn = db.begin().await.unwrap();
    // The application role and its login member cannot bypass RLS and own
    // nothing; every tenant table has RLS enabled and forced.
    for role in [APP_ROLE, LOGIN_ROLE] {
        let row = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT r.rolbypassrls OR r.rolsuper AS bypass, \
                     (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owned, \
                     (SELECT count(*) FROM pg_class c WHERE c.relname LIKE 'freshdesk\\_%' \
                        AND c.relkind = 'r' AND c.relrowsecurity AND c.relforcerowsecurity \
                        AND c.relnamespace = current_schema()::regnamespace) AS forced \
                     FROM pg_roles r WHERE r.rolname = '{role}'"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        assert!(!row.try_get::<bool>("", "bypass").unwrap(), "{role}");
        assert_eq!(row.try_get::<i64>("", "owned").unwrap(), 0, "{role}");
        assert_eq!(row.try_get::<i64>("", "forced").unwrap(), 5);
    }
    drop(txn);
    let (a, b) = two_merchants(&db).await;
    let txn = db.begin().await.unwrap();
    become_app(&txn, a).await;
    let want = a.get();
    for seen in [
        merchants_seen::<ticket::Entity>(&txn, ticket::Column::MerchantId).await,
        merchants_seen::<conversation::Entity>(&txn, conversation::Column::MerchantId).await,
        merchants_seen::<rating::Entity>(&txn, rating::Column::MerchantId).await,
        merchants_seen::<agent::Entity>(&txn, agent::Column::MerchantId).await,
        merchants_seen::<contact::Entity>(&txn, contact::Column::MerchantId).await,
    ] {
        assert!(!seen.is_empty());
        assert!(
            seen.iter().all(|m| *m == want),
            "saw {seen:?}, bound {want}"
        );
    }
    assert_eq!(ticket::Entity::find().count(&txn).await.unwrap(), 3);
    drop(txn);
    cleanup(&db, &[a, b]).await;
}

/// Unfiltered updates and deletes touch only the bound merchant's rows, and
/// rows of another merchant cannot be written.
#[tokio::test]
async fn unfiltered_writes_touch_only_the_bound_merchant() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() != DbBackend::Postgres {
        return; // covered by unfiltered_reads_see_only_the_bound_merchant
    }
    enable_rls(&db).await;
    let (a, b) = two_merchants(&db).await;
    let app = db.begin().await.unwrap();
    become_app(&app, a).await;
    let updated = ticket::Entity::update_many()
        .col_expr(ticket::Column::Processed, Expr::value(true))
        .exec(&app)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected, 3);
    let deleted = conversation::Entity::delete_many()
        .exec(&app)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected, 3);
    // Writing a row of merchant b is refused by the policy's WITH CHECK.
    let inner = app.begin().await.unwrap();
    let err = TicketFactory::new(b).insert(&inner).await.unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(inner);
    // Changing a row's merchant is refused too: by the policy on plain
    // PostgreSQL, by Citus before it (a distribution column never changes).
    let inner = app.begin().await.unwrap();
    let moved = ticket::Entity::update_many()
        .col_expr(ticket::Column::MerchantId, Expr::value(b.get()))
        .exec(&inner)
        .await;
    assert!(moved.is_err(), "a row was moved to another merchant");
    drop(inner);
    app.commit().await.unwrap(); // the role ends with the transaction
    // As the owner, in a new transaction: a's rows changed, b is untouched.
    let txn = db.begin().await.unwrap();
    let a_processed = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(a))
        .filter(ticket::Column::Processed.eq(true))
        .count(&txn)
        .await
        .unwrap();
    assert_eq!(a_processed, 3);
    let b_processed = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(b))
        .filter(ticket::Column::Processed.eq(true))
        .count(&txn)
        .await
        .unwrap();
    assert_eq!(b_processed, 0);
    let b_conversations = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(b))
        .count(&txn)
        .await
        .unwrap();
    assert_eq!(b_conversations, 3);
    drop(txn);
    cleanup(&db, &[a, b]).await;
}

/// Without a bound merchant nothing is visible and nothing can be written
/// (fail closed), and a binding ends with its transaction: the next user
/// of the pooled connection starts unbound.
#[tokio::test]
async fn unbound_sessions_see_nothing_and_bindings_do_not_leak() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() != DbBackend::Postgres {
        return; // covered by unfiltered_reads_see_only_the_bound_merchant
    }
    enable_rls(&db).await;
    let (a, b) = two_merchants(&db).await;
    let unbound = db.begin().await.unwrap();
    become_unbound_app(&unbound).await;
    assert_eq!(ticket::Entity::find().count(&unbound).await.unwrap(), 0);
    let sp = unbound.begin().await.unwrap();
    assert!(TicketFactory::new(a).insert(&sp).await.is_err());
    drop(sp);
    drop(unbound);
    cleanup(&db, &[a, b]).await;

    // A binding made in one transaction is gone in the next one on the same pool.
    let pool = freshdesk_store::PoolConfig::from_url(&std::env::var("DATABASE_URL").unwrap())
        .map(|mut c| {
            c.max_connections = 1;
            c
        })
        .unwrap()
        .connect()
        .await
        .unwrap();
    let first = pool.begin().await.unwrap();
    rls::bind_merchant(&first, a).await.unwrap();
    first.commit().await.unwrap();
    let second = pool.begin().await.unwrap();
    let row = second
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT coalesce(current_setting('freshdesk.merchant_id', true), '') AS v",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "v").unwrap(), "");
}

/// RLS as the only guard: bound to merchant `a`, repository and analytics
/// calls that *name* merchant `b` (so the crate's own filters would let
/// `b`'s rows through) find, count, change and delete nothing of `b`.
#[tokio::test]
async fn repository_calls_naming_another_merchant_are_stopped_by_rls() {
    use freshdesk_store::analytics::{ReportParams, report};
    use freshdesk_store::repository::{
        AgentRepository, CursorRequest, SeaAgentRepository, SeaTicketRepository, TicketFilter,
        TicketRepository,
    };

    let db = TestDb::connect().await.unwrap();
    if db.backend() != DbBackend::Postgres {
        return; // covered by unfiltered_reads_see_only_the_bound_merchant
    }
    enable_rls(&db).await;
    let (a, b) = two_merchants(&db).await;
    let txn = db.begin().await.unwrap();
    let b_ids: Vec<_> = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(b))
        .all(&txn)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    drop(txn);
    let sp = db.begin().await.unwrap();
    become_app(&sp, a).await;
    let repo = SeaTicketRepository;
    let all = TicketFilter::new();
    assert_eq!(repo.count(&sp, b, &all).await.unwrap(), 0);
    assert!(
        repo.list(&sp, b, &all, &CursorRequest::first(50))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        repo.list_with_children(&sp, b, &all, &CursorRequest::first(50))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        repo.get(&sp, b, b_ids[0]).await.unwrap_err(),
        Error::NotFound { .. }
    ));
    assert!(
        SeaAgentRepository
            .list(&sp, b, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(SeaAgentRepository.count(&sp, b).await.unwrap(), 0);
    let inner = sp.begin().await.unwrap();
    let processed = repo.mark_processed(&inner, b, &b_ids).await;
    assert!(
        matches!(processed, Ok(0) | Err(Error::NotFound { .. })),
        "{processed:?}"
    );
    drop(inner);
    let inner = sp.begin().await.unwrap();
    let deleted = repo.delete(&inner, b, &b_ids).await;
    assert!(
        matches!(deleted, Ok(0) | Err(Error::NotFound { .. })),
        "{deleted:?}"
    );
    drop(inner);
    let params = ReportParams {
        merchant: b,
        from: chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        utc_offset: "+00:00".parse().unwrap(),
        now: default_created_at(),
        business_hours: None,
    };
    let r = report(&sp, &params).await.unwrap();
    assert_eq!(
        (r.tickets_created, r.open_backlog, r.csat.ratings),
        (0, 0, 0)
    );
    sp.commit().await.unwrap();
    // As the owner again: all of b's rows are there, unchanged.
    let txn = db.begin().await.unwrap();
    let b_tickets = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(b))
        .filter(ticket::Column::Processed.eq(false))
        .count(&txn)
        .await
        .unwrap();
    assert_eq!(b_tickets, 3);
    drop(txn);
    cleanup(&db, &[a, b]).await;
}

/// `bind_merchant` refuses to replace a binding it did not make: a second
/// merchant in the same transaction, or a session-level `SET` a caller left
/// on a pooled connection. The same merchant again is fine, and a refusal
/// changes nothing.
#[tokio::test]
async fn bind_merchant_refuses_a_transaction_bound_to_another_merchant() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() != DbBackend::Postgres {
        return; // bind_merchant is a typed error there (see above)
    }
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let current = async |txn: &DatabaseTransaction| -> String {
        txn.query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT coalesce(current_setting('freshdesk.merchant_id', true), '') AS v",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "v")
        .unwrap()
    };

    let txn = db.begin().await.unwrap();
    rls::bind_merchant(&txn, a).await.unwrap();
    rls::bind_merchant(&txn, a).await.unwrap(); // same merchant: no-op
    let err = rls::bind_merchant(&txn, b).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field: "merchant", reason } if reason.contains(&a.to_string())),
        "{err}"
    );
    assert_eq!(
        current(&txn).await,
        a.to_string(),
        "a refusal changes nothing"
    );
    drop(txn);

    // A session-level SET left behind by a caller is seen, not overwritten.
    let pool = freshdesk_store::PoolConfig::from_url(&std::env::var("DATABASE_URL").unwrap())
        .map(|mut c| {
            c.max_connections = 1;
            c
        })
        .unwrap()
        .connect()
        .await
        .unwrap();
    let leaky = pool.begin().await.unwrap();
    leaky
        .execute_unprepared(&format!("SET SESSION freshdesk.merchant_id = '{b}'"))
        .await
        .unwrap();
    leaky.commit().await.unwrap();
    let next = pool.begin().await.unwrap();
    let err = rls::bind_merchant(&next, a).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field: "merchant", reason } if reason.contains(&b.to_string())),
        "{err}"
    );
    next.execute_unprepared("RESET freshdesk.merchant_id")
        .await
        .unwrap();
    next.commit().await.unwrap();
}
