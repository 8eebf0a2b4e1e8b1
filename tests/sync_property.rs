//! Property: random interleavings of overlapping batches of every stream
//! (tickets, conversations, satisfaction ratings, agents, contacts), with
//! duplicates and stale versions, each applied twice, leave the rows a model
//! of "each record's newest version, once" predicts: a conversation or
//! rating of a ticket not synced yet is an orphan; a ticket's requester and
//! responder get placeholder rows that their own payloads fill in later,
//! in either order; replays change nothing; another merchant with the same
//! Freshdesk ids is untouched. On the backend of `DATABASE_URL`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use freshdesk_store::MerchantId;
use freshdesk_store::entity::{agent, contact, conversation, rating, ticket};
use freshdesk_store::freshdesk::{Agent, Contact, Conversation, SatisfactionRating, Ticket};
use freshdesk_store::sync::{
    ApplyCounts, Listing, apply_agents, apply_contacts, apply_conversations, apply_ratings,
    apply_tickets,
};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

const TICKET: i64 = 4_000_000_000;
const CONVERSATION: i64 = 7_000_000_000;
const RATING: i64 = 8_000_000_000;
const AGENT: i64 = 5_000_000_000;
const CONTACT: i64 = 6_000_000_000;

fn at(v: u8) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::hours(i64::from(v))
}

/// Ticket `k`'s requester is contact `k % 2` and its responder agent `k % 2`.
fn ticket_payload(k: u8, v: u8) -> Ticket {
    serde_json::from_value(serde_json::json!({
        "id": TICKET + i64::from(k), "subject": format!("t{k} v{v}"),
        "status": 2, "priority": 1,
        "requester_id": CONTACT + i64::from(k % 2),
        "responder_id": AGENT + i64::from(k % 2),
        "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

/// Conversation `k` belongs to ticket `k % 3`.
fn conversation_payload(k: u8, v: u8) -> Conversation {
    serde_json::from_value(serde_json::json!({
        "id": CONVERSATION + i64::from(k), "ticket_id": TICKET + i64::from(k % 3),
        "body": format!("c{k} v{v}"), "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

/// Rating `k` belongs to ticket `k % 3`.
fn rating_payload(k: u8, v: u8) -> SatisfactionRating {
    serde_json::from_value(serde_json::json!({
        "id": RATING + i64::from(k), "ticket_id": TICKET + i64::from(k % 3),
        "feedback": format!("r{k} v{v}"),
        "ratings": {"default_question": 100 + i64::from(v % 4), "question_1": -101},
        "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

fn agent_payload(k: u8, v: u8) -> Agent {
    serde_json::from_value(serde_json::json!({
        "id": AGENT + i64::from(k),
        "contact": {"name": format!("a{k} v{v}"), "email": format!("a{k}@example.com")},
        "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

fn contact_payload(k: u8, v: u8) -> Contact {
    serde_json::from_value(serde_json::json!({
        "id": CONTACT + i64::from(k), "name": format!("p{k} v{v}"),
        "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stream {
    Tickets,
    Conversations,
    Ratings,
    Agents,
    Contacts,
}

/// One batch of one stream: (record key, version) pairs, duplicates allowed.
#[derive(Clone, Debug)]
struct Step(Stream, Vec<(u8, u8)>);

fn step() -> impl Strategy<Value = Step> {
    let stream = prop_oneof![
        Just(Stream::Tickets),
        Just(Stream::Conversations),
        Just(Stream::Ratings),
        Just(Stream::Agents),
        Just(Stream::Contacts),
    ];
    (stream, proptest::collection::vec((0u8..4, 0u8..5), 0..8))
        .prop_map(|(s, batch)| Step(s, batch))
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

async fn apply(
    txn: &DatabaseTransaction,
    m: MerchantId,
    stream: Stream,
    batch: &[(u8, u8)],
) -> Result<ApplyCounts, TestCaseError> {
    let result = match stream {
        Stream::Tickets => {
            let p: Vec<Ticket> = batch.iter().map(|(k, v)| ticket_payload(*k, *v)).collect();
            apply_tickets(txn, m, Listing::Updated, &p).await
        }
        Stream::Conversations => {
            let p: Vec<Conversation> = batch
                .iter()
                .map(|(k, v)| conversation_payload(*k, *v))
                .collect();
            apply_conversations(txn, m, &p).await
        }
        Stream::Ratings => {
            let p: Vec<SatisfactionRating> =
                batch.iter().map(|(k, v)| rating_payload(*k, *v)).collect();
            apply_ratings(txn, m, &p).await
        }
        Stream::Agents => {
            let p: Vec<Agent> = batch.iter().map(|(k, v)| agent_payload(*k, *v)).collect();
            apply_agents(txn, m, &p).await
        }
        Stream::Contacts => {
            let p: Vec<Contact> = batch.iter().map(|(k, v)| contact_payload(*k, *v)).collect();
            apply_contacts(txn, m, &p).await
        }
    };
    result.map_err(fail)
}

/// What is stored for `m`: per stream, the Freshdesk id with the text that
/// carries the version (subject, body, feedback, name), the rating's value,
/// and the local ticket a child belongs to, as its Freshdesk id.
type Snapshot = BTreeMap<(Stream, String), String>;

async fn stored(txn: &DatabaseTransaction, m: MerchantId) -> Result<Snapshot, TestCaseError> {
    let mut out = Snapshot::new();
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(m))
        .all(txn)
        .await
        .map_err(fail)?;
    let fd_of: BTreeMap<_, _> = tickets
        .iter()
        .map(|t| (t.id, t.freshdesk_ticket_id.clone()))
        .collect();
    for t in &tickets {
        out.insert(
            (Stream::Tickets, t.freshdesk_ticket_id.clone()),
            t.subject.clone(),
        );
    }
    for c in conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(m))
        .all(txn)
        .await
        .map_err(fail)?
    {
        let text = format!("{} @{}", c.body, fd_of[&c.ticket_id]);
        out.insert((Stream::Conversations, c.freshdesk_conversation_id), text);
    }
    for r in rating::Entity::find()
        .filter(rating::Column::MerchantId.eq(m))
        .all(txn)
        .await
        .map_err(fail)?
    {
        let text = format!(
            "{} ={} @{}",
            r.feedback.unwrap_or_default(),
            r.rating,
            fd_of[&r.ticket_id]
        );
        out.insert((Stream::Ratings, r.freshdesk_rating_id), text);
    }
    for a in agent::Entity::find()
        .filter(agent::Column::MerchantId.eq(m))
        .all(txn)
        .await
        .map_err(fail)?
    {
        let text = a
            .updated_at
            .map_or_else(|| "placeholder".to_owned(), |_| a.name);
        out.insert((Stream::Agents, a.freshdesk_agent_id), text);
    }
    for c in contact::Entity::find()
        .filter(contact::Column::MerchantId.eq(m))
        .all(txn)
        .await
        .map_err(fail)?
    {
        let text = c
            .updated_at
            .map_or_else(|| "placeholder".to_owned(), |_| c.name);
        out.insert((Stream::Contacts, c.freshdesk_contact_id), text);
    }
    Ok(out)
}

/// The model: each record's newest version, once; people a ticket names
/// exist (as placeholders until their own payload arrives).
#[derive(Default)]
struct Model {
    newest: BTreeMap<(Stream, u8), u8>,
    placeholders: BTreeSet<(Stream, u8)>,
}

impl Model {
    fn has_ticket(&self, k: u8) -> bool {
        self.newest.contains_key(&(Stream::Tickets, k))
    }

    fn person_exists(&self, stream: Stream, k: u8) -> bool {
        self.newest.contains_key(&(stream, k)) || self.placeholders.contains(&(stream, k))
    }

    /// Applies a batch to the model; returns (orphans, placeholders) the
    /// crate must count.
    fn apply(&mut self, stream: Stream, batch: &[(u8, u8)]) -> (u64, u64) {
        let mut orphans = BTreeSet::new();
        let mut placeholders = BTreeSet::new();
        for &(k, v) in batch {
            match stream {
                Stream::Conversations | Stream::Ratings if !self.has_ticket(k % 3) => {
                    orphans.insert(k);
                    continue;
                }
                Stream::Tickets => {
                    for person in [Stream::Contacts, Stream::Agents] {
                        if !self.person_exists(person, k % 2) {
                            placeholders.insert((person, k % 2));
                        }
                    }
                }
                _ => {}
            }
            let newest = self.newest.entry((stream, k)).or_insert(v);
            *newest = (*newest).max(v);
        }
        self.placeholders.extend(placeholders.iter().copied());
        (orphans.len() as u64, placeholders.len() as u64)
    }

    fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::new();
        for &(stream, k) in &self.placeholders {
            let id = match stream {
                Stream::Agents => AGENT,
                _ => CONTACT,
            } + i64::from(k);
            out.insert((stream, id.to_string()), "placeholder".to_owned());
        }
        for (&(stream, k), &v) in &self.newest {
            let parent = TICKET + i64::from(k % 3);
            let (id, text) = match stream {
                Stream::Tickets => (TICKET, format!("t{k} v{v}")),
                Stream::Conversations => (CONVERSATION, format!("c{k} v{v} @{parent}")),
                Stream::Ratings => (
                    RATING,
                    format!("r{k} v{v} ={} @{parent}", 100 + i32::from(v % 4)),
                ),
                Stream::Agents => (AGENT, format!("a{k} v{v}")),
                Stream::Contacts => (CONTACT, format!("p{k} v{v}")),
            };
            out.insert((stream, (id + i64::from(k)).to_string()), text);
        }
        out
    }
}

async fn run_case(txn: &DatabaseTransaction, steps: &[Step]) -> Result<(), TestCaseError> {
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    // The other merchant holds the same Freshdesk ids at the newest version.
    let every: Vec<(u8, u8)> = (0..4).map(|k| (k, 9)).collect();
    for stream in [
        Stream::Contacts,
        Stream::Agents,
        Stream::Tickets,
        Stream::Conversations,
        Stream::Ratings,
    ] {
        apply(txn, other, stream, &every).await?;
    }
    let before = stored(txn, other).await?;

    let mut model = Model::default();
    for Step(stream, batch) in steps {
        let (orphans, placeholders) = model.apply(*stream, batch);
        let counts = apply(txn, m, *stream, batch).await?;
        prop_assert_eq!(
            counts.inserted + counts.updated + counts.skipped + counts.orphans,
            batch.len() as u64,
            "{:?} {:?}: {:?}",
            stream,
            batch,
            counts
        );
        prop_assert_eq!(counts.orphans, orphans, "{:?} {:?}", stream, batch);
        prop_assert_eq!(
            counts.placeholders,
            placeholders,
            "{:?} {:?}",
            stream,
            batch
        );
        let replay = apply(txn, m, *stream, batch).await?;
        prop_assert_eq!(
            (replay.inserted, replay.updated, replay.placeholders),
            (0, 0, 0),
            "replay of {:?} {:?}",
            stream,
            batch
        );
        prop_assert_eq!(
            stored(txn, m).await?,
            model.snapshot(),
            "after {:?}",
            stream
        );
    }
    prop_assert_eq!(stored(txn, other).await?, before);
    Ok(())
}

/// Random interleavings of overlapping batches of all five streams converge
/// to each record's newest version, once.
#[test]
fn interleaved_batches_converge_to_the_newest_versions() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _context = rt.enter();
    let db = rt.block_on(TestDb::connect()).unwrap();
    let cases = std::env::var("SYNC_PROPERTY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(step(), 1..12), |steps| {
        rt.block_on(async {
            let txn = db.begin().await.map_err(fail)?;
            let result = run_case(&txn, &steps).await;
            txn.rollback().await.map_err(fail)?;
            result
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
