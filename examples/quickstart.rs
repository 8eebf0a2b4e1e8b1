//! The caller's side of the contract, end to end.
//!
//! ```text
//! cargo run --example quickstart                      # embedded SQLite
//! DATABASE_URL=postgres://root@127.0.0.1/test cargo run --all-features --example quickstart
//! ```
//!
//! 1. connect once at the entry point (`PoolConfig`) and migrate;
//! 2. begin a transaction — it is yours;
//! 3. pass it down to repository and analytics calls, always with a merchant;
//! 4. commit (or drop it to roll back: this example rolls back on a server,
//!    so it leaves nothing behind).

mod common;

use std::process::ExitCode;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use freshdesk_store::analytics::{ReportParams, report};
use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::repository::{
    AgentRepository, ContactRepository, CursorRequest, NewAgent, NewContact, NewConversation,
    NewTicket, SeaAgentRepository, SeaContactRepository, SeaTicketRepository, TicketFilter,
    TicketRepository, TicketSort,
};
use freshdesk_store::{MerchantId, PoolConfig};
use sea_orm::TransactionTrait;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // Errors end as one `error: …` line on stderr (exit code 2).
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => common::fail(e),
    }
}

async fn run() -> freshdesk_store::Result<()> {
    // 1. The entry point owns the pool. In a service: PoolConfig::from_env()?.
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = PoolConfig::from_url(&url)?.connect().await?;
    Migrator::up(&db, None).await?;
    println!(
        "connected to {:?} and applied the schema",
        db.get_database_backend()
    );

    // A merchant id from the outside world is checked once, at the edge.
    let merchant = MerchantId::new(7_000_000_001)?;
    let other = MerchantId::new(7_000_000_002)?;

    // 2. The caller begins the transaction …
    let txn = db.begin().await?;
    let (tickets, agents, contacts) = (
        SeaTicketRepository,
        SeaAgentRepository,
        SeaContactRepository,
    );

    // 3. … and passes it down. Bulk writes: one statement per chunk, no per-row round trips.
    agents
        .upsert_many(&txn, merchant, vec![NewAgent::new("agent-1", "Ada Okafor")])
        .await?;
    contacts
        .upsert_many(
            &txn,
            merchant,
            vec![NewContact::new("contact-1", "Ben Schmidt")],
        )
        .await?;
    let agent = agents
        .get_by_freshdesk_id(&txn, merchant, "agent-1")
        .await?;
    let contact = contacts
        .get_by_freshdesk_id(&txn, merchant, "contact-1")
        .await?;

    let start = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
    let new_tickets: Vec<NewTicket> = (0..120)
        .map(|i| {
            let created = start + Duration::hours(6 * i);
            let mut t = NewTicket::new(format!("{}", 5000 + i), "Where is my order?", created);
            t.priority = if i % 10 == 0 {
                Priority::Urgent
            } else {
                Priority::Medium
            };
            t.status = if i % 3 == 0 {
                TicketStatus::Open
            } else {
                TicketStatus::Resolved
            };
            t.responder_id = Some(agent.id);
            t.requester_id = Some(contact.id);
            t.first_responded_at = Some(created + Duration::minutes(30 + i));
            t.resolved_at = (i % 3 != 0).then(|| created + Duration::hours(20));
            t.tags = if i % 4 == 0 {
                vec!["refund".into()]
            } else {
                vec!["shipping".into()]
            };
            t
        })
        .collect();
    // Idempotent upsert by (merchant_id, freshdesk_ticket_id): a sync job can run it twice.
    tickets
        .upsert_many(&txn, merchant, new_tickets.clone())
        .await?;
    tickets.upsert_many(&txn, merchant, new_tickets).await?;
    tickets
        .upsert_many(
            &txn,
            other,
            vec![NewTicket::new("5000", "Another shop's ticket", start)],
        )
        .await?;
    let first = tickets.get_by_freshdesk_id(&txn, merchant, "5000").await?;
    tickets
        .insert_conversations(
            &txn,
            merchant,
            vec![NewConversation::new(
                first.id,
                "c-1",
                "Hello, where is it?",
                start,
            )],
        )
        .await?;

    // Keyset pages with opaque cursors: page 10,000 costs what page 1 costs.
    let filter = TicketFilter::open().tag("refund");
    let page = tickets
        .list(&txn, merchant, &filter, &CursorRequest::first(5))
        .await?;
    println!(
        "open refund tickets, first page: {:?}",
        page.items
            .iter()
            .map(|t| &t.freshdesk_ticket_id)
            .collect::<Vec<_>>()
    );
    if let Some(cursor) = page.next_cursor.clone() {
        let next = tickets
            .list(
                &txn,
                merchant,
                &filter,
                &CursorRequest::first(5).after(Some(cursor)),
            )
            .await?;
        println!("… next page: {} more", next.items.len());
    }

    // Offset pages with totals, for a classic paginated table.
    let offset = tickets
        .list_paginated(
            &txn,
            merchant,
            &TicketFilter::new(),
            TicketSort::CreatedDesc,
            1,
            25,
        )
        .await?;
    println!(
        "all tickets: {} in {} pages of 25",
        offset.total, offset.pages
    );

    // Tickets with conversations, ratings, requester and responder: a fixed
    // number of statements however many tickets the page holds.
    let with_children = tickets
        .list_with_children(
            &txn,
            merchant,
            &TicketFilter::new(),
            &CursorRequest::first(50),
        )
        .await?;
    println!(
        "{} tickets loaded with their children in a fixed number of statements",
        with_children.items.len()
    );
    let one = tickets.get_with_children(&txn, merchant, first.id).await?;
    println!(
        "ticket {} from {} assigned to {}: {} conversation(s)",
        one.ticket.freshdesk_ticket_id,
        one.requester.as_ref().map_or("-", |c| c.name.as_str()),
        one.responder.as_ref().map_or("-", |a| a.name.as_str()),
        one.conversations.len()
    );

    // Every figure computed by the database, for one merchant.
    let params = ReportParams {
        merchant,
        from: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        utc_offset: "+00:00".parse()?,
        now: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        business_hours: None,
    };
    let r = report(&txn, &params).await?;
    println!(
        "October: {} created, {} resolved, median first response {:.0} s, top tag {:?}",
        r.tickets_created,
        r.tickets_resolved,
        r.first_response.p50_secs.unwrap_or_default(),
        r.top_tags.first().map(|t| &t.tag)
    );
    println!(
        "the other merchant's ticket never shows up: {} ticket(s) counted for merchant {merchant}",
        tickets.count(&txn, merchant, &TicketFilter::new()).await?
    );

    // 4. The caller decides: commit, or drop to roll back.
    if url.starts_with("sqlite::memory:") {
        txn.commit().await?;
        println!("committed");
    } else {
        drop(txn);
        println!("rolled back (nothing left behind on the server)");
    }
    Ok(())
}
