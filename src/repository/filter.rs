//! The one ticket filter type and the closed set of sort orders.
//!
//! Neither accepts SQL or column names: a filter is a set of typed
//! predicates, a sort order one of the [`TicketSort`] variants, and every
//! order ends in the ticket id so that pages neither repeat nor skip rows.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, DbBackend, Order};

use serde::{Deserialize, Serialize};

use super::page::{KeyKind, KeyValue};
use crate::entity::enums::{Priority, TicketStatus};
use crate::entity::{instant_value, ticket};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId};

/// Which tickets to return. Every field that is set narrows the result
/// (they combine with AND); the default matches all of a merchant's tickets.
///
/// ```
/// use freshdesk_store::entity::enums::{Priority, TicketStatus};
/// use freshdesk_store::repository::TicketFilter;
///
/// let filter = TicketFilter::open()
///     .priorities([Priority::High, Priority::Urgent])
///     .tag("refund")
///     .processed(false);
/// assert_eq!(filter.statuses.len(), 4);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketFilter {
    /// Any of these statuses (empty: any status).
    pub statuses: Vec<TicketStatus>,
    /// Any of these priorities (empty: any priority).
    pub priorities: Vec<Priority>,
    /// Created at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Created strictly before this instant.
    pub created_before: Option<DateTime<Utc>>,
    /// Assigned to this agent.
    pub responder: Option<AgentId>,
    /// Asked by this contact.
    pub requester: Option<ContactId>,
    /// Carries this tag (exact, case-sensitive match).
    pub tag: Option<String>,
    /// The `processed` flag has this value.
    pub processed: Option<bool>,
}

impl TicketFilter {
    /// Matches all tickets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Open tickets: status Open, Pending, Waiting on customer or Waiting on
    /// third party.
    pub fn open() -> Self {
        Self::new().statuses(TicketStatus::OPEN)
    }

    /// Any of these statuses.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = TicketStatus>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// Any of these priorities.
    pub fn priorities(mut self, priorities: impl IntoIterator<Item = Priority>) -> Self {
        self.priorities = priorities.into_iter().collect();
        self
    }

    /// Created in the half-open range `[from, before)`.
    pub fn created_between(mut self, from: DateTime<Utc>, before: DateTime<Utc>) -> Self {
        self.created_from = Some(from);
        self.created_before = Some(before);
        self
    }

    /// Created on the local calendar `date` in the fixed UTC `offset`.
    pub fn created_on(self, date: NaiveDate, offset: FixedOffset) -> Self {
        let (from, before) = local_day(date, offset);
        self.created_between(from, before)
    }

    /// Assigned to this agent.
    pub fn responder(mut self, agent: AgentId) -> Self {
        self.responder = Some(agent);
        self
    }

    /// Asked by this contact.
    pub fn requester(mut self, contact: ContactId) -> Self {
        self.requester = Some(contact);
        self
    }

    /// Carries this tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// With this `processed` flag.
    pub fn processed(mut self, processed: bool) -> Self {
        self.processed = Some(processed);
        self
    }

    /// The filter as a stable string, for cursor fingerprints.
    pub(crate) fn scope(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The filter's predicates (the merchant predicate is added by the caller, first).
    pub(crate) fn condition(&self, backend: DbBackend) -> Condition {
        use ticket::Column as T;
        let mut cond = Condition::all();
        if !self.statuses.is_empty() {
            cond = cond.add(T::Status.is_in(self.statuses.iter().copied()));
        }
        if !self.priorities.is_empty() {
            cond = cond.add(T::Priority.is_in(self.priorities.iter().copied()));
        }
        if let Some(from) = self.created_from {
            cond = cond.add(T::CreatedAt.gte(instant_value(from)));
        }
        if let Some(before) = self.created_before {
            cond = cond.add(T::CreatedAt.lt(instant_value(before)));
        }
        if let Some(agent) = self.responder {
            cond = cond.add(T::ResponderId.eq(agent));
        }
        if let Some(contact) = self.requester {
            cond = cond.add(T::RequesterId.eq(contact));
        }
        if let Some(tag) = &self.tag {
            cond = cond.add(has_tag(backend, tag));
        }
        if let Some(processed) = self.processed {
            cond = cond.add(T::Processed.eq(processed));
        }
        cond
    }
}

/// `tags` (a JSON array of strings) contains `tag`, compared byte for byte.
fn has_tag(backend: DbBackend, tag: &str) -> Expr {
    let tags = Expr::col((ticket::Entity, ticket::Column::Tags));
    match backend {
        DbBackend::Postgres => {
            Expr::cust_with_exprs("$1 @> $2", [tags, Expr::val(serde_json::json!([tag]))])
        }
        DbBackend::MySql => {
            Expr::cust_with_exprs("JSON_CONTAINS(?, JSON_ARRAY(?))", [tags, Expr::val(tag)])
        }
        _ => Expr::cust_with_exprs(
            "EXISTS (SELECT 1 FROM json_each(?) WHERE json_each.value = ?)",
            [tags, Expr::val(tag)],
        ),
    }
}

/// The UTC instants `[start, end)` of a local calendar day in a fixed offset.
pub(crate) fn local_day(date: NaiveDate, offset: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = date.and_time(NaiveTime::MIN) - Duration::seconds(offset.local_minus_utc().into());
    let start = start.and_utc();
    (start, start + Duration::days(1))
}

/// Checks a caller-given UTC offset against the range the crate supports
/// (-12:00 to +14:00).
pub(crate) fn check_offset(offset: FixedOffset) -> Result<()> {
    let secs = offset.local_minus_utc();
    if (-12 * 3600..=14 * 3600).contains(&secs) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "utc_offset",
            format!("must be between -12:00 and +14:00, got {offset}"),
        ))
    }
}

/// How to order tickets. Every order ends in the ticket id as a unique
/// tie-breaker, so keyset pages are exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TicketSort {
    /// Newest first: `created_at DESC, id DESC` (the default).
    #[default]
    CreatedDesc,
    /// Oldest first: `created_at ASC, id ASC`.
    CreatedAsc,
    /// Most recently updated first: `updated_at DESC, id DESC`.
    UpdatedDesc,
    /// Least recently updated first: `updated_at ASC, id ASC`.
    UpdatedAsc,
    /// Most urgent first, oldest first within a priority:
    /// `priority DESC, created_at ASC, id ASC`.
    PriorityDesc,
    /// Insertion order: `id ASC`.
    IdAsc,
}

impl TicketSort {
    /// Every order, for callers that offer a choice (or test all of them).
    pub const ALL: [TicketSort; 6] = [
        TicketSort::CreatedDesc,
        TicketSort::CreatedAsc,
        TicketSort::UpdatedDesc,
        TicketSort::UpdatedAsc,
        TicketSort::PriorityDesc,
        TicketSort::IdAsc,
    ];
}

/// A sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Asc,
    Desc,
}

/// A column a sort order can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyCol {
    CreatedAt,
    UpdatedAt,
    Priority,
    Id,
}

impl KeyCol {
    pub(crate) fn column(self) -> ticket::Column {
        match self {
            KeyCol::CreatedAt => ticket::Column::CreatedAt,
            KeyCol::UpdatedAt => ticket::Column::UpdatedAt,
            KeyCol::Priority => ticket::Column::Priority,
            KeyCol::Id => ticket::Column::Id,
        }
    }

    pub(crate) fn kind(self) -> KeyKind {
        match self {
            KeyCol::CreatedAt | KeyCol::UpdatedAt => KeyKind::Ts,
            KeyCol::Priority | KeyCol::Id => KeyKind::Int,
        }
    }

    /// The bind value for a key value of this column.
    pub(crate) fn value(self, value: KeyValue) -> sea_orm::Value {
        match (self, value) {
            (KeyCol::Priority, KeyValue::Int(n)) => {
                sea_orm::Value::from(i32::try_from(n).unwrap_or(i32::MAX))
            }
            (_, KeyValue::Int(n)) => sea_orm::Value::from(n),
            (_, KeyValue::Ts(t)) => instant_value(t),
        }
    }
}

impl TicketSort {
    /// Stable name, part of cursor fingerprints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TicketSort::CreatedDesc => "created_desc",
            TicketSort::CreatedAsc => "created_asc",
            TicketSort::UpdatedDesc => "updated_desc",
            TicketSort::UpdatedAsc => "updated_asc",
            TicketSort::PriorityDesc => "priority_desc",
            TicketSort::IdAsc => "id_asc",
        }
    }

    /// The key columns and their directions, the id last.
    pub(crate) fn keys(self) -> &'static [(KeyCol, Dir)] {
        use Dir::*;
        use KeyCol::*;
        match self {
            TicketSort::CreatedDesc => &[(CreatedAt, Desc), (Id, Desc)],
            TicketSort::CreatedAsc => &[(CreatedAt, Asc), (Id, Asc)],
            TicketSort::UpdatedDesc => &[(UpdatedAt, Desc), (Id, Desc)],
            TicketSort::UpdatedAsc => &[(UpdatedAt, Asc), (Id, Asc)],
            TicketSort::PriorityDesc => &[(Priority, Desc), (CreatedAt, Asc), (Id, Asc)],
            TicketSort::IdAsc => &[(Id, Asc)],
        }
    }

    /// The `ORDER BY` clauses of this order.
    pub(crate) fn order_by(self) -> impl Iterator<Item = (ticket::Column, Order)> {
        self.keys().iter().map(|(col, dir)| {
            let order = match dir {
                Dir::Asc => Order::Asc,
                Dir::Desc => Order::Desc,
            };
            (col.column(), order)
        })
    }

    pub(crate) fn kinds(self) -> Vec<KeyKind> {
        self.keys().iter().map(|(c, _)| c.kind()).collect()
    }

    /// Rows strictly after `values` in this order (OR-expanded, so mixed
    /// directions work on every backend).
    ///
    /// The OR alone would leave the database no range to scan: PostgreSQL
    /// then reads the merchant's rows from the start of the index and
    /// filters them, so a page deep into a large merchant costs as much as
    /// reading everything before it. The predicate therefore also bounds the
    /// leading key (`created_at <= x AND (created_at < x OR …)`), which is
    /// the same set of rows and an index range on `(merchant_id,
    /// created_at)`.
    pub(crate) fn after(self, values: &[KeyValue]) -> Condition {
        let keys = self.keys();
        let mut any = Condition::any();
        for i in 0..keys.len() {
            let mut all = Condition::all();
            for (j, (col, _)) in keys.iter().enumerate().take(i) {
                all = all.add(col.column().eq(col.value(values[j])));
            }
            let (col, order) = keys[i];
            let v = col.value(values[i]);
            all = all.add(match order {
                Dir::Desc => col.column().lt(v),
                Dir::Asc => col.column().gt(v),
            });
            any = any.add(all);
        }
        let (lead, order) = keys[0];
        let v = lead.value(values[0]);
        let bound = match order {
            Dir::Desc => lead.column().lte(v),
            Dir::Asc => lead.column().gte(v),
        };
        Condition::all().add(bound).add(any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_day_in_offsets() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let (s, e) = local_day(d, FixedOffset::east_opt(2 * 3600).unwrap());
        assert_eq!(s.to_rfc3339(), "2026-09-30T22:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2026-10-01T22:00:00+00:00");
        let (s, _) = local_day(d, FixedOffset::west_opt(5 * 3600).unwrap());
        assert_eq!(s.to_rfc3339(), "2026-10-01T05:00:00+00:00");
        assert!(check_offset(FixedOffset::east_opt(15 * 3600).unwrap()).is_err());
    }

    #[test]
    fn every_sort_ends_in_the_id() {
        for s in TicketSort::ALL {
            assert_eq!(s.keys().last().unwrap().0, KeyCol::Id, "{s:?}");
        }
    }
}
