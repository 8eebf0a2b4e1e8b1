//! The migrated schema: it matches the entities column for column on every
//! backend, applying it twice changes nothing, and the tenant invariants of
//! DESIGN.md hold in the database itself.

use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::entity::{agent, contact, conversation, rating, ticket};
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::testing::*;
use freshdesk_store::{ConflictKind, Error};
use sea_orm::sea_query::ColumnType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Iterable,
    ModelTrait, QueryFilter, Statement,
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
    let freshdesk_id = column.starts_with("freshdesk_");
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
/// `merchant_id`, and the two named indexes of DESIGN.md exist.
#[tokio::test]
async fn every_tenant_index_leads_with_merchant_id() {
    let db = TestDb::connect().await.unwrap();
    let c = db.connection();
    for table in TABLES {
        let indexes = live_indexes(c, table).await;
        assert!(indexes.len() >= 2, "{table} has indexes: {indexes:?}");
        for (name, cols) in &indexes {
            assert_eq!(cols[0], "merchant_id", "index {name} on {table}: {cols:?}");
        }
    }
    let ticket_indexes = live_indexes(c, TABLES[0]).await;
    for (name, cols) in [
        ("idx_merchant_status", vec!["merchant_id", "status"]),
        ("idx_merchant_created", vec!["merchant_id", "created_at"]),
        (
            "uq_ticket_freshdesk_id",
            vec!["merchant_id", "freshdesk_ticket_id"],
        ),
        ("uq_ticket_merchant_id", vec!["merchant_id", "id"]),
        (
            "idx_ticket_merchant_resolved",
            vec!["merchant_id", "resolved_at"],
        ),
    ] {
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
