//! The migrated schema: it matches the entities column for column on every
//! backend, applying it twice changes nothing, and the tenant invariants of
//! DESIGN.md hold in the database itself.

use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::entity::{agent, contact, conversation, rating, sync_state, ticket};
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::testing::*;
use freshdesk_store::{ConflictKind, Error};
use sea_orm::sea_query::ColumnType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Iterable,
    ModelTrait, PaginatorTrait, QueryFilter, Statement,
};

const TABLES: [&str; 5] = [
    "freshdesk_unified_ticket_view",
    "freshdesk_conversation",
    "freshdesk_rating",
    "freshdesk_agent",
    "freshdesk_contact",
];

/// (column, data type, nullable) as the live database reports them.
async fn live_columns<C: ConnectionTrait>(db: &C, table: &str) -> Vec<(String, String, bool)> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT column_name::text AS name, data_type::text AS ty, \
             (is_nullable = 'YES') AS nullable FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
        DbBackend::MySql => {
            "SELECT CAST(column_name AS CHAR) AS name, CAST(data_type AS CHAR) AS ty, \
             (is_nullable = 'YES') AS nullable FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position"
        }
        _ => {
            "SELECT name, lower(type) AS ty, (\"notnull\" = 0 AND pk = 0) AS nullable \
              FROM pragma_table_info(?) ORDER BY cid"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "name").unwrap(),
                r.try_get::<String>("", "ty").unwrap().to_lowercase(),
                r.try_get::<bool>("", "nullable").unwrap(),
            )
        })
        .collect()
}

/// The database type DESIGN.md prescribes for an entity column on a backend.
fn expected_type(backend: DbBackend, column: &str, ty: &ColumnType) -> &'static str {
    // Keys MariaDB cannot index as TEXT: Freshdesk ids and the sync stream.
    let freshdesk_id = column.starts_with("freshdesk_") || column == "stream";
    match (backend, ty) {
        (DbBackend::Postgres, ColumnType::BigInteger) => "bigint",
        (DbBackend::Postgres, ColumnType::Integer) => "integer",
        (DbBackend::Postgres, ColumnType::Text | ColumnType::String(_)) => "text",
        (DbBackend::Postgres, ColumnType::TimestampWithTimeZone) => "timestamp with time zone",
        (DbBackend::Postgres, ColumnType::JsonBinary) => "jsonb",
        (DbBackend::Postgres, ColumnType::Boolean) => "boolean",
        (DbBackend::MySql, ColumnType::BigInteger) => "bigint",
        (DbBackend::MySql, ColumnType::Integer) => "int",
        (DbBackend::MySql, ColumnType::Text | ColumnType::String(_)) if freshdesk_id => "varchar",
        (DbBackend::MySql, ColumnType::Text | ColumnType::String(_)) => "text",
        (DbBackend::MySql, ColumnType::TimestampWithTimeZone) => "datetime",
        // MariaDB's JSON is LONGTEXT with a json_valid check.
        (DbBackend::MySql, ColumnType::JsonBinary) => "longtext",
        (DbBackend::MySql, ColumnType::Boolean) => "tinyint",
        // SQLite's INTEGER is 64-bit.
        (_, ColumnType::BigInteger | ColumnType::Integer) => "integer",
        (_, ColumnType::Text | ColumnType::String(_)) => "text",
        (_, ColumnType::TimestampWithTimeZone | ColumnType::JsonBinary) => "text",
        (_, ColumnType::Boolean) => "boolean",
        (b, other) => panic!("no expectation for {other:?} on {b:?}"),
    }
}

async fn assert_entity_matches<E: EntityTrait, C: ConnectionTrait>(db: &C, entity: E) {
    let backend = db.get_database_backend();
    let table = entity.table_name();
    let live = live_columns(db, table).await;
    let columns: Vec<E::Column> = E::Column::iter().collect();
    assert_eq!(
        live.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        columns.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "columns of {table}"
    );
    for (column, (name, ty, nullable)) in columns.iter().zip(&live) {
        let def = column.def();
        let want = expected_type(backend, name, def.get_column_type());
        assert_eq!(ty, want, "type of {table}.{name}");
        assert_eq!(*nullable, def.is_null(), "nullability of {table}.{name}");
    }
}

/// Every entity column exists in the migrated table with the prescribed type
/// and nullability, and the table has no other columns.
#[tokio::test]
async fn entities_and_migrated_schema_agree() {
    let db = TestDb::connect().await.unwrap();
    let c = db.connection();
    assert_entity_matches(c, ticket::Entity).await;
    assert_entity_matches(c, conversation::Entity).await;
    assert_entity_matches(c, rating::Entity).await;
    assert_entity_matches(c, agent::Entity).await;
    assert_entity_matches(c, contact::Entity).await;
    assert_entity_matches(c, sync_state::Entity).await;
}

/// Applying the migrations again is a no-op: nothing pending, same columns.
#[tokio::test]
async fn migrations_are_idempotent() {
    let db = TestDb::connect().await.unwrap();
    let c = db.connection();
    let before = live_columns(c, TABLES[0]).await;
    Migrator::up(c, None).await.unwrap();
    Migrator::up(c, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(c)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(live_columns(c, TABLES[0]).await, before);
}

/// (index name, unique, columns in order) for the non-primary indexes of a table.
async fn live_indexes<C: ConnectionTrait>(db: &C, table: &str) -> Vec<(String, Vec<String>)> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT i.relname::text AS name, a.attname::text AS col \
             FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace \
             AND NOT x.indisprimary ORDER BY i.relname, k.ord"
        }
        DbBackend::MySql => {
            "SELECT CAST(index_name AS CHAR) AS name, CAST(column_name AS CHAR) AS col \
             FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? \
             AND index_name <> 'PRIMARY' ORDER BY index_name, seq_in_index"
        }
        _ => {
            "SELECT l.name AS name, i.name AS col FROM pragma_index_list(?1) l \
              JOIN pragma_index_info(l.name) i WHERE l.origin <> 'pk' ORDER BY l.name, i.seqno"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await
        .unwrap();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        let name: String = r.try_get("", "name").unwrap();
        let col: String = r.try_get("", "col").unwrap();
        match out.last_mut() {
            Some((n, cols)) if *n == name => cols.push(col),
            _ => out.push((name, vec![col])),
        }
    }
    out
}

/// Every index and unique constraint of a tenant table leads with
/// `merchant_id` (the sync state's too), and the two named indexes of
/// DESIGN.md exist.
#[tokio::test]
async fn every_tenant_index_leads_with_merchant_id() {
    let db = TestDb::connect().await.unwrap();
    let c = db.connection();
    for table in TABLES {
        let indexes = live_indexes(c, table).await;
        // At least the unique Freshdesk id; the parents' unique
        // `(merchant_id, id)` is their primary key on PostgreSQL.
        let parent_key = db.backend() != DbBackend::Postgres
            && ["freshdesk_agent", "freshdesk_contact"].contains(&table);
        let least = if parent_key { 2 } else { 1 };
        assert!(indexes.len() >= least, "{table} has indexes: {indexes:?}");
        for (name, cols) in &indexes {
            assert_eq!(cols[0], "merchant_id", "index {name} on {table}: {cols:?}");
        }
    }
    for (name, cols) in live_indexes(c, "freshdesk_sync_state").await {
        assert_eq!(cols[0], "merchant_id", "index {name} on the sync state");
    }
    let ticket_indexes = live_indexes(c, TABLES[0]).await;
    let mut expected = vec![
        ("idx_merchant_status", vec!["merchant_id", "status"]),
        ("idx_merchant_created", vec!["merchant_id", "created_at"]),
        (
            "uq_ticket_freshdesk_id",
            vec!["merchant_id", "freshdesk_ticket_id"],
        ),
        (
            "idx_ticket_merchant_resolved",
            vec!["merchant_id", "resolved_at"],
        ),
    ];
    if db.backend() != DbBackend::Postgres {
        // On PostgreSQL the primary key `(merchant_id, id)` is the target
        // of the children's foreign keys instead.
        expected.push(("uq_ticket_merchant_id", vec!["merchant_id", "id"]));
    }
    for (name, cols) in expected {
        assert!(
            ticket_indexes.iter().any(|(n, c)| n == name && *c == cols),
            "{name} {cols:?} missing: {ticket_indexes:?}"
        );
    }
}

/// Conversations and ratings are deleted with their ticket.
#[tokio::test]
async fn children_cascade_with_their_ticket() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let other = TicketFactory::new(m).insert(&txn).await.unwrap();
    let other_conv = ConversationFactory::new(&other).insert(&txn).await.unwrap();
    let t = TicketFactory::new(m).insert(&txn).await.unwrap();
    ConversationFactory::new(&t).insert(&txn).await.unwrap();
    ConversationFactory::new(&t).insert(&txn).await.unwrap();
    RatingFactory::new(&t).insert(&txn).await.unwrap();
    t.delete(&txn).await.unwrap();
    let left = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(m))
        .all(&txn)
        .await
        .unwrap();
    assert_eq!(left, vec![other_conv]);
    let ratings = rating::Entity::find()
        .filter(rating::Column::MerchantId.eq(m))
        .all(&txn)
        .await
        .unwrap();
    assert!(ratings.is_empty());
}

/// An agent or contact that tickets still reference cannot be deleted: a
/// typed foreign-key conflict.
#[tokio::test]
async fn referenced_agent_or_contact_cannot_be_deleted() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let a = AgentFactory::new(m).insert(&txn).await.unwrap();
    let c = ContactFactory::new(m).insert(&txn).await.unwrap();
    TicketFactory::new(m)
        .responder(a.id)
        .requester(c.id)
        .insert(&txn)
        .await
        .unwrap();
    // Each failed statement runs in a savepoint, so the transaction stays usable
    // on PostgreSQL too.
    let sp = sea_orm::TransactionTrait::begin(&txn).await.unwrap();
    let err = Error::from(a.clone().delete(&sp).await.unwrap_err());
    assert!(err.is_conflict(ConflictKind::ForeignKey), "{err}");
    drop(sp);
    let sp = sea_orm::TransactionTrait::begin(&txn).await.unwrap();
    let err = Error::from(c.clone().delete(&sp).await.unwrap_err());
    assert!(err.is_conflict(ConflictKind::ForeignKey), "{err}");
    drop(sp);
    assert!(
        agent::Entity::find_by_id(a.id)
            .one(&txn)
            .await
            .unwrap()
            .is_some()
    );
}

/// A conversation (or rating, or ticket) cannot point at another merchant's row.
#[tokio::test]
async fn rows_cannot_reference_another_merchants_rows() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m1, m2) = (unique_merchant_id(), unique_merchant_id());
    let t2 = TicketFactory::new(m2).insert(&txn).await.unwrap();
    let a2 = AgentFactory::new(m2).insert(&txn).await.unwrap();

    let mut conv = ConversationFactory::new(&t2).build();
    conv.merchant_id = sea_orm::Set(m1);
    let sp = sea_orm::TransactionTrait::begin(&txn).await.unwrap();
    let err = Error::from(conv.insert(&sp).await.unwrap_err());
    assert!(err.is_conflict(ConflictKind::ForeignKey), "{err}");
    drop(sp);

    let mut rating = RatingFactory::new(&t2).build();
    rating.merchant_id = sea_orm::Set(m1);
    let sp = sea_orm::TransactionTrait::begin(&txn).await.unwrap();
    let err = Error::from(rating.insert(&sp).await.unwrap_err());
    assert!(err.is_conflict(ConflictKind::ForeignKey), "{err}");
    drop(sp);

    let sp = sea_orm::TransactionTrait::begin(&txn).await.unwrap();
    let err = TicketFactory::new(m1)
        .responder(a2.id)
        .insert(&sp)
        .await
        .unwrap_err();
    assert!(err.is_conflict(ConflictKind::ForeignKey), "{err}");
}

/// Freshdesk ids are unique per merchant (a typed conflict naming the
/// constraint), and free across merchants.
#[tokio::test]
async fn freshdesk_ids_are_unique_per_merchant() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m1, m2) = (unique_merchant_id(), unique_merchant_id());
    TicketFactory::new(m1)
        .freshdesk_id("42")
        .insert(&txn)
        .await
        .unwrap();
    TicketFactory::new(m2)
        .freshdesk_id("42")
        .insert(&txn)
        .await
        .unwrap();
    let sp = sea_orm::TransactionTrait::begin(&txn).await.unwrap();
    let err = TicketFactory::new(m1)
        .freshdesk_id("42")
        .insert(&sp)
        .await
        .unwrap_err();
    match &err {
        Error::Conflict {
            kind: ConflictKind::Unique,
            constraint,
            ..
        } => assert!(
            constraint.contains("uq_ticket_freshdesk_id")
                || constraint.contains("freshdesk_ticket_id"),
            "{err}"
        ),
        other => panic!("expected a unique conflict, got {other}"),
    }
}

/// A status, priority or source code the crate does not know still loads
/// and keeps its value.
#[tokio::test]
async fn unknown_codes_load_as_other() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let t = TicketFactory::new(m)
        .status(TicketStatus::Other(12))
        .priority(Priority::Other(9))
        .source(Some(freshdesk_store::entity::enums::Source::Other(99)))
        .insert(&txn)
        .await
        .unwrap();
    let back = ticket::Entity::find_by_id(t.id)
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.status, TicketStatus::Other(12));
    assert_eq!(back.priority, Priority::Other(9));
    assert!(!back.is_open() && !back.is_resolved());
}

/// Timestamps are stored as UTC instants: on SQLite as RFC 3339 text ending
/// in `+00:00`, on MariaDB as the UTC wall time, on PostgreSQL as timestamptz.
#[tokio::test]
async fn timestamps_are_stored_in_utc() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T23:30:00-05:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let t = TicketFactory::new(m)
        .created_at(at)
        .insert(&txn)
        .await
        .unwrap();
    let backend = db.backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS v FROM freshdesk_unified_ticket_view WHERE id = $1"
        }
        DbBackend::MySql => {
            "SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s') AS v FROM freshdesk_unified_ticket_view WHERE id = ?"
        }
        _ => "SELECT created_at AS v FROM freshdesk_unified_ticket_view WHERE id = ?",
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [t.id.get().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let raw: String = row.try_get("", "v").unwrap();
    let want = match backend {
        DbBackend::Sqlite => "2026-03-02T04:30:00+00:00",
        _ => "2026-03-02 04:30:00",
    };
    assert_eq!(raw, want);
    let back = ticket::Entity::find_by_id(t.id)
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.created_at, at);
}

/// Row properties: open / resolved families and age at a given instant.
#[tokio::test]
async fn row_properties() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let created = default_created_at();
    let t = TicketFactory::new(m)
        .status(TicketStatus::Closed)
        .first_responded_at(created + chrono::Duration::minutes(90))
        .insert(&txn)
        .await
        .unwrap();
    assert!(t.is_resolved() && !t.is_open());
    assert_eq!(t.resolved_at, Some(created + chrono::Duration::hours(24)));
    assert_eq!(t.first_response_time, Some(5400));
    assert_eq!(t.age_hours_at(created + chrono::Duration::minutes(30)), 0.5);
    let open = TicketFactory::new(m)
        .status(TicketStatus::WaitingOnCustomer)
        .build();
    assert_eq!(open.resolved_at.clone().unwrap(), None);
}

/// The primary key columns of a table, in key order.
async fn live_primary_key<C: ConnectionTrait>(db: &C, table: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT a.attname::text AS col FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid \
             JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace \
             AND x.indisprimary ORDER BY k.ord"
        }
        DbBackend::MySql => {
            "SELECT CAST(column_name AS CHAR) AS col FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'PRIMARY' \
             ORDER BY seq_in_index"
        }
        _ => "SELECT name AS col FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
    };
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "col").unwrap())
        .collect()
}

/// PostgreSQL: every tenant table's primary key is `(merchant_id, id)`, so
/// the schema distributes on Citus. SQLite and MariaDB keep `id` (their
/// auto-increment needs it to lead a key). The sync state is keyed by
/// `(merchant_id, stream)` everywhere.
#[tokio::test]
async fn primary_keys_carry_the_merchant_on_postgres() {
    let db = TestDb::connect().await.unwrap();
    let c = db.connection();
    let want: &[&str] = match db.backend() {
        DbBackend::Postgres => &["merchant_id", "id"],
        _ => &["id"],
    };
    for table in TABLES {
        assert_eq!(
            live_primary_key(c, table).await,
            want,
            "primary key of {table}"
        );
    }
    assert_eq!(
        live_primary_key(c, "freshdesk_sync_state").await,
        ["merchant_id", "stream"]
    );
}

/// New columns left unset by the existing write paths take their defaults:
/// not deleted, not spam, never reopened, and no sync `updated_at`.
#[tokio::test]
async fn existing_write_paths_leave_the_sync_columns_at_their_defaults() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let a = AgentFactory::new(m).insert(&txn).await.unwrap();
    let p = ContactFactory::new(m).insert(&txn).await.unwrap();
    let t = TicketFactory::new(m)
        .responder(a.id)
        .requester(p.id)
        .insert(&txn)
        .await
        .unwrap();
    let v = ConversationFactory::new(&t).insert(&txn).await.unwrap();
    let r = RatingFactory::new(&t).insert(&txn).await.unwrap();
    assert!(!t.deleted && !t.spam && !t.is_flagged());
    assert_eq!(t.reopened_at, None);
    assert_eq!((a.updated_at, p.updated_at), (None, None));
    assert_eq!((v.updated_at, r.updated_at), (None, None));
}

/// Rows written under migrations 1 and 2, with the raw SQL of that schema.
async fn fill_old_schema<C: ConnectionTrait>(db: &C, merchant: i64) {
    let backend = db.get_database_backend();
    let at = match backend {
        DbBackend::Sqlite => "'2026-10-01T12:00:00+00:00'",
        DbBackend::MySql => "'2026-10-01 12:00:00'",
        _ => "'2026-10-01T12:00:00Z'",
    };
    let id = |n: i64| merchant * 10 + n;
    for sql in [
        format!(
            "INSERT INTO freshdesk_agent (id, merchant_id, freshdesk_agent_id, name, email) \
             VALUES ({}, {merchant}, '67013469919', 'Ann', 'ann@example.com')",
            id(1)
        ),
        format!(
            "INSERT INTO freshdesk_contact (id, merchant_id, freshdesk_contact_id, name, email) \
             VALUES ({}, {merchant}, '67042965499', 'Bo', NULL)",
            id(1)
        ),
        format!(
            "INSERT INTO freshdesk_unified_ticket_view (id, merchant_id, freshdesk_ticket_id, \
             subject, status, priority, source, requester_id, responder_id, created_at, \
             updated_at, processed) VALUES ({}, {merchant}, '42', 'Old ticket', 5, 2, 10, {}, {}, \
             {at}, {at}, true)",
            id(1),
            id(1),
            id(1)
        ),
        format!(
            "INSERT INTO freshdesk_conversation (id, merchant_id, ticket_id, \
             freshdesk_conversation_id, body, incoming, private, author_id, created_at) \
             VALUES ({}, {merchant}, {}, '67105086049', 'Hello', true, false, NULL, {at})",
            id(1),
            id(1)
        ),
        format!(
            "INSERT INTO freshdesk_rating (id, merchant_id, ticket_id, freshdesk_rating_id, \
             rating, feedback, created_at) VALUES ({}, {merchant}, {}, '67000499229', 103, \
             'great', {at})",
            id(1),
            id(1)
        ),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
}

/// What an upgraded database must show: the old rows intact, the new
/// columns at their defaults, the keys of this version, and the composite
/// foreign keys still enforced and cascading.
async fn assert_upgraded(db: &sea_orm::DatabaseTransaction, merchant: i64) {
    let m = freshdesk_store::MerchantId::new(merchant).unwrap();
    let t = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(m))
        .one(db)
        .await
        .unwrap()
        .expect("the ticket survives the upgrade");
    assert_eq!(
        (t.freshdesk_ticket_id.as_str(), t.subject.as_str()),
        ("42", "Old ticket")
    );
    assert_eq!(t.status, TicketStatus::Closed);
    assert!(t.processed && !t.deleted && !t.spam);
    assert_eq!(t.reopened_at, None);
    assert_eq!(
        t.created_at,
        chrono::DateTime::parse_from_rfc3339("2026-10-01T12:00:00Z").unwrap()
    );
    let a = agent::Entity::find()
        .filter(agent::Column::MerchantId.eq(m))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.name.as_str(), a.updated_at), ("Ann", None));
    assert_eq!(t.responder_id, Some(a.id));
    let v = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(m))
        .all(db)
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].body.as_str(), v[0].updated_at), ("Hello", None));
    let r = rating::Entity::find()
        .filter(rating::Column::MerchantId.eq(m))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.rating, r.feedback.as_deref()), (103, Some("great")));

    let want: &[&str] = match db.get_database_backend() {
        DbBackend::Postgres => &["merchant_id", "id"],
        _ => &["id"],
    };
    for table in TABLES {
        assert_eq!(live_primary_key(db, table).await, want, "{table}");
    }
    // The composite foreign keys still hold: a conversation naming the
    // ticket under another merchant is refused …
    let other = merchant + 1;
    let sql = format!(
        "INSERT INTO freshdesk_conversation (merchant_id, ticket_id, freshdesk_conversation_id, \
         body, incoming, private, created_at) VALUES ({other}, {}, 'x', 'x', true, false, {})",
        t.id,
        match db.get_database_backend() {
            DbBackend::Sqlite => "'2026-10-01T12:00:00+00:00'",
            DbBackend::MySql => "'2026-10-01 12:00:00'",
            _ => "'2026-10-01T12:00:00Z'",
        }
    );
    let sp = sea_orm::TransactionTrait::begin(db).await.unwrap();
    assert!(sp.execute_unprepared(&sql).await.is_err(), "{sql}");
    sp.rollback().await.unwrap();
    // … and children still go with their ticket.
    ticket::Entity::delete_many()
        .filter(ticket::Column::MerchantId.eq(m))
        .exec(db)
        .await
        .unwrap();
    let left = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(m))
        .count(db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// A SQLite database with data under migrations 1 and 2 upgrades in place.
#[tokio::test]
async fn upgrade_keeps_the_data_on_sqlite() {
    let db = freshdesk_store::PoolConfig::from_url("sqlite::memory:")
        .unwrap()
        .connect()
        .await
        .unwrap();
    Migrator::up(&db, Some(2)).await.unwrap();
    fill_old_schema(&db, 7).await;
    Migrator::up(&db, None).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
    assert_upgraded(&txn, 7).await;
}

/// PostgreSQL: a schema with data under migrations 1 and 2 upgrades in
/// place to primary keys `(merchant_id, id)`, with its foreign keys; the
/// upgrade runs in a fresh schema inside a transaction that is rolled back.
#[tokio::test]
async fn upgrade_keeps_the_data_and_swaps_the_keys_on_postgres() {
    let db = TestDb::connect().await.unwrap();
    if db.backend() != DbBackend::Postgres {
        return;
    }
    let txn = db.begin().await.unwrap();
    let schema = format!("upgrade_{}", unique_merchant_id());
    txn.execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    txn.execute_unprepared(&format!("SET LOCAL search_path TO {schema}"))
        .await
        .unwrap();
    Migrator::up(&txn, Some(2)).await.unwrap();
    fill_old_schema(&txn, 7).await;
    assert_eq!(live_primary_key(&txn, TABLES[0]).await, ["id"]);
    Migrator::up(&txn, None).await.unwrap();
    Migrator::up(&txn, None).await.unwrap();
    assert_upgraded(&txn, 7).await;
    let indexes = live_indexes(&txn, TABLES[0]).await;
    assert!(
        !indexes.iter().any(|(n, _)| n == "uq_ticket_merchant_id"),
        "the redundant unique index is gone: {indexes:?}"
    );
    // And back down to migration 2 (undoing 5, the public-reply index, 4,
    // the analytics indexes, and 3): keys on `id`, the unique index again.
    Migrator::down(&txn, Some(3)).await.unwrap();
    assert_eq!(live_primary_key(&txn, TABLES[0]).await, ["id"]);
    let indexes = live_indexes(&txn, TABLES[0]).await;
    assert!(indexes.iter().any(|(n, _)| n == "uq_ticket_merchant_id"));
}
