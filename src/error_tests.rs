//! Unit tests of [`crate::error`].
use super::*;

#[test]
fn citus_shard_suffixes_are_removed() {
    let msg = r#"duplicate key value violates unique constraint "uq_ticket_freshdesk_id_102092""#;
    let name = constraint_from_message(msg).unwrap();
    assert_eq!(without_shard_suffix(&name), "uq_ticket_freshdesk_id");
    assert_eq!(
        without_shard_suffix("freshdesk_agent_pkey_102008"),
        "freshdesk_agent_pkey"
    );
    assert_eq!(
        without_shard_suffix("fk_rating_ticket_7"),
        "fk_rating_ticket"
    );
    // Not ours, or not a shard number: unchanged.
    assert_eq!(without_shard_suffix("orders_2024"), "orders_2024");
    assert_eq!(
        without_shard_suffix("uq_ticket_freshdesk_id"),
        "uq_ticket_freshdesk_id"
    );
    assert_eq!(without_shard_suffix("uq_x_"), "uq_x_");
}

#[test]
fn constraint_names_from_messages() {
    assert_eq!(
        constraint_from_message("Duplicate entry '1-a' for key 'uq_ticket_freshdesk_id'")
            .as_deref(),
        Some("uq_ticket_freshdesk_id")
    );
    assert_eq!(
        constraint_from_message(
            "UNIQUE constraint failed: freshdesk_agent.merchant_id, freshdesk_agent.freshdesk_agent_id"
        )
        .as_deref(),
        Some("freshdesk_agent.merchant_id, freshdesk_agent.freshdesk_agent_id")
    );
    assert_eq!(
        constraint_from_message("Cannot delete or update a parent row: a foreign key constraint fails (`test`.`t`, CONSTRAINT `fk_ticket_responder` FOREIGN KEY (`merchant_id`, `responder_id`) REFERENCES …)").as_deref(),
        Some("fk_ticket_responder")
    );
}

#[test]
fn codes_are_classified() {
    assert!(matches!(
        classify_code("57014", None),
        Some(Kind::StatementTimeout)
    ));
    assert!(matches!(
        classify_code("55P03", None),
        Some(Kind::LockTimeout)
    ));
    assert!(matches!(
        classify_code("40001", None),
        Some(Kind::Serialization)
    ));
    assert!(matches!(classify_code("40P01", None), Some(Kind::Deadlock)));
    assert!(matches!(
        classify_code("57P01", None),
        Some(Kind::ConnectionLost)
    ));
    assert!(matches!(classify_code("5", None), Some(Kind::LockTimeout)));
    assert!(matches!(
        classify_code("HY000", Some(1969)),
        Some(Kind::StatementTimeout)
    ));
    assert!(matches!(
        classify_code("HY000", Some(1205)),
        Some(Kind::LockTimeout)
    ));
    assert!(matches!(
        classify_code("40001", Some(1213)),
        Some(Kind::Deadlock)
    ));
    assert!(classify_code("42P01", None).is_none());
    let pool = Error::from(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout));
    assert!(matches!(pool, Error::PoolExhausted(_)) && pool.is_retryable());
}

#[test]
fn missing_tables_and_columns_are_recognised() {
    let cases = [
        (
            "42P01",
            None,
            "relation \"freshdesk_agent\" does not exist",
            Some("table `freshdesk_agent`"),
        ),
        (
            "42703",
            None,
            "column \"deleted\" does not exist",
            Some("column `deleted`"),
        ),
        (
            "42703",
            None,
            "column t.deleted does not exist",
            Some("column `t.deleted`"),
        ),
        (
            "42S02",
            Some(1146),
            "Table 'fd.freshdesk_agent' doesn't exist",
            Some("table `freshdesk_agent`"),
        ),
        (
            "42S22",
            Some(1054),
            "Unknown column 'spam' in 'field list'",
            Some("column `spam`"),
        ),
        (
            "1",
            None,
            "no such table: freshdesk_unified_ticket_view",
            Some("table `freshdesk_unified_ticket_view`"),
        ),
        ("1", None, "no such column: spam", Some("column `spam`")),
        ("1", None, "near \"SELEC\": syntax error", None),
        ("42601", None, "syntax error at or near \"SELEC\"", None),
        ("23000", Some(1062), "Duplicate entry 'x' for key 'k'", None),
    ];
    for (code, number, message, expected) in cases {
        assert_eq!(
            missing_schema_object(code, number, message).as_deref(),
            expected,
            "{message}"
        );
    }
    let err = Error::SchemaNotMigrated {
        missing: "table `freshdesk_agent`".into(),
        source: DbErr::Custom("no such table".into()),
    };
    let text = err.to_string();
    assert!(
        text.starts_with("table `freshdesk_agent` does not exist"),
        "{text}"
    );
    assert!(
        text.contains("cargo run --example migrate -- --database-url URL"),
        "{text}"
    );
    assert!(!text.contains('\n') && !err.is_retryable());
}

#[test]
fn driver_and_scheme_errors_name_the_fix() {
    let err = Error::DriverNotEnabled {
        scheme: "postgresql".into(),
        feature: "postgres",
    };
    assert_eq!(
        err.to_string(),
        "`postgresql:` URLs need the `postgres` cargo feature of freshdesk-store, which this build lacks: \
         enable it (`cargo run --features postgres …`, or `features = [\"postgres\"]` on the dependency)"
    );
    let err = Error::UnsupportedScheme {
        scheme: "mongodb".into(),
    };
    let text = err.to_string();
    assert!(
        text.contains("`mongodb:`") && text.contains("postgres://"),
        "{text}"
    );
    assert!(
        text.contains("mysql://") && text.contains("sqlite:"),
        "{text}"
    );
    let unreachable = Error::Connect {
        kind: ConnectFailure::Unreachable,
        target: "127.0.0.1:1".into(),
        message: "cannot reach".into(),
        source: DbErr::Custom("refused".into()),
    };
    assert!(unreachable.is_retryable());
    assert_eq!(unreachable.to_string(), "cannot reach");
    let login = Error::Connect {
        kind: ConnectFailure::LoginRefused,
        target: "127.0.0.1:3306".into(),
        message: "refused".into(),
        source: DbErr::Custom("denied".into()),
    };
    assert!(!login.is_retryable());
}

#[test]
fn messages_name_the_input() {
    let e = Error::not_found("ticket", 42);
    assert_eq!(e.to_string(), "ticket 42 not found");
    let e = Error::invalid_input("page_size", "must be between 1 and 500, got 0");
    assert_eq!(
        e.to_string(),
        "invalid page_size: must be between 1 and 500, got 0"
    );
}
