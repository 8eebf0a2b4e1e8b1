//! Keyset (cursor) pagination, in one place: the page types
//! ([`CursorPage`], [`CursorRequest`]), the sort keys and their "after"
//! predicate ([`sort`]), the cursor codec ([`cursor`]), and the query that
//! fetches one page of tickets ([`keyset_page`]) or one batch
//! ([`fetch_keyset`]).
//!
//! A cursor is bound to the merchant, the sort order and the filter it was
//! made with, and to nothing else: any call with the same three accepts it.

pub(crate) mod cursor;
pub(crate) mod sort;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{ConnectionTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Serialize;

use self::cursor::{KeyValue, decode_cursor, encode_cursor, fingerprint};
use self::sort::KeyCol;
pub use self::sort::TicketSort;
use super::page::check_page_size;
use super::scope::scoped;
use crate::entity::enums::Priority;
use crate::entity::ticket;
use crate::error::Result;
use crate::ids::{MerchantId, TicketId};

/// One page of a keyset-paginated list.
///
/// Pass [`next_cursor`](Self::next_cursor) back (in a [`CursorRequest`]) to
/// get the next page: it points just after the last row of this page, so the
/// next page neither repeats nor skips rows when rows are inserted
/// meanwhile, and costs the same at page 10,000 as at page 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CursorPage<T> {
    /// The rows of this page, in the requested order.
    pub items: Vec<T>,
    /// An opaque cursor to the next page, `None` when this is the last page.
    ///
    /// Opaque but not secret: it reveals the sort key values of this
    /// page's last row (its id, and its `created_at`, `updated_at` or
    /// priority) and is not signed, so anyone can decode or forge one. A
    /// cursor is only accepted with the merchant, sort order and filter it
    /// was made for, and every value decoded from one is range-checked
    /// ([`Error::InvalidInput`](crate::Error::InvalidInput) for `cursor`),
    /// so a forged cursor can at most start a page at another position of
    /// the same list. Cursors survive restarts and work on every instance.
    pub next_cursor: Option<String>,
}

impl<T> CursorPage<T> {
    /// True when there is a next page.
    pub fn has_more(&self) -> bool {
        self.next_cursor.is_some()
    }

    /// The same page with each item mapped (the cursor is unchanged).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> CursorPage<U> {
        CursorPage {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// What keyset page of tickets to fetch: the sort order, where to start, and
/// how many rows.
///
/// ```
/// use freshdesk_store::repository::{CursorRequest, TicketSort};
///
/// let first = CursorRequest::first(50).sort(TicketSort::UpdatedDesc);
/// assert_eq!(first.page_size(), 50);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CursorRequest {
    sort: TicketSort,
    after: Option<String>,
    page_size: u64,
}

impl CursorRequest {
    /// The first page of `page_size` rows, in the default order
    /// ([`TicketSort::CreatedDesc`]).
    pub fn first(page_size: u64) -> Self {
        Self {
            sort: TicketSort::default(),
            after: None,
            page_size,
        }
    }

    /// The page after `cursor` (a [`CursorPage::next_cursor`]); `None` means
    /// the first page. The sort order must be the one the cursor was made
    /// with.
    pub fn after(mut self, cursor: Option<impl Into<String>>) -> Self {
        self.after = cursor.map(Into::into);
        self
    }

    /// The sort order (a unique tie-breaker on the id is always added).
    pub fn sort(mut self, sort: TicketSort) -> Self {
        self.sort = sort;
        self
    }

    /// The requested sort order.
    pub fn sort_order(&self) -> TicketSort {
        self.sort
    }

    /// The cursor to start after, if any.
    pub fn cursor(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The requested page size.
    pub fn page_size(&self) -> u64 {
        self.page_size
    }
}

/// The sort-key columns of a ticket row, whatever else the row carries
/// (a projection row nests it: `#[sea_orm(nested)] keys: SortKeys`).
#[derive(Clone, Copy, Debug, FromQueryResult)]
pub(crate) struct SortKeys {
    pub(crate) id: TicketId,
    pub(crate) priority: Priority,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl SortKeys {
    /// The value of one key column.
    fn key(self, col: KeyCol) -> KeyValue {
        match col {
            KeyCol::CreatedAt => KeyValue::Ts(self.created_at),
            KeyCol::UpdatedAt => KeyValue::Ts(self.updated_at),
            KeyCol::Priority => KeyValue::Int(self.priority.code().into()),
            KeyCol::Id => KeyValue::Int(self.id.get()),
        }
    }

    /// The position of this row in `sort` order.
    pub(crate) fn position(self, sort: TicketSort) -> Vec<KeyValue> {
        sort.keys().iter().map(|(col, _)| self.key(*col)).collect()
    }
}

/// A row type a ticket keyset query can return: it selects at least the
/// sort-key columns.
pub(crate) trait TicketRow: FromQueryResult + Send + Sync + Sized {
    /// Narrows the `SELECT` list to what the row needs.
    fn project(select: Select<ticket::Entity>) -> Select<ticket::Entity>;
    /// The row's sort-key columns.
    fn sort_keys(&self) -> SortKeys;
}

impl TicketRow for ticket::Model {
    fn project(select: Select<ticket::Entity>) -> Select<ticket::Entity> {
        select
    }
    fn sort_keys(&self) -> SortKeys {
        SortKeys {
            id: self.id,
            priority: self.priority,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `select` in `sort` order.
pub(crate) fn ordered(
    mut select: Select<ticket::Entity>,
    sort: TicketSort,
) -> Select<ticket::Entity> {
    for (col, order) in sort.order_by() {
        select = select.order_by(col, order);
    }
    select
}

/// One keyset query: the merchant's rows matching `cond`, after `after`
/// in `sort` order, at most `limit`.
pub(crate) async fn fetch_keyset<R: TicketRow>(
    db: &impl ConnectionTrait,
    merchant: MerchantId,
    cond: Condition,
    sort: TicketSort,
    after: Option<&[KeyValue]>,
    limit: u64,
) -> Result<Vec<R>> {
    let mut select = scoped::<ticket::Entity>(merchant).filter(cond);
    if let Some(after) = after {
        select = select.filter(sort.after(after));
    }
    let select = R::project(ordered(select, sort)).limit(limit);
    Ok(select.into_model::<R>().all(db).await?)
}

/// A keyset page: decodes and checks the cursor against the merchant, the
/// sort order and `scope` (what the query is), fetches one row more than
/// the page to know whether there is a next page.
pub(crate) async fn keyset_page<R: TicketRow>(
    db: &impl ConnectionTrait,
    merchant: MerchantId,
    cond: Condition,
    scope: &str,
    req: &CursorRequest,
) -> Result<CursorPage<R>> {
    let size = check_page_size("page_size", req.page_size())?;
    let sort = req.sort_order();
    let fp = fingerprint(merchant, sort.name(), scope);
    let after = req
        .cursor()
        .map(|c| decode_cursor(c, fp, &sort.kinds()))
        .transpose()?;
    let mut items = fetch_keyset::<R>(db, merchant, cond, sort, after.as_deref(), size + 1).await?;
    let next_cursor = if items.len() as u64 > size {
        items.truncate(size as usize);
        items
            .last()
            .map(|row| encode_cursor(fp, &row.sort_keys().position(sort)))
    } else {
        None
    };
    Ok(CursorPage { items, next_cursor })
}
