//! Connection-pool settings for a service's entry point.
//!
//! This is the only place the crate helps make a connection, and it belongs
//! where the service starts (its `main`, a worker's setup): build a
//! [`PoolConfig`], connect once, and pass transactions down to the
//! repositories and analytics. Nothing else in the crate connects.
//!
//! ```no_run
//! # async fn run() -> freshdesk_store::Result<()> {
//! use freshdesk_store::PoolConfig;
//! // DATABASE_URL=postgres://app@db/helpdesk?max_connections=20
//! let db = PoolConfig::from_env()?.connect().await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use std::ops::Deref;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr};

use crate::error::{ConnectFailure, Error, Result};

/// Pool and session settings, with defaults that suit a web service.
///
/// | setting | default | meaning |
/// | --- | --- | --- |
/// | `max_connections` | 10 | pool size |
/// | `min_connections` | 0 (1 for in-memory SQLite) | connections kept open |
/// | `acquire_timeout` | 5 s | wait for a free connection before failing |
/// | `idle_timeout` | 10 min | close connections idle this long (never for in-memory SQLite) |
/// | `max_lifetime` | 30 min | recycle connections this old (`pool_recycle`; never for in-memory SQLite) |
/// | `test_before_acquire` | true | ping a connection before handing it out (`pool_pre_ping`) |
/// | `statement_timeout` | 30 s | cancel longer statements (PostgreSQL `statement_timeout`, MariaDB `max_statement_time`; SQLite has none) |
/// | `sqlite_busy_timeout` | 5 s | how long SQLite waits on a locked database |
///
/// SQLite connections also get `foreign_keys = ON` and, for files, WAL
/// journaling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// The database URL as the driver reads it (`postgres://…`, `mysql://…`, `sqlite:…`).
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// Connections kept open even when idle.
    pub min_connections: u32,
    /// How long to wait for a free connection.
    pub acquire_timeout: Duration,
    /// Close connections idle for longer than this (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// Recycle connections older than this (`None`: never).
    pub max_lifetime: Option<Duration>,
    /// Ping each connection before handing it out.
    pub test_before_acquire: bool,
    /// Server-side limit on one statement, where the backend has one (`None`: no limit).
    pub statement_timeout: Option<Duration>,
    /// SQLite's busy timeout.
    pub sqlite_busy_timeout: Duration,
}

/// The URL query parameters and environment variables [`PoolConfig`] reads.
///
/// Durations are whole seconds. In the environment each name is upper-cased
/// and prefixed with `FRESHDESK_STORE_` (`FRESHDESK_STORE_MAX_CONNECTIONS`).
pub const SETTINGS: [&str; 8] = [
    "max_connections",
    "min_connections",
    "acquire_timeout",
    "idle_timeout",
    "max_lifetime",
    "test_before_acquire",
    "statement_timeout",
    "sqlite_busy_timeout",
];

impl PoolConfig {
    /// Defaults for `url` (see the table above). The URL's own query string
    /// is kept for the driver untouched; use [`PoolConfig::from_url`] to read
    /// settings from it.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let memory = is_sqlite_memory(&url);
        Self {
            url,
            max_connections: 10,
            min_connections: u32::from(memory),
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: (!memory).then_some(Duration::from_secs(600)),
            max_lifetime: (!memory).then_some(Duration::from_secs(1800)),
            test_before_acquire: true,
            statement_timeout: Some(Duration::from_secs(30)),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }

    /// Reads the settings listed in [`SETTINGS`] from the URL's query string
    /// (`…?max_connections=20&statement_timeout=10`), removes them, and
    /// leaves every other parameter for the driver.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the setting when a value does not parse.
    pub fn from_url(url: &str) -> Result<Self> {
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, query),
            None => (url, ""),
        };
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match SETTINGS.iter().find(|s| **s == key) {
                Some(setting) => ours.push((*setting, value.to_owned())),
                None => theirs.push(pair),
            }
        }
        let url = if theirs.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", theirs.join("&"))
        };
        let mut config = Self::new(url);
        for (key, value) in ours {
            config.set(key, &value)?;
        }
        Ok(config)
    }

    /// [`PoolConfig::from_url`] on `DATABASE_URL`, then any
    /// `FRESHDESK_STORE_<SETTING>` variable overrides the URL's value.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `DATABASE_URL` is unset or a value does not parse.
    pub fn from_env() -> Result<Self> {
        let url = std::env::var("DATABASE_URL")
            .map_err(|_| Error::invalid_input("DATABASE_URL", "is not set"))?;
        let mut config = Self::from_url(&url)?;
        for key in SETTINGS {
            let var = format!("FRESHDESK_STORE_{}", key.to_ascii_uppercase());
            if let Ok(value) = std::env::var(&var) {
                config.set(key, &value)?;
            }
        }
        Ok(config)
    }

    fn set(&mut self, key: &'static str, value: &str) -> Result<()> {
        let int = |value: &str| -> Result<u64> {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| Error::invalid_input(key, format!("`{value}` is not a whole number")))
        };
        let secs = |value: &str| int(value).map(Duration::from_secs);
        // 0 means "never" for the optional durations.
        let opt_secs = |value: &str| secs(value).map(|d| (!d.is_zero()).then_some(d));
        match key {
            "max_connections" => {
                let n = u32::try_from(int(value)?)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Error::invalid_input(key, "must be between 1 and 2^32-1"))?;
                self.max_connections = n;
            }
            "min_connections" => {
                self.min_connections = u32::try_from(int(value)?)
                    .map_err(|_| Error::invalid_input(key, "too large"))?;
            }
            "acquire_timeout" => self.acquire_timeout = secs(value)?,
            "idle_timeout" => self.idle_timeout = opt_secs(value)?,
            "max_lifetime" => self.max_lifetime = opt_secs(value)?,
            "statement_timeout" => self.statement_timeout = opt_secs(value)?,
            "sqlite_busy_timeout" => self.sqlite_busy_timeout = secs(value)?,
            "test_before_acquire" => {
                self.test_before_acquire = match value.trim() {
                    "true" | "1" | "yes" | "on" => true,
                    "false" | "0" | "no" | "off" => false,
                    other => {
                        return Err(Error::invalid_input(
                            key,
                            format!("`{other}` is not a boolean (true/false)"),
                        ));
                    }
                }
            }
            _ => unreachable!("keys come from SETTINGS"),
        }
        Ok(())
    }

    /// True for an in-memory SQLite URL.
    pub fn is_sqlite_memory(&self) -> bool {
        is_sqlite_memory(&self.url)
    }

    /// The SeaORM [`ConnectOptions`] these settings describe.
    ///
    /// In-memory SQLite keeps at least one connection open and never reaps
    /// idle ones, so the database does not vanish while the pool lives.
    pub fn connect_options(&self) -> ConnectOptions {
        let mut opt = ConnectOptions::new(self.url.clone());
        let memory = self.is_sqlite_memory();
        opt.max_connections(self.max_connections)
            .min_connections(if memory {
                self.min_connections.max(1)
            } else {
                self.min_connections
            })
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(if memory { None } else { self.idle_timeout })
            .max_lifetime(if memory { None } else { self.max_lifetime })
            .test_before_acquire(self.test_before_acquire)
            .sqlx_logging(false);
        if let Some(timeout) = self.statement_timeout {
            // PostgreSQL: a startup parameter. Other backends ignore it.
            opt.statement_timeout(timeout);
        }
        #[cfg(feature = "sqlite")]
        {
            let busy = self.sqlite_busy_timeout;
            opt.map_sqlx_sqlite_opts(move |o| {
                let o = o.foreign_keys(true).busy_timeout(busy);
                if memory {
                    o
                } else {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                }
            });
        }
        #[cfg(feature = "mysql")]
        if let Some(timeout) = self.statement_timeout {
            opt.map_sqlx_mysql_pool_opts(move |pool| {
                pool.after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        use sea_orm::sqlx::{AssertSqlSafe, Executor};
                        // MariaDB takes seconds; MySQL has only a SELECT limit in ms.
                        let maria =
                            format!("SET SESSION max_statement_time = {}", timeout.as_secs_f64());
                        if conn.execute(AssertSqlSafe(maria)).await.is_err() {
                            let mysql =
                                format!("SET SESSION max_execution_time = {}", timeout.as_millis());
                            conn.execute(AssertSqlSafe(mysql)).await?;
                        }
                        Ok(())
                    })
                })
            });
        }
        opt
    }

    /// The backend the URL names, checked against the drivers this build
    /// compiles in.
    ///
    /// # Errors
    ///
    /// [`Error::DriverNotEnabled`] naming the cargo feature to enable when
    /// the URL's driver is not compiled in; [`Error::UnsupportedScheme`] for
    /// a scheme the crate does not support; [`Error::InvalidInput`] when the
    /// URL has no scheme at all.
    pub fn backend(&self) -> Result<DbBackend> {
        let backend = backend_of(&self.url)?;
        let feature = feature_of(backend);
        if is_compiled(backend) {
            Ok(backend)
        } else {
            Err(Error::DriverNotEnabled {
                scheme: scheme_of(&self.url).unwrap_or_default().to_owned(),
                feature,
            })
        }
    }

    /// Connects a pool with these settings.
    ///
    /// # Errors
    ///
    /// The errors of [`PoolConfig::backend`], before anything is sent; then
    /// [`Error::Connect`] when the server cannot be reached
    /// ([`ConnectFailure::Unreachable`]), has no database of the URL's name
    /// or the SQLite file cannot be opened
    /// ([`ConnectFailure::DatabaseMissing`]), or refuses the login
    /// ([`ConnectFailure::LoginRefused`]), each with a one-line message
    /// naming the fix; any other failure as [`Error::Database`] and its
    /// siblings.
    pub async fn connect(&self) -> Result<DatabaseConnection> {
        let backend = self.backend()?;
        Database::connect(self.connect_options())
            .await
            .map_err(|err| connect_error(backend, &self.url, self.acquire_timeout, err))
    }
}

/// The backends whose driver this build compiles in.
const COMPILED: [(DbBackend, bool); 3] = [
    (DbBackend::Postgres, cfg!(feature = "postgres")),
    (DbBackend::MySql, cfg!(feature = "mysql")),
    (DbBackend::Sqlite, cfg!(feature = "sqlite")),
];

fn is_compiled(backend: DbBackend) -> bool {
    COMPILED.iter().any(|(b, on)| *b == backend && *on)
}

/// The cargo feature that compiles a backend's driver in.
fn feature_of(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "postgres",
        DbBackend::MySql => "mysql",
        _ => "sqlite",
    }
}

/// The part of a URL before its first `:`, when it looks like a scheme.
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// The backend a URL's scheme names, whether or not its driver is compiled in.
fn backend_of(url: &str) -> Result<DbBackend> {
    let Some(scheme) = scheme_of(url) else {
        return Err(Error::invalid_input(
            "database URL",
            "has no scheme: expected postgres://USER@HOST/DB, mysql://USER:PASSWORD@HOST/DB or sqlite:PATH",
        ));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Ok(DbBackend::Postgres),
        "mysql" => Ok(DbBackend::MySql),
        "sqlite" => Ok(DbBackend::Sqlite),
        _ => Err(Error::UnsupportedScheme {
            scheme: scheme.to_owned(),
        }),
    }
}

/// Where a URL points, without its credentials: `host:port` (with the
/// backend's default port when none is given), the user and the database;
/// for SQLite the file.
struct Target {
    place: String,
    user: Option<String>,
    database: Option<String>,
}

fn target_of(backend: DbBackend, url: &str) -> Target {
    let rest = url.split_once(':').map_or(url, |(_, rest)| rest);
    let rest = rest.split('?').next().unwrap_or_default();
    if backend == DbBackend::Sqlite {
        let path = rest.trim_start_matches("//");
        return Target {
            place: path.to_owned(),
            user: None,
            database: Some(path.to_owned()),
        };
    }
    let rest = rest.trim_start_matches("//");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (userinfo.split(':').next().filter(|u| !u.is_empty()), host),
        None => (None, authority),
    };
    let host = if host.is_empty() { "localhost" } else { host };
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !host.ends_with(']');
    let place = if has_port {
        host.to_owned()
    } else {
        let port = if backend == DbBackend::Postgres {
            5432
        } else {
            3306
        };
        format!("{host}:{port}")
    };
    Target {
        place,
        user: user.map(str::to_owned),
        database: Some(path.to_owned()).filter(|d| !d.is_empty()),
    }
}

/// Turns a failed connect into a message that names the cause and the fix.
fn connect_error(backend: DbBackend, url: &str, acquire_timeout: Duration, err: DbErr) -> Error {
    use sea_orm::sqlx::Error as S;
    let sqlx = match &err {
        DbErr::Conn(RuntimeErr::SqlxError(e)) => e.clone(),
        _ => return Error::from(err),
    };
    let target = target_of(backend, url);
    let detail = match sqlx.deref() {
        // The pool retried until its acquire timeout and kept no cause.
        S::PoolTimedOut => format!(
            "no connection within the {} s acquire timeout",
            acquire_timeout.as_secs_f64()
        ),
        other => other.to_string().replace('\n', " "),
    };
    let kind = match sqlx.deref() {
        S::Io(_) | S::Tls(_) | S::PoolTimedOut => ConnectFailure::Unreachable,
        S::Database(db) => {
            let code = db.code().unwrap_or_default();
            #[cfg(feature = "mysql")]
            let number = db
                .try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>()
                .map(|e| e.number());
            #[cfg(not(feature = "mysql"))]
            let number: Option<u16> = None;
            match (number, code.as_ref()) {
                // Unknown database.
                (Some(1049), _) | (None, "3D000") => ConnectFailure::DatabaseMissing,
                // Access denied (password, user, host).
                (Some(1045 | 1698 | 1044), _) | (None, "28P01" | "28000") => {
                    ConnectFailure::LoginRefused
                }
                // SQLITE_CANTOPEN and its extended codes.
                (None, "14" | "270" | "526" | "782" | "1038" | "1294")
                    if backend == DbBackend::Sqlite =>
                {
                    ConnectFailure::DatabaseMissing
                }
                _ => return Error::from(err),
            }
        }
        _ => return Error::from(err),
    };
    let message = connect_message(kind, backend, &target, &detail);
    Error::Connect {
        kind,
        target: target.place,
        message,
        source: err,
    }
}

fn connect_message(
    kind: ConnectFailure,
    backend: DbBackend,
    target: &Target,
    detail: &str,
) -> String {
    let place = &target.place;
    match (kind, backend) {
        (ConnectFailure::DatabaseMissing, DbBackend::Sqlite) => format!(
            "cannot open the SQLite database `{place}` ({detail}): check the path, \
             or add `?mode=rwc` to the URL to create the file"
        ),
        (ConnectFailure::Unreachable, _) if detail.contains("invalid peer certificate") => format!(
            "the database server at {place} offered a TLS certificate that rustls refuses \
             ({detail}): give the server an X.509 v3 certificate (Citus generates a v1 one), \
             or add `sslmode=disable` to the URL on a trusted network"
        ),
        (ConnectFailure::Unreachable, _) => format!(
            "cannot reach the database server at {place} ({detail}): \
             start the server, or fix the host and port in the URL"
        ),
        (ConnectFailure::DatabaseMissing, _) => {
            let name = target.database.as_deref().unwrap_or("NAME");
            let create = if backend == DbBackend::Postgres {
                format!("`createdb {name}` or `CREATE DATABASE {name};`")
            } else {
                format!("`CREATE DATABASE {name};`")
            };
            format!(
                "database `{name}` does not exist on {place}: create it ({create}), \
                 then run the migrations (`cargo run --example migrate -- --database-url URL`)"
            )
        }
        (ConnectFailure::LoginRefused, _) => {
            let user = target.user.as_deref().unwrap_or("(none given)");
            format!(
                "the server at {place} refused the login of user `{user}` ({detail}): \
                 check the user name and password in the URL (`{}://USER:PASSWORD@{place}/DB`)",
                if backend == DbBackend::Postgres {
                    "postgres"
                } else {
                    "mysql"
                }
            )
        }
    }
}

fn is_sqlite_memory(url: &str) -> bool {
    url.starts_with("sqlite:") && (url.contains(":memory:") || url.contains("mode=memory"))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
