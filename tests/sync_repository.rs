//! The repository on the sync path, on the backend of `DATABASE_URL`:
//! `upsert_many` never rolls a ticket back and returns its ids,
//! `set_status` stamps `resolved_at` / `closed_at` once, and deleted or
//! spam tickets leave default listings (and analytics-facing counts) but
//! `TicketFilter` can ask for them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use freshdesk_store::entity::enums::TicketStatus;
use freshdesk_store::freshdesk::{Ticket, parse_records};
use freshdesk_store::repository::*;
use freshdesk_store::sync::{Listing, apply_tickets};
use freshdesk_store::testing::*;
use freshdesk_store::{MerchantId, TicketId};
use sea_orm::DatabaseTransaction;

const REPO: SeaTicketRepository = SeaTicketRepository;
const TICKETS: &str = include_str!("fixtures/freshdesk/tickets.json");

fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

fn ticket(key: &str, subject: &str, updated: i64) -> NewTicket {
    let mut t = NewTicket::new(key, subject, at(0));
    t.updated_at = at(updated);
    t
}

async fn subjects(txn: &DatabaseTransaction, m: MerchantId, filter: TicketFilter) -> Vec<String> {
    let page = REPO
        .list(txn, m, &filter, &CursorRequest::first(100))
        .await
        .unwrap();
    let mut s: Vec<String> = page.items.into_iter().map(|t| t.subject).collect();
    s.sort();
    s
}

/// An older `upsert_many` never rolls a ticket back; an equal or newer one
/// wins; the ids come back in input order; the other merchant is untouched.
#[tokio::test]
async fn upsert_many_is_newest_wins_and_returns_ids() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let batch = vec![ticket("b", "B v2", 2), ticket("a", "A v2", 2)];
    let ids = REPO.upsert_many(&txn, m, batch.clone()).await.unwrap();
    let other_ids = REPO.upsert_many(&txn, other, batch).await.unwrap();
    assert_eq!(ids.len(), 2);
    let b = REPO.get(&txn, m, ids[0]).await.unwrap();
    assert_eq!(b.freshdesk_ticket_id, "b");
    let stale = vec![ticket("a", "A v1", 1), ticket("c", "C v1", 1)];
    let again = REPO.upsert_many(&txn, m, stale).await.unwrap();
    assert_eq!(again[0], ids[1]);
    assert_eq!(
        subjects(&txn, m, TicketFilter::new()).await,
        ["A v2", "B v2", "C v1"]
    );
    REPO.upsert_many(&txn, m, vec![ticket("a", "A v2 again", 2)])
        .await
        .unwrap();
    assert_eq!(
        REPO.get(&txn, m, ids[1]).await.unwrap().subject,
        "A v2 again"
    );
    assert_eq!(
        subjects(&txn, other, TicketFilter::new()).await,
        ["A v2", "B v2"]
    );
    assert_eq!(
        REPO.get(&txn, other, other_ids[1]).await.unwrap().subject,
        "A v2"
    );
}

/// Resolved stamps `resolved_at` when empty, Closed also `closed_at`; a
/// reopened and re-resolved ticket keeps its first resolution.
#[tokio::test]
async fn set_status_stamps_resolution_once() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let ids: Vec<TicketId> = REPO
        .upsert_many(&txn, m, vec![ticket("x", "x", 0), ticket("y", "y", 0)])
        .await
        .unwrap();
    let other_ids = REPO
        .upsert_many(&txn, other, vec![ticket("x", "x", 0)])
        .await
        .unwrap();
    let before = Utc::now() - Duration::seconds(1);
    REPO.set_status(&txn, m, &ids[..1], TicketStatus::Resolved)
        .await
        .unwrap();
    let x = REPO.get(&txn, m, ids[0]).await.unwrap();
    let resolved = x.resolved_at.expect("resolved_at set");
    assert!(resolved >= before, "{resolved}");
    assert_eq!(x.closed_at, None);
    REPO.set_status(&txn, m, &ids[..1], TicketStatus::Open)
        .await
        .unwrap();
    REPO.set_status(&txn, m, &ids, TicketStatus::Closed)
        .await
        .unwrap();
    let x = REPO.get(&txn, m, ids[0]).await.unwrap();
    assert_eq!(x.resolved_at, Some(resolved));
    assert!(x.closed_at.is_some());
    let y = REPO.get(&txn, m, ids[1]).await.unwrap();
    assert!(y.resolved_at.is_some() && y.closed_at.is_some());
    let ox = REPO.get(&txn, other, other_ids[0]).await.unwrap();
    assert_eq!((ox.resolved_at, ox.closed_at), (None, None));
}

/// Deleted and spam tickets leave the default listings and counts, come
/// back on request and when restored; `updated_between` narrows.
#[tokio::test]
async fn flagged_tickets_leave_default_listings() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let all: Vec<Ticket> = parse_records(TICKETS).unwrap();
    apply_tickets(&txn, m, Listing::Updated, &all[..2])
        .await
        .unwrap();
    apply_tickets(&txn, m, Listing::Deleted, &all[2..3])
        .await
        .unwrap();
    apply_tickets(&txn, m, Listing::Spam, &all[3..4])
        .await
        .unwrap();
    let keys = |f: TicketFilter| {
        let txn = &txn;
        async move {
            let page = REPO
                .list(txn, m, &f, &CursorRequest::first(100))
                .await
                .unwrap();
            let mut k: Vec<String> = page
                .items
                .into_iter()
                .map(|t| t.freshdesk_ticket_id)
                .collect();
            k.sort();
            k
        }
    };
    assert_eq!(keys(TicketFilter::new()).await, ["1021", "1022"]);
    assert_eq!(REPO.count(&txn, m, &TicketFilter::new()).await.unwrap(), 2);
    assert_eq!(keys(TicketFilter::new().only_deleted()).await, ["1023"]);
    assert_eq!(keys(TicketFilter::new().only_spam()).await, ["2147483649"]);
    assert_eq!(keys(TicketFilter::new().including_flagged()).await.len(), 4);
    let window = TicketFilter::new()
        .including_flagged()
        .updated_between(all[0].updated_at, all[0].updated_at + Duration::seconds(1));
    assert_eq!(keys(window).await, ["1021"]);

    let mut restored = all[2].clone();
    restored.updated_at += Duration::minutes(1);
    apply_tickets(&txn, m, Listing::Updated, &[restored])
        .await
        .unwrap();
    assert_eq!(keys(TicketFilter::new()).await, ["1021", "1022", "1023"]);
}
