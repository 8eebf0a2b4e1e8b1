//! Business hours: a weekly schedule of working intervals in the report's
//! local time, and holiday dates, validated before any statement is sent.
//!
//! The report measures `first_response_business` and `resolution_business`
//! in the database with a closed form: `B(x)`, the business seconds from a
//! fixed epoch to instant `x`, is whole weeks × the week's working seconds,
//! plus the working part of `x`'s own week (a `CASE` over the weekday), minus
//! the working seconds of the holidays before `x` (a `CASE` chain over the
//! sorted holidays). A duration is `B(b) - B(a)`; the fraction of a second
//! counts only when that second is working (schedules and offsets are whole
//! minutes), and the total is truncated toward zero once.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The most holiday dates a schedule may carry (each adds a branch to the
/// SQL expression that measures business time).
pub const MAX_HOLIDAYS: usize = 1_000;

/// Seconds in a day.
const DAY: u32 = 86_400;

/// Three-letter weekday names, Monday first.
const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A business schedule: at most one working interval per weekday, in local
/// time of the report's offset, and a set of local holiday dates on which
/// nobody works.
///
/// Parsed from `"mon-fri 09:00-17:00"` style text: comma-separated groups
/// of a day or day range (ranges may wrap: `fri-mon`) and a time range
/// `HH:MM-HH:MM` whose end may be `24:00`.
///
/// ```
/// use chrono::{NaiveDate, Weekday};
/// use freshdesk_store::analytics::BusinessHours;
///
/// let hours: BusinessHours = "mon-thu 09:00-17:00, fri 09:00-13:00".parse()?;
/// assert_eq!(hours.interval(Weekday::Fri), Some((9 * 3_600, 13 * 3_600)));
/// assert_eq!(hours.interval(Weekday::Sat), None);
/// assert_eq!(hours.weekly_seconds(), 4 * 8 * 3_600 + 4 * 3_600);
///
/// let hours = hours.with_holidays([NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()])?;
/// assert_eq!(hours.holidays().len(), 1);
/// assert!("mon 09:00-17:00, mon 10:00-11:00".parse::<BusinessHours>().is_err());
/// # Ok::<(), freshdesk_store::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BusinessHours {
    /// Monday first: `(start, end)` seconds of the local day, `start < end <= 86_400`.
    days: [Option<(u32, u32)>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessHours {
    /// A schedule from one optional interval per weekday (Monday first),
    /// as `(start, end)` seconds of the local day.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`business_hours`): an interval with
    /// `start >= end`, an end after `86_400` (24:00), a bound that is not a
    /// whole minute, or no interval at all.
    pub fn from_intervals(days: [Option<(u32, u32)>; 7]) -> Result<Self> {
        for (i, day) in days.iter().enumerate() {
            if let Some((start, end)) = *day {
                let name = NAMES[i];
                if start >= end {
                    return Err(bad(format!(
                        "{name}: the interval must start before it ends, got {}-{}",
                        hhmm(start),
                        hhmm(end)
                    )));
                }
                if end > DAY || start % 60 != 0 || end % 60 != 0 {
                    return Err(bad(format!(
                        "{name}: bounds must be whole minutes within the day, got {start}-{end} seconds"
                    )));
                }
            }
        }
        if days.iter().all(Option::is_none) {
            return Err(bad("the schedule has no working interval".to_owned()));
        }
        Ok(Self {
            days,
            holidays: BTreeSet::new(),
        })
    }

    /// The same schedule with these local holiday dates added.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`holidays`): more than [`MAX_HOLIDAYS`]
    /// dates, or a date outside the years 1000 to 9999.
    pub fn with_holidays(mut self, dates: impl IntoIterator<Item = NaiveDate>) -> Result<Self> {
        for date in dates {
            if !(1000..=9999).contains(&date.year()) {
                return Err(Error::invalid_input(
                    "holidays",
                    format!("must be between 1000-01-01 and 9999-12-31, got {date}"),
                ));
            }
            self.holidays.insert(date);
            if self.holidays.len() > MAX_HOLIDAYS {
                return Err(Error::invalid_input(
                    "holidays",
                    format!("at most {MAX_HOLIDAYS} dates"),
                ));
            }
        }
        Ok(self)
    }

    /// Parses a comma-separated list of `YYYY-MM-DD` dates
    /// (`"2026-12-25,2026-12-26"`) and adds them, as [`with_holidays`](Self::with_holidays).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`holidays`) for a date that does not parse,
    /// an empty list item, and as [`with_holidays`](Self::with_holidays).
    pub fn with_holiday_list(self, list: &str) -> Result<Self> {
        let mut dates = Vec::new();
        for item in list.split(',') {
            let item = item.trim();
            let date = NaiveDate::parse_from_str(item, "%Y-%m-%d").map_err(|_| {
                Error::invalid_input(
                    "holidays",
                    format!("`{item}` is not a date of the form YYYY-MM-DD"),
                )
            })?;
            dates.push(date);
        }
        self.with_holidays(dates)
    }

    /// The working interval of `weekday`, as `(start, end)` seconds of the
    /// local day; `None` when nobody works that weekday.
    pub fn interval(&self, weekday: Weekday) -> Option<(u32, u32)> {
        self.days[weekday.num_days_from_monday() as usize]
    }

    /// The holiday dates, in order.
    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// Working seconds of a week without holidays.
    pub fn weekly_seconds(&self) -> u32 {
        self.days.iter().flatten().map(|(s, e)| e - s).sum()
    }

    /// The working interval of local date `date`, as `(start, end)` seconds
    /// of that day; `None` on a holiday or a day off.
    pub fn working_interval_on(&self, date: NaiveDate) -> Option<(u32, u32)> {
        if self.holidays.contains(&date) {
            None
        } else {
            self.interval(date.weekday())
        }
    }

    /// Intervals by weekday, Monday first.
    pub(crate) fn days(&self) -> &[Option<(u32, u32)>; 7] {
        &self.days
    }
}

/// An `InvalidInput` about the schedule.
fn bad(reason: String) -> Error {
    Error::invalid_input("business_hours", reason)
}

/// `HH:MM` of a second of the day (`24:00` for the end of the day).
fn hhmm(secs: u32) -> String {
    format!("{:02}:{:02}", secs / 3_600, secs % 3_600 / 60)
}

/// A weekday index (Monday 0) from its three-letter name.
fn weekday(name: &str) -> Result<usize> {
    let lower = name.to_ascii_lowercase();
    NAMES.iter().position(|n| *n == lower).ok_or_else(|| {
        bad(format!(
            "`{name}` is not a weekday (mon, tue, wed, thu, fri, sat, sun)"
        ))
    })
}

/// Seconds of the day from `HH:MM` (`24:00` allowed when `end`).
fn time(text: &str, end: bool) -> Result<u32> {
    let invalid = || bad(format!("`{text}` is not a time of the form HH:MM"));
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b':' || !text.is_char_boundary(2) {
        return Err(invalid());
    }
    let num = |s: &str| -> Result<u32> {
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().map_err(|_| invalid())
        } else {
            Err(invalid())
        }
    };
    let (h, m) = (num(&text[..2])?, num(&text[3..])?);
    if m >= 60 || h > 24 || (h == 24 && (m != 0 || !end)) {
        return Err(bad(format!(
            "`{text}` is not a time of day (00:00 to 23:59, or 24:00 as an end)"
        )));
    }
    Ok(h * 3_600 + m * 60)
}

impl FromStr for BusinessHours {
    type Err = Error;

    /// Parses `"mon-fri 09:00-17:00"` or `"mon-thu 09:00-17:00,fri 09:00-13:00"`.
    fn from_str(s: &str) -> Result<Self> {
        let mut days: [Option<(u32, u32)>; 7] = [None; 7];
        for group in s.split(',') {
            let group = group.trim();
            let mut parts = group.split_whitespace();
            let (Some(day_part), Some(time_part), None) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad(format!(
                    "`{group}` is not a group of the form `mon-fri 09:00-17:00`"
                )));
            };
            let (first, last) = match day_part.split_once('-') {
                Some((a, b)) => (weekday(a)?, weekday(b)?),
                None => (weekday(day_part)?, weekday(day_part)?),
            };
            let (start, end) = time_part
                .split_once('-')
                .ok_or_else(|| bad(format!("`{time_part}` is not a time range HH:MM-HH:MM")))?;
            let (start, end) = (time(start, false)?, time(end, true)?);
            if start >= end {
                return Err(bad(format!(
                    "`{time_part}`: the interval must start before it ends"
                )));
            }
            let mut d = first;
            loop {
                if days[d].is_some() {
                    return Err(bad(format!(
                        "{} is named twice (at most one interval a day)",
                        NAMES[d]
                    )));
                }
                days[d] = Some((start, end));
                if d == last {
                    break;
                }
                d = (d + 1) % 7;
            }
        }
        Self::from_intervals(days)
    }
}

impl fmt::Display for BusinessHours {
    /// Runs of consecutive weekdays with the same interval, Monday first
    /// (`mon-thu 09:00-17:00,fri 09:00-13:00`); the holidays are not part
    /// of the text. The text parses back to the same schedule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < 7 {
            let Some((s, e)) = self.days[i] else {
                i += 1;
                continue;
            };
            let mut j = i;
            while j + 1 < 7 && self.days[j + 1] == Some((s, e)) {
                j += 1;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if i == j {
                write!(f, "{} {}-{}", NAMES[i], hhmm(s), hhmm(e))?;
            } else {
                write!(f, "{}-{} {}-{}", NAMES[i], NAMES[j], hhmm(s), hhmm(e))?;
            }
            i = j + 1;
        }
        Ok(())
    }
}

/// The serialized form: the schedule text and the holiday dates.
#[derive(Serialize, Deserialize)]
struct Wire {
    hours: String,
    #[serde(default)]
    holidays: Vec<NaiveDate>,
}

impl Serialize for BusinessHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        Wire {
            hours: self.to_string(),
            holidays: self.holidays.iter().copied().collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BusinessHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        wire.hours
            .parse::<BusinessHours>()
            .and_then(|h| h.with_holidays(wire.holidays))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(err: Error) -> &'static str {
        match err {
            Error::InvalidInput { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_ranges_wraps_and_midnight() {
        let h: BusinessHours = "fri-mon 22:00-24:00".parse().unwrap();
        for d in [Weekday::Fri, Weekday::Sat, Weekday::Sun, Weekday::Mon] {
            assert_eq!(h.interval(d), Some((79_200, 86_400)), "{d}");
        }
        assert_eq!(h.interval(Weekday::Tue), None);
        assert_eq!(h.to_string(), "mon 22:00-24:00,fri-sun 22:00-24:00");
        assert_eq!(h.to_string().parse::<BusinessHours>().unwrap(), h);
        let h: BusinessHours = "mon-thu 09:00-17:00,fri 09:00-13:00,sun 10:00-11:00"
            .parse()
            .unwrap();
        assert_eq!(
            h.to_string(),
            "mon-thu 09:00-17:00,fri 09:00-13:00,sun 10:00-11:00"
        );
        let h: BusinessHours = " MON 00:00-00:01 ".parse().unwrap();
        assert_eq!(h.weekly_seconds(), 60);
        let json = serde_json::to_value(
            h.clone()
                .with_holiday_list("2026-12-25, 2026-12-26")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"hours": "mon 00:00-00:01", "holidays": ["2026-12-25", "2026-12-26"]})
        );
        let back: BusinessHours = serde_json::from_value(json).unwrap();
        assert_eq!(back.holidays().len(), 2);
    }

    #[test]
    fn bad_schedules_are_typed_errors() {
        for bad in [
            "",
            "mon",
            "mon 09:00",
            "mon 09:00-17:00 x",
            "mon-fri 17:00-09:00",
            "mon 09:00-09:00",
            "mon 09:00-17:00,mon 18:00-19:00",
            "mon-sun 09:00-17:00,sat 10:00-11:00",
            "fri-tue 09:00-17:00,mon 01:00-02:00",
            "xyz 09:00-17:00",
            "mon 9:00-17:00",
            "mon 09:60-17:00",
            "mon 24:00-24:00",
            "mon 09:00-24:01",
            "mon 09:00-25:00",
            "mon 0é:00-17:00",
            "mon 09:00-1é:00",
            "mon 09:00_17:00",
            ",",
        ] {
            let err = bad.parse::<BusinessHours>().unwrap_err();
            assert_eq!(field(err), "business_hours", "{bad}");
        }
        assert_eq!(
            field(BusinessHours::from_intervals([None; 7]).unwrap_err()),
            "business_hours"
        );
        let h: BusinessHours = "mon 09:00-17:00".parse().unwrap();
        for bad in [
            "2026-13-01",
            "",
            "2026-12-25,",
            "0999-01-01",
            "+262143-01-01",
        ] {
            assert_eq!(
                field(h.clone().with_holiday_list(bad).unwrap_err()),
                "holidays",
                "{bad}"
            );
        }
        let many = (0..=MAX_HOLIDAYS as i64)
            .map(|i| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(i));
        assert_eq!(field(h.with_holidays(many).unwrap_err()), "holidays");
    }
}
