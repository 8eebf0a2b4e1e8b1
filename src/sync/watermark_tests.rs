//! Watermarks on a real database: they never move backwards, are kept per
//! merchant and stream, and commit or roll back with the caller's
//! transaction.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{EntityTrait, TransactionTrait};

use super::{SyncStream, advance_watermark, read_watermark};
use crate::testing::{TestDb, TicketFactory, unique_merchant_id};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2045, 6, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

/// None before the first run; forward moves stick, backward ones do not;
/// other streams and other merchants are untouched.
#[tokio::test]
async fn watermarks_never_move_backwards() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    assert_eq!(
        read_watermark(&txn, m, SyncStream::Tickets).await.unwrap(),
        None
    );
    let at = advance_watermark(&txn, m, SyncStream::Tickets, t(10))
        .await
        .unwrap();
    assert_eq!(at, t(10));
    let at = advance_watermark(&txn, m, SyncStream::Tickets, t(5))
        .await
        .unwrap();
    assert_eq!(at, t(10), "an older position leaves the watermark");
    let at = advance_watermark(&txn, m, SyncStream::Tickets, t(10))
        .await
        .unwrap();
    assert_eq!(at, t(10));
    let at = advance_watermark(&txn, m, SyncStream::Tickets, t(20))
        .await
        .unwrap();
    assert_eq!(at, t(20));
    advance_watermark(&txn, other, SyncStream::Tickets, t(1))
        .await
        .unwrap();
    advance_watermark(&txn, m, SyncStream::TicketsSpam, t(2))
        .await
        .unwrap();
    assert_eq!(
        read_watermark(&txn, m, SyncStream::Tickets).await.unwrap(),
        Some(t(20))
    );
    assert_eq!(
        read_watermark(&txn, other, SyncStream::Tickets)
            .await
            .unwrap(),
        Some(t(1))
    );
    assert_eq!(
        read_watermark(&txn, m, SyncStream::TicketsSpam)
            .await
            .unwrap(),
        Some(t(2))
    );
    assert_eq!(
        read_watermark(&txn, m, SyncStream::Agents).await.unwrap(),
        None
    );
}

/// The watermark rolls back with the data it covers, and commits with it.
#[tokio::test]
async fn the_watermark_commits_and_rolls_back_with_the_data() {
    let db = TestDb::connect().await.unwrap();
    let m = unique_merchant_id();

    let txn = db.begin().await.unwrap();
    let ticket = TicketFactory::new(m).insert(&txn).await.unwrap();
    advance_watermark(&txn, m, SyncStream::Tickets, ticket.updated_at)
        .await
        .unwrap();
    txn.rollback().await.unwrap();

    let txn = db.begin().await.unwrap();
    assert_eq!(
        read_watermark(&txn, m, SyncStream::Tickets).await.unwrap(),
        None
    );
    let found = crate::entity::ticket::Entity::find_by_id(ticket.id)
        .one(&txn)
        .await
        .unwrap();
    assert!(found.is_none());
    let ticket = TicketFactory::new(m).insert(&txn).await.unwrap();
    advance_watermark(&txn, m, SyncStream::Tickets, ticket.updated_at)
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let txn = db.connection().begin().await.unwrap();
    assert_eq!(
        read_watermark(&txn, m, SyncStream::Tickets).await.unwrap(),
        Some(ticket.updated_at)
    );
}

/// Stream names round-trip and unknown ones are invalid input.
#[test]
fn stream_names() {
    for stream in SyncStream::ALL {
        assert_eq!(stream.as_str().parse::<SyncStream>().unwrap(), stream);
        assert_eq!(serde_json::to_value(stream).unwrap(), stream.as_str());
    }
    assert!(matches!(
        "ticket".parse::<SyncStream>(),
        Err(crate::Error::InvalidInput {
            field: "stream",
            ..
        })
    ));
}
