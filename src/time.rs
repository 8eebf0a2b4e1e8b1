//! Local days in a fixed UTC offset, shared by the repository and the
//! analytics: the one offset type, [`UtcOffset`] (validated to
//! `-12:00..=+14:00`), and the one local-day calculation ([`UtcOffset::day`]).
//! A leaf module: it imports only the crate's error type.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A fixed offset from UTC between `-12:00` and `+14:00`, in which local
/// days are counted (a local day is `(instant + offset).date()`).
///
/// Parsed from and displayed as `±HH:MM`; serialized as that string.
///
/// ```
/// use freshdesk_store::time::UtcOffset;
///
/// let offset: UtcOffset = "+05:30".parse()?;
/// assert_eq!(offset.seconds(), 19_800);
/// assert_eq!(offset.to_string(), "+05:30");
/// assert!("+14:30".parse::<UtcOffset>().is_err());
/// # Ok::<(), freshdesk_store::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcOffset(i32);

impl UtcOffset {
    /// UTC itself (`+00:00`).
    pub const UTC: UtcOffset = UtcOffset(0);
    /// The smallest offset accepted: `-12:00`.
    pub const MIN: UtcOffset = UtcOffset(-12 * 3_600);
    /// The largest offset accepted: `+14:00`.
    pub const MAX: UtcOffset = UtcOffset(14 * 3_600);

    /// An offset of `seconds` east of UTC, in whole minutes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`utc_offset`) outside `-12:00..=+14:00` or
    /// when `seconds` is not a whole number of minutes.
    pub fn from_seconds(seconds: i32) -> Result<Self> {
        check_offset_range(seconds)?;
        if seconds % 60 != 0 {
            return Err(Error::invalid_input(
                "utc_offset",
                format!("must be a whole number of minutes, got {seconds} seconds"),
            ));
        }
        Ok(Self(seconds))
    }

    /// Seconds east of UTC (`+05:30` is 19,800; `-12:00` is -43,200).
    pub const fn seconds(self) -> i32 {
        self.0
    }

    /// The same offset as a [`chrono::FixedOffset`].
    pub fn to_fixed_offset(self) -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(self.0).expect("validated offset is within ±24h")
    }

    /// The local date of `instant` in this offset.
    pub fn local_date(self, instant: DateTime<Utc>) -> NaiveDate {
        (instant + Duration::seconds(i64::from(self.0))).date_naive()
    }

    /// The UTC instant at which local date `date` begins in this offset.
    pub fn start_of(self, date: NaiveDate) -> DateTime<Utc> {
        local_day(date, self.0).0
    }

    /// The UTC instants `[start, end)` of local date `date` in this offset.
    pub fn day(self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        local_day(date, self.0)
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let minutes = self.0.unsigned_abs() / 60;
        write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

impl FromStr for UtcOffset {
    type Err = Error;

    /// Parses `±HH:MM` (`+05:30`, `-12:00`, `+00:00`).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid_input(
                "utc_offset",
                format!("`{s}` is not an offset of the form +HH:MM or -HH:MM"),
            )
        };
        let bytes = s.as_bytes();
        if bytes.len() != 6 || bytes[3] != b':' {
            return Err(bad());
        }
        let sign = match bytes[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return Err(bad()),
        };
        let digits = |range: std::ops::Range<usize>| -> Result<i32> {
            let part = &s[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (hours, minutes) = (digits(1..3)?, digits(4..6)?);
        if minutes >= 60 {
            return Err(bad());
        }
        Self::from_seconds(sign * (hours * 3_600 + minutes * 60))
    }
}

impl Serialize for UtcOffset {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UtcOffset {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl TryFrom<FixedOffset> for UtcOffset {
    type Error = Error;

    /// The same offset, validated as [`UtcOffset::from_seconds`] does.
    fn try_from(offset: FixedOffset) -> Result<Self> {
        Self::from_seconds(offset.local_minus_utc())
    }
}

impl From<UtcOffset> for FixedOffset {
    fn from(offset: UtcOffset) -> Self {
        offset.to_fixed_offset()
    }
}

/// Checks an offset of `seconds` east of UTC against the range the crate
/// supports (`-12:00` to `+14:00`), whole minutes or not.
///
/// # Errors
///
/// [`Error::InvalidInput`] (`utc_offset`) outside the range.
pub(crate) fn check_offset_range(seconds: i32) -> Result<()> {
    if (UtcOffset::MIN.0..=UtcOffset::MAX.0).contains(&seconds) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "utc_offset",
            format!("must be between -12:00 and +14:00, got {seconds} seconds"),
        ))
    }
}

/// The UTC instants `[start, end)` of the local calendar day `date` at an
/// offset of `seconds` east of UTC (a local day is `(instant +
/// offset).date()`): the one local-day calculation of the crate.
pub(crate) fn local_day(date: NaiveDate, seconds: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = date.and_time(NaiveTime::MIN).and_utc() - Duration::seconds(i64::from(seconds));
    (start, start + Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_display_and_validate() {
        for (text, secs) in [
            ("+00:00", 0),
            ("+05:30", 19_800),
            ("-12:00", -43_200),
            ("+14:00", 50_400),
            ("-03:45", -13_500),
        ] {
            let offset: UtcOffset = text.parse().unwrap();
            assert_eq!(offset.seconds(), secs);
            assert_eq!(offset.to_string(), text);
        }
        assert_eq!(UtcOffset::from_seconds(0).unwrap().to_string(), "+00:00");
        for bad in [
            "", "+5:30", "05:30", "+05:60", "+14:01", "-12:01", "+05-30", "+0a:00", "+05:30x",
            "−05:00",
        ] {
            let err = bad.parse::<UtcOffset>().unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidInput {
                        field: "utc_offset",
                        ..
                    }
                ),
                "{bad}: {err}"
            );
        }
        assert!(UtcOffset::from_seconds(30).is_err());
        assert_eq!(
            serde_json::to_string(&UtcOffset::from_seconds(-18_000).unwrap()).unwrap(),
            "\"-05:00\""
        );
    }

    #[test]
    fn local_day_in_offsets() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let (s, e) = local_day(d, 2 * 3600);
        assert_eq!(s.to_rfc3339(), "2026-09-30T22:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2026-10-01T22:00:00+00:00");
        let (s, _) = local_day(d, -5 * 3600);
        assert_eq!(s.to_rfc3339(), "2026-10-01T05:00:00+00:00");
        assert!(check_offset_range(15 * 3600).is_err());
        let fixed = FixedOffset::east_opt(15 * 3600).unwrap();
        assert!(UtcOffset::try_from(fixed).is_err());
    }
}
