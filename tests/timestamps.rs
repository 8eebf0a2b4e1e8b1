//! Instants far from today: rows created before 1970 and after 2038 are
//! stored, filtered, paged and reported like any other on every backend
//! (MariaDB's `TIMESTAMP` parameters end in 2038; the crate binds
//! `DATETIME` values there).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use freshdesk_store::analytics::{ReportParams, report};
use freshdesk_store::entity::enums::TicketStatus;
use freshdesk_store::repository::{
    CursorRequest, SeaTicketRepository, Sla, TicketFilter, TicketRepository, TicketSort,
};
use freshdesk_store::testing::{TestDb, TicketFactory, unique_merchant_id};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

/// Filters, keyset pages and SLA lookups see tickets of 1965 and 2040.
#[tokio::test]
async fn repository_filters_and_pages_cover_the_whole_range() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let old = TicketFactory::new(m)
        .created_at(at(1965, 5, 1))
        .insert(&txn)
        .await
        .unwrap();
    let future = TicketFactory::new(m)
        .created_at(at(2040, 5, 1))
        .due_by(at(2040, 5, 2))
        .insert(&txn)
        .await
        .unwrap();
    let repo = SeaTicketRepository;

    let all = TicketFilter::new().created_between(at(1960, 1, 1), at(2100, 1, 1));
    assert_eq!(repo.count(&txn, m, &all).await.unwrap(), 2);
    let only_future = TicketFilter::new().created_between(at(2039, 1, 1), at(2100, 1, 1));
    let page = repo
        .list(&txn, m, &only_future, &CursorRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![future.id]
    );

    // A keyset page after the 2040 ticket (newest first) holds the 1965 one.
    let first = repo
        .list(
            &txn,
            m,
            &TicketFilter::new(),
            &CursorRequest::first(1).sort(TicketSort::CreatedDesc),
        )
        .await
        .unwrap();
    assert_eq!(first.items[0].id, future.id);
    let next = repo
        .list(
            &txn,
            m,
            &TicketFilter::new(),
            &CursorRequest::first(1)
                .sort(TicketSort::CreatedDesc)
                .after(first.next_cursor),
        )
        .await
        .unwrap();
    assert_eq!(next.items[0].id, old.id);

    // The resolution SLA of the 2040 ticket is breached in 2045, not in 2040.
    let breaching = repo
        .list(
            &txn,
            m,
            &TicketFilter::breaching_sla(Sla::Resolution, at(2045, 1, 1)),
            &CursorRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(breaching.items.len(), 1);
    let not_yet = repo
        .list(
            &txn,
            m,
            &TicketFilter::breaching_sla(Sla::Resolution, at(2040, 5, 1)),
            &CursorRequest::first(10),
        )
        .await
        .unwrap();
    assert!(not_yet.items.is_empty());
}

/// A report over a window after 2038 (and one before 1970) counts its tickets.
#[tokio::test]
async fn reports_cover_windows_before_1970_and_after_2038() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    for created in [at(1965, 5, 1), at(2040, 5, 1)] {
        TicketFactory::new(m)
            .status(TicketStatus::Resolved)
            .created_at(created)
            .first_responded_at(created + Duration::minutes(10))
            .insert(&txn)
            .await
            .unwrap();
    }
    for (from, to) in [((2040, 4, 1), (2040, 6, 1)), ((1965, 4, 1), (1965, 6, 1))] {
        let params = ReportParams {
            merchant: m,
            from: NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap(),
            to: NaiveDate::from_ymd_opt(to.0, to.1, to.2).unwrap(),
            utc_offset: "+00:00".parse().unwrap(),
            now: at(2045, 1, 1),
            business_hours: None,
        };
        let r = report(&txn, &params).await.unwrap();
        assert_eq!((r.tickets_created, r.tickets_resolved), (1, 1), "{from:?}");
        assert_eq!(r.first_response.min_secs, Some(600));
        assert_eq!(r.daily.iter().map(|d| d.created).sum::<u64>(), 1);
    }
}
