//! Input validation shared by every write: Freshdesk ids, text without NUL
//! characters (also inside JSON documents), and Freshdesk ids unique within
//! an upsert batch. Each check names the field (and the row) it rejects,
//! before anything is sent. A leaf module.

use std::collections::BTreeSet;

use crate::error::{Error, Result};

/// The longest Freshdesk id stored (MariaDB's `VARCHAR(255)`).
pub(crate) const MAX_FRESHDESK_ID_BYTES: usize = 255;

/// The deepest nesting of a JSON document the crate writes
/// (`custom_fields`): 32 levels, MariaDB's own limit for its JSON
/// functions. A scalar or an empty array is depth 1.
pub const MAX_JSON_DEPTH: usize = 32;

/// The largest serialized JSON document the crate writes (`custom_fields`,
/// and the `tags` array): 256 KiB.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

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

/// Checks a value a read looks up or compares (a Freshdesk id, a tag):
/// at most `max_len` bytes (longer values are never stored) and without a
/// NUL character, which PostgreSQL refuses in `text` with an error that
/// aborts the caller's transaction. An empty value is allowed (it finds
/// nothing).
pub(crate) fn check_lookup(field: &'static str, value: &str, max_len: usize) -> Result<()> {
    if value.len() > max_len {
        return Err(Error::invalid_input(
            field,
            format!("must be at most {max_len} bytes, got {}", value.len()),
        ));
    }
    if value.contains('\0') {
        return Err(Error::invalid_input(
            field,
            "must not contain a NUL character",
        ));
    }
    Ok(())
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

/// [`check_text`] on every string and object key of a JSON document, and
/// its bounds: at most [`MAX_JSON_DEPTH`] levels deep and at most
/// [`MAX_JSON_BYTES`] serialized (walked without recursion, so any depth is
/// safe to check).
pub(crate) fn check_json(
    field: &'static str,
    index: usize,
    value: &serde_json::Value,
) -> Result<()> {
    use serde_json::Value;
    let mut pending = vec![(value, 1_usize)];
    while let Some((value, depth)) = pending.pop() {
        if depth > MAX_JSON_DEPTH {
            return Err(Error::invalid_input(
                field,
                format!("row {index}: must be nested at most {MAX_JSON_DEPTH} levels deep"),
            ));
        }
        match value {
            Value::String(s) => check_text(field, index, s)?,
            Value::Array(items) => pending.extend(items.iter().map(|item| (item, depth + 1))),
            Value::Object(map) => {
                for (key, item) in map {
                    check_text(field, index, key)?;
                    pending.push((item, depth + 1));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    // Shallow now, so serializing cannot recurse deeply. Counted, not kept.
    let mut counter = ByteCount(0);
    let bytes = serde_json::to_writer(&mut counter, value).map_or(usize::MAX, |()| counter.0);
    if bytes > MAX_JSON_BYTES {
        return Err(Error::invalid_input(
            field,
            format!("row {index}: must be at most {MAX_JSON_BYTES} bytes as JSON, got {bytes}"),
        ));
    }
    Ok(())
}

/// Counts the bytes written to it.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(bytes.len());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> serde_json::Value {
        let mut value = serde_json::json!(1);
        for _ in 1..levels {
            value = serde_json::json!({ "a": value });
        }
        value
    }

    #[test]
    fn json_depth_and_size_are_bounded() {
        assert!(check_json("custom_fields", 0, &nested(MAX_JSON_DEPTH)).is_ok());
        for bad in [nested(MAX_JSON_DEPTH + 1), nested(200)] {
            let err = check_json("custom_fields", 3, &bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidInput { field: "custom_fields", ref reason } if reason.contains("row 3")),
                "{err}"
            );
        }
        let big = serde_json::json!({ "k": "x".repeat(MAX_JSON_BYTES) });
        assert!(check_json("custom_fields", 0, &big).is_err());
        let fits = serde_json::json!({ "k": "x".repeat(MAX_JSON_BYTES - 16) });
        assert!(check_json("custom_fields", 0, &fits).is_ok());
        assert!(check_lookup("tag", "a\0b", 10).is_err());
        assert!(check_lookup("tag", "ab", 1).is_err());
        assert!(check_lookup("tag", "", 1).is_ok());
    }
}
