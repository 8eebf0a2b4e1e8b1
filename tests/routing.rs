//! Routing as a tested property, on every backend (no Citus needed): a
//! workload that calls every public repository method (tickets with their
//! children, upserts, status, processed, deletes, every filter and sort,
//! offset and keyset pages, the batch stream; agents; contacts; the
//! merchant move, its conflict path included), every `sync::apply_*`
//! function on the Freshdesk fixtures, the watermarks, and the analytics
//! (the report with and without business hours, and each metric on its
//! own) runs with the statement counter's SQL log on. Every statement it
//! sent that names a tenant table must carry an equality filter on
//! `merchant_id` (an insert carries it as a value): the rule that lets
//! Citus route each statement to the one shard holding the merchant. The
//! failure message lists each offending statement with the reason.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use freshdesk_store::analytics::{self, BusinessHours, ReportParams, UtcOffset};
use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::freshdesk::{
    Agent, Contact, Conversation, SatisfactionRating, Ticket, parse_records,
};
use freshdesk_store::repository::*;
use freshdesk_store::sync::{self, Listing, SyncStream};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use freshdesk_store::{ConflictKind, Error, MerchantId, TicketId};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

const TICKETS: SeaTicketRepository = SeaTicketRepository;
const AGENTS: SeaAgentRepository = SeaAgentRepository;
const CONTACTS: SeaContactRepository = SeaContactRepository;

/// The tenant tables; the workload must read and write each of them.
const TENANT_TABLES: [&str; 6] = [
    "freshdesk_unified_ticket_view",
    "freshdesk_conversation",
    "freshdesk_rating",
    "freshdesk_agent",
    "freshdesk_contact",
    "freshdesk_sync_state",
];

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/freshdesk/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Inside the fixtures' window (they are from the turn of 2015).
fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 1, 5, 0, 0, 0).unwrap() + Duration::hours(hours)
}

/// Sync: every `apply_*` on the fixtures (and a replay of each), the
/// watermarks of every stream.
async fn sync_fixtures(txn: &DatabaseTransaction, m: MerchantId) {
    let agents: Vec<Agent> = parse_records(&fixture("agents.json")).unwrap();
    let contacts: Vec<Contact> = parse_records(&fixture("contacts.json")).unwrap();
    let tickets: Vec<Ticket> = parse_records(&fixture("tickets.json")).unwrap();
    let deleted: Vec<Ticket> = parse_records(&fixture("tickets_deleted.json")).unwrap();
    let spam: Vec<Ticket> = parse_records(&fixture("tickets_spam.json")).unwrap();
    let conversations: Vec<Conversation> = parse_records(&fixture("conversations.json")).unwrap();
    let ratings: Vec<SatisfactionRating> = parse_records(&fixture("ratings.json")).unwrap();
    for stream in SyncStream::ALL {
        assert_eq!(sync::read_watermark(txn, m, stream).await.unwrap(), None);
    }
    // Tickets first: their people become placeholders the people fill in.
    for _ in 0..2 {
        let t = sync::apply_tickets(txn, m, Listing::Updated, &tickets)
            .await
            .unwrap();
        assert_eq!(t.inserted + t.updated + t.skipped, tickets.len() as u64);
        sync::apply_tickets(txn, m, Listing::Deleted, &deleted)
            .await
            .unwrap();
        sync::apply_tickets(txn, m, Listing::Spam, &spam)
            .await
            .unwrap();
        sync::apply_agents(txn, m, &agents).await.unwrap();
        sync::apply_contacts(txn, m, &contacts).await.unwrap();
        let c = sync::apply_conversations(txn, m, &conversations)
            .await
            .unwrap();
        assert!(c.inserted + c.updated + c.skipped > 0, "{c:?}");
        let r = sync::apply_ratings(txn, m, &ratings).await.unwrap();
        assert!(r.inserted + r.updated + r.skipped > 0, "{r:?}");
    }
    for stream in SyncStream::ALL {
        let to = at(1);
        assert_eq!(
            sync::advance_watermark(txn, m, stream, to).await.unwrap(),
            to
        );
        // Never backwards.
        assert_eq!(
            sync::advance_watermark(txn, m, stream, at(0))
                .await
                .unwrap(),
            to
        );
        assert_eq!(
            sync::read_watermark(txn, m, stream).await.unwrap(),
            Some(to)
        );
    }
}

/// Agents and contacts: every method of both repositories.
async fn people(txn: &DatabaseTransaction, m: MerchantId, other: MerchantId) {
    let a = AGENTS
        .insert_many(
            txn,
            m,
            vec![NewAgent::new("ra-1", "Ada"), NewAgent::new("ra-2", "Bo")],
        )
        .await
        .unwrap();
    assert_eq!(a, 2);
    AGENTS
        .upsert_many(
            txn,
            m,
            vec![NewAgent::new("ra-2", "Bo B."), NewAgent::new("ra-3", "Cy")],
        )
        .await
        .unwrap();
    let ids = AGENTS
        .resolve_freshdesk_ids(txn, m, &["ra-1".into(), "ra-3".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let one = AGENTS.get(txn, m, ids["ra-1"]).await.unwrap();
    assert_eq!(
        AGENTS.get_by_freshdesk_id(txn, m, "ra-1").await.unwrap().id,
        one.id
    );
    let many = AGENTS
        .get_many(txn, m, &ids.values().copied().collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(many.len(), 2);
    let first = AGENTS.list(txn, m, None, 2).await.unwrap();
    let next = AGENTS
        .list(txn, m, first.next_cursor.as_deref(), 2)
        .await
        .unwrap();
    assert!(!first.items.is_empty() && !next.items.is_empty());
    assert!(AGENTS.count(txn, m).await.unwrap() >= 3);
    // Another merchant's id is not found (and its lookup is routed too).
    assert!(matches!(
        AGENTS.get(txn, other, one.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(AGENTS.delete(txn, m, &[ids["ra-3"]]).await.unwrap(), 1);

    let c = CONTACTS
        .insert_many(
            txn,
            m,
            vec![
                NewContact::new("rc-1", "Dana"),
                NewContact::new("rc-2", "Eli"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(c, 2);
    CONTACTS
        .upsert_many(
            txn,
            m,
            vec![
                NewContact::new("rc-2", "Eli E."),
                NewContact::new("rc-3", "Fay"),
            ],
        )
        .await
        .unwrap();
    let ids = CONTACTS
        .resolve_freshdesk_ids(txn, m, &["rc-1".into(), "rc-3".into()])
        .await
        .unwrap();
    let one = CONTACTS.get(txn, m, ids["rc-1"]).await.unwrap();
    assert_eq!(
        CONTACTS
            .get_by_freshdesk_id(txn, m, "rc-1")
            .await
            .unwrap()
            .id,
        one.id
    );
    assert_eq!(
        CONTACTS
            .get_many(txn, m, &ids.values().copied().collect::<Vec<_>>())
            .await
            .unwrap()
            .len(),
        2
    );
    let first = CONTACTS.list(txn, m, None, 2).await.unwrap();
    CONTACTS
        .list(txn, m, first.next_cursor.as_deref(), 2)
        .await
        .unwrap();
    assert!(CONTACTS.count(txn, m).await.unwrap() >= 3);
    assert!(matches!(
        CONTACTS.get(txn, other, one.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(CONTACTS.delete(txn, m, &[ids["rc-3"]]).await.unwrap(), 1);
}

/// Every filter the repository has, each through `list`, `count`,
/// `list_ids` and `list_summaries`.
fn filters(
    agent: freshdesk_store::AgentId,
    contact: freshdesk_store::ContactId,
) -> Vec<TicketFilter> {
    vec![
        TicketFilter::new(),
        TicketFilter::open(),
        TicketFilter::new().statuses([TicketStatus::Open, TicketStatus::Pending]),
        TicketFilter::new().priorities([Priority::High, Priority::Urgent]),
        TicketFilter::new().created_between(at(-24 * 60), at(24 * 60)),
        TicketFilter::new()
            .created_on(
                NaiveDate::from_ymd_opt(2015, 1, 5).unwrap(),
                "+10:00".parse().unwrap(),
            )
            .unwrap(),
        TicketFilter::urgent_or_old_high_priority(at(48), Duration::hours(12)).unwrap(),
        TicketFilter::breaching_sla(Sla::FirstResponse, at(48)),
        TicketFilter::breaching_sla(Sla::Resolution, at(48)),
        TicketFilter::breaching_sla(Sla::Either, at(48)),
        TicketFilter::new().responder(agent),
        TicketFilter::new().requester(contact),
        TicketFilter::new().tag("vip"),
        TicketFilter::new().processed(false),
        TicketFilter::new().updated_between(at(-24 * 60), at(24 * 60)),
        TicketFilter::new().including_flagged(),
        TicketFilter::new().only_deleted(),
        TicketFilter::new().only_spam(),
        TicketFilter::open()
            .tag("vip")
            .responder(agent)
            .processed(false),
    ]
}

/// Tickets: every method of the ticket repository, its deprecated presets
/// included.
#[allow(deprecated)]
async fn tickets(txn: &DatabaseTransaction, m: MerchantId, other: MerchantId) {
    let agent = AGENTS.get_by_freshdesk_id(txn, m, "ra-1").await.unwrap().id;
    let contact = CONTACTS
        .get_by_freshdesk_id(txn, m, "rc-1")
        .await
        .unwrap()
        .id;
    let mut rows = Vec::new();
    for i in 0..12_i64 {
        let mut t = NewTicket::new(format!("rt-{i}"), format!("Routed {i}"), at(i));
        t.priority = if i % 3 == 0 {
            Priority::Urgent
        } else {
            Priority::High
        };
        t.responder_id = Some(agent);
        t.requester_id = Some(contact);
        t.tags = vec!["vip".into()];
        t.fr_due_by = Some(at(i + 2));
        t.due_by = Some(at(i + 20));
        rows.push(t);
    }
    assert_eq!(TICKETS.insert_many(txn, m, rows).await.unwrap(), 12);
    // A duplicate Freshdesk id is a typed conflict (and its lookup routed).
    let dup = TICKETS
        .insert_many(txn, m, vec![NewTicket::new("rt-0", "again", at(0))])
        .await
        .unwrap_err();
    assert!(dup.is_conflict(ConflictKind::Unique), "{dup}");
    let mut newer = NewTicket::new("rt-1", "Routed 1, v2", at(1));
    newer.updated_at = at(30);
    let ids = TICKETS
        .upsert_many(
            txn,
            m,
            vec![newer, NewTicket::new("rt-new", "Upserted", at(3))],
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let resolved = TICKETS
        .resolve_freshdesk_ids(txn, m, &["rt-0".into(), "rt-1".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(resolved.len(), 2);
    let t0 = TICKETS.get_by_freshdesk_id(txn, m, "rt-0").await.unwrap();
    assert_eq!(TICKETS.get(txn, m, t0.id).await.unwrap().id, t0.id);
    assert!(matches!(
        TICKETS.get(txn, other, t0.id).await,
        Err(Error::NotFound { .. })
    ));

    // Children: inserts and upserts of conversations and ratings.
    let convs: Vec<NewConversation> = (0..3)
        .map(|i| NewConversation::new(t0.id, format!("rc-{i}"), "Hello", at(i + 1)))
        .collect();
    assert_eq!(
        TICKETS.insert_conversations(txn, m, convs).await.unwrap(),
        3
    );
    TICKETS
        .upsert_conversations(
            txn,
            m,
            vec![
                NewConversation::new(t0.id, "rc-0", "Hello again", at(1)),
                NewConversation::new(ids[0], "rc-9", "Other ticket", at(2)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        TICKETS
            .insert_ratings(txn, m, vec![NewRating::new(t0.id, "rr-0", 103, at(5))])
            .await
            .unwrap(),
        1
    );
    TICKETS
        .upsert_ratings(
            txn,
            m,
            vec![
                NewRating::new(t0.id, "rr-0", 100, at(5)),
                NewRating::new(ids[0], "rr-1", -103, at(6)),
            ],
        )
        .await
        .unwrap();
    // A conversation on another merchant's ticket is refused (routed check).
    let other_ticket = TICKETS
        .get_by_freshdesk_id(txn, other, "rt-0")
        .await
        .unwrap()
        .id;
    assert!(
        TICKETS
            .insert_conversations(
                txn,
                m,
                vec![NewConversation::new(other_ticket, "rc-x", "x", at(1))]
            )
            .await
            .is_err()
    );

    // Reads with children.
    let with = TICKETS.get_with_children(txn, m, t0.id).await.unwrap();
    assert_eq!(with.conversations.len(), 3);
    assert_eq!(with.ratings.len(), 1);
    assert!(with.requester.is_some());
    let many = TICKETS
        .get_many_with_children(txn, m, &[t0.id, ids[0], ids[1]])
        .await
        .unwrap();
    assert_eq!(many.len(), 3);

    // Every filter through every listing shape; every sort, two pages each.
    for filter in filters(agent, contact) {
        let count = TICKETS.count(txn, m, &filter).await.unwrap();
        let page = TICKETS
            .list(txn, m, &filter, &CursorRequest::first(5))
            .await
            .unwrap();
        assert!(page.items.len() as u64 <= count.min(5));
        TICKETS
            .list_ids(txn, m, &filter, &CursorRequest::first(5))
            .await
            .unwrap();
        TICKETS
            .list_summaries(txn, m, &filter, &CursorRequest::first(5))
            .await
            .unwrap();
        TICKETS
            .list_with_children(txn, m, &filter, &CursorRequest::first(5))
            .await
            .unwrap();
        let paged = TICKETS
            .list_paginated(txn, m, &filter, TicketSort::default(), 1, 5)
            .await
            .unwrap();
        assert_eq!(paged.total, count);
    }
    for sort in [
        TicketSort::CreatedDesc,
        TicketSort::CreatedAsc,
        TicketSort::UpdatedDesc,
        TicketSort::UpdatedAsc,
        TicketSort::PriorityDesc,
        TicketSort::IdAsc,
    ] {
        let all = TicketFilter::new();
        let first = TICKETS
            .list(txn, m, &all, &CursorRequest::first(4).sort(sort))
            .await
            .unwrap();
        let next = CursorRequest::first(4).sort(sort).after(first.next_cursor);
        assert!(
            !TICKETS
                .list(txn, m, &all, &next)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let first = TICKETS
            .list_ids(txn, m, &all, &CursorRequest::first(4).sort(sort))
            .await
            .unwrap();
        let next = CursorRequest::first(4).sort(sort).after(first.next_cursor);
        TICKETS.list_ids(txn, m, &all, &next).await.unwrap();
        let first = TICKETS
            .list_summaries(txn, m, &all, &CursorRequest::first(4).sort(sort))
            .await
            .unwrap();
        let next = CursorRequest::first(4).sort(sort).after(first.next_cursor);
        TICKETS.list_summaries(txn, m, &all, &next).await.unwrap();
        let first = TICKETS
            .list_with_children(txn, m, &all, &CursorRequest::first(4).sort(sort))
            .await
            .unwrap();
        let next = CursorRequest::first(4).sort(sort).after(first.next_cursor);
        TICKETS
            .list_with_children(txn, m, &all, &next)
            .await
            .unwrap();
        let page2 = TICKETS
            .list_paginated(txn, m, &all, sort, 2, 4)
            .await
            .unwrap();
        assert_eq!(page2.items.len(), 4);
    }
    let page = CursorRequest::first(5);
    TICKETS.open(txn, m, &page).await.unwrap();
    TICKETS
        .created_on(
            txn,
            m,
            NaiveDate::from_ymd_opt(2015, 1, 5).unwrap(),
            chrono::FixedOffset::east_opt(3600).unwrap(),
            &page,
        )
        .await
        .unwrap();
    TICKETS
        .urgent_or_old_high_priority(txn, m, at(48), Duration::hours(12), &page)
        .await
        .unwrap();
    TICKETS
        .breaching_sla(txn, m, Sla::Either, at(48), &page)
        .await
        .unwrap();

    // The batch stream, in several batches.
    let total = TICKETS.count(txn, m, &TicketFilter::new()).await.unwrap();
    let mut streamed = 0;
    let mut batches = TICKETS
        .stream_batches(txn, m, TicketFilter::new(), 4)
        .unwrap();
    while let Some(batch) = batches.next().await {
        streamed += batch.unwrap().len() as u64;
    }
    drop(batches);
    assert_eq!(streamed, total);

    // Writes by id: status, processed, delete; another merchant's id fails.
    let some: Vec<TicketId> = resolved.values().copied().collect();
    assert_eq!(
        TICKETS
            .set_status(txn, m, &some, TicketStatus::Resolved)
            .await
            .unwrap(),
        2
    );
    TICKETS
        .set_status(txn, m, &some[..1], TicketStatus::Closed)
        .await
        .unwrap();
    assert_eq!(TICKETS.mark_processed(txn, m, &some).await.unwrap(), 2);
    assert!(matches!(
        TICKETS
            .set_status(txn, m, &[other_ticket], TicketStatus::Closed)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        TICKETS.delete(txn, m, &[other_ticket]).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(TICKETS.delete(txn, m, &[ids[1]]).await.unwrap(), 1);
    undo_cancelled(txn).await.unwrap();
}

/// Analytics: the report with and without business hours, and every
/// metric on its own.
async fn analytics_calls(txn: &DatabaseTransaction, m: MerchantId) {
    let hours: BusinessHours = "mon-fri 09:00-17:00".parse().unwrap();
    let hours = hours
        .with_holidays([NaiveDate::from_ymd_opt(2015, 1, 1).unwrap()])
        .unwrap();
    let offset: UtcOffset = "+10:00".parse().unwrap();
    let mut params = ReportParams {
        merchant: m,
        from: NaiveDate::from_ymd_opt(2014, 12, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2015, 2, 1).unwrap(),
        utc_offset: offset,
        now: at(24 * 30),
        business_hours: Some(hours),
    };
    let with_hours = analytics::report(txn, &params).await.unwrap();
    assert!(with_hours.tickets_created > 0);
    params.business_hours = None;
    let plain = analytics::report(txn, &params).await.unwrap();
    assert_eq!(plain.tickets_created, with_hours.tickets_created);
    let w = params.window().unwrap();
    analytics::volume::created(txn, &w).await.unwrap();
    analytics::volume::open_backlog(txn, &w).await.unwrap();
    analytics::csat::csat(txn, &w).await.unwrap();
    analytics::sla::sla(txn, &w).await.unwrap();
    analytics::tags::top_tags(txn, &w).await.unwrap();
    analytics::agents::agents(txn, &w).await.unwrap();
    analytics::daily::daily(txn, &w).await.unwrap();
    analytics::durations::first_response(txn, &w).await.unwrap();
    analytics::durations::resolution(txn, &w).await.unwrap();
}

/// The merchant move: a conflicting move (the conflict is named, nothing
/// moved), then a move to a fresh merchant.
async fn merchant_ops(txn: &DatabaseTransaction, m: MerchantId, other: MerchantId) {
    let err = migrate_merchant_data(txn, m, other).await.unwrap_err();
    assert!(err.is_conflict(ConflictKind::Unique), "{err}");
    let fresh = unique_merchant_id();
    let moved = migrate_merchant_data(txn, m, fresh).await.unwrap();
    assert!(moved.tickets > 0 && moved.conversations > 0 && moved.ratings > 0);
    assert!(moved.agents > 0 && moved.contacts > 0);
    assert_eq!(
        TICKETS.count(txn, m, &TicketFilter::new()).await.unwrap(),
        0
    );
}

/// The whole workload for merchant `m`, with `other` holding rows with the
/// same Freshdesk ids.
async fn workload(txn: &DatabaseTransaction, m: MerchantId, other: MerchantId) {
    sync_fixtures(txn, m).await;
    people(txn, m, other).await;
    tickets(txn, m, other).await;
    analytics_calls(txn, m).await;
    merchant_ops(txn, m, other).await;
}

async fn citus_installed(txn: &DatabaseTransaction) -> bool {
    txn.query_one_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT 1 AS one FROM pg_extension WHERE extname = 'citus'",
    ))
    .await
    .unwrap()
    .is_some()
}

#[tokio::test]
async fn every_statement_of_the_workload_is_routed_to_one_merchant() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    // `other` first, unchecked: the rows the workload must not reach.
    sync_fixtures(&txn, other).await;
    people(&txn, other, m).await;
    AGENTS
        .insert_many(&txn, m, vec![NewAgent::new("ra-0", "Seed")])
        .await
        .unwrap();
    TICKETS
        .insert_many(&txn, other, vec![NewTicket::new("rt-0", "Other's", at(0))])
        .await
        .unwrap();

    // On a Citus cluster (`FDSTORE_TEST_CITUS=1`), Citus itself checks the
    // same rule: a statement that needs more than one shard is an error.
    if db.backend() == DbBackend::Postgres && citus_installed(&txn).await {
        txn.execute_unprepared("SET LOCAL citus.multi_task_query_log_level = 'error'")
            .await
            .unwrap();
    }

    db.counter().reset();
    workload(&txn, m, other).await;
    let statements = db.counter().statements();
    let unrouted = db.counter().unrouted();
    assert!(
        unrouted.is_empty(),
        "{} of {} statements are not routed to one merchant:\n{}",
        unrouted.len(),
        statements.len(),
        unrouted
            .iter()
            .map(|(sql, why)| format!("- {why}:\n  {sql}"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Citus refuses to change a distribution column: on PostgreSQL nothing
    // assigns merchant_id (the move copies and deletes; MariaDB and SQLite
    // update in place, and have no Citus).
    if db.backend() == DbBackend::Postgres {
        let assigning: Vec<&String> = statements
            .iter()
            .filter(|sql| {
                let lower = sql.to_ascii_lowercase();
                let set = lower.find(" set ").unwrap_or(lower.len());
                let end = lower.find(" where ").unwrap_or(lower.len()).max(set);
                lower.trim_start().starts_with("update") && lower[set..end].contains("merchant_id")
            })
            .collect();
        assert!(assigning.is_empty(), "{assigning:#?}");
    }

    // The check is not vacuous: the log holds reads and writes of every
    // tenant table.
    let mut seen = BTreeSet::new();
    for sql in &statements {
        let lower = sql.to_ascii_lowercase();
        let verb = lower.split_whitespace().next().unwrap_or("").to_owned();
        for table in TENANT_TABLES {
            if lower.contains(table) {
                seen.insert((table, verb.clone()));
            }
        }
    }
    for table in TENANT_TABLES {
        for verb in ["select", "insert"] {
            assert!(
                seen.contains(&(table, verb.to_owned())),
                "no {verb} on {table} in the workload's {} statements",
                statements.len()
            );
        }
    }
    // The repositories' deletes (children go by cascade, or by the move).
    for table in [
        "freshdesk_unified_ticket_view",
        "freshdesk_agent",
        "freshdesk_contact",
    ] {
        assert!(
            seen.contains(&(table, "delete".to_owned())),
            "no delete on {table}"
        );
    }
    assert!(seen.contains(&("freshdesk_unified_ticket_view", "update".to_owned())));
}

/// The checker itself on the shapes the crate sends: `WITH` queries, joins,
/// subqueries and `INSERT … SELECT`.
#[test]
fn the_checker_catches_unfiltered_references() {
    use freshdesk_store::testing::routing::unrouted;
    let ok = [
        r#"WITH t AS (SELECT "id" FROM "freshdesk_unified_ticket_view" WHERE "merchant_id" = $1) SELECT * FROM t"#,
        r#"SELECT * FROM "freshdesk_unified_ticket_view" AS "t" JOIN "freshdesk_agent" AS "a" ON "a"."merchant_id" = "t"."merchant_id" AND "a"."id" = "t"."responder_id" WHERE "t"."merchant_id" = $1 AND "a"."merchant_id" = $1"#,
        r#"INSERT INTO "freshdesk_agent" ("merchant_id", "id") SELECT $1, "id" FROM "freshdesk_agent" WHERE "merchant_id" = $2"#,
        r#"UPDATE "freshdesk_unified_ticket_view" SET "processed" = $1 WHERE "merchant_id" = $2"#,
        r#"DELETE FROM `freshdesk_rating` WHERE `merchant_id` = ? AND `id` IN (?)"#,
    ];
    for sql in ok {
        assert_eq!(unrouted(sql), None, "{sql}");
    }
    let bad = [
        r#"UPDATE "freshdesk_unified_ticket_view" SET "processed" = $1"#,
        r#"DELETE FROM "freshdesk_rating" WHERE "id" = $1"#,
        r#"SELECT * FROM "freshdesk_unified_ticket_view" AS "t" JOIN "freshdesk_agent" AS "a" ON "a"."id" = "t"."responder_id" WHERE "t"."merchant_id" = $1"#,
        r#"INSERT INTO "freshdesk_agent" ("merchant_id", "id") SELECT $1, "id" FROM "freshdesk_agent""#,
        r#"SELECT * FROM "freshdesk_agent" WHERE "merchant_id" <> $1"#,
        r#"SELECT * FROM "freshdesk_agent" WHERE "merchant_id" >= $1"#,
    ];
    for sql in bad {
        assert!(unrouted(sql).is_some(), "{sql}");
    }
}
