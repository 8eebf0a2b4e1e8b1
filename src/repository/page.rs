//! Offset pages: with totals on every page ([`Page`]), or counted only on
//! request ([`OffsetRequest`], [`OffsetPage`]); and the page-size limit
//! every list shares ([`MAX_PAGE_SIZE`]). Keyset pages live in
//! [`keyset`](super::keyset). A leaf module.

use serde::Serialize;

use crate::error::{Error, Result};

/// The largest page (or stream batch) any repository call returns: 500 rows.
///
/// A page size of 0 or above this is an
/// [`Error::InvalidInput`](crate::Error::InvalidInput).
pub const MAX_PAGE_SIZE: u64 = 500;

/// Checks a page size against `1..=MAX_PAGE_SIZE`.
pub(crate) fn check_page_size(field: &'static str, size: u64) -> Result<u64> {
    if (1..=MAX_PAGE_SIZE).contains(&size) {
        Ok(size)
    } else {
        Err(Error::invalid_input(
            field,
            format!("must be between 1 and {MAX_PAGE_SIZE}, got {size}"),
        ))
    }
}

/// One page of an offset-paginated list, with the totals a page navigator
/// needs (the seed guide's `get_tickets_paginated`).
///
/// Offset pages cost more the deeper they go and shift when rows are
/// inserted meanwhile; for deep or live lists use a
/// [`CursorPage`](super::CursorPage).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    /// The rows of this page, in the requested order.
    pub items: Vec<T>,
    /// This page's number, starting at 1.
    pub page: u64,
    /// The requested page size.
    pub per_page: u64,
    /// Rows matching the query, on all pages.
    pub total: u64,
    /// Number of pages (`ceil(total / per_page)`; 0 when `total` is 0).
    pub pages: u64,
}

/// What offset page to fetch: its number (from 1), its size, and whether
/// to count the matching rows too.
///
/// Without [`with_total`](Self::with_total) a page is one statement, however
/// deep; the total costs a `COUNT` over every matching row, so ask for it
/// once (say, for the first page) and carry it.
///
/// ```
/// use freshdesk_store::repository::OffsetRequest;
///
/// let first = OffsetRequest::new(1, 50).with_total();
/// assert!(first.wants_total());
/// assert_eq!(OffsetRequest::new(900, 50).page(), 900);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetRequest {
    page: u64,
    per_page: u64,
    total: bool,
}

impl OffsetRequest {
    /// Page `page` (from 1) of `per_page` rows, without the total.
    pub fn new(page: u64, per_page: u64) -> Self {
        Self {
            page,
            per_page,
            total: false,
        }
    }

    /// Counts the matching rows too (one more statement).
    pub fn with_total(mut self) -> Self {
        self.total = true;
        self
    }

    /// The page number, from 1.
    pub fn page(&self) -> u64 {
        self.page
    }

    /// The page size.
    pub fn per_page(&self) -> u64 {
        self.per_page
    }

    /// Whether the total is counted.
    pub fn wants_total(&self) -> bool {
        self.total
    }
}

/// One page of an offset-paginated list, with the total only when it was
/// asked for ([`OffsetRequest::with_total`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OffsetPage<T> {
    /// The rows of this page, in the requested order.
    pub items: Vec<T>,
    /// This page's number, starting at 1.
    pub page: u64,
    /// The requested page size.
    pub per_page: u64,
    /// True when a row follows this page.
    pub has_more: bool,
    /// Rows matching the query, on all pages: `Some` when asked for.
    pub total: Option<u64>,
}

impl<T> OffsetPage<T> {
    /// Number of pages (`ceil(total / per_page)`), when the total was
    /// counted.
    pub fn pages(&self) -> Option<u64> {
        self.total.map(|t| t.div_ceil(self.per_page.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_bounds() {
        assert!(check_page_size("page_size", 0).is_err());
        assert!(check_page_size("page_size", 1).is_ok());
        assert!(check_page_size("page_size", MAX_PAGE_SIZE).is_ok());
        assert!(check_page_size("page_size", MAX_PAGE_SIZE + 1).is_err());
    }
}
