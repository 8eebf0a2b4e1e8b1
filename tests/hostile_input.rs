//! Hostile input on every backend (SQLite by default; PostgreSQL or MariaDB
//! through `DATABASE_URL`), as property tests: the string fields of every
//! write (quotes, backslashes, SQL fragments, non-ASCII and control
//! characters, 100 KB text) and JSON edge cases in tags and custom fields
//! round-trip exactly, and the SQL text sent never depends on a value;
//! filters, sort orders, page sizes, dates and offsets give what a model in
//! Rust says; NUL characters, bad page sizes, offsets and cursors are typed
//! [`Error::InvalidInput`]s sent before anything reaches the database;
//! 2,000 random and forged cursors never panic; and the `report` example,
//! run a few hundred times with random arguments, exits 0 or 2 with one
//! `error:` line, never a panic.
//!
//! JSON numbers: PostgreSQL's `jsonb` stores numbers as `numeric` and
//! prints them back in plain notation, so a float that serde writes in
//! exponent form with no fraction (`1e15`) comes back as an integer. The
//! generators use what round-trips on every backend: integers across the
//! whole `i64` and `u64` range, and floats with a fractional part below
//! 1e16. Nesting stays within 20 levels (MariaDB's JSON functions stop at
//! 32).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::entity::ticket;
use freshdesk_store::repository::*;
use freshdesk_store::testing::*;
use freshdesk_store::{Error, MerchantId, TicketId};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde_json::{Value, json};

const TICKETS: SeaTicketRepository = SeaTicketRepository;
const AGENTS: SeaAgentRepository = SeaAgentRepository;
const CONTACTS: SeaContactRepository = SeaContactRepository;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

/// Pieces that break naive SQL, JSON or string handling.
const NASTY: &[&str] = &[
    "'",
    "''",
    "\"",
    "\\",
    "\\\\",
    "\\'",
    "%",
    "_",
    ";",
    "--",
    "/*",
    "*/",
    "?",
    "$1",
    ":name",
    "@p1",
    "' OR '1'='1",
    "'); DROP TABLE freshdesk_unified_ticket_view; --",
    "\\u0000",
    "\n",
    "\r\n",
    "\t",
    "\u{1}",
    "\u{7f}",
    "é",
    "ß",
    "İ",
    "日本語",
    "🦀",
    "👩‍👩‍👧",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "\u{10ffff}",
    "{\"a\":1}",
    "[]",
    "null",
    " ",
];

/// Text with quotes, backslashes, SQL fragments, control and non-ASCII
/// characters, but no NUL (tested on its own: every backend rejects it).
fn hostile_text(max_parts: usize) -> impl Strategy<Value = String> {
    let part = prop_oneof![
        3 => proptest::sample::select(NASTY).prop_map(str::to_owned),
        2 => "[a-zA-Z0-9 ]{0,8}",
        1 => any::<String>().prop_map(|s| s.replace('\0', "")),
    ];
    proptest::collection::vec(part, 0..max_parts).prop_map(|parts| parts.concat())
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncate(mut s: String, max: usize) -> String {
    while s.len() > max {
        s.pop();
    }
    s
}

/// JSON values that round-trip on every backend (see the file's docs).
fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        (
            -1_000_000_000_000i64..1_000_000_000_000,
            proptest::sample::select(&[0.5, 0.25, 0.125, 0.1, 0.3, 0.7][..])
        )
            .prop_map(|(i, f)| json!(i as f64 + f)),
        hostile_text(4).prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(hostile_text(3), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A custom-fields object, sometimes with a 20-level nested value.
fn custom_fields() -> impl Strategy<Value = Value> {
    (
        proptest::collection::btree_map(hostile_text(3), json_value(), 0..6),
        any::<bool>(),
    )
        .prop_map(|(map, deep)| {
            let mut map: serde_json::Map<String, Value> = map.into_iter().collect();
            if deep {
                let mut v = json!("bottom \\ \" '");
                for i in 0..20 {
                    v = if i % 2 == 0 {
                        json!([v])
                    } else {
                        json!({ "k": v })
                    };
                }
                map.insert("deep".into(), v);
            }
            Value::Object(map)
        })
}

/// The strings of one write case.
#[derive(Clone, Debug)]
struct Strings {
    id: String,
    subject: String,
    body: String,
    feedback: String,
    name: String,
    email: String,
    tags: Vec<String>,
    custom_fields: Value,
}

fn strings() -> impl Strategy<Value = Strings> {
    (
        hostile_text(8),
        hostile_text(12),
        hostile_text(12),
        hostile_text(8),
        hostile_text(6),
        hostile_text(6),
        proptest::collection::btree_set(hostile_text(3).prop_map(|t| truncate(t, 200)), 1..5),
        custom_fields(),
    )
        .prop_map(
            |(id, subject, body, feedback, name, email, tags, custom_fields)| Strings {
                id: truncate(id, 200),
                subject,
                body,
                feedback,
                name,
                email,
                tags: tags.into_iter().collect(),
                custom_fields,
            },
        )
}

fn ids_of(rows: &[ticket::Model]) -> Vec<TicketId> {
    rows.iter().map(|t| t.id).collect()
}

/// Writes one of each row with these strings for a fresh merchant, reads
/// them back, and checks every value came back byte for byte.
async fn write_and_read(
    txn: &DatabaseTransaction,
    s: &Strings,
) -> Result<(), Box<dyn std::error::Error>> {
    let merchant = unique_merchant_id();
    // A unique suffix keeps ids distinct across cases; the hostile part leads.
    let fd = |kind: &str| format!("{}#{kind}", s.id);
    AGENTS
        .insert_many(
            txn,
            merchant,
            vec![NewAgent::new(fd("a"), s.name.clone()).email(s.email.clone())],
        )
        .await?;
    CONTACTS
        .insert_many(
            txn,
            merchant,
            vec![NewContact::new(fd("c"), s.name.clone()).email(s.email.clone())],
        )
        .await?;
    let agent = AGENTS.get_by_freshdesk_id(txn, merchant, &fd("a")).await?;
    let contact = CONTACTS
        .get_by_freshdesk_id(txn, merchant, &fd("c"))
        .await?;
    for (name, email) in [(&agent.name, &agent.email), (&contact.name, &contact.email)] {
        assert_eq!(name, &s.name);
        assert_eq!(email.as_deref(), Some(s.email.as_str()));
    }
    let mut new = NewTicket::new(fd("t"), s.subject.clone(), at(1));
    new.tags = s.tags.clone();
    new.custom_fields = s.custom_fields.clone();
    new.requester_id = Some(contact.id);
    new.responder_id = Some(agent.id);
    TICKETS.insert_many(txn, merchant, vec![new]).await?;
    let t = TICKETS.get_by_freshdesk_id(txn, merchant, &fd("t")).await?;
    assert_eq!(t.freshdesk_ticket_id, fd("t"));
    assert_eq!(t.subject, s.subject);
    assert_eq!(t.tags, json!(s.tags));
    assert_eq!(t.custom_fields, s.custom_fields);
    let mut conv = NewConversation::new(t.id, fd("v"), s.body.clone(), at(2));
    conv.author_id = Some(i64::MAX);
    TICKETS
        .insert_conversations(txn, merchant, vec![conv])
        .await?;
    let mut rating = NewRating::new(t.id, fd("r"), 103, at(3));
    rating.feedback = Some(s.feedback.clone());
    TICKETS.insert_ratings(txn, merchant, vec![rating]).await?;
    let full = TICKETS.get_with_children(txn, merchant, t.id).await?;
    assert_eq!(full.conversations.len(), 1);
    assert_eq!(full.conversations[0].body, s.body);
    assert_eq!(full.conversations[0].freshdesk_conversation_id, fd("v"));
    assert_eq!(
        full.ratings[0].feedback.as_deref(),
        Some(s.feedback.as_str())
    );
    assert_eq!(full.ratings[0].freshdesk_rating_id, fd("r"));
    // Every tag finds the ticket, compared byte for byte.
    for tag in &s.tags {
        let n = TICKETS
            .count(txn, merchant, &TicketFilter::new().tag(tag.clone()))
            .await?;
        assert_eq!(n, 1, "tag {tag:?}");
    }
    Ok(())
}

/// Every string field of every write round-trips exactly through insert and
/// read, and the SQL text of two cases with different values is identical.
#[test]
fn hostile_strings_and_json_round_trip_with_value_free_sql() {
    let rt = runtime();
    let _context = rt.enter(); // the pool and transaction drop inside the runtime
    let db = rt.block_on(TestDb::connect()).unwrap();
    let txn = rt.block_on(db.begin()).unwrap();
    let first_sql: RefCell<Option<Vec<String>>> = RefCell::new(None);
    let mut runner = TestRunner::new(config(48));
    runner
        .run(&strings(), |s| {
            // Same number of tags every case, so the only difference is values.
            db.counter().reset();
            rt.block_on(write_and_read(&txn, &s))
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let sql = db.counter().statements();
            let tag_queries = s.tags.len();
            // The per-tag counts differ in number; compare the rest.
            let fixed: Vec<String> = sql[..sql.len() - tag_queries].to_vec();
            let mut first = first_sql.borrow_mut();
            match &*first {
                None => *first = Some(fixed),
                Some(first) => prop_assert_eq!(first, &fixed),
            }
            let tag_sql: BTreeSet<&String> = sql[sql.len() - tag_queries..].iter().collect();
            prop_assert_eq!(tag_sql.len(), 1, "one SQL text for every tag value");
            Ok(())
        })
        .unwrap();
}

/// 100 KB of mixed-script text round-trips in subject, body, feedback and
/// names; MariaDB's `TEXT` holds at most 65,535 bytes, so there 60 KB
/// round-trips and 100 KB is refused with `InvalidInput` naming the field,
/// never truncated.
#[tokio::test]
async fn very_long_text_round_trips_or_is_refused_whole() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let unit = "aé日🦀'\\\" ";
    let long = |bytes: usize| unit.repeat(bytes / unit.len() + 1);
    let ok_len = if db.backend() == DbBackend::MySql {
        60_000
    } else {
        100_000
    };
    let text = long(ok_len);
    let s = Strings {
        id: "long".into(),
        subject: text.clone(),
        body: text.clone(),
        feedback: text.clone(),
        name: text.clone(),
        email: text,
        tags: vec![long(1_000)],
        custom_fields: json!({ "long": long(ok_len) }),
    };
    write_and_read(&txn, &s).await.unwrap();
    if db.backend() == DbBackend::MySql {
        let merchant = unique_merchant_id();
        let sp = txn.begin().await.unwrap();
        let err = TICKETS
            .insert_many(
                &sp,
                merchant,
                vec![NewTicket::new("too-long", long(100_000), at(0))],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    field: "subject",
                    ..
                }
            ),
            "{err}"
        );
        drop(sp);
        let rows = ticket::Entity::find()
            .filter(ticket::Column::MerchantId.eq(merchant))
            .all(&txn)
            .await
            .unwrap();
        assert!(rows.is_empty(), "nothing truncated was stored");
    }
}

/// Freshdesk ids that differ only in trailing spaces or case are different
/// ids: both insert, and each lookup finds only its own row.
#[tokio::test]
async fn freshdesk_ids_compare_byte_for_byte() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    // On MariaDB a PAD SPACE collation would make "fd-x" and "fd-x " one id;
    // the schema uses a NO PAD binary collation there.
    let ids = vec!["fd-x", "FD-X", "fd-x\t", "fd-é", "fd-e\u{301}", "fd-x "];
    let rows = ids
        .iter()
        .map(|id| NewTicket::new(*id, format!("subject of {id:?}"), at(0)))
        .collect();
    TICKETS.insert_many(&txn, merchant, rows).await.unwrap();
    for &id in &ids {
        let t = TICKETS
            .get_by_freshdesk_id(&txn, merchant, id)
            .await
            .unwrap();
        assert_eq!(t.freshdesk_ticket_id, id);
        assert_eq!(t.subject, format!("subject of {id:?}"));
    }
    let names: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    let resolved = TICKETS
        .resolve_freshdesk_ids(&txn, merchant, &names)
        .await
        .unwrap();
    assert_eq!(resolved.len(), ids.len());
}

fn assert_invalid<T: std::fmt::Debug>(result: freshdesk_store::Result<T>, expected: &str) {
    match result {
        Err(Error::InvalidInput { field, .. }) if field == expected => {}
        other => panic!("expected invalid {expected}, got {other:?}"),
    }
}

/// A NUL character in any string of any write is `InvalidInput` naming the
/// field on every backend, and nothing is sent to the database.
#[tokio::test]
async fn nul_characters_are_typed_errors_before_any_statement() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let merchant = unique_merchant_id();
    let ticket = TicketFactory::new(merchant).insert(&txn).await.unwrap();
    let nul = "a\0b";
    let t = |f: &dyn Fn(&mut NewTicket)| {
        let mut n = NewTicket::new("fd-nul", "subject", at(0));
        f(&mut n);
        vec![n]
    };
    db.counter().reset();
    for (rows, field) in [
        (
            t(&|n| n.freshdesk_ticket_id = nul.into()),
            "freshdesk_ticket_id",
        ),
        (t(&|n| n.subject = nul.into()), "subject"),
        (t(&|n| n.tags = vec!["ok".into(), nul.into()]), "tags"),
        (
            t(&|n| n.custom_fields = json!({ "a": { "b": [1, nul] } })),
            "custom_fields",
        ),
        (t(&|n| n.custom_fields = json!({ nul: 1 })), "custom_fields"),
    ] {
        assert_invalid(
            TICKETS.insert_many(&txn, merchant, rows.clone()).await,
            field,
        );
        assert_invalid(TICKETS.upsert_many(&txn, merchant, rows).await, field);
    }
    let conv = |id: &str, body: &str| vec![NewConversation::new(ticket.id, id, body, at(1))];
    assert_invalid(
        TICKETS
            .insert_conversations(&txn, merchant, conv(nul, "b"))
            .await,
        "freshdesk_conversation_id",
    );
    assert_invalid(
        TICKETS
            .upsert_conversations(&txn, merchant, conv("c", nul))
            .await,
        "body",
    );
    let mut rating = NewRating::new(ticket.id, "r", 101, at(1));
    rating.feedback = Some(nul.into());
    assert_invalid(
        TICKETS
            .insert_ratings(&txn, merchant, vec![rating.clone()])
            .await,
        "feedback",
    );
    rating.feedback = None;
    rating.freshdesk_rating_id = nul.into();
    assert_invalid(
        TICKETS.upsert_ratings(&txn, merchant, vec![rating]).await,
        "freshdesk_rating_id",
    );
    assert_invalid(
        AGENTS
            .insert_many(&txn, merchant, vec![NewAgent::new("a", nul)])
            .await,
        "name",
    );
    assert_invalid(
        AGENTS
            .upsert_many(&txn, merchant, vec![NewAgent::new(nul, "n")])
            .await,
        "freshdesk_agent_id",
    );
    assert_invalid(
        CONTACTS
            .insert_many(&txn, merchant, vec![NewContact::new("c", "n").email(nul)])
            .await,
        "email",
    );
    assert_invalid(
        CONTACTS
            .upsert_many(&txn, merchant, vec![NewContact::new(nul, "n")])
            .await,
        "freshdesk_contact_id",
    );
    assert_eq!(db.counter().get(), 0, "{:?}", db.counter().statements());
}

/// A query the model can answer.
#[derive(Clone, Debug)]
struct Query {
    statuses: Vec<TicketStatus>,
    priorities: Vec<Priority>,
    created: Option<(DateTime<Utc>, DateTime<Utc>)>,
    tag: Option<String>,
    processed: Option<bool>,
    sort: TicketSort,
    page_size: u64,
}

const SEED_TAGS: [&str; 5] = ["refund", "Refund", "it's", "a\\b", "日本"];

/// A timestamp in the years 1000 to 9999 (what every backend stores),
/// mostly near the seeded rows. (MariaDB included: the crate binds
/// instants so that they are not limited to `TIMESTAMP`'s 1970–2038.)
fn instant(_backend: DbBackend) -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (-30_000_000_000i64, 253_402_300_799i64);
    prop_oneof![
        3 => (-48i64..200).prop_map(at),
        1 => (min..=max).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
    ]
}

fn query(backend: DbBackend) -> impl Strategy<Value = Query> {
    (
        proptest::sample::subsequence(TicketStatus::KNOWN.to_vec(), 0..=3),
        proptest::sample::subsequence(Priority::KNOWN.to_vec(), 0..=2),
        proptest::option::of((instant(backend), instant(backend))),
        proptest::option::of(prop_oneof![
            proptest::sample::select(&SEED_TAGS[..]).prop_map(str::to_owned),
            hostile_text(3),
        ]),
        proptest::option::of(any::<bool>()),
        proptest::sample::select(&TicketSort::ALL[..]),
        prop_oneof![1 => Just(0u64), 6 => 1u64..12, 1 => 490u64..520],
    )
        .prop_map(
            |(statuses, priorities, created, tag, processed, sort, page_size)| Query {
                statuses,
                priorities,
                created,
                tag,
                processed,
                sort,
                page_size,
            },
        )
}

impl Query {
    fn filter(&self) -> TicketFilter {
        let mut f = TicketFilter::new()
            .statuses(self.statuses.clone())
            .priorities(self.priorities.clone());
        if let Some((from, before)) = self.created {
            f = f.created_between(from, before);
        }
        if let Some(tag) = &self.tag {
            f = f.tag(tag.clone());
        }
        if let Some(p) = self.processed {
            f = f.processed(p);
        }
        f
    }

    fn matches(&self, t: &ticket::Model) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&t.status))
            && (self.priorities.is_empty() || self.priorities.contains(&t.priority))
            && self
                .created
                .is_none_or(|(from, before)| from <= t.created_at && t.created_at < before)
            && self
                .tag
                .as_ref()
                .is_none_or(|tag| t.tags.as_array().unwrap().contains(&json!(tag)))
            && self.processed.is_none_or(|p| t.processed == p)
    }

    /// The model's answer: matching ids in the sort order.
    fn expected(&self, rows: &[ticket::Model]) -> Vec<TicketId> {
        let mut hits: Vec<&ticket::Model> = rows.iter().filter(|t| self.matches(t)).collect();
        hits.sort_by(|a, b| {
            let id = a.id.get().cmp(&b.id.get());
            match self.sort {
                TicketSort::CreatedDesc => b.created_at.cmp(&a.created_at).then(id.reverse()),
                TicketSort::CreatedAsc => a.created_at.cmp(&b.created_at).then(id),
                TicketSort::UpdatedDesc => b.updated_at.cmp(&a.updated_at).then(id.reverse()),
                TicketSort::UpdatedAsc => a.updated_at.cmp(&b.updated_at).then(id),
                TicketSort::PriorityDesc => b
                    .priority
                    .code()
                    .cmp(&a.priority.code())
                    .then(a.created_at.cmp(&b.created_at))
                    .then(id),
                _ => id,
            }
        });
        hits.iter().map(|t| t.id).collect()
    }
}

/// 40 tickets of one merchant with mixed statuses, priorities, tags, flags
/// and instants (some equal, to exercise the id tie-breaker), plus a second
/// merchant whose rows must never show up.
async fn seed_model(txn: &DatabaseTransaction) -> (MerchantId, Vec<ticket::Model>) {
    let merchant = unique_merchant_id();
    let other = unique_merchant_id();
    let rows: Vec<NewTicket> = (0..40)
        .map(|i: usize| {
            let mut n = NewTicket::new(format!("fd-{i}"), format!("s{i}"), at((i as i64 * 7) % 90));
            n.updated_at = at((i as i64 * 13) % 120);
            n.status = TicketStatus::KNOWN[i % TicketStatus::KNOWN.len()];
            n.priority = Priority::KNOWN[(i / 3) % Priority::KNOWN.len()];
            n.tags = SEED_TAGS
                .iter()
                .enumerate()
                .filter(|(k, _)| (i >> k) & 1 == 1)
                .map(|(_, t)| (*t).to_owned())
                .collect();
            n.processed = i.is_multiple_of(4);
            n
        })
        .collect();
    TICKETS
        .insert_many(txn, merchant, rows.clone())
        .await
        .unwrap();
    TICKETS.insert_many(txn, other, rows).await.unwrap();
    let all = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .order_by_asc(ticket::Column::Id)
        .all(txn)
        .await
        .unwrap();
    (merchant, all)
}

/// Random filters, sort orders and page sizes: walking the keyset pages
/// gives exactly the model's rows in the model's order, offset pages and
/// counts agree, bad page sizes are typed errors, and the SQL text of a
/// query does not depend on its values.
#[test]
fn filters_sorts_and_page_sizes_match_the_model() {
    let rt = runtime();
    let _context = rt.enter(); // the pool and transaction drop inside the runtime
    let db = rt.block_on(TestDb::connect()).unwrap();
    let txn = rt.block_on(db.begin()).unwrap();
    let (merchant, rows) = rt.block_on(seed_model(&txn));
    // SQL text per query shape, to compare across values.
    let sql_by_shape: RefCell<HashMap<String, Vec<String>>> = RefCell::new(HashMap::new());
    let mut runner = TestRunner::new(config(160));
    runner
        .run(&query(db.backend()), |q| {
            rt.block_on(async {
                let filter = q.filter();
                if q.page_size == 0 || q.page_size > MAX_PAGE_SIZE {
                    db.counter().reset();
                    let r = TICKETS
                        .list(&txn, merchant, &filter, &CursorRequest::first(q.page_size))
                        .await;
                    assert_invalid(r, "page_size");
                    let r = TICKETS
                        .list_paginated(&txn, merchant, &filter, q.sort, 1, q.page_size)
                        .await;
                    assert_invalid(r, "per_page");
                    prop_assert_eq!(db.counter().get(), 0);
                    return Ok(());
                }
                let expected = q.expected(&rows);
                db.counter().reset();
                let first = TICKETS
                    .list(
                        &txn,
                        merchant,
                        &filter,
                        &CursorRequest::first(q.page_size).sort(q.sort),
                    )
                    .await
                    .unwrap();
                // Same shape, other values (the tag, the dates): same SQL.
                let shape = format!(
                    "{}:{}:{}:{}:{}:{:?}:{}",
                    q.statuses.len(),
                    q.priorities.len(),
                    q.created.is_some(),
                    q.tag.is_some(),
                    q.processed.is_some(),
                    q.sort,
                    q.page_size
                );
                let sql = db.counter().statements();
                let known = sql_by_shape
                    .borrow_mut()
                    .entry(shape)
                    .or_insert_with(|| sql.clone())
                    .clone();
                prop_assert_eq!(known, sql);

                let mut got: Vec<TicketId> = ids_of(&first.items);
                let mut cursor = first.next_cursor;
                let mut pages = 1;
                while let Some(c) = cursor {
                    let page = TICKETS
                        .list(
                            &txn,
                            merchant,
                            &filter,
                            &CursorRequest::first(q.page_size)
                                .sort(q.sort)
                                .after(Some(c)),
                        )
                        .await
                        .unwrap();
                    prop_assert!(page.items.len() as u64 <= q.page_size);
                    got.extend(ids_of(&page.items));
                    cursor = page.next_cursor;
                    pages += 1;
                    prop_assert!(pages <= 41, "pages never end");
                }
                prop_assert_eq!(&got, &expected);
                let n = TICKETS.count(&txn, merchant, &filter).await.unwrap();
                prop_assert_eq!(n, expected.len() as u64);
                let page = TICKETS
                    .list_paginated(&txn, merchant, &filter, q.sort, 2, q.page_size)
                    .await
                    .unwrap();
                prop_assert_eq!(page.total, expected.len() as u64);
                let second: Vec<TicketId> = expected
                    .iter()
                    .skip(q.page_size as usize)
                    .take(q.page_size as usize)
                    .copied()
                    .collect();
                prop_assert_eq!(ids_of(&page.items), second);
                Ok(())
            })
        })
        .unwrap();
}

/// Random dates and UTC offsets: in -12:00..=+14:00 `created_on` returns the
/// tickets whose local date is that date; outside it is `InvalidInput`
/// (`utc_offset`) with nothing sent.
#[test]
#[allow(deprecated)] // `created_on` with a `FixedOffset` of any whole seconds
fn created_on_dates_and_offsets_match_the_model() {
    let rt = runtime();
    let _context = rt.enter(); // the pool and transaction drop inside the runtime
    let db = rt.block_on(TestDb::connect()).unwrap();
    let txn = rt.block_on(db.begin()).unwrap();
    let (merchant, rows) = rt.block_on(seed_model(&txn));
    let strategy = (
        prop_oneof![
            3 => (-2i64..6).prop_map(|d| NaiveDate::from_ymd_opt(2026, 10, 1).unwrap() + Duration::days(d)),
            1 => (1000i32..=9999, 1u32..=366).prop_map(|(y, d)| NaiveDate::from_yo_opt(y, d.min(365)).unwrap()),
        ],
        prop_oneof![
            3 => (-12 * 60i32..=14 * 60).prop_map(|m| m * 60),
            1 => -86_399i32..=86_399,
        ],
    );
    let mut runner = TestRunner::new(config(120));
    runner
        .run(&strategy, |(date, secs)| {
            rt.block_on(async {
                let offset = FixedOffset::east_opt(secs).unwrap();
                db.counter().reset();
                let r = TICKETS
                    .created_on(
                        &txn,
                        merchant,
                        date,
                        offset,
                        &CursorRequest::first(MAX_PAGE_SIZE),
                    )
                    .await;
                if !(-12 * 3600..=14 * 3600).contains(&secs) {
                    assert_invalid(r, "utc_offset");
                    prop_assert_eq!(db.counter().get(), 0);
                    return Ok(());
                }
                let page = r.unwrap();
                let got: BTreeSet<i64> = page.items.iter().map(|t| t.id.get()).collect();
                let expected: BTreeSet<i64> = rows
                    .iter()
                    .filter(|t| t.created_at.with_timezone(&offset).date_naive() == date)
                    .map(|t| t.id.get())
                    .collect();
                prop_assert_eq!(got, expected);
                Ok(())
            })
        })
        .unwrap();
}

/// Hex-encodes cursor text the way the crate does.
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(cursor: &str) -> String {
    let bytes: Vec<u8> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

/// Cursor strings: junk, hex junk, truncated and bit-flipped real cursors,
/// and forged cursors carrying extreme key values.
fn cursor_input(real: String) -> impl Strategy<Value = String> {
    let text = unhex(&real);
    let prefix: String = text.split('|').take(2).collect::<Vec<_>>().join("|");
    let r1 = real.clone();
    let r2 = real.clone();
    prop_oneof![
        any::<String>(),
        "[0-9a-f]{0,80}",
        "[0-9a-fA-F|ict.-]{0,40}".prop_map(|s| hex(&s)),
        (0..real.len()).prop_map(move |n| r1[..n].to_owned()),
        (0..real.len(), any::<u8>()).prop_map(move |(i, b)| {
            let mut bytes = r2.clone().into_bytes();
            bytes[i] = b"0123456789abcdefABCDEF|zG"[b as usize % 25];
            String::from_utf8(bytes).unwrap()
        }),
        (any::<i64>(), 0u32..2_000_000_000, any::<i64>()).prop_map({
            let prefix = prefix.clone();
            move |(secs, nanos, id)| hex(&format!("{prefix}|t{secs}.{nanos}|i{id}"))
        }),
        (-62_135_596_800i64..253_402_300_799, any::<i64>()).prop_map({
            let prefix = prefix.clone();
            move |(secs, id)| hex(&format!("{prefix}|t{secs}.0|i{id}"))
        }),
        proptest::sample::select(vec![
            "|i1",
            "|t1.0",
            "|t1.0|i1|i1",
            "|i1|t1.0",
            "|t.|i",
            "|t-0.-0|i-0",
            "|t1.0|i99999999999999999999",
            "||",
        ])
        .prop_map(move |tail| hex(&format!("{prefix}{tail}"))),
    ]
}

/// 2,000 random and forged cursors through `list`: never a panic, always a
/// page or `InvalidInput` (`cursor`); a cursor that does not decode sends
/// nothing to the database.
#[test]
fn random_cursors_never_panic() {
    let rt = runtime();
    let _context = rt.enter(); // the pool and transaction drop inside the runtime
    let db = rt.block_on(TestDb::connect()).unwrap();
    let txn = rt.block_on(db.begin()).unwrap();
    let (merchant, _) = rt.block_on(seed_model(&txn));
    let request = CursorRequest::first(2);
    let real = rt
        .block_on(TICKETS.list(&txn, merchant, &TicketFilter::new(), &request))
        .unwrap()
        .next_cursor
        .unwrap();
    let mut runner = TestRunner::new(config(2_000));
    runner
        .run(&cursor_input(real), |cursor| {
            rt.block_on(async {
                db.counter().reset();
                let r = TICKETS
                    .list(
                        &txn,
                        merchant,
                        &TicketFilter::new(),
                        &request.clone().after(Some(cursor.clone())),
                    )
                    .await;
                match r {
                    Ok(page) => {
                        prop_assert!(page.items.len() <= 2);
                        prop_assert!(page.items.iter().all(|t| t.merchant_id == merchant));
                    }
                    Err(Error::InvalidInput {
                        field: "cursor", ..
                    }) => {
                        prop_assert_eq!(db.counter().get(), 0, "rejected before any statement");
                    }
                    Err(other) => {
                        return Err(TestCaseError::fail(format!("{cursor:?}: {other}")));
                    }
                }
                Ok(())
            })
        })
        .unwrap();
}

/// The path of the `report` example binary, built with this test's
/// features (a no-op when it is up to date).
fn report_binary() -> std::path::PathBuf {
    let mut features = vec!["testing"];
    for (on, name) in [
        (cfg!(feature = "sqlite"), "sqlite"),
        (cfg!(feature = "postgres"), "postgres"),
        (cfg!(feature = "mysql"), "mysql"),
        (cfg!(feature = "rustls"), "rustls"),
    ] {
        if on {
            features.push(name);
        }
    }
    let status = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", "report", "--features"])
        .arg(features.join(","))
        .status()
        .unwrap();
    assert!(status.success(), "building the report example failed");
    // target/debug/deps/<this test> -> target/debug/examples/report
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("examples")
        .join(format!("report{}", std::env::consts::EXE_SUFFIX))
}

fn arg_value() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "2026-10-01",
            "2026-11-01",
            "2026-02-30",
            "2026-13-01",
            "1000-01-01",
            "0999-12-31",
            "9999-12-31",
            "+10000-01-01",
            "-0001-01-01",
            "262143-12-31",
            "+00:00",
            "-12:00",
            "+14:00",
            "+14:01",
            "-12:01",
            "+05:30",
            "05:30",
            "+5:30",
            "+24:00",
            "-00:60",
            "1",
            "7",
            "0",
            "-1",
            "9223372036854775807",
            "9223372036854775808",
            "json",
            "table",
            "xml",
            "",
            " ",
            "--",
            "--from",
            "2026-10-01T00:00:00Z",
            "9999-12-31T23:59:59+00:00",
            "0000-01-01T00:00:00-23:59",
            "9999-12-31T23:59:59-23:59",
            "2026-10-01T00:00:00+25:00",
            "sqlite:///nonexistent/dir/x.db",
            "postgres://nobody@127.0.0.1:1/none?acquire_timeout=1",
            "mysql://nobody@127.0.0.1:1/none?acquire_timeout=1",
            "bogus://x",
            "日本語",
            "'; DROP TABLE x; --",
        ])
        .prop_map(str::to_owned),
        any::<String>().prop_map(|s| s.replace('\0', "")),
    ]
}

fn arg_list() -> impl Strategy<Value = Vec<String>> {
    let flag = proptest::sample::select(vec![
        "from",
        "to",
        "utc-offset",
        "now",
        "format",
        "merchant",
        "database-url",
        "bogus",
    ]);
    let arg = prop_oneof![
        6 => (flag.clone(), arg_value()).prop_map(|(f, v)| vec![format!("--{f}"), v]),
        3 => (flag.clone(), arg_value()).prop_map(|(f, v)| vec![format!("--{f}={v}")]),
        1 => flag.prop_map(|f| vec![format!("--{f}")]),
        1 => arg_value().prop_map(|v| vec![v]),
    ];
    proptest::collection::vec(arg, 0..6).prop_map(|v| v.concat())
}

/// The `report` example with a few hundred random argument lists exits 0
/// (with output) or 2 with exactly one `error:` line on stderr; it never
/// panics.
#[test]
fn report_example_survives_random_arguments() {
    let rt = runtime();
    let _context = rt.enter(); // the pool and transaction drop inside the runtime
    let started = std::time::Instant::now();
    let binary = report_binary();
    let built = started.elapsed();
    // A migrated, empty SQLite file: valid runs read it quickly.
    let dir = std::env::temp_dir().join(format!("fdstore-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.db");
    let url = format!("sqlite://{}", file.display());
    rt.block_on(TestDb::connect_to(&format!("{url}?mode=rwc")))
        .unwrap();
    let (ok, failed) = (Cell::new(0), Cell::new(0));
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&(arg_list(), 0u8..10), |(args, mode)| {
            let mut cmd = Command::new(&binary);
            cmd.env_remove("DATABASE_URL");
            // Mostly against the empty file (fast); 1 in 10 with demo data.
            if mode > 0 {
                cmd.args(["--database-url", &url, "--merchant", "7"]);
            }
            let out = cmd.args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            prop_assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
            match out.status.code() {
                Some(0) => {
                    ok.set(ok.get() + 1);
                    prop_assert!(!out.stdout.is_empty(), "{args:?}: no output");
                }
                Some(2) => {
                    failed.set(failed.get() + 1);
                    let lines: Vec<&str> = stderr.lines().collect();
                    prop_assert_eq!(lines.len(), 1, "{:?}: {}", args, stderr);
                    prop_assert!(lines[0].starts_with("error: "), "{args:?}: {stderr}");
                }
                code => {
                    return Err(TestCaseError::fail(format!(
                        "{args:?}: exit {code:?}, stderr {stderr}"
                    )));
                }
            }
            Ok(())
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let (ok, failed) = (ok.get(), failed.get());
    eprintln!(
        "report example: {ok} runs exited 0, {failed} exited 2 with one error line \
         (build {built:.1?}, runs {:.1?})",
        started.elapsed() - built
    );
    assert!(ok > 0 && failed > 0, "both outcomes were exercised");
}
