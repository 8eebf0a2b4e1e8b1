//! What a report is about: the merchant, the local days and the offset.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::business::BusinessHours;
use crate::error::{Error, Result};
use crate::ids::MerchantId;

/// The longest window a report may cover, in days (ten years and change):
/// the daily series has one row per day, and this bounds it.
pub const MAX_WINDOW_DAYS: i64 = 3_660;

/// A fixed offset from UTC between `-12:00` and `+14:00`, in which local
/// days are counted (a local day is `(instant + offset).date()`).
///
/// Parsed from and displayed as `±HH:MM`; serialized as that string.
///
/// ```
/// use freshdesk_store::analytics::UtcOffset;
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
        if !(Self::MIN.0..=Self::MAX.0).contains(&seconds) {
            return Err(Error::invalid_input(
                "utc_offset",
                format!("must be between -12:00 and +14:00, got {seconds} seconds"),
            ));
        }
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
        date.and_time(NaiveTime::MIN).and_utc() - Duration::seconds(i64::from(self.0))
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

/// The caller's question: one merchant, the local dates `[from, to)` in
/// `utc_offset`, the `now` that open SLA deadlines and backlog ages are
/// judged against, and optionally a business schedule for the
/// business-hours durations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportParams {
    /// The merchant reported on; no other merchant's row is read.
    pub merchant: MerchantId,
    /// First local date of the window (inclusive).
    pub from: NaiveDate,
    /// Local date after the window (exclusive); must be after `from`.
    pub to: NaiveDate,
    /// The offset local dates are counted in.
    pub utc_offset: UtcOffset,
    /// "Now" for SLA breaches of tickets still waiting for a response or a
    /// resolution, and for the age of the open backlog.
    pub now: DateTime<Utc>,
    /// Working hours (in `utc_offset`) and holidays for
    /// `first_response_business` / `resolution_business`; `None` leaves
    /// both null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<BusinessHours>,
}

impl ReportParams {
    /// Validates the parameters into the [`Window`] every metric takes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the field: `to` not after `from`
    /// (`to`), a window longer than [`MAX_WINDOW_DAYS`] (`to`), or a date
    /// outside the years 1000 to 9999 (`from` / `to`, and `now`'s UTC
    /// date), where every backend stores a four-digit year.
    pub fn window(&self) -> Result<Window> {
        let now = self.now.date_naive();
        if !(1000..=9999).contains(&now.year()) {
            return Err(Error::invalid_input(
                "now",
                format!(
                    "must be between 1000-01-01 and 9999-12-31, got {}",
                    self.now
                ),
            ));
        }
        for (field, date) in [("from", self.from), ("to", self.to)] {
            if !(1000..=9999).contains(&date.year()) {
                return Err(Error::invalid_input(
                    field,
                    format!("must be between 1000-01-01 and 9999-12-31, got {date}"),
                ));
            }
        }
        if self.to <= self.from {
            return Err(Error::invalid_input(
                "to",
                format!("must be after from ({}), got {}", self.from, self.to),
            ));
        }
        let days = (self.to - self.from).num_days();
        if days > MAX_WINDOW_DAYS {
            return Err(Error::invalid_input(
                "to",
                format!("the window may span at most {MAX_WINDOW_DAYS} days, got {days}"),
            ));
        }
        Ok(Window {
            merchant: self.merchant,
            from: self.from,
            to: self.to,
            offset: self.utc_offset,
            start: self.utc_offset.start_of(self.from),
            end: self.utc_offset.start_of(self.to),
            now: self.now,
        })
    }
}

/// Validated [`ReportParams`]: the half-open window `[start, end)` of UTC
/// instants that the local dates `[from, to)` cover. Only
/// [`ReportParams::window`] builds one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    merchant: MerchantId,
    from: NaiveDate,
    to: NaiveDate,
    offset: UtcOffset,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Window {
    /// The merchant.
    pub fn merchant(&self) -> MerchantId {
        self.merchant
    }
    /// First local date (inclusive).
    pub fn from(&self) -> NaiveDate {
        self.from
    }
    /// Local date after the window (exclusive).
    pub fn to(&self) -> NaiveDate {
        self.to
    }
    /// The offset local dates are counted in.
    pub fn offset(&self) -> UtcOffset {
        self.offset
    }
    /// First instant of the window (local midnight of `from`), inclusive.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }
    /// First instant after the window (local midnight of `to`), exclusive.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }
    /// "Now" for open SLA deadlines.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }
    /// Number of local days in the window.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }
    /// True when `instant` is in `[start, end)`.
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.start <= instant && instant < self.end
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn params(from: NaiveDate, to: NaiveDate, offset: &str) -> ReportParams {
        ReportParams {
            merchant: MerchantId::new(1).unwrap(),
            from,
            to,
            utc_offset: offset.parse().unwrap(),
            now: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            business_hours: None,
        }
    }

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
    fn window_is_local_midnight_to_local_midnight() {
        let w = params(date(2026, 10, 1), date(2026, 10, 2), "+05:30")
            .window()
            .unwrap();
        assert_eq!(
            w.start(),
            Utc.with_ymd_and_hms(2026, 9, 30, 18, 30, 0).unwrap()
        );
        assert_eq!(
            w.end(),
            Utc.with_ymd_and_hms(2026, 10, 1, 18, 30, 0).unwrap()
        );
        let w = params(date(2026, 10, 1), date(2026, 10, 2), "-12:00")
            .window()
            .unwrap();
        assert_eq!(
            w.start(),
            Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
        );
        assert_eq!(w.days(), 1);
        assert_eq!(
            w.offset()
                .local_date(Utc.with_ymd_and_hms(2026, 10, 2, 11, 59, 59).unwrap()),
            date(2026, 10, 1)
        );
    }

    #[test]
    fn bad_windows_name_the_field() {
        let d = date(2026, 10, 1);
        let cases = [
            (params(d, d, "+00:00"), "to"),
            (params(d, date(2026, 9, 1), "+00:00"), "to"),
            (params(d, date(2040, 1, 1), "+00:00"), "to"),
            (params(date(999, 1, 1), d, "+00:00"), "from"),
        ];
        for (p, field) in cases {
            match p.window() {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{p:?}: {other:?}"),
            }
        }
        assert!(
            params(d, d + Duration::days(MAX_WINDOW_DAYS), "+00:00")
                .window()
                .is_ok()
        );
    }
}
