//! The errors a newcomer meets when connecting or querying too early, on the
//! backend of `DATABASE_URL` (in-memory SQLite when unset): each is typed
//! and its message names the cause and the fix on one line.

use freshdesk_store::{ConnectFailure, Error, PoolConfig};
use sea_orm::{ConnectionTrait, Statement};

fn url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "sqlite::memory:".to_owned())
}

/// `url` with its database name (the path) replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn assert_one_line(err: &Error) -> String {
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    text
}

#[tokio::test]
async fn a_query_before_the_migrations_says_to_run_them() {
    let url = url();
    let db = PoolConfig::from_url(&url).unwrap().connect().await.unwrap();
    let backend = db.get_database_backend();
    let err = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id FROM freshdesk_table_that_was_never_migrated",
        ))
        .await
        .map_err(Error::from)
        .unwrap_err();
    let text = assert_one_line(&err);
    assert!(
        matches!(&err, Error::SchemaNotMigrated { missing, .. }
            if missing == "table `freshdesk_table_that_was_never_migrated`"),
        "{err:?}"
    );
    assert!(text.contains("run the migrations"), "{text}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_server_is_typed_and_retryable() {
    let url = url();
    if url.starts_with("sqlite:") {
        println!("skipped: SQLite has no server to reach");
        return;
    }
    // Port 1 on this machine: nothing listens there.
    let scheme_end = url.find("://").unwrap() + 3;
    let rest = &url[scheme_end..];
    let at = rest.find('@').map_or(0, |i| i + 1);
    let host_end = rest.find('/').unwrap_or(rest.len());
    let dead = format!(
        "{}{}127.0.0.1:1{}",
        &url[..scheme_end],
        &rest[..at],
        &rest[host_end..]
    );
    let err = PoolConfig::from_url(&dead)
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    let text = assert_one_line(&err);
    assert!(
        matches!(
            &err,
            Error::Connect {
                kind: ConnectFailure::Unreachable,
                target,
                ..
            } if target == "127.0.0.1:1"
        ),
        "{err:?}"
    );
    assert!(text.contains("start the server"), "{text}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_missing_database_says_to_create_it() {
    let url = url();
    if url.starts_with("sqlite:") {
        let dir = std::env::temp_dir().join(format!("fd-connect-errors-{}", std::process::id()));
        let err = PoolConfig::from_url(&format!("sqlite://{}/none.db", dir.display()))
            .unwrap()
            .connect()
            .await
            .unwrap_err();
        let text = assert_one_line(&err);
        assert!(
            matches!(
                &err,
                Error::Connect {
                    kind: ConnectFailure::DatabaseMissing,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(text.contains("mode=rwc"), "{text}");
        return;
    }
    let missing = with_database(&url, "fd_no_such_database_for_tests");
    let err = PoolConfig::from_url(&missing)
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    let text = assert_one_line(&err);
    assert!(
        matches!(
            &err,
            Error::Connect {
                kind: ConnectFailure::DatabaseMissing,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        text.starts_with("database `fd_no_such_database_for_tests` does not exist on ")
            && text.contains("CREATE DATABASE fd_no_such_database_for_tests"),
        "{text}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_wrong_password_says_to_check_the_credentials() {
    let url = url();
    if !url.starts_with("mysql:") {
        // PostgreSQL here trusts local logins; SQLite has none.
        println!("skipped: only MariaDB/MySQL checks passwords on this machine");
        return;
    }
    let scheme_end = url.find("://").unwrap() + 3;
    let rest = &url[scheme_end..];
    let at = rest.find('@').expect("a MariaDB URL with a user");
    let user = rest[..at].split(':').next().unwrap();
    let wrong = format!(
        "{}{user}:definitely-wrong-pw{}",
        &url[..scheme_end],
        &rest[at..]
    );
    let err = PoolConfig::from_url(&wrong)
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    let text = assert_one_line(&err);
    assert!(
        matches!(
            &err,
            Error::Connect {
                kind: ConnectFailure::LoginRefused,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        text.contains(&format!("refused the login of user `{user}`"))
            && text.contains("check the user name and password"),
        "{text}"
    );
    assert!(!text.contains("definitely-wrong-pw"), "{text}");
}
