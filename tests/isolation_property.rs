//! Merchant isolation as a property, on every backend (SQLite by default;
//! PostgreSQL or MariaDB through `DATABASE_URL`): 48 cases, each three
//! fresh merchants in a rolled-back transaction, seeded through the
//! repositories with the same Freshdesk ids, then 8 to 24 random repository
//! and analytics calls that deliberately reuse those Freshdesk ids
//! (tickets, conversations, ratings, agents, contacts) and name other merchants'
//! ticket, agent and contact ids in writes, reads and deletes. A plain-Rust
//! model of each merchant's rows says what every call must return: another
//! merchant's id is `Error::NotFound` with nothing written, a Freshdesk id
//! the named merchant does not have is never matched through another
//! merchant's row, every row a list, page, stream, count or report returns
//! or counts is the named merchant's and matches the model, and a cursor
//! handed to another merchant is refused. After every write, and at the end
//! of each case, the whole state of all three merchants (read with plain
//! SeaORM queries) must equal the model.
//!
//! Every write runs straight in the case's transaction, those expected to
//! fail included (a Freshdesk id the merchant already has, another
//! merchant's id, a foreign-key conflict on delete): the crate promises
//! that a failed write leaves the caller's transaction usable, on
//! PostgreSQL too, and the full-state comparison that follows runs in it.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use freshdesk_store::analytics::{ReportParams, UtcOffset, report};
use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::entity::{agent, contact, conversation, rating, ticket};
use freshdesk_store::repository::*;
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use freshdesk_store::{AgentId, ConflictKind, ContactId, Error, MerchantId, TicketId};
use futures_util::StreamExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

const TICKETS: SeaTicketRepository = SeaTicketRepository;
const AGENTS: SeaAgentRepository = SeaAgentRepository;
const CONTACTS: SeaContactRepository = SeaContactRepository;

/// Merchants per case.
const M: usize = 3;
/// An id no merchant has.
const MISSING_ID: i64 = 9_000_000_000_000_000_000;

type Tc<T = ()> = Result<T, TestCaseError>;

fn fail(e: impl Debug) -> TestCaseError {
    TestCaseError::fail(format!("{e:?}"))
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap()
}

fn tid(id: i64) -> TicketId {
    TicketId::new(id).unwrap()
}

// ---------------------------------------------------------------------------
// The model

/// A ticket as the model keeps it (keyed by Freshdesk id).
#[derive(Clone, Debug, PartialEq)]
struct T {
    id: i64,
    subject: String,
    status: TicketStatus,
    priority: Priority,
    created_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    processed: bool,
    requester: Option<i64>,
    responder: Option<i64>,
}

impl T {
    fn of(row: &ticket::Model) -> Self {
        T {
            id: row.id.get(),
            subject: row.subject.clone(),
            status: row.status,
            priority: row.priority,
            created_at: row.created_at,
            resolved_at: row.resolved_at,
            processed: row.processed,
            requester: row.requester_id.map(ContactId::get),
            responder: row.responder_id.map(AgentId::get),
        }
    }
}

/// An agent or contact as the model keeps it (keyed by Freshdesk id).
#[derive(Clone, Debug, PartialEq)]
struct P {
    id: i64,
    name: String,
    email: Option<String>,
}

/// One merchant's rows, keyed by Freshdesk ids.
#[derive(Clone, Debug, Default, PartialEq)]
struct State {
    tickets: BTreeMap<String, T>,
    /// Freshdesk conversation id → (ticket id, body).
    conversations: BTreeMap<String, (i64, String)>,
    /// Freshdesk rating id → (ticket id, rating).
    ratings: BTreeMap<String, (i64, i32)>,
    agents: BTreeMap<String, P>,
    contacts: BTreeMap<String, P>,
}

impl State {
    fn people(&self, kind: Kind) -> &BTreeMap<String, P> {
        match kind {
            Kind::Agent => &self.agents,
            Kind::Contact => &self.contacts,
        }
    }

    fn people_mut(&mut self, kind: Kind) -> &mut BTreeMap<String, P> {
        match kind {
            Kind::Agent => &mut self.agents,
            Kind::Contact => &mut self.contacts,
        }
    }

    fn ticket_ids(&self) -> Vec<i64> {
        self.tickets.values().map(|t| t.id).collect()
    }

    fn ticket_by_id(&self, id: i64) -> Option<(&String, &T)> {
        self.tickets.iter().find(|(_, t)| t.id == id)
    }

    fn referenced(&self, kind: Kind, id: i64) -> bool {
        self.tickets.values().any(|t| match kind {
            Kind::Agent => t.responder == Some(id),
            Kind::Contact => t.requester == Some(id),
        })
    }
}

// ---------------------------------------------------------------------------
// Operations

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Agent,
    Contact,
}

#[derive(Clone, Copy, Debug)]
enum Child {
    Conversation,
    Rating,
}

/// A ticket, agent or contact id, resolved against the model when the
/// operation runs: the named merchant's, another merchant's, or nobody's.
#[derive(Clone, Copy, Debug)]
enum Pick {
    Own(u8),
    Other(u8),
    Missing,
}

#[derive(Clone, Copy, Debug)]
enum Filter {
    All,
    Open,
    Processed(bool),
    Status(TicketStatus),
}

impl Filter {
    fn filter(self) -> TicketFilter {
        match self {
            Filter::All => TicketFilter::new(),
            Filter::Open => TicketFilter::open(),
            Filter::Processed(p) => TicketFilter::new().processed(p),
            Filter::Status(s) => TicketFilter::new().statuses([s]),
        }
    }

    fn matches(self, t: &T) -> bool {
        match self {
            Filter::All => true,
            Filter::Open => t.status.is_open(),
            Filter::Processed(p) => t.processed == p,
            Filter::Status(s) => t.status == s,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum ListVia {
    Models,
    Ids,
    Summaries,
    WithChildren,
}

#[derive(Clone, Debug)]
enum Op {
    /// `insert_many` or `upsert_many` of tickets with these Freshdesk ids.
    WriteTickets {
        m: usize,
        fds: BTreeSet<u8>,
        upsert: bool,
        status: TicketStatus,
        priority: Priority,
        hour: u16,
        processed: bool,
        requester: Option<Pick>,
        responder: Option<Pick>,
    },
    /// Insert or upsert conversations or ratings: Freshdesk id → (ticket, value).
    WriteChildren {
        m: usize,
        child: Child,
        upsert: bool,
        rows: BTreeMap<u8, (Pick, u8)>,
    },
    SetStatus {
        m: usize,
        picks: Vec<Pick>,
        status: TicketStatus,
    },
    MarkProcessed {
        m: usize,
        picks: Vec<Pick>,
    },
    DeleteTickets {
        m: usize,
        picks: Vec<Pick>,
    },
    /// `get`, `get_with_children` and `get_many_with_children`.
    Get {
        m: usize,
        pick: Pick,
        more: Vec<Pick>,
    },
    GetByFreshdeskId {
        m: usize,
        fd: u8,
    },
    List {
        m: usize,
        filter: Filter,
        sort: TicketSort,
        size: u64,
        via: ListVia,
    },
    Paginated {
        m: usize,
        filter: Filter,
        sort: TicketSort,
        per_page: u64,
        page: u64,
    },
    Count {
        m: usize,
        filter: Filter,
    },
    Stream {
        m: usize,
        filter: Filter,
        batch: u64,
    },
    WritePeople {
        m: usize,
        kind: Kind,
        fds: BTreeSet<u8>,
        upsert: bool,
        name: u8,
    },
    /// list (every page), count, get, get_by_freshdesk_id, get_many.
    ReadPeople {
        m: usize,
        kind: Kind,
        size: u64,
        pick: Pick,
        fd: u8,
        many: Vec<Pick>,
    },
    DeletePeople {
        m: usize,
        kind: Kind,
        picks: Vec<Pick>,
    },
    Report {
        m: usize,
    },
}

impl Op {
    fn is_write(&self) -> bool {
        matches!(
            self,
            Op::WriteTickets { .. }
                | Op::WriteChildren { .. }
                | Op::SetStatus { .. }
                | Op::MarkProcessed { .. }
                | Op::DeleteTickets { .. }
                | Op::WritePeople { .. }
                | Op::DeletePeople { .. }
        )
    }
}

fn merchant() -> impl Strategy<Value = usize> {
    0..M
}

/// Mostly the named merchant's own rows, so that batches mixing in
/// another merchant's id (refused whole) leave room for ones that succeed.
fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        12 => any::<u8>().prop_map(Pick::Own),
        3 => any::<u8>().prop_map(Pick::Other),
        1 => Just(Pick::Missing),
    ]
}

fn picks() -> impl Strategy<Value = Vec<Pick>> {
    proptest::collection::vec(pick(), 0..=4)
}

fn status() -> impl Strategy<Value = TicketStatus> {
    proptest::sample::select(TicketStatus::KNOWN)
}

fn filter() -> impl Strategy<Value = Filter> {
    prop_oneof![
        Just(Filter::All),
        Just(Filter::Open),
        any::<bool>().prop_map(Filter::Processed),
        status().prop_map(Filter::Status),
    ]
}

fn sort() -> impl Strategy<Value = TicketSort> {
    proptest::sample::select(TicketSort::ALL.to_vec())
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Agent), Just(Kind::Contact)]
}

fn op() -> impl Strategy<Value = Op> {
    let write_tickets = (
        merchant(),
        proptest::collection::btree_set(0u8..8, 1..=5),
        any::<bool>(),
        (status(), proptest::sample::select(Priority::KNOWN)),
        0u16..500,
        any::<bool>(),
        proptest::option::weighted(0.6, pick()),
        proptest::option::weighted(0.6, pick()),
    )
        .prop_map(
            |(m, fds, upsert, (status, priority), hour, processed, requester, responder)| {
                Op::WriteTickets {
                    m,
                    fds,
                    upsert,
                    status,
                    priority,
                    hour,
                    processed,
                    requester,
                    responder,
                }
            },
        );
    let write_children = (
        merchant(),
        prop_oneof![Just(Child::Conversation), Just(Child::Rating)],
        any::<bool>(),
        proptest::collection::btree_map(0u8..6, (pick(), any::<u8>()), 1..=3),
    )
        .prop_map(|(m, child, upsert, rows)| Op::WriteChildren {
            m,
            child,
            upsert,
            rows,
        });
    prop_oneof![
        9 => write_tickets,
        4 => write_children,
        2 => (merchant(), picks(), status())
            .prop_map(|(m, picks, status)| Op::SetStatus { m, picks, status }),
        1 => (merchant(), picks()).prop_map(|(m, picks)| Op::MarkProcessed { m, picks }),
        1 => (merchant(), picks()).prop_map(|(m, picks)| Op::DeleteTickets { m, picks }),
        3 => (merchant(), pick(), picks()).prop_map(|(m, pick, more)| Op::Get { m, pick, more }),
        2 => (merchant(), 0u8..8).prop_map(|(m, fd)| Op::GetByFreshdeskId { m, fd }),
        5 => (
            merchant(),
            filter(),
            sort(),
            1u64..=4,
            prop_oneof![
                Just(ListVia::Models),
                Just(ListVia::Ids),
                Just(ListVia::Summaries),
                Just(ListVia::WithChildren),
            ],
        )
            .prop_map(|(m, filter, sort, size, via)| Op::List {
                m,
                filter,
                sort,
                size,
                via,
            }),
        2 => (merchant(), filter(), sort(), 1u64..=4, 1u64..=3).prop_map(
            |(m, filter, sort, per_page, page)| Op::Paginated {
                m,
                filter,
                sort,
                per_page,
                page,
            }
        ),
        1 => (merchant(), filter()).prop_map(|(m, filter)| Op::Count { m, filter }),
        2 => (merchant(), filter(), 1u64..=4)
            .prop_map(|(m, filter, batch)| Op::Stream { m, filter, batch }),
        3 => (
            merchant(),
            kind(),
            proptest::collection::btree_set(0u8..5, 1..=3),
            any::<bool>(),
            any::<u8>(),
        )
            .prop_map(|(m, kind, fds, upsert, name)| Op::WritePeople {
                m,
                kind,
                fds,
                upsert,
                name,
            }),
        2 => (merchant(), kind(), 1u64..=3, pick(), 0u8..5, picks()).prop_map(
            |(m, kind, size, pick, fd, many)| Op::ReadPeople {
                m,
                kind,
                size,
                pick,
                fd,
                many,
            }
        ),
        2 => (merchant(), kind(), picks())
            .prop_map(|(m, kind, picks)| Op::DeletePeople { m, kind, picks }),
        2 => merchant().prop_map(|m| Op::Report { m }),
    ]
}

// ---------------------------------------------------------------------------
// Agents and contacts behind one interface

/// An agent or contact row as the repositories return it.
#[derive(Clone, Debug)]
struct PRow {
    merchant: MerchantId,
    id: i64,
    fd: String,
    name: String,
    email: Option<String>,
}

fn agent_row(a: agent::Model) -> PRow {
    PRow {
        merchant: a.merchant_id,
        id: a.id.get(),
        fd: a.freshdesk_agent_id,
        name: a.name,
        email: a.email,
    }
}

fn contact_row(c: contact::Model) -> PRow {
    PRow {
        merchant: c.merchant_id,
        id: c.id.get(),
        fd: c.freshdesk_contact_id,
        name: c.name,
        email: c.email,
    }
}

type PRows = Vec<(String, String, Option<String>)>;

async fn p_write(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
    rows: PRows,
    upsert: bool,
) -> freshdesk_store::Result<u64> {
    match kind {
        Kind::Agent => {
            let rows: Vec<NewAgent> = rows
                .into_iter()
                .map(|(fd, name, email)| NewAgent {
                    freshdesk_agent_id: fd,
                    name,
                    email,
                })
                .collect();
            let n = rows.len() as u64;
            if upsert {
                AGENTS.upsert_many(txn, merchant, rows).await.map(|()| n)
            } else {
                AGENTS.insert_many(txn, merchant, rows).await
            }
        }
        Kind::Contact => {
            let rows: Vec<NewContact> = rows
                .into_iter()
                .map(|(fd, name, email)| NewContact {
                    freshdesk_contact_id: fd,
                    name,
                    email,
                })
                .collect();
            let n = rows.len() as u64;
            if upsert {
                CONTACTS.upsert_many(txn, merchant, rows).await.map(|()| n)
            } else {
                CONTACTS.insert_many(txn, merchant, rows).await
            }
        }
    }
}

async fn p_list(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
    after: Option<&str>,
    size: u64,
) -> freshdesk_store::Result<(Vec<PRow>, Option<String>)> {
    Ok(match kind {
        Kind::Agent => {
            let p = AGENTS.list(txn, merchant, after, size).await?;
            (p.items.into_iter().map(agent_row).collect(), p.next_cursor)
        }
        Kind::Contact => {
            let p = CONTACTS.list(txn, merchant, after, size).await?;
            (
                p.items.into_iter().map(contact_row).collect(),
                p.next_cursor,
            )
        }
    })
}

async fn p_count(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
) -> freshdesk_store::Result<u64> {
    match kind {
        Kind::Agent => AGENTS.count(txn, merchant).await,
        Kind::Contact => CONTACTS.count(txn, merchant).await,
    }
}

async fn p_get(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
    id: i64,
) -> freshdesk_store::Result<PRow> {
    match kind {
        Kind::Agent => AGENTS
            .get(txn, merchant, AgentId::new(id).unwrap())
            .await
            .map(agent_row),
        Kind::Contact => CONTACTS
            .get(txn, merchant, ContactId::new(id).unwrap())
            .await
            .map(contact_row),
    }
}

async fn p_get_by_fd(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
    fd: &str,
) -> freshdesk_store::Result<PRow> {
    match kind {
        Kind::Agent => AGENTS
            .get_by_freshdesk_id(txn, merchant, fd)
            .await
            .map(agent_row),
        Kind::Contact => CONTACTS
            .get_by_freshdesk_id(txn, merchant, fd)
            .await
            .map(contact_row),
    }
}

async fn p_get_many(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
    ids: &[i64],
) -> freshdesk_store::Result<Vec<PRow>> {
    match kind {
        Kind::Agent => {
            let ids: Vec<AgentId> = ids.iter().map(|i| AgentId::new(*i).unwrap()).collect();
            Ok(AGENTS
                .get_many(txn, merchant, &ids)
                .await?
                .into_iter()
                .map(agent_row)
                .collect())
        }
        Kind::Contact => {
            let ids: Vec<ContactId> = ids.iter().map(|i| ContactId::new(*i).unwrap()).collect();
            Ok(CONTACTS
                .get_many(txn, merchant, &ids)
                .await?
                .into_iter()
                .map(contact_row)
                .collect())
        }
    }
}

async fn p_delete(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
    ids: &[i64],
) -> freshdesk_store::Result<u64> {
    match kind {
        Kind::Agent => {
            let ids: Vec<AgentId> = ids.iter().map(|i| AgentId::new(*i).unwrap()).collect();
            AGENTS.delete(txn, merchant, &ids).await
        }
        Kind::Contact => {
            let ids: Vec<ContactId> = ids.iter().map(|i| ContactId::new(*i).unwrap()).collect();
            CONTACTS.delete(txn, merchant, &ids).await
        }
    }
}

async fn p_resolve(
    txn: &DatabaseTransaction,
    kind: Kind,
    merchant: MerchantId,
    fds: &[String],
) -> freshdesk_store::Result<BTreeMap<String, i64>> {
    Ok(match kind {
        Kind::Agent => AGENTS
            .resolve_freshdesk_ids(txn, merchant, fds)
            .await?
            .into_iter()
            .map(|(k, v)| (k, v.get()))
            .collect(),
        Kind::Contact => CONTACTS
            .resolve_freshdesk_ids(txn, merchant, fds)
            .await?
            .into_iter()
            .map(|(k, v)| (k, v.get()))
            .collect(),
    })
}

fn entity_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Agent => "agent",
        Kind::Contact => "contact",
    }
}

// ---------------------------------------------------------------------------
// Expected errors

fn expect_not_found<V: Debug>(result: freshdesk_store::Result<V>, entity: &str, id: &str) -> Tc {
    match result {
        Err(Error::NotFound { entity: e, id: i }) if e == entity && i == id => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "expected {entity} {id} not found, got {other:?}"
        ))),
    }
}

fn expect_conflict<V: Debug>(result: freshdesk_store::Result<V>, kind: ConflictKind) -> Tc {
    match result {
        Err(e) if e.is_conflict(kind) => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "expected a {kind:?} conflict, got {other:?}"
        ))),
    }
}

fn expect_invalid<V: Debug>(result: freshdesk_store::Result<V>, field: &str) -> Tc {
    match result {
        Err(Error::InvalidInput { field: f, .. }) if f == field => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "expected invalid {field}, got {other:?}"
        ))),
    }
}

// ---------------------------------------------------------------------------
// One case

#[derive(Debug, Default)]
struct Stats {
    cases: u64,
    ops: u64,
    writes: u64,
    rows_checked: u64,
    cross_rows: u64,
    not_found: u64,
    unique_conflicts: u64,
    fk_conflicts: u64,
    shared_freshdesk_lookups: u64,
    foreign_cursors: u64,
    state_checks: u64,
}

struct Case<'a> {
    txn: &'a DatabaseTransaction,
    ids: [MerchantId; M],
    model: [State; M],
    stats: &'a mut Stats,
    op_no: usize,
}

impl Case<'_> {
    /// The merchant index owning this ticket id in the model, if any.
    fn ticket_owner(&self, id: i64) -> Option<usize> {
        (0..M).find(|&i| self.model[i].ticket_by_id(id).is_some())
    }

    fn person_owner(&self, kind: Kind, id: i64) -> Option<usize> {
        (0..M).find(|&i| self.model[i].people(kind).values().any(|p| p.id == id))
    }

    fn other(m: usize, k: u8) -> usize {
        (m + 1 + usize::from(k % 2)) % M
    }

    /// A ticket id and whether it is merchant `m`'s.
    fn ticket_pick(&self, m: usize, pick: Pick) -> Option<(i64, bool)> {
        let from = |i: usize, k: u8| {
            let ids = self.model[i].ticket_ids();
            (!ids.is_empty()).then(|| ids[usize::from(k) % ids.len()])
        };
        match pick {
            Pick::Own(k) => from(m, k).map(|id| (id, true)),
            Pick::Other(k) => from(Self::other(m, k), k / 2).map(|id| (id, false)),
            Pick::Missing => Some((MISSING_ID, false)),
        }
    }

    fn person_pick(&self, kind: Kind, m: usize, pick: Pick) -> Option<(i64, bool)> {
        let from = |i: usize, k: u8| {
            let ids: Vec<i64> = self.model[i].people(kind).values().map(|p| p.id).collect();
            (!ids.is_empty()).then(|| ids[usize::from(k) % ids.len()])
        };
        match pick {
            Pick::Own(k) => from(m, k).map(|id| (id, true)),
            Pick::Other(k) => from(Self::other(m, k), k / 2).map(|id| (id, false)),
            Pick::Missing => Some((MISSING_ID, false)),
        }
    }

    /// Fails (and counts a cross-merchant row) unless the row is merchant
    /// `m`'s by both its `merchant_id` and the model.
    fn owned(&mut self, m: usize, merchant: MerchantId, owner: Option<usize>, what: &str) -> Tc {
        self.stats.rows_checked += 1;
        if merchant != self.ids[m] || owner.is_some_and(|o| o != m) {
            self.stats.cross_rows += 1;
            return Err(TestCaseError::fail(format!(
                "op {}: {what} of merchant {merchant} (model owner {owner:?}) returned for merchant {}",
                self.op_no, self.ids[m]
            )));
        }
        prop_assert!(
            owner == Some(m),
            "op {}: {what} not in the model",
            self.op_no
        );
        Ok(())
    }

    fn check_ticket(&mut self, m: usize, row: &ticket::Model) -> Tc {
        let owner = self.ticket_owner(row.id.get());
        self.owned(m, row.merchant_id, owner, &format!("ticket {}", row.id))?;
        let expected = self.model[m].tickets.get(&row.freshdesk_ticket_id);
        prop_assert_eq!(expected, Some(&T::of(row)), "op {}", self.op_no);
        Ok(())
    }

    /// A ticket id from a projection: the model's owner must be `m`.
    fn check_ticket_id(&mut self, m: usize, id: i64) -> Tc {
        let owner = self.ticket_owner(id);
        let merchant = owner.map_or(self.ids[(m + 1) % M], |o| self.ids[o]);
        self.owned(m, merchant, owner, &format!("ticket id {id}"))
    }

    fn check_person(&mut self, m: usize, kind: Kind, row: &PRow) -> Tc {
        let owner = self.person_owner(kind, row.id);
        self.owned(m, row.merchant, owner, &format!("{kind:?} {}", row.id))?;
        let expected = self.model[m].people(kind).get(&row.fd);
        let got = P {
            id: row.id,
            name: row.name.clone(),
            email: row.email.clone(),
        };
        prop_assert_eq!(expected, Some(&got), "op {}", self.op_no);
        Ok(())
    }

    fn check_with_children(&mut self, m: usize, twc: &TicketWithChildren) -> Tc {
        self.check_ticket(m, &twc.ticket)?;
        let id = twc.ticket.id.get();
        let mut convs = BTreeSet::new();
        for c in &twc.conversations {
            let owner = self.ticket_owner(c.ticket_id.get());
            self.owned(m, c.merchant_id, owner, &format!("conversation {}", c.id))?;
            prop_assert_eq!(c.ticket_id.get(), id);
            let expected = self.model[m]
                .conversations
                .get(&c.freshdesk_conversation_id);
            prop_assert_eq!(expected, Some(&(id, c.body.clone())));
            convs.insert(c.freshdesk_conversation_id.clone());
        }
        let want: BTreeSet<String> = self.model[m]
            .conversations
            .iter()
            .filter(|(_, (t, _))| *t == id)
            .map(|(fd, _)| fd.clone())
            .collect();
        prop_assert_eq!(convs, want, "op {}: conversations of {}", self.op_no, id);
        let mut ratings = BTreeSet::new();
        for r in &twc.ratings {
            let owner = self.ticket_owner(r.ticket_id.get());
            self.owned(m, r.merchant_id, owner, &format!("rating {}", r.id))?;
            prop_assert_eq!(r.ticket_id.get(), id);
            let expected = self.model[m].ratings.get(&r.freshdesk_rating_id);
            prop_assert_eq!(expected, Some(&(id, r.rating)));
            ratings.insert(r.freshdesk_rating_id.clone());
        }
        let want: BTreeSet<String> = self.model[m]
            .ratings
            .iter()
            .filter(|(_, (t, _))| *t == id)
            .map(|(fd, _)| fd.clone())
            .collect();
        prop_assert_eq!(ratings, want, "op {}: ratings of {}", self.op_no, id);
        let t = T::of(&twc.ticket);
        prop_assert_eq!(twc.requester.as_ref().map(|c| c.id.get()), t.requester);
        prop_assert_eq!(twc.responder.as_ref().map(|a| a.id.get()), t.responder);
        if let Some(c) = twc.requester.clone() {
            self.check_person(m, Kind::Contact, &contact_row(c))?;
        }
        if let Some(a) = twc.responder.clone() {
            self.check_person(m, Kind::Agent, &agent_row(a))?;
        }
        Ok(())
    }

    /// The model's ticket ids of merchant `m` matching `filter`.
    fn expected_ids(&self, m: usize, filter: Filter) -> BTreeSet<i64> {
        self.model[m]
            .tickets
            .values()
            .filter(|t| filter.matches(t))
            .map(|t| t.id)
            .collect()
    }

    /// Every merchant's rows, read with plain SeaORM queries, equal the model.
    async fn check_state(&mut self) -> Tc {
        self.stats.state_checks += 1;
        let txn = self.txn;
        let ids = self.ids;
        let index = |m: MerchantId| ids.iter().position(|x| *x == m).unwrap();
        let mut db: [State; M] = Default::default();
        for row in ticket::Entity::find()
            .filter(ticket::Column::MerchantId.is_in(ids))
            .all(txn)
            .await
            .map_err(fail)?
        {
            let i = index(row.merchant_id);
            db[i]
                .tickets
                .insert(row.freshdesk_ticket_id.clone(), T::of(&row));
        }
        for row in conversation::Entity::find()
            .filter(conversation::Column::MerchantId.is_in(ids))
            .all(txn)
            .await
            .map_err(fail)?
        {
            let i = index(row.merchant_id);
            db[i].conversations.insert(
                row.freshdesk_conversation_id,
                (row.ticket_id.get(), row.body),
            );
        }
        for row in rating::Entity::find()
            .filter(rating::Column::MerchantId.is_in(ids))
            .all(txn)
            .await
            .map_err(fail)?
        {
            let i = index(row.merchant_id);
            db[i]
                .ratings
                .insert(row.freshdesk_rating_id, (row.ticket_id.get(), row.rating));
        }
        for row in agent::Entity::find()
            .filter(agent::Column::MerchantId.is_in(ids))
            .all(txn)
            .await
            .map_err(fail)?
        {
            let r = agent_row(row);
            let i = index(r.merchant);
            db[i].agents.insert(
                r.fd,
                P {
                    id: r.id,
                    name: r.name,
                    email: r.email,
                },
            );
        }
        for row in contact::Entity::find()
            .filter(contact::Column::MerchantId.is_in(ids))
            .all(txn)
            .await
            .map_err(fail)?
        {
            let r = contact_row(row);
            let i = index(r.merchant);
            db[i].contacts.insert(
                r.fd,
                P {
                    id: r.id,
                    name: r.name,
                    email: r.email,
                },
            );
        }
        for (m, (got, want)) in db.iter().zip(&self.model).enumerate() {
            prop_assert_eq!(
                got,
                want,
                "op {}: merchant {} ({}) differs from the model",
                self.op_no,
                m,
                self.ids[m]
            );
        }
        Ok(())
    }

    /// Learns the ids of the merchant's tickets with these Freshdesk ids.
    async fn learn_ticket_ids(&mut self, m: usize, fds: &[String]) -> Tc {
        let found = TICKETS
            .resolve_freshdesk_ids(self.txn, self.ids[m], fds)
            .await
            .map_err(fail)?;
        prop_assert_eq!(
            found.keys().collect::<Vec<_>>(),
            fds.iter().collect::<Vec<_>>()
        );
        for (fd, id) in found {
            let owner = self.ticket_owner(id.get());
            prop_assert!(
                owner.is_none() || owner == Some(m),
                "ticket {id} is {owner:?}'s"
            );
            let t = self.model[m].tickets.get_mut(&fd).unwrap();
            prop_assert!(t.id == 0 || t.id == id.get(), "{fd} changed id");
            t.id = id.get();
        }
        Ok(())
    }

    async fn run(&mut self, op: &Op) -> Tc {
        let txn = self.txn;
        match op.clone() {
            Op::WriteTickets {
                m,
                fds,
                upsert,
                status,
                priority,
                hour,
                processed,
                requester,
                responder,
            } => {
                let requester = requester.and_then(|p| self.person_pick(Kind::Contact, m, p));
                let responder = responder.and_then(|p| self.person_pick(Kind::Agent, m, p));
                let fds: Vec<String> = fds.iter().map(|f| format!("fd-{f}")).collect();
                let rows: Vec<NewTicket> = fds
                    .iter()
                    .enumerate()
                    .map(|(i, fd)| {
                        let created = base() + Duration::hours(i64::from(hour) + i as i64);
                        let mut t = NewTicket::new(
                            fd.as_str(),
                            format!("m{m} op{} {fd}", self.op_no),
                            created,
                        );
                        t.status = status;
                        t.priority = priority;
                        t.processed = processed;
                        t.resolved_at = status.is_resolved().then(|| created + Duration::hours(2));
                        t.requester_id = requester.map(|(id, _)| ContactId::new(id).unwrap());
                        t.responder_id = responder.map(|(id, _)| AgentId::new(id).unwrap());
                        t
                    })
                    .collect();
                let conflict =
                    !upsert && fds.iter().any(|fd| self.model[m].tickets.contains_key(fd));
                let merchant = self.ids[m];
                let result = {
                    if upsert {
                        TICKETS
                            .upsert_many(txn, merchant, rows.clone())
                            .await
                            .map(|_| 0)
                    } else {
                        TICKETS.insert_many(txn, merchant, rows.clone()).await
                    }
                };
                if let Some((id, false)) = requester {
                    self.stats.not_found += 1;
                    return expect_not_found(result, "contact", &id.to_string());
                }
                if let Some((id, false)) = responder {
                    self.stats.not_found += 1;
                    return expect_not_found(result, "agent", &id.to_string());
                }
                if conflict {
                    self.stats.unique_conflicts += 1;
                    return expect_conflict(result, ConflictKind::Unique);
                }
                let n = result.map_err(fail)?;
                if !upsert {
                    prop_assert_eq!(n, rows.len() as u64);
                }
                for row in &rows {
                    let new = T {
                        id: 0,
                        subject: row.subject.clone(),
                        status: row.status,
                        priority: row.priority,
                        created_at: row.created_at,
                        resolved_at: row.resolved_at,
                        processed: row.processed,
                        requester: row.requester_id.map(ContactId::get),
                        responder: row.responder_id.map(AgentId::get),
                    };
                    match self.model[m].tickets.get_mut(&row.freshdesk_ticket_id) {
                        // Newest wins: an older version (here `updated_at`
                        // is `created_at`) changes nothing.
                        Some(t) if row.updated_at < t.created_at => {}
                        // An upsert keeps the id and the processed flag.
                        Some(t) => {
                            *t = T {
                                id: t.id,
                                processed: t.processed,
                                ..new
                            }
                        }
                        None => {
                            self.model[m]
                                .tickets
                                .insert(row.freshdesk_ticket_id.clone(), new);
                        }
                    }
                }
                self.learn_ticket_ids(m, &fds).await
            }

            Op::WriteChildren {
                m,
                child,
                upsert,
                rows,
            } => {
                let rows: Vec<(String, i64, bool, u8)> = rows
                    .into_iter()
                    .filter_map(|(fd, (pick, value))| {
                        let (id, own) = self.ticket_pick(m, pick)?;
                        let prefix = match child {
                            Child::Conversation => "conv",
                            Child::Rating => "rating",
                        };
                        Some((format!("{prefix}-{fd}"), id, own, value))
                    })
                    .collect();
                let foreign = rows.iter().filter(|r| !r.2).map(|r| r.1).min();
                let existing = |fd: &String| match child {
                    Child::Conversation => self.model[m].conversations.contains_key(fd),
                    Child::Rating => self.model[m].ratings.contains_key(fd),
                };
                let conflict = foreign.is_none() && !upsert && rows.iter().any(|r| existing(&r.0));
                let merchant = self.ids[m];
                let at = |v: u8| base() + Duration::hours(i64::from(v));
                let score = |v: u8| [103, 102, 101, 100, -101, -102, -103][usize::from(v) % 7];
                let body = |v: u8| format!("m{m} op{} body {v}", self.op_no);
                let result = match child {
                    Child::Conversation => {
                        let batch: Vec<NewConversation> = rows
                            .iter()
                            .map(|(fd, id, _, v)| {
                                NewConversation::new(tid(*id), fd.as_str(), body(*v), at(*v))
                            })
                            .collect();
                        {
                            if upsert {
                                TICKETS
                                    .upsert_conversations(txn, merchant, batch)
                                    .await
                                    .map(|()| 0)
                            } else {
                                TICKETS.insert_conversations(txn, merchant, batch).await
                            }
                        }
                    }
                    Child::Rating => {
                        let batch: Vec<NewRating> = rows
                            .iter()
                            .map(|(fd, id, _, v)| {
                                NewRating::new(tid(*id), fd.as_str(), score(*v), at(*v))
                            })
                            .collect();
                        {
                            if upsert {
                                TICKETS
                                    .upsert_ratings(txn, merchant, batch)
                                    .await
                                    .map(|()| 0)
                            } else {
                                TICKETS.insert_ratings(txn, merchant, batch).await
                            }
                        }
                    }
                };
                if let Some(id) = foreign {
                    self.stats.not_found += 1;
                    return expect_not_found(result, "ticket", &id.to_string());
                }
                if conflict {
                    self.stats.unique_conflicts += 1;
                    return expect_conflict(result, ConflictKind::Unique);
                }
                let n = result.map_err(fail)?;
                if !upsert {
                    prop_assert_eq!(n, rows.len() as u64);
                }
                for (fd, id, _, v) in rows {
                    match child {
                        Child::Conversation => {
                            self.model[m].conversations.insert(fd, (id, body(v)));
                        }
                        Child::Rating => {
                            self.model[m].ratings.insert(fd, (id, score(v)));
                        }
                    }
                }
                Ok(())
            }

            Op::SetStatus { m, picks, .. }
            | Op::MarkProcessed { m, picks }
            | Op::DeleteTickets { m, picks } => {
                let chosen: Vec<(i64, bool)> = picks
                    .iter()
                    .filter_map(|p| self.ticket_pick(m, *p))
                    .collect();
                let ids: Vec<TicketId> = chosen.iter().map(|(id, _)| tid(*id)).collect();
                let own: BTreeSet<i64> = chosen.iter().filter(|c| c.1).map(|c| c.0).collect();
                let foreign = chosen.iter().filter(|c| !c.1).map(|c| c.0).min();
                let merchant = self.ids[m];
                let result = match op {
                    Op::SetStatus { status, .. } => {
                        TICKETS.set_status(txn, merchant, &ids, *status).await
                    }
                    Op::MarkProcessed { .. } => TICKETS.mark_processed(txn, merchant, &ids).await,
                    _ => TICKETS.delete(txn, merchant, &ids).await,
                };
                if let Some(id) = foreign {
                    self.stats.not_found += 1;
                    return expect_not_found(result, "ticket", &id.to_string());
                }
                prop_assert_eq!(result.map_err(fail)?, own.len() as u64);
                let state = &mut self.model[m];
                match op {
                    Op::SetStatus { status, .. } => {
                        let stamps =
                            matches!(status, TicketStatus::Resolved | TicketStatus::Closed);
                        for t in state.tickets.values_mut().filter(|t| own.contains(&t.id)) {
                            t.status = *status;
                            // Resolved / Closed stamp an empty `resolved_at`
                            // with the time of the call: take it from the row.
                            if stamps && t.resolved_at.is_none() {
                                let row =
                                    TICKETS.get(txn, merchant, tid(t.id)).await.map_err(fail)?;
                                prop_assert!(row.resolved_at.is_some());
                                t.resolved_at = row.resolved_at;
                            }
                        }
                    }
                    Op::MarkProcessed { .. } => {
                        for t in state.tickets.values_mut().filter(|t| own.contains(&t.id)) {
                            t.processed = true;
                        }
                    }
                    _ => {
                        state.tickets.retain(|_, t| !own.contains(&t.id));
                        state.conversations.retain(|_, (t, _)| !own.contains(t));
                        state.ratings.retain(|_, (t, _)| !own.contains(t));
                    }
                }
                Ok(())
            }

            Op::Get { m, pick, more } => {
                let merchant = self.ids[m];
                if let Some((id, own)) = self.ticket_pick(m, pick) {
                    let got = TICKETS.get(txn, merchant, tid(id)).await;
                    let with = TICKETS.get_with_children(txn, merchant, tid(id)).await;
                    if own {
                        self.check_ticket(m, &got.map_err(fail)?)?;
                        self.check_with_children(m, &with.map_err(fail)?)?;
                    } else {
                        self.stats.not_found += 2;
                        expect_not_found(got, "ticket", &id.to_string())?;
                        expect_not_found(with, "ticket", &id.to_string())?;
                    }
                }
                let chosen: Vec<(i64, bool)> = more
                    .iter()
                    .filter_map(|p| self.ticket_pick(m, *p))
                    .collect();
                let ids: Vec<TicketId> = chosen.iter().map(|(id, _)| tid(*id)).collect();
                let own: Vec<i64> = chosen
                    .iter()
                    .filter(|c| c.1)
                    .map(|c| c.0)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let many = TICKETS
                    .get_many_with_children(txn, merchant, &ids)
                    .await
                    .map_err(fail)?;
                for twc in &many {
                    self.check_with_children(m, twc)?;
                }
                let got: Vec<i64> = many.iter().map(|t| t.ticket.id.get()).collect();
                prop_assert_eq!(got, own);
                Ok(())
            }

            Op::GetByFreshdeskId { m, fd } => {
                let fd = format!("fd-{fd}");
                let got = TICKETS.get_by_freshdesk_id(txn, self.ids[m], &fd).await;
                if (0..M).any(|o| o != m && self.model[o].tickets.contains_key(&fd)) {
                    self.stats.shared_freshdesk_lookups += 1;
                }
                if self.model[m].tickets.contains_key(&fd) {
                    self.check_ticket(m, &got.map_err(fail)?)?;
                } else {
                    self.stats.not_found += 1;
                    expect_not_found(got, "ticket", &format!("freshdesk:{fd}"))?;
                }
                let found = TICKETS
                    .resolve_freshdesk_ids(txn, self.ids[m], &[fd.clone(), "fd-none".into()])
                    .await
                    .map_err(fail)?;
                let want: BTreeMap<String, TicketId> = self.model[m]
                    .tickets
                    .get(&fd)
                    .map(|t| (fd.clone(), tid(t.id)))
                    .into_iter()
                    .collect();
                prop_assert_eq!(found, want);
                Ok(())
            }

            Op::List {
                m,
                filter,
                sort,
                size,
                via,
            } => {
                let merchant = self.ids[m];
                let f = filter.filter();
                let mut seen = Vec::new();
                let mut after: Option<String> = None;
                let mut pages = 0;
                loop {
                    let req = CursorRequest::first(size).sort(sort).after(after.clone());
                    let (n, next) = match via {
                        ListVia::Models => {
                            let p = TICKETS.list(txn, merchant, &f, &req).await.map_err(fail)?;
                            for t in &p.items {
                                self.check_ticket(m, t)?;
                                seen.push(t.id.get());
                            }
                            (p.items.len(), p.next_cursor)
                        }
                        ListVia::Ids => {
                            let p = TICKETS
                                .list_ids(txn, merchant, &f, &req)
                                .await
                                .map_err(fail)?;
                            for id in &p.items {
                                self.check_ticket_id(m, id.get())?;
                                seen.push(id.get());
                            }
                            (p.items.len(), p.next_cursor)
                        }
                        ListVia::Summaries => {
                            let p = TICKETS
                                .list_summaries(txn, merchant, &f, &req)
                                .await
                                .map_err(fail)?;
                            for s in &p.items {
                                self.check_ticket_id(m, s.id.get())?;
                                let (_, t) = self.model[m].ticket_by_id(s.id.get()).unwrap();
                                prop_assert_eq!(
                                    (&s.subject, s.status, s.priority, s.created_at),
                                    (&t.subject, t.status, t.priority, t.created_at)
                                );
                                seen.push(s.id.get());
                            }
                            (p.items.len(), p.next_cursor)
                        }
                        ListVia::WithChildren => {
                            let p = TICKETS
                                .list_with_children(txn, merchant, &f, &req)
                                .await
                                .map_err(fail)?;
                            for twc in &p.items {
                                self.check_with_children(m, twc)?;
                                seen.push(twc.ticket.id.get());
                            }
                            (p.items.len(), p.next_cursor)
                        }
                    };
                    prop_assert!(n as u64 <= size);
                    if pages == 0
                        && let Some(cursor) = &next
                    {
                        // The cursor is this merchant's: another merchant
                        // cannot continue from it.
                        let other = self.ids[(m + 1) % M];
                        let req = CursorRequest::first(size)
                            .sort(sort)
                            .after(Some(cursor.clone()));
                        self.stats.foreign_cursors += 1;
                        expect_invalid(TICKETS.list(txn, other, &f, &req).await, "cursor")?;
                    }
                    pages += 1;
                    prop_assert!(pages <= 64, "pages never end");
                    match next {
                        Some(c) => after = Some(c),
                        None => break,
                    }
                }
                let set: BTreeSet<i64> = seen.iter().copied().collect();
                prop_assert_eq!(set.len(), seen.len(), "a row repeated across pages");
                prop_assert_eq!(set, self.expected_ids(m, filter));
                Ok(())
            }

            Op::Paginated {
                m,
                filter,
                sort,
                per_page,
                page,
            } => {
                let p = TICKETS
                    .list_paginated(txn, self.ids[m], &filter.filter(), sort, page, per_page)
                    .await
                    .map_err(fail)?;
                let expected = self.expected_ids(m, filter);
                let total = expected.len() as u64;
                prop_assert_eq!(p.total, total);
                prop_assert_eq!(p.pages, total.div_ceil(per_page));
                let want = total.saturating_sub((page - 1) * per_page).min(per_page);
                prop_assert_eq!(p.items.len() as u64, want);
                for t in &p.items {
                    self.check_ticket(m, t)?;
                    prop_assert!(expected.contains(&t.id.get()));
                }
                Ok(())
            }

            Op::Count { m, filter } => {
                let n = TICKETS
                    .count(txn, self.ids[m], &filter.filter())
                    .await
                    .map_err(fail)?;
                prop_assert_eq!(n, self.expected_ids(m, filter).len() as u64);
                Ok(())
            }

            Op::Stream { m, filter, batch } => {
                let mut rows = Vec::new();
                {
                    let mut stream = TICKETS
                        .stream_batches(txn, self.ids[m], filter.filter(), batch)
                        .map_err(fail)?;
                    while let Some(b) = stream.next().await {
                        let b = b.map_err(fail)?;
                        prop_assert!(!b.is_empty() && b.len() as u64 <= batch);
                        rows.extend(b);
                    }
                }
                let mut seen = BTreeSet::new();
                for t in &rows {
                    self.check_ticket(m, t)?;
                    prop_assert!(seen.insert(t.id.get()), "ticket {} streamed twice", t.id);
                }
                prop_assert_eq!(seen, self.expected_ids(m, filter));
                Ok(())
            }

            Op::WritePeople {
                m,
                kind,
                fds,
                upsert,
                name,
            } => {
                let prefix = match kind {
                    Kind::Agent => "agent",
                    Kind::Contact => "contact",
                };
                let rows: PRows = fds
                    .iter()
                    .map(|f| {
                        let fd = format!("{prefix}-{f}");
                        let email = (name % 2 == 0).then(|| format!("{fd}@m{m}.test"));
                        (fd, format!("m{m} op{} n{name}", self.op_no), email)
                    })
                    .collect();
                let conflict = !upsert
                    && rows
                        .iter()
                        .any(|r| self.model[m].people(kind).contains_key(&r.0));
                let merchant = self.ids[m];
                let batch = rows.clone();
                let result = { p_write(txn, kind, merchant, batch, upsert).await };
                if conflict {
                    self.stats.unique_conflicts += 1;
                    return expect_conflict(result, ConflictKind::Unique);
                }
                prop_assert_eq!(result.map_err(fail)?, rows.len() as u64);
                let fds: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
                for (fd, name, email) in rows {
                    let people = self.model[m].people_mut(kind);
                    let id = people.get(&fd).map_or(0, |p| p.id);
                    people.insert(fd, P { id, name, email });
                }
                let found = p_resolve(txn, kind, merchant, &fds).await.map_err(fail)?;
                prop_assert_eq!(
                    found.keys().collect::<Vec<_>>(),
                    fds.iter().collect::<Vec<_>>()
                );
                for (fd, id) in found {
                    let owner = self.person_owner(kind, id);
                    prop_assert!(
                        owner.is_none() || owner == Some(m),
                        "{kind:?} {id} is {owner:?}'s"
                    );
                    let p = self.model[m].people_mut(kind).get_mut(&fd).unwrap();
                    prop_assert!(p.id == 0 || p.id == id, "{fd} changed id");
                    p.id = id;
                }
                Ok(())
            }

            Op::ReadPeople {
                m,
                kind,
                size,
                pick,
                fd,
                many,
            } => {
                let merchant = self.ids[m];
                let mut seen = BTreeSet::new();
                let mut after: Option<String> = None;
                let mut pages = 0;
                loop {
                    let (rows, next) = p_list(txn, kind, merchant, after.as_deref(), size)
                        .await
                        .map_err(fail)?;
                    prop_assert!(rows.len() as u64 <= size);
                    for r in &rows {
                        self.check_person(m, kind, r)?;
                        prop_assert!(seen.insert(r.id), "{kind:?} {} listed twice", r.id);
                    }
                    if pages == 0
                        && let Some(cursor) = &next
                    {
                        let other = self.ids[(m + 1) % M];
                        self.stats.foreign_cursors += 1;
                        expect_invalid(
                            p_list(txn, kind, other, Some(cursor), size).await,
                            "cursor",
                        )?;
                    }
                    pages += 1;
                    prop_assert!(pages <= 64, "pages never end");
                    match next {
                        Some(c) => after = Some(c),
                        None => break,
                    }
                }
                let want: BTreeSet<i64> =
                    self.model[m].people(kind).values().map(|p| p.id).collect();
                prop_assert_eq!(&seen, &want);
                let n = p_count(txn, kind, merchant).await.map_err(fail)?;
                prop_assert_eq!(n, want.len() as u64);

                if let Some((id, own)) = self.person_pick(kind, m, pick) {
                    let got = p_get(txn, kind, merchant, id).await;
                    if own {
                        self.check_person(m, kind, &got.map_err(fail)?)?;
                    } else {
                        self.stats.not_found += 1;
                        expect_not_found(got, entity_name(kind), &id.to_string())?;
                    }
                }

                let prefix = entity_name(kind);
                let fd = format!("{prefix}-{fd}");
                let got = p_get_by_fd(txn, kind, merchant, &fd).await;
                if (0..M).any(|o| o != m && self.model[o].people(kind).contains_key(&fd)) {
                    self.stats.shared_freshdesk_lookups += 1;
                }
                if self.model[m].people(kind).contains_key(&fd) {
                    self.check_person(m, kind, &got.map_err(fail)?)?;
                } else {
                    self.stats.not_found += 1;
                    expect_not_found(got, prefix, &format!("freshdesk:{fd}"))?;
                }

                let chosen: Vec<(i64, bool)> = many
                    .iter()
                    .filter_map(|p| self.person_pick(kind, m, *p))
                    .collect();
                let ids: Vec<i64> = chosen.iter().map(|c| c.0).collect();
                let own: Vec<i64> = chosen
                    .iter()
                    .filter(|c| c.1)
                    .map(|c| c.0)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let rows = p_get_many(txn, kind, merchant, &ids).await.map_err(fail)?;
                for r in &rows {
                    self.check_person(m, kind, r)?;
                }
                prop_assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), own);
                Ok(())
            }

            Op::DeletePeople { m, kind, picks } => {
                let chosen: Vec<(i64, bool)> = picks
                    .iter()
                    .filter_map(|p| self.person_pick(kind, m, *p))
                    .collect();
                let ids: Vec<i64> = chosen.iter().map(|c| c.0).collect();
                let own: BTreeSet<i64> = chosen.iter().filter(|c| c.1).map(|c| c.0).collect();
                let foreign = chosen.iter().filter(|c| !c.1).map(|c| c.0).min();
                let referenced = own.iter().any(|id| self.model[m].referenced(kind, *id));
                let result = p_delete(txn, kind, self.ids[m], &ids).await;
                if referenced {
                    self.stats.fk_conflicts += 1;
                    return expect_conflict(result, ConflictKind::ForeignKey);
                }
                if let Some(id) = foreign {
                    self.stats.not_found += 1;
                    return expect_not_found(result, entity_name(kind), &id.to_string());
                }
                prop_assert_eq!(result.map_err(fail)?, own.len() as u64);
                self.model[m]
                    .people_mut(kind)
                    .retain(|_, p| !own.contains(&p.id));
                Ok(())
            }

            Op::Report { m } => {
                let params = ReportParams {
                    merchant: self.ids[m],
                    from: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                    to: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                    utc_offset: UtcOffset::UTC,
                    now: base(),
                    business_hours: None,
                };
                let r = report(txn, &params).await.map_err(fail)?;
                let state = &self.model[m];
                let tickets = state.tickets.values();
                let created = state.tickets.len() as u64;
                // `set_status` stamps `resolved_at` with the wall clock, which
                // can fall outside the window: count what the window holds.
                let window = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap()
                    ..Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
                let in_window = |t: &&_| {
                    let t: &T = t;
                    t.resolved_at.is_some_and(|at| window.contains(&at))
                };
                let resolved = tickets.clone().filter(in_window).count();
                let open = tickets.clone().filter(|t| t.status.is_open()).count();
                prop_assert_eq!(r.merchant_id, self.ids[m]);
                prop_assert_eq!(r.tickets_created, created);
                prop_assert_eq!(r.tickets_resolved, resolved as u64);
                prop_assert_eq!(r.open_backlog, open as u64);
                let s = &r.status_counts;
                let by_status = s.open
                    + s.pending
                    + s.resolved
                    + s.closed
                    + s.waiting_on_customer
                    + s.waiting_on_third_party;
                prop_assert_eq!(by_status, created);
                let daily: u64 = r.daily.iter().map(|d| d.created).sum();
                prop_assert_eq!(daily, created);
                prop_assert_eq!(r.csat.ratings, state.ratings.len() as u64);
                let positive = state.ratings.values().filter(|(_, r)| *r > 100).count();
                prop_assert_eq!(r.csat.positive, positive as u64);
                let mut by_agent: BTreeMap<i64, u64> = BTreeMap::new();
                for t in tickets.filter(in_window) {
                    if let Some(a) = t.responder {
                        *by_agent.entry(a).or_default() += 1;
                    }
                }
                let got: BTreeMap<i64, u64> = r
                    .agents
                    .iter()
                    .map(|a| (a.responder_id.get(), a.resolved))
                    .collect();
                for id in got.keys() {
                    let owner = self.person_owner(Kind::Agent, *id);
                    let merchant = owner.map_or(self.ids[(m + 1) % M], |o| self.ids[o]);
                    self.owned(m, merchant, owner, &format!("report agent {id}"))?;
                }
                prop_assert_eq!(got, by_agent);
                Ok(())
            }
        }
    }
}

async fn run_case(txn: &DatabaseTransaction, ops: &[Op], stats: &mut Stats) -> Tc {
    let mut case = Case {
        txn,
        ids: [
            unique_merchant_id(),
            unique_merchant_id(),
            unique_merchant_id(),
        ],
        model: Default::default(),
        stats,
        op_no: 0,
    };
    case.stats.cases += 1;
    // Every merchant starts with the same Freshdesk ids (agents, contacts,
    // tickets), through the same checked calls, so that every random call
    // meets rows of all three merchants that a query scoped by Freshdesk id
    // alone would confuse.
    let mut prologue = Vec::new();
    for m in 0..M {
        for kind in [Kind::Agent, Kind::Contact] {
            prologue.push(Op::WritePeople {
                m,
                kind,
                fds: BTreeSet::from([0, 1]),
                upsert: false,
                name: 0,
            });
        }
        prologue.push(Op::WriteTickets {
            m,
            fds: BTreeSet::from([0, 1, 2, 3]),
            upsert: false,
            status: TicketStatus::Open,
            priority: Priority::High,
            hour: 24 * m as u16,
            processed: false,
            requester: Some(Pick::Own(0)),
            responder: Some(Pick::Own(1)),
        });
        prologue.push(Op::WriteChildren {
            m,
            child: Child::Conversation,
            upsert: false,
            rows: BTreeMap::from([(0, (Pick::Own(0), 1)), (1, (Pick::Own(1), 2))]),
        });
        prologue.push(Op::WriteChildren {
            m,
            child: Child::Rating,
            upsert: false,
            rows: BTreeMap::from([(0, (Pick::Own(0), 3))]),
        });
    }
    for (i, op) in prologue.iter().chain(ops).enumerate() {
        case.op_no = i;
        case.stats.ops += 1;
        case.run(op).await?;
        if op.is_write() {
            case.stats.writes += 1;
            case.check_state().await?;
        }
    }
    case.check_state().await
}

/// Random sequences of repository and report calls over three merchants never return, count or change another merchant's row.
#[test]
fn random_call_sequences_keep_merchants_isolated() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _context = rt.enter(); // the pool drops inside the runtime
    let db = rt.block_on(TestDb::connect()).unwrap();
    let backend = db.backend();
    let stats = RefCell::new(Stats::default());
    let started = std::time::Instant::now();
    let config = Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(op(), 8..=24), |ops| {
        rt.block_on(async {
            let txn = db.begin().await.map_err(fail)?;
            let mut figures = stats.take();
            let result = run_case(&txn, &ops, &mut figures).await;
            stats.replace(figures);
            txn.rollback().await.map_err(fail)?;
            result
        })
    });
    let s = stats.into_inner();
    eprintln!(
        "isolation_property ({backend:?}, {:.1?}): {} cases, {} operations ({} writes), \
         {} returned rows checked, {} cross-merchant rows seen, {} not-found refusals, \
         {} unique and {} foreign-key conflicts, {} lookups by a Freshdesk id another \
         merchant also has, {} foreign cursors refused, {} full-state comparisons",
        started.elapsed(),
        s.cases,
        s.ops,
        s.writes,
        s.rows_checked,
        s.cross_rows,
        s.not_found,
        s.unique_conflicts,
        s.fk_conflicts,
        s.shared_freshdesk_lookups,
        s.foreign_cursors,
        s.state_checks
    );
    result.unwrap();
    assert_eq!(s.cross_rows, 0);
    // The sequences must have reached every refusal path, or the property
    // says little.
    assert!(s.cases >= 48, "{s:?}");
    assert!(
        s.not_found > 0 && s.unique_conflicts > 0 && s.fk_conflicts > 0,
        "{s:?}"
    );
    assert!(
        s.shared_freshdesk_lookups > 0 && s.foreign_cursors > 0,
        "{s:?}"
    );
    assert!(s.rows_checked > 500, "{s:?}");
}
