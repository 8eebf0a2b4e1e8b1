//! Bind-parameter limits of each backend: how many values one statement may
//! carry, and so how many ids fit in one `IN (…)` list. A leaf module: it
//! imports nothing from the rest of the repository layer.

use sea_orm::DbBackend;

/// Largest number of bind parameters one statement may carry.
pub(crate) fn max_bind_params(backend: DbBackend) -> usize {
    match backend {
        // PostgreSQL and MySQL count parameters in a u16.
        DbBackend::Postgres | DbBackend::MySql => 65_535,
        // The bundled SQLite (3.32+) allows 32,766.
        _ => 32_766,
    }
}

/// Ids per `IN (…)` list: the limit, less room for the statement's other
/// parameters (the merchant id and a few more).
pub(crate) fn ids_per_statement(backend: DbBackend) -> usize {
    max_bind_params(backend) - 16
}
