//! Offset pages with totals ([`Page`]), and the page-size limit every list
//! shares ([`MAX_PAGE_SIZE`]). Keyset pages live in
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
