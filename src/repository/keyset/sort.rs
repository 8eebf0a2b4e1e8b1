//! Sort orders of ticket lists ([`TicketSort`]) as keys: the key columns
//! and directions of each order, and the predicate "strictly after this
//! position" that a keyset page starts from.

use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, Order};
use serde::{Deserialize, Serialize};

use super::cursor::{KeyKind, KeyValue};
use crate::entity::{instant_value, ticket};

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
            KeyCol::Priority => KeyKind::Int32,
            KeyCol::Id => KeyKind::Id,
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
    fn every_sort_ends_in_the_id() {
        for s in TicketSort::ALL {
            assert_eq!(s.keys().last().unwrap().0, KeyCol::Id, "{s:?}");
        }
    }
}
