//! The crate's one error type and its `Result` alias.
//!
//! Every fallible function returns [`Result<T>`]. The variants say what went
//! wrong and for which input, so a caller can branch on them (a
//! [`Error::NotFound`] is a 404, a [`Error::Conflict`] a 409, an
//! [`Error::InvalidInput`] a 400) and a person can act on the message.

use std::ops::Deref;

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `freshdesk-store`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The row does not exist, or belongs to another merchant (the two are
    /// indistinguishable on purpose).
    #[error("{entity} {id} not found")]
    NotFound {
        /// Which kind of row: `"ticket"`, `"agent"`, ….
        entity: &'static str,
        /// The id that was looked up, as the caller gave it.
        id: String,
    },

    /// The database refused the write because of a constraint: a unique
    /// key that already holds the value, or a row that other rows still
    /// reference. Taken from the database's own violation, never from a
    /// check before the write.
    #[error("conflict on {constraint}: {detail}")]
    Conflict {
        /// What kind of constraint was violated.
        kind: ConflictKind,
        /// The constraint (or its columns, where the backend does not name it).
        constraint: String,
        /// The database's message.
        detail: String,
    },

    /// An argument was rejected before anything was sent to the database.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument or field that was wrong.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// The server cancelled a statement that ran longer than its statement
    /// timeout (PostgreSQL 57014, MariaDB 1969, MySQL 3024). Not retryable:
    /// the same statement would time out again.
    #[error("statement timed out: {0}")]
    StatementTimeout(#[source] DbErr),

    /// Waiting for a lock took too long (PostgreSQL 55P03, MariaDB 1205,
    /// SQLite `SQLITE_BUSY` / `SQLITE_LOCKED` after the busy timeout).
    /// Retryable.
    #[error("lock wait timed out: {0}")]
    LockTimeout(#[source] DbErr),

    /// A serializable transaction could not be serialized with concurrent
    /// ones (PostgreSQL 40001). Retryable: begin a fresh transaction.
    #[error("serialization failure: {0}")]
    SerializationFailure(#[source] DbErr),

    /// The transaction was chosen as a deadlock victim (PostgreSQL 40P01,
    /// MariaDB 1213). Retryable: begin a fresh transaction.
    #[error("deadlock: {0}")]
    Deadlock(#[source] DbErr),

    /// The connection to the server broke (I/O error, server shutdown or
    /// `pg_terminate_backend` 57P01, MariaDB `KILL CONNECTION` 1927, a
    /// closed pool). The transaction is gone; nothing of it was committed
    /// unless the error came from `COMMIT` itself. Retryable.
    #[error("connection lost: {0}")]
    ConnectionLost(#[source] DbErr),

    /// No pooled connection became free within the acquire timeout.
    /// Retryable after a pause; persistent exhaustion means the pool is too
    /// small or connections are held too long.
    #[error("connection pool exhausted: {0}")]
    PoolExhausted(#[source] DbErr),

    /// Any other database error (syntax, permissions, data, …).
    #[error("database error: {0}")]
    Database(#[source] DbErr),

    /// The database URL names a backend whose driver this build of the
    /// crate leaves out: enable the cargo feature it names (`postgres`,
    /// `mysql` or `sqlite`). Returned by
    /// [`PoolConfig::connect`](crate::PoolConfig::connect) before anything
    /// is sent.
    #[error(
        "`{scheme}:` URLs need the `{feature}` cargo feature of freshdesk-store, which this build lacks: \
         enable it (`cargo run --features {feature} …`, or `features = [\"{feature}\"]` on the dependency)"
    )]
    DriverNotEnabled {
        /// The URL's scheme, as given (`postgres`, `postgresql`, `mysql`, `sqlite`).
        scheme: String,
        /// The cargo feature that compiles its driver in.
        feature: &'static str,
    },

    /// The database URL's scheme is none the crate supports.
    #[error(
        "unsupported database URL scheme `{scheme}:`: use postgres:// (or postgresql://), \
         mysql:// (MySQL and MariaDB) or sqlite:"
    )]
    UnsupportedScheme {
        /// The URL's scheme, as given.
        scheme: String,
    },

    /// [`PoolConfig::connect`](crate::PoolConfig::connect) could not open a
    /// connection, for a reason the person running the program can fix: the
    /// message names the cause and the fix in one line (it never repeats the
    /// URL's password). Retryable only when the server was unreachable.
    #[error("{message}")]
    Connect {
        /// What went wrong.
        kind: ConnectFailure,
        /// The server (`host:port`) or SQLite file, without credentials.
        target: String,
        /// The one-line explanation, cause and fix.
        message: String,
        /// The driver's error.
        #[source]
        source: DbErr,
    },

    /// A statement named a table or column that the database does not have:
    /// the schema was never migrated, or is older than this crate. Run the
    /// migrations ([`Migrator::up`](crate::migration::Migrator), or
    /// `cargo run --example migrate -- --database-url URL`).
    #[error(
        "{missing} does not exist: the database schema is not migrated (or is older than this crate); \
         run the migrations (`Migrator::up`, or `cargo run --example migrate -- --database-url URL`)"
    )]
    SchemaNotMigrated {
        /// What is missing: the word `table` or `column` and the name in
        /// backquotes (for example: table `freshdesk_agent`).
        missing: String,
        /// The database's error.
        #[source]
        source: DbErr,
    },
}

/// Why [`Error::Connect`] could not connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// Nothing answered at the URL's host and port (refused, timed out, no
    /// such host, TLS failure).
    Unreachable,
    /// The server answered but has no database of the URL's name (or the
    /// SQLite file cannot be opened).
    DatabaseMissing,
    /// The server refused the URL's user name or password.
    LoginRefused,
}

/// The kind of constraint behind an [`Error::Conflict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum ConflictKind {
    /// A unique key (for example `(merchant_id, freshdesk_ticket_id)`)
    /// already holds the value.
    Unique,
    /// A foreign key: the referenced row is missing, or a row being deleted
    /// is still referenced (an agent or contact that tickets point at).
    ForeignKey,
}

impl Error {
    /// Builds an [`Error::InvalidInput`].
    pub fn invalid_input(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// Builds an [`Error::NotFound`].
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// Whether running the same unit of work again, in a fresh transaction,
    /// may succeed: serialization failures, deadlocks, lock timeouts, lost
    /// connections, an exhausted pool and an unreachable server.
    ///
    /// [`Error::StatementTimeout`] is deliberately not retryable: a
    /// statement timeout fires for a slow statement as well as for a long
    /// lock wait, and retrying a slow statement only multiplies the load.
    /// The crate's bulk writes take their row locks in one order (sorted by
    /// unique key), so writers of overlapping batches queue behind each
    /// other instead of deadlocking; to have long lock waits retried, set
    /// a lock timeout shorter than the statement timeout (PostgreSQL
    /// `lock_timeout`, MariaDB `innodb_lock_wait_timeout`): it is reported
    /// as [`Error::LockTimeout`], which is retryable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::SerializationFailure(_)
                | Self::Deadlock(_)
                | Self::LockTimeout(_)
                | Self::ConnectionLost(_)
                | Self::PoolExhausted(_)
                | Self::Connect {
                    kind: ConnectFailure::Unreachable,
                    ..
                }
        )
    }

    /// True for [`Error::Conflict`] of the given kind.
    pub fn is_conflict(&self, kind: ConflictKind) -> bool {
        matches!(self, Self::Conflict { kind: k, .. } if *k == kind)
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        let (kind, detail) = match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => (ConflictKind::Unique, msg),
            Some(SqlErr::ForeignKeyConstraintViolation(msg)) => (ConflictKind::ForeignKey, msg),
            _ => match citus_copy_violation(&err) {
                Some(found) => found,
                None => return classify(err),
            },
        };
        let constraint = driver_constraint(&err)
            .or_else(|| constraint_from_message(&detail))
            .map(|name| without_shard_suffix(&name).to_owned())
            .unwrap_or_else(|| "unknown constraint".to_owned());
        Self::Conflict {
            kind,
            constraint,
            detail,
        }
    }
}

/// Citus runs an `INSERT … SELECT` between shards as an internal `COPY`,
/// and reports a constraint violation on a worker as SQLSTATE `XX000` with
/// PostgreSQL's own message: read the kind from the message.
fn citus_copy_violation(err: &DbErr) -> Option<(ConflictKind, String)> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let sea_orm::sqlx::Error::Database(db) = e.deref() else {
        return None;
    };
    if db.code().as_deref() != Some("XX000") {
        return None;
    }
    let message = db.message();
    if message.starts_with("duplicate key value violates unique constraint") {
        Some((ConflictKind::Unique, message.to_owned()))
    } else if message.contains("violates foreign key constraint") {
        Some((ConflictKind::ForeignKey, message.to_owned()))
    } else {
        None
    }
}

/// Sorts a database error that is not a constraint violation into the
/// kinds a caller can act on.
fn classify(err: DbErr) -> Error {
    use sea_orm::ConnAcquireErr;
    let sqlx = match &err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => return Error::PoolExhausted(err),
        DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) => {
            return Error::ConnectionLost(err);
        }
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => e.clone(),
        _ => return Error::Database(err),
    };
    use sea_orm::sqlx::Error as S;
    match sqlx.deref() {
        S::PoolTimedOut => Error::PoolExhausted(err),
        S::PoolClosed | S::Io(_) | S::Tls(_) | S::Protocol(_) | S::WorkerCrashed => {
            Error::ConnectionLost(err)
        }
        S::Database(db) => {
            if mysql_number(db.as_ref()) == Some(1406) {
                return too_long(db.message());
            }
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            if let Some(missing) =
                missing_schema_object(&code, mysql_number(db.as_ref()), db.message())
            {
                return Error::SchemaNotMigrated {
                    missing,
                    source: err,
                };
            }
            match classify_code(&code, mysql_number(db.as_ref())) {
                Some(Kind::StatementTimeout) => Error::StatementTimeout(err),
                Some(Kind::LockTimeout) => Error::LockTimeout(err),
                Some(Kind::Serialization) => Error::SerializationFailure(err),
                Some(Kind::Deadlock) => Error::Deadlock(err),
                Some(Kind::ConnectionLost) => Error::ConnectionLost(err),
                None => Error::Database(err),
            }
        }
        _ => Error::Database(err),
    }
}

/// MariaDB/MySQL refuse a value longer than its column (error 1406, "Data
/// too long for column 'body'"): `TEXT` holds 65,535 bytes there, unlike
/// PostgreSQL and SQLite. Nothing was stored; the caller gets the field.
fn too_long(message: &str) -> Error {
    const COLUMNS: [&str; 10] = [
        "subject",
        "body",
        "feedback",
        "name",
        "email",
        "freshdesk_ticket_id",
        "freshdesk_conversation_id",
        "freshdesk_rating_id",
        "freshdesk_agent_id",
        "freshdesk_contact_id",
    ];
    let column = message.split('\'').nth(1).unwrap_or_default();
    let field = COLUMNS
        .iter()
        .find(|c| **c == column)
        .copied()
        .unwrap_or("text");
    Error::invalid_input(
        field,
        format!(
            "too long for its MariaDB/MySQL column (TEXT holds at most 65,535 bytes): {message}"
        ),
    )
}

/// `table `x`` or `column `x`` when the error says that a table or column
/// does not exist (PostgreSQL 42P01 / 42703, MariaDB/MySQL 1146 / 1054,
/// SQLite `no such table` / `no such column`).
fn missing_schema_object(code: &str, mysql_number: Option<u16>, message: &str) -> Option<String> {
    let quoted = |quote: char| message.split(quote).nth(1).map(str::to_owned);
    let (what, name) = match (mysql_number, code) {
        // "Table 'db.freshdesk_agent' doesn't exist": drop the schema.
        (Some(1146), _) => (
            "table",
            quoted('\'').map(|n| n.rsplit('.').next().unwrap_or_default().to_owned()),
        ),
        // "Unknown column 'deleted' in 'field list'"
        (Some(1054), _) => ("column", quoted('\'')),
        (Some(_), _) => return None,
        // relation "freshdesk_agent" does not exist
        (None, "42P01") => ("table", quoted('"')),
        // column "deleted" does not exist / column t.deleted does not exist
        (None, "42703") => (
            "column",
            quoted('"').or_else(|| {
                message
                    .strip_prefix("column ")
                    .and_then(|m| m.split(' ').next())
                    .map(str::to_owned)
            }),
        ),
        (None, _) => {
            if let Some(name) = message.strip_prefix("no such table: ") {
                ("table", Some(name.trim().to_owned()))
            } else if let Some(name) = message.strip_prefix("no such column: ") {
                ("column", Some(name.trim().to_owned()))
            } else {
                return None;
            }
        }
    };
    let name = name.filter(|n| !n.is_empty())?;
    Some(format!("{what} `{name}`"))
}

enum Kind {
    StatementTimeout,
    LockTimeout,
    Serialization,
    Deadlock,
    ConnectionLost,
}

/// MariaDB/MySQL's error number (SQLSTATE is too coarse there).
fn mysql_number(db: &dyn sea_orm::sqlx::error::DatabaseError) -> Option<u16> {
    #[cfg(feature = "mysql")]
    if let Some(e) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        return Some(e.number());
    }
    let _ = db;
    None
}

/// PostgreSQL SQLSTATEs, MariaDB/MySQL error numbers and SQLite result codes.
fn classify_code(code: &str, mysql_number: Option<u16>) -> Option<Kind> {
    if let Some(number) = mysql_number {
        return match number {
            1969 | 3024 => Some(Kind::StatementTimeout),
            1205 => Some(Kind::LockTimeout),
            1213 => Some(Kind::Deadlock),
            1927 | 2006 | 2013 => Some(Kind::ConnectionLost),
            _ => None,
        };
    }
    match code {
        // PostgreSQL
        "57014" => Some(Kind::StatementTimeout),
        "55P03" => Some(Kind::LockTimeout),
        "40001" => Some(Kind::Serialization),
        "40P01" => Some(Kind::Deadlock),
        "57P01" | "57P02" | "57P03" => Some(Kind::ConnectionLost),
        c if c.starts_with("08") => Some(Kind::ConnectionLost),
        // SQLite primary and extended codes for BUSY (5) and LOCKED (6).
        "5" | "6" | "261" | "262" | "517" | "773" => Some(Kind::LockTimeout),
        _ => None,
    }
}

/// The constraint name the driver reports (PostgreSQL does).
fn driver_constraint(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.deref() {
                sea_orm::sqlx::Error::Database(db) => db.constraint().map(str::to_owned),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Citus reports a violation on a worker with the shard's index name
/// (`uq_ticket_freshdesk_id_102092`) and no constraint field: the crate's
/// own constraint names (`uq_…`, `fk_…`, `…_pkey`) lose their shard suffix,
/// so a conflict names the same constraint as on plain PostgreSQL.
fn without_shard_suffix(name: &str) -> &str {
    let Some((base, shard)) = name.rsplit_once('_') else {
        return name;
    };
    let ours = base.starts_with("uq_") || base.starts_with("fk_") || base.ends_with("_pkey");
    if ours && !shard.is_empty() && shard.bytes().all(|b| b.is_ascii_digit()) {
        base
    } else {
        name
    }
}

/// Best effort for backends that put the constraint only in the message:
/// MariaDB (`… for key 'name'`, `… CONSTRAINT `name` FOREIGN KEY …`),
/// SQLite (`UNIQUE constraint failed: t.a, t.b`) and PostgreSQL messages
/// that arrive without the constraint field (Citus workers:
/// `… violates unique constraint "name"`).
fn constraint_from_message(msg: &str) -> Option<String> {
    if let Some(rest) = msg.split("for key '").nth(1) {
        return rest.split('\'').next().map(str::to_owned);
    }
    if let Some(rest) = msg.split("CONSTRAINT `").nth(1) {
        return rest.split('`').next().map(str::to_owned);
    }
    if let Some(rest) = msg.split("constraint failed: ").nth(1) {
        return Some(rest.trim().to_owned());
    }
    if let Some(rest) = msg.split("constraint \"").nth(1) {
        return rest.split('"').next().map(str::to_owned);
    }
    None
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
