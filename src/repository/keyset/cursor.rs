//! The cursor codec: a position in a sort order (the values of its key
//! columns) as an opaque, URL-safe string, bound by a fingerprint to the
//! merchant, sort order and query it was made for.
//!
//! A cursor is not a secret and not signed: it is the hex encoding of the
//! last row's sort key values (its id, and its `created_at`, `updated_at`
//! or priority) and an unkeyed hash of the merchant, sort order and filter.
//! Anyone can decode or forge one, so every decoded value is checked
//! before it is used: timestamps inside the [supported range](crate::time),
//! ids above 0, priority codes within 32 bits, one value of the right kind
//! per key column. A forged cursor can only ask for rows after an
//! arbitrary position of the same merchant's list.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::ids::MerchantId;
use crate::time::check_instant;

/// A value of a sort key, as a cursor carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyValue {
    Int(i64),
    Ts(DateTime<Utc>),
}

/// The kind of a sort key column, to check a decoded cursor against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// A row id: above 0.
    Id,
    /// A 32-bit code (a priority).
    Int32,
    /// An instant in the supported range.
    Ts,
}

impl KeyKind {
    /// Whether a decoded value may stand in a column of this kind.
    fn accepts(self, value: KeyValue) -> bool {
        match (self, value) {
            (KeyKind::Id, KeyValue::Int(n)) => n > 0,
            (KeyKind::Int32, KeyValue::Int(n)) => i32::try_from(n).is_ok(),
            (KeyKind::Ts, KeyValue::Ts(at)) => check_instant("cursor", at).is_ok(),
            _ => false,
        }
    }
}

/// Where a cursor may be used: the merchant, the sort order and the query
/// it came from. A cursor made for another scope is rejected.
pub(crate) fn fingerprint(merchant: MerchantId, sort: &str, scope: &str) -> u64 {
    // FNV-1a: stable across Rust versions and processes, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [merchant.to_string().as_str(), sort, scope] {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

const CURSOR_VERSION: &str = "c1";
const MAX_CURSOR_LEN: usize = 1024;

/// Encodes a position as an opaque, URL-safe string (lowercase hex).
pub(crate) fn encode_cursor(fingerprint: u64, values: &[KeyValue]) -> String {
    let mut text = format!("{CURSOR_VERSION}|{fingerprint:016x}");
    for value in values {
        match value {
            KeyValue::Int(n) => text.push_str(&format!("|i{n}")),
            KeyValue::Ts(t) => text.push_str(&format!(
                "|t{}.{}",
                t.timestamp(),
                t.timestamp_subsec_nanos()
            )),
        }
    }
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn bad_cursor(reason: &str) -> Error {
    Error::invalid_input("cursor", reason.to_owned())
}

/// Decodes a cursor made by [`encode_cursor`] for the same fingerprint and
/// key kinds.
pub(crate) fn decode_cursor(
    cursor: &str,
    fingerprint: u64,
    kinds: &[KeyKind],
) -> Result<Vec<KeyValue>> {
    if cursor.len() > MAX_CURSOR_LEN || !cursor.len().is_multiple_of(2) {
        return Err(bad_cursor("malformed cursor"));
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            cursor
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| bad_cursor("malformed cursor"))?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor("malformed cursor"))?;
    let mut parts = text.split('|');
    if parts.next() != Some(CURSOR_VERSION) {
        return Err(bad_cursor("malformed cursor"));
    }
    let fp = parts
        .next()
        .and_then(|p| u64::from_str_radix(p, 16).ok())
        .ok_or_else(|| bad_cursor("malformed cursor"))?;
    if fp != fingerprint {
        return Err(bad_cursor(
            "cursor belongs to another merchant, sort order or query",
        ));
    }
    let values = parts
        .map(parse_value)
        .collect::<Option<Vec<KeyValue>>>()
        .ok_or_else(|| bad_cursor("malformed cursor"))?;
    if values.len() != kinds.len() {
        return Err(bad_cursor("cursor does not match the sort order"));
    }
    if values.iter().zip(kinds).any(|(v, k)| !k.accepts(*v)) {
        return Err(bad_cursor(
            "cursor holds a value out of range or of the wrong kind for the sort order",
        ));
    }
    Ok(values)
}

fn parse_value(part: &str) -> Option<KeyValue> {
    if let Some(n) = part.strip_prefix('i') {
        return n.parse().ok().map(KeyValue::Int);
    }
    let (secs, nanos) = part.strip_prefix('t')?.split_once('.')?;
    DateTime::from_timestamp(secs.parse().ok()?, nanos.parse().ok()?).map(KeyValue::Ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_foreign_ones() {
        let m = MerchantId::new(7).unwrap();
        let fp = fingerprint(m, "created_desc", "all");
        let t = DateTime::from_timestamp(1_790_000_000, 123_456_000).unwrap();
        let values = [KeyValue::Ts(t), KeyValue::Int(42)];
        let c = encode_cursor(fp, &values);
        assert!(c.bytes().all(|b| b.is_ascii_hexdigit()));
        let kinds = [KeyKind::Ts, KeyKind::Id];
        assert_eq!(decode_cursor(&c, fp, &kinds).unwrap(), values);

        let other = fingerprint(MerchantId::new(8).unwrap(), "created_desc", "all");
        assert!(decode_cursor(&c, other, &kinds).is_err());
        assert!(decode_cursor(&c, fp, &[KeyKind::Id, KeyKind::Id]).is_err());
        // Forged values of the right kind but out of range.
        let forged = [
            [
                KeyValue::Ts(DateTime::from_timestamp(-283_000_000_000, 0).unwrap()),
                KeyValue::Int(1),
            ],
            [KeyValue::Ts(DateTime::<Utc>::MAX_UTC), KeyValue::Int(1)],
            [KeyValue::Ts(t), KeyValue::Int(0)],
            [KeyValue::Ts(t), KeyValue::Int(i64::MIN)],
        ];
        for values in forged {
            let c = encode_cursor(fp, &values);
            assert!(matches!(
                decode_cursor(&c, fp, &kinds),
                Err(Error::InvalidInput {
                    field: "cursor",
                    ..
                })
            ));
        }
        let prio = encode_cursor(fp, &[KeyValue::Int(i64::from(i32::MAX) + 1)]);
        assert!(decode_cursor(&prio, fp, &[KeyKind::Int32]).is_err());
        let prio = encode_cursor(fp, &[KeyValue::Int(-3)]);
        assert!(decode_cursor(&prio, fp, &[KeyKind::Int32]).is_ok());
        for junk in ["", "zz", "abc", "6331", &"a".repeat(2000)] {
            let err = decode_cursor(junk, fp, &kinds).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidInput {
                        field: "cursor",
                        ..
                    }
                ),
                "{junk}: {err}"
            );
        }
    }
}
