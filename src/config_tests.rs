//! Unit tests of [`crate::config`].
use super::*;

#[test]
fn url_settings_are_read_and_removed() {
    let c = PoolConfig::from_url(
        "postgres://u@h/db?sslmode=disable&max_connections=3&statement_timeout=0&test_before_acquire=false",
    )
    .unwrap();
    assert_eq!(c.url, "postgres://u@h/db?sslmode=disable");
    assert_eq!(c.max_connections, 3);
    assert_eq!(c.statement_timeout, None);
    assert!(!c.test_before_acquire);
    assert_eq!(c.idle_timeout, Some(Duration::from_secs(600)));
}

#[test]
fn bad_values_name_the_setting() {
    let err = PoolConfig::from_url("sqlite::memory:?max_connections=lots").unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "max_connections",
                ..
            }
        ),
        "{err}"
    );
    let err = PoolConfig::from_url("sqlite::memory:?max_connections=0").unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "max_connections",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn every_scheme_names_its_feature_or_the_supported_ones() {
    for (url, feature) in [
        ("postgres://u@h/db", "postgres"),
        ("postgresql://u@h/db", "postgres"),
        ("mysql://u:p@h/db", "mysql"),
        ("sqlite::memory:", "sqlite"),
        ("sqlite://data.db?mode=rwc", "sqlite"),
    ] {
        let config = PoolConfig::new(url);
        let backend = backend_of(url).unwrap();
        assert_eq!(feature_of(backend), feature, "{url}");
        let compiled = is_compiled(backend);
        match config.backend() {
            Ok(_) => assert!(compiled, "{url}"),
            Err(Error::DriverNotEnabled { scheme, feature: f }) => {
                assert!(!compiled, "{url}");
                assert_eq!(f, feature);
                assert_eq!(scheme, url.split(':').next().unwrap());
            }
            Err(other) => panic!("{url}: {other}"),
        }
    }
    let err = PoolConfig::new("mongodb://u@h/db").backend().unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedScheme { scheme } if scheme == "mongodb"),
        "{err}"
    );
    let err = PoolConfig::new("localhost:5432/db").backend().unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedScheme { scheme } if scheme == "localhost"),
        "{err}"
    );
    let err = PoolConfig::new("127.0.0.1:5432/db").backend().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidInput {
                field: "database URL",
                ..
            }
        ),
        "{err}"
    );
    let err = PoolConfig::new("just-a-name").backend().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidInput {
                field: "database URL",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn targets_never_carry_the_password() {
    let t = target_of(
        DbBackend::MySql,
        "mysql://fdstore:s3cret@127.0.0.1/fd?ssl-mode=disabled",
    );
    assert_eq!(t.place, "127.0.0.1:3306");
    assert_eq!(t.user.as_deref(), Some("fdstore"));
    assert_eq!(t.database.as_deref(), Some("fd"));
    let t = target_of(DbBackend::Postgres, "postgres://root@db.internal:6432/fd_x");
    assert_eq!(t.place, "db.internal:6432");
    assert_eq!(t.database.as_deref(), Some("fd_x"));
    let t = target_of(DbBackend::Sqlite, "sqlite://data/fd.db?mode=ro");
    assert_eq!(t.place, "data/fd.db");
    for kind in [
        ConnectFailure::Unreachable,
        ConnectFailure::DatabaseMissing,
        ConnectFailure::LoginRefused,
    ] {
        let t = target_of(DbBackend::MySql, "mysql://fdstore:s3cret@127.0.0.1/fd");
        let m = connect_message(kind, DbBackend::MySql, &t, "detail");
        assert!(!m.contains("s3cret") && !m.contains('\n'), "{m}");
    }
}

#[test]
fn a_refused_tls_certificate_says_how_to_fix_it() {
    // What sqlx 0.9 + rustls report for Citus's generated X.509 v1 certificate.
    let t = target_of(DbBackend::Postgres, "postgres://root@127.0.0.1:5433/citus");
    let m = connect_message(
        ConnectFailure::Unreachable,
        DbBackend::Postgres,
        &t,
        "error communicating with database: invalid peer certificate: \
         Other(OtherError(UnsupportedCertVersion))",
    );
    assert!(
        m.contains("X.509 v3") && m.contains("sslmode=disable"),
        "{m}"
    );
}

#[test]
fn in_memory_sqlite_is_never_reaped() {
    let c = PoolConfig::new("sqlite::memory:");
    assert!(c.is_sqlite_memory());
    let opt = c.connect_options();
    assert_eq!(opt.get_min_connections(), Some(1));
    assert_eq!(opt.get_idle_timeout(), Some(None));
    assert_eq!(opt.get_max_lifetime(), Some(None));
}
