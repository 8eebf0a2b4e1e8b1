//! Lenient pieces of the payload types: `null` read as the default, and
//! phone numbers that arrive as strings or numbers.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// `null` (or a missing field, with `#[serde(default)]`) as `T::default()`.
pub(super) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// A phone number as text. Freshdesk sends agents' (and sometimes
/// contacts') `phone` and `mobile` as JSON numbers; they are read as their
/// decimal text, strings as they are.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Phone(pub String);

impl Phone {
    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Phone(s)),
            serde_json::Value::Number(n) => Ok(Phone(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a phone number as a string or a number, got {other}"
            ))),
        }
    }
}
