//! Time, shared by the repository and the analytics: the one offset type,
//! [`UtcOffset`] (validated to `-12:00..=+14:00`), the one local-day
//! calculation ([`UtcOffset::day`]), and the one supported range of
//! instants ([`MIN_INSTANT`]`..=`[`MAX_INSTANT`]) with its check.
//! A leaf module: it imports only the crate's error type.
//!
//! # The supported range of instants
//!
//! Every timestamp the crate writes or compares — the fields of the input
//! types, a filter's bounds, a report's `now`, the values a cursor carries —
//! must lie in `1000-01-01T00:00:00Z..=9999-12-31T23:59:59.999999Z`: the
//! range all three backends store and compare alike (MariaDB's `DATETIME`
//! starts at year 1000; SQLite's RFC 3339 text sorts as time only with four
//! digit years; PostgreSQL aborts the transaction on some values outside).
//! Outside it a call fails with [`Error::InvalidInput`] naming the field,
//! before anything is sent to the database.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use freshdesk_store::time::{MAX_INSTANT, MIN_INSTANT, UtcOffset};
//!
//! assert_eq!(MIN_INSTANT.to_rfc3339(), "1000-01-01T00:00:00+00:00");
//! assert_eq!(MAX_INSTANT.to_rfc3339(), "9999-12-31T23:59:59.999999+00:00");
//! // Out of range: a typed error naming the argument, never a panic.
//! assert!(UtcOffset::MAX.local_date(DateTime::<Utc>::MAX_UTC).is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The earliest instant the crate writes or compares:
/// `1000-01-01T00:00:00Z` (see the [module docs](self)).
pub const MIN_INSTANT: DateTime<Utc> = match DateTime::from_timestamp_micros(MIN_MICROS) {
    Some(at) => at,
    None => panic!("1000-01-01 is a chrono instant"),
};

/// The latest instant the crate writes or compares:
/// `9999-12-31T23:59:59.999999Z` (see the [module docs](self)).
pub const MAX_INSTANT: DateTime<Utc> = match DateTime::from_timestamp_micros(MAX_MICROS) {
    Some(at) => at,
    None => panic!("9999-12-31 is a chrono instant"),
};

/// 1000-01-01T00:00:00Z in microseconds since the Unix epoch.
const MIN_MICROS: i64 = -30_610_224_000_000_000;
/// 9999-12-31T23:59:59.999999Z in microseconds since the Unix epoch.
const MAX_MICROS: i64 = 253_402_300_799_999_999;

/// The first and the last calendar date inside the supported range.
const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1000, 1, 1) {
    Some(date) => date,
    None => panic!("1000-01-01 is a chrono date"),
};
const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => panic!("9999-12-31 is a chrono date"),
};

/// Checks that `at` lies in [`MIN_INSTANT`]`..=`[`MAX_INSTANT`].
///
/// # Errors
///
/// [`Error::InvalidInput`] naming `field` outside the range.
pub fn check_instant(field: &'static str, at: DateTime<Utc>) -> Result<()> {
    if (MIN_INSTANT..=MAX_INSTANT).contains(&at) {
        Ok(())
    } else {
        Err(out_of_range(field, &at.to_rfc3339()))
    }
}

/// [`check_instant`] for a field of row `index` of a write.
pub(crate) fn check_row_instant(
    field: &'static str,
    index: usize,
    at: DateTime<Utc>,
) -> Result<()> {
    check_instant(field, at).map_err(|_| out_of_range(field, &format!("row {index}: {at:?}")))
}

/// Checks that `date` is a calendar date inside the supported range.
pub(crate) fn check_date(field: &'static str, date: NaiveDate) -> Result<()> {
    if (MIN_DATE..=MAX_DATE).contains(&date) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            format!("must be between {MIN_DATE} and {MAX_DATE}, got {date}"),
        ))
    }
}

fn out_of_range(field: &'static str, got: &str) -> Error {
    Error::invalid_input(
        field,
        format!("must be between 1000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, got {got}"),
    )
}

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
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`instant`) outside the supported range
    /// ([`MIN_INSTANT`]`..=`[`MAX_INSTANT`]).
    pub fn local_date(self, instant: DateTime<Utc>) -> Result<NaiveDate> {
        check_instant("instant", instant)?;
        instant
            .checked_add_signed(Duration::seconds(i64::from(self.0)))
            .map(|local| local.date_naive())
            .ok_or_else(|| out_of_range("instant", &instant.to_rfc3339()))
    }

    /// The UTC instant at which local date `date` begins in this offset.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`date`) for a date outside
    /// `1000-01-01..=9999-12-31`.
    pub fn start_of(self, date: NaiveDate) -> Result<DateTime<Utc>> {
        Ok(local_day(date, self.0)?.0)
    }

    /// The UTC instants `[start, end)` of local date `date` in this offset.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`date`) for a date outside
    /// `1000-01-01..=9999-12-31`.
    pub fn day(self, date: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
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
///
/// The day's bounds may lie up to 14 hours outside the supported range
/// (its first and last day, in offsets other than UTC).
///
/// # Errors
///
/// [`Error::InvalidInput`] (`date`) for a date outside
/// `1000-01-01..=9999-12-31`, or (`utc_offset`) for an offset outside
/// `-12:00..=+14:00`.
pub(crate) fn local_day(date: NaiveDate, seconds: i32) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    check_date("date", date)?;
    check_offset_range(seconds)?;
    // Both in range, so neither step can overflow chrono's range.
    let start = date.and_time(NaiveTime::MIN).and_utc() - Duration::seconds(i64::from(seconds));
    Ok((start, start + Duration::days(1)))
}

/// `at` moved into the supported range (a bound of a comparison: no
/// stored instant lies outside it, so the comparison matches the same rows).
pub(crate) fn clamp_instant(at: DateTime<Utc>) -> DateTime<Utc> {
    at.clamp(MIN_INSTANT, MAX_INSTANT)
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
        let (s, e) = local_day(d, 2 * 3600).unwrap();
        assert_eq!(s.to_rfc3339(), "2026-09-30T22:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2026-10-01T22:00:00+00:00");
        let (s, _) = local_day(d, -5 * 3600).unwrap();
        assert_eq!(s.to_rfc3339(), "2026-10-01T05:00:00+00:00");
        assert!(check_offset_range(15 * 3600).is_err());
        let fixed = FixedOffset::east_opt(15 * 3600).unwrap();
        assert!(UtcOffset::try_from(fixed).is_err());
    }

    #[test]
    fn chrono_limits_are_typed_errors() {
        let field = |r: Result<_>| match r {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected InvalidInput, got {:?}", other.map(|_: ()| ())),
        };
        for o in [UtcOffset::MIN, UtcOffset::UTC, UtcOffset::MAX] {
            for at in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
                assert_eq!(field(o.local_date(at).map(|_| ())), "instant");
            }
            for d in [NaiveDate::MAX, NaiveDate::MIN] {
                assert_eq!(field(o.start_of(d).map(|_| ())), "date");
                assert_eq!(field(o.day(d).map(|_| ())), "date");
            }
            assert!(o.local_date(MAX_INSTANT).is_ok());
            assert!(o.local_date(MIN_INSTANT).is_ok());
            assert!(o.day(MAX_DATE).is_ok() && o.day(MIN_DATE).is_ok());
        }
        assert!(check_instant("now", MIN_INSTANT).is_ok());
        assert!(check_instant("now", MAX_INSTANT).is_ok());
        let past = MAX_INSTANT + Duration::nanoseconds(1);
        assert_eq!(field(check_instant("now", past)), "now");
        let before = MIN_INSTANT - Duration::nanoseconds(1);
        assert_eq!(field(check_instant("now", before)), "now");
    }
}
