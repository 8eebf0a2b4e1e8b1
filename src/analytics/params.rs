//! What a report is about: the merchant, the local days and the offset.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::business::BusinessHours;
use crate::error::{Error, Result};
use crate::ids::MerchantId;
use crate::time::UtcOffset;

/// The longest window a report may cover, in days (ten years and change):
/// the daily series has one row per day, and this bounds it.
pub const MAX_WINDOW_DAYS: i64 = 3_660;

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
        crate::time::check_instant("now", self.now)?;
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
            start: self.utc_offset.start_of(self.from)?,
            end: self.utc_offset.start_of(self.to)?,
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
    use chrono::{Duration, TimeZone};

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
                .local_date(Utc.with_ymd_and_hms(2026, 10, 2, 11, 59, 59).unwrap())
                .unwrap(),
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
