//! The one ticket filter type, [`TicketFilter`], with its preset
//! constructors (open tickets, a local day, "needs attention", SLA
//! breaches, see [`Sla`]) and the SQL predicate it becomes.
//!
//! A filter accepts no SQL or column names: it is a set of typed predicates.
//! Sort orders are [`TicketSort`](super::TicketSort)s.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, DbBackend, ExprTrait};
use serde::{Deserialize, Serialize};

use crate::entity::enums::{Priority, TicketStatus};
use crate::entity::{instant_value, ticket};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId};
use crate::repository::validate::{MAX_JSON_BYTES, check_lookup};
use crate::time::{MIN_INSTANT, UtcOffset, check_instant, clamp_instant};

/// Which service-level deadline a ticket breaches.
///
/// As the analytics define it: the first-response SLA is breached when
/// `fr_due_by` is set and the first response came after it, or has not come
/// and `fr_due_by` is before `now`; the resolution SLA likewise with
/// `due_by` and `resolved_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Sla {
    /// The first-response deadline (`fr_due_by`).
    FirstResponse,
    /// The resolution deadline (`due_by`).
    Resolution,
    /// Either deadline.
    Either,
}

/// Tickets breaching an [`Sla`] as of `now`: a [`TicketFilter`] field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaBreach {
    /// Which deadline.
    pub sla: Sla,
    /// The instant open deadlines are judged against.
    pub now: DateTime<Utc>,
}

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
    /// Urgent, or high priority and created strictly before this instant
    /// (whatever the status): the seed guide's "needs attention" tickets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urgent_or_high_created_before: Option<DateTime<Utc>>,
    /// Breaching this SLA as of its `now`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaching: Option<SlaBreach>,
    /// Last updated at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_from: Option<DateTime<Utc>>,
    /// Last updated strictly before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_before: Option<DateTime<Utc>>,
    /// Deleted and spam tickets: left out unless asked for.
    #[serde(default, skip_serializing_if = "Flagged::is_default")]
    pub flagged: Flagged,
}

/// Which deleted or spam tickets (synced from Freshdesk's `filter=deleted`
/// and `filter=spam` listings) a [`TicketFilter`] returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Flagged {
    /// None of them: the default of every listing.
    #[default]
    Excluded,
    /// Flagged and unflagged tickets alike.
    Included,
    /// Only deleted tickets.
    OnlyDeleted,
    /// Only spam tickets.
    OnlySpam,
}

impl Flagged {
    fn is_default(&self) -> bool {
        *self == Self::Excluded
    }
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

    /// Created on the local calendar `date` in the fixed UTC `offset` (a
    /// ticket is on `date` when `created_at + offset` falls on it). The
    /// offset is a [`UtcOffset`], so it is within `-12:00..=+14:00`.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use freshdesk_store::repository::TicketFilter;
    ///
    /// let day = NaiveDate::from_ymd_opt(2026, 10, 2).unwrap();
    /// let filter = TicketFilter::new().created_on(day, "+02:00".parse()?)?;
    /// assert_eq!(filter.created_from.unwrap().to_rfc3339(), "2026-10-01T22:00:00+00:00");
    /// assert!(TicketFilter::new().created_on(NaiveDate::MAX, "+14:00".parse()?).is_err());
    /// # Ok::<(), freshdesk_store::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`date`) for a date outside
    /// `1000-01-01..=9999-12-31` (the [supported range](crate::time)).
    pub fn created_on(self, date: NaiveDate, offset: UtcOffset) -> Result<Self> {
        let (from, before) = offset.day(date)?;
        // The first and last day's bounds may lie a few hours outside the
        // supported range; no stored row does, so clamping matches the same rows.
        Ok(self.created_between(clamp_instant(from), clamp_instant(before)))
    }

    /// The seed guide's "needs attention" tickets: urgent, or high priority
    /// and created more than `older_than` before `now` (whatever their
    /// status).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`older_than`) for a negative duration,
    /// (`now`) for an instant outside the [supported range](crate::time).
    /// A duration reaching past the range's start matches the urgent
    /// tickets only, as no stored ticket is older.
    pub fn urgent_or_old_high_priority(now: DateTime<Utc>, older_than: Duration) -> Result<Self> {
        if older_than < Duration::zero() {
            return Err(Error::invalid_input(
                "older_than",
                format!("must not be negative, got {older_than}"),
            ));
        }
        check_instant("now", now)?;
        let cutoff = now
            .checked_sub_signed(older_than)
            .map_or(MIN_INSTANT, clamp_instant);
        Ok(Self {
            urgent_or_high_created_before: Some(cutoff),
            ..Self::default()
        })
    }

    /// The tickets that breach `sla` as of `now` (see [`Sla`]).
    pub fn breaching_sla(sla: Sla, now: DateTime<Utc>) -> Self {
        Self {
            breaching: Some(SlaBreach { sla, now }),
            ..Self::default()
        }
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

    /// Last updated in the half-open range `[from, before)`.
    pub fn updated_between(mut self, from: DateTime<Utc>, before: DateTime<Utc>) -> Self {
        self.updated_from = Some(from);
        self.updated_before = Some(before);
        self
    }

    /// Deleted and spam tickets too (left out by default).
    pub fn including_flagged(mut self) -> Self {
        self.flagged = Flagged::Included;
        self
    }

    /// Only deleted tickets.
    pub fn only_deleted(mut self) -> Self {
        self.flagged = Flagged::OnlyDeleted;
        self
    }

    /// Only spam tickets.
    pub fn only_spam(mut self) -> Self {
        self.flagged = Flagged::OnlySpam;
        self
    }

    /// The filter as a stable string, for cursor fingerprints.
    pub(crate) fn scope(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks every value the filter compares, before any is sent: its
    /// instants in the [supported range](crate::time), the tag a Freshdesk
    /// tag without a NUL character.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the field (`created_from`,
    /// `created_before`, `urgent_or_high_created_before`, `breaching.now`,
    /// `tag`).
    pub fn validate(&self) -> Result<()> {
        let instants = [
            ("created_from", self.created_from),
            ("created_before", self.created_before),
            (
                "urgent_or_high_created_before",
                self.urgent_or_high_created_before,
            ),
            ("breaching.now", self.breaching.map(|b| b.now)),
        ];
        for (field, at) in instants {
            if let Some(at) = at {
                check_instant(field, at)?;
            }
        }
        if let Some(tag) = &self.tag {
            check_lookup("tag", tag, MAX_JSON_BYTES)?;
        }
        Ok(())
    }

    /// The filter's predicates (the merchant predicate is added by the
    /// caller, first), after [`validate`](Self::validate).
    pub(crate) fn condition(&self, backend: DbBackend) -> Result<Condition> {
        self.validate()?;
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
        if let Some(cutoff) = self.urgent_or_high_created_before {
            cond = cond.add(
                Condition::any().add(T::Priority.eq(Priority::Urgent)).add(
                    Condition::all()
                        .add(T::Priority.eq(Priority::High))
                        .add(T::CreatedAt.lt(instant_value(cutoff))),
                ),
            );
        }
        if let Some(breach) = self.breaching {
            cond = cond.add(sla_condition(breach));
        }
        if let Some(from) = self.updated_from {
            cond = cond.add(T::UpdatedAt.gte(instant_value(from)));
        }
        if let Some(before) = self.updated_before {
            cond = cond.add(T::UpdatedAt.lt(instant_value(before)));
        }
        match self.flagged {
            Flagged::Excluded => {
                cond = cond.add(T::Deleted.eq(false)).add(T::Spam.eq(false));
            }
            Flagged::Included => {}
            Flagged::OnlyDeleted => cond = cond.add(T::Deleted.eq(true)),
            Flagged::OnlySpam => cond = cond.add(T::Spam.eq(true)),
        }
        Ok(cond)
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

/// The tickets breaching `breach.sla` at `breach.now`.
fn sla_condition(breach: SlaBreach) -> Condition {
    use ticket::Column as T;
    let col = |c: T| Expr::col((ticket::Entity, c));
    let breached = |due: T, done: T| {
        Condition::all().add(col(due).is_not_null()).add(
            Condition::any().add(col(done).gt(col(due))).add(
                Condition::all()
                    .add(col(done).is_null())
                    .add(col(due).lt(Expr::val(instant_value(breach.now)))),
            ),
        )
    };
    let first = breached(T::FrDueBy, T::FirstRespondedAt);
    let resolution = breached(T::DueBy, T::ResolvedAt);
    match breach.sla {
        Sla::FirstResponse => first,
        Sla::Resolution => resolution,
        Sla::Either => Condition::any().add(first).add(resolution),
    }
}
