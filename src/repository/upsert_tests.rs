//! Unit tests of the newest-wins statement builder (the parent module).

use sea_orm::ActiveValue::Set;

use super::*;
use crate::entity::agent;
use sea_orm::EntityName;

fn spec() -> NewestWins<agent::Entity> {
    NewestWins {
        merchant: agent::Column::MerchantId,
        key: agent::Column::FreshdeskAgentId,
        key_field: "freshdesk_agent_id",
        updated_at: agent::Column::UpdatedAt,
        update: vec![agent::Column::Name, agent::Column::Email],
    }
}

fn sql(backend: DbBackend) -> String {
    let mut insert = Query::insert();
    insert
        .into_table(agent::Entity.table_ref())
        .columns([agent::Column::FreshdeskAgentId])
        .values_panic([Expr::val("1")])
        .on_conflict(on_conflict(backend, &spec()));
    backend.build(&insert).sql
}

/// MariaDB gets one CASE per column with `updated_at` last, never a
/// `WHERE` (sea-query would drop it); PostgreSQL and SQLite get the
/// `WHERE` on the update.
#[test]
fn per_backend_conflict_clauses() {
    let sql_my = sql(DbBackend::MySql);
    let tail = sql_my.split("ON DUPLICATE KEY UPDATE").nth(1).unwrap();
    assert!(!tail.contains("WHERE"), "{sql_my}");
    let name = tail.find("`name` = (CASE").unwrap();
    let email = tail.find("`email` = (CASE").unwrap();
    let updated = tail.find("`updated_at` = (CASE").unwrap();
    assert!(name < email && email < updated, "{sql_my}");
    assert!(
        tail.contains(
            "`name` = (CASE WHEN (VALUES(`updated_at`) >= `updated_at` OR `updated_at` IS NULL) THEN VALUES(`name`) ELSE `name` END)"
        ),
        "{sql_my}"
    );

    let pg = sql(DbBackend::Postgres);
    assert!(
        pg.contains("ON CONFLICT (\"merchant_id\", \"freshdesk_agent_id\") DO UPDATE SET"),
        "{pg}"
    );
    assert!(
        pg.contains(
            "WHERE (\"excluded\".\"updated_at\" >= \"freshdesk_agent\".\"updated_at\" OR \"freshdesk_agent\".\"updated_at\" IS NULL) AND ((\"freshdesk_agent\".\"name\" IS DISTINCT FROM \"excluded\".\"name\") OR"
        ),
        "{pg}"
    );
    let lite = sql(DbBackend::Sqlite);
    assert!(
        lite.contains("(\"freshdesk_agent\".\"updated_at\" IS NOT \"excluded\".\"updated_at\"))"),
        "{lite}"
    );
}

fn row(fd: Option<&str>) -> agent::ActiveModel {
    agent::ActiveModel {
        freshdesk_agent_id: fd.map(|f| Set(f.to_owned())).unwrap_or_default(),
        name: Set("n".into()),
        ..Default::default()
    }
}

/// Rows come out sorted by key with the call's merchant; duplicate and
/// missing keys are refused before anything is sent.
#[test]
fn keys_are_sorted_and_checked() {
    let merchant = MerchantId::new(9).unwrap();
    let keyed = keyed_rows(merchant, &spec(), vec![row(Some("b")), row(Some("a"))]).unwrap();
    assert_eq!(
        keyed.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(keyed.iter().all(|(_, r)| r.merchant_id == Set(merchant)));
    let err = keyed_rows(
        merchant,
        &spec(),
        vec![row(Some("b")), row(Some("a")), row(Some("b"))],
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field: "freshdesk_agent_id", reason } if reason.contains("`b`")),
        "{err}"
    );
    let err = keyed_rows(merchant, &spec(), vec![row(Some("a")), row(None)]).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { reason, .. } if reason == "row 1: missing"),
        "{err}"
    );
}

/// The newest version of each key survives; on a tie the later one; a
/// missing version (`None`, a placeholder) is older than any.
#[test]
fn newest_per_key_keeps_the_newest() {
    let items = vec![
        ("b", Some(2), "b2"),
        ("a", Some(1), "a1"),
        ("b", Some(3), "b3"),
        ("b", Some(1), "b1"),
        ("a", Some(1), "a1'"),
        ("c", Some(0), "c0"),
        ("c", None, "c-placeholder"),
    ];
    let kept = newest_per_key(items, |i| i.0, |i| i.1);
    assert_eq!(
        kept,
        vec![
            ("a", Some(1), "a1'"),
            ("b", Some(3), "b3"),
            ("c", Some(0), "c0")
        ]
    );
}

/// The text appended to each chunk's `VALUES` list is the whole conflict
/// clause (never empty: a plain `INSERT` would overwrite nothing and fail
/// on a known key), and on PostgreSQL the inserted-row flag.
#[test]
fn conflict_tail_per_backend() {
    let columns = [agent::Column::FreshdeskAgentId, agent::Column::Name];
    let pg = conflict_sql(DbBackend::Postgres, &spec(), &columns).unwrap();
    assert!(
        pg.starts_with(" ON CONFLICT (\"merchant_id\", \"freshdesk_agent_id\") DO UPDATE SET"),
        "{pg}"
    );
    assert!(pg.ends_with(" RETURNING (xmax = 0)"), "{pg}");
    assert!(!pg.contains("VALUES ("), "{pg}");
    let lite = conflict_sql(DbBackend::Sqlite, &spec(), &columns).unwrap();
    assert!(
        lite.starts_with(" ON CONFLICT ") && lite.contains(" WHERE "),
        "{lite}"
    );
    assert!(!lite.contains("RETURNING"), "{lite}");
    let my = conflict_sql(DbBackend::MySql, &spec(), &columns).unwrap();
    assert!(
        my.starts_with(" ON DUPLICATE KEY UPDATE `name` = (CASE"),
        "{my}"
    );
    assert!(!my.contains("WHERE") && !my.contains("RETURNING"), "{my}");
}
