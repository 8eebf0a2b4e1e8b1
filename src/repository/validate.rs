//! Input validation shared by every write: Freshdesk ids, text without NUL
//! characters (also inside JSON documents), and Freshdesk ids unique within
//! an upsert batch. Each check names the field (and the row) it rejects,
//! before anything is sent. A leaf module.

use std::collections::BTreeSet;

use crate::error::{Error, Result};

/// Checks a Freshdesk id: non-empty, at most 255 bytes (MariaDB stores
/// them as `VARCHAR(255)`), and without a NUL character.
pub(crate) fn check_freshdesk_id(field: &'static str, index: usize, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input(
            field,
            format!("row {index}: must not be empty"),
        ));
    }
    if id.len() > 255 {
        return Err(Error::invalid_input(
            field,
            format!("row {index}: must be at most 255 bytes, got {}", id.len()),
        ));
    }
    check_text(field, index, id)
}

/// Checks that no Freshdesk id appears twice in one upsert batch (an upsert
/// cannot update one row twice in a statement).
pub(crate) fn check_unique_in_batch<'a>(
    field: &'static str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(Error::invalid_input(
                field,
                format!("`{id}` appears more than once in the batch"),
            ));
        }
    }
    Ok(())
}

/// Rejects text with a NUL character, on every backend alike: PostgreSQL
/// cannot store one in `text` or `jsonb`, so no backend accepts it.
pub(crate) fn check_text(field: &'static str, index: usize, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::invalid_input(
            field,
            format!("row {index}: must not contain a NUL character"),
        ));
    }
    Ok(())
}

/// [`check_text`] on every string and object key of a JSON document
/// (walked without recursion, so any depth is safe).
pub(crate) fn check_json_text(
    field: &'static str,
    index: usize,
    value: &serde_json::Value,
) -> Result<()> {
    use serde_json::Value;
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(s) => check_text(field, index, s)?,
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => {
                for (key, item) in map {
                    check_text(field, index, key)?;
                    pending.push(item);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    Ok(())
}
