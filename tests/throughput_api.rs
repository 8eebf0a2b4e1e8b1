//! The throughput API of issue 14 on a real database (SQLite by default;
//! PostgreSQL or MariaDB through `DATABASE_URL`): the batch stream (a
//! server-side cursor on PostgreSQL, keyset batches elsewhere), offset pages
//! without a `COUNT`, and `update_where` (one `UPDATE` by filter). Every
//! test puts a second merchant's matching rows beside the first and checks
//! none of them is returned or changed; cancelled calls leave the
//! transaction usable and nothing half-done.

use std::pin::pin;

use chrono::{DateTime, Duration, TimeZone, Utc};
use freshdesk_store::entity::enums::TicketStatus;
use freshdesk_store::entity::ticket;
use freshdesk_store::repository::*;
use freshdesk_store::testing::*;
use freshdesk_store::{Error, MerchantId, TicketId};
use futures_util::StreamExt;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const REPO: SeaTicketRepository = SeaTicketRepository;

fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

/// `n` tickets of `merchant`: every third Closed, every fifth deleted, the
/// rest Open; created an hour apart.
async fn seed(txn: &DatabaseTransaction, merchant: MerchantId, n: i64) -> Vec<ticket::Model> {
    let mut out = Vec::new();
    for i in 0..n {
        let status = if i % 3 == 2 {
            TicketStatus::Closed
        } else {
            TicketStatus::Open
        };
        let mut row = TicketFactory::new(merchant)
            .status(status)
            .created_at(at(i))
            .build();
        row.deleted = Set(i % 5 == 4);
        out.push(row.insert(txn).await.unwrap());
    }
    out
}

/// The ids of the open, unflagged tickets, in id order.
fn open_ids(rows: &[ticket::Model]) -> Vec<TicketId> {
    let mut ids: Vec<_> = rows
        .iter()
        .filter(|t| t.status == TicketStatus::Open && !t.deleted)
        .map(|t| t.id)
        .collect();
    ids.sort();
    ids
}

/// All of a merchant's rows, read directly, in id order.
async fn all_rows(txn: &DatabaseTransaction, merchant: MerchantId) -> Vec<ticket::Model> {
    ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .order_by_asc(ticket::Column::Id)
        .all(txn)
        .await
        .unwrap()
}

async fn stream_ids(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    filter: TicketFilter,
    batch: u64,
) -> Result<(Vec<TicketId>, Vec<usize>), Error> {
    let mut stream = REPO.stream_batches(txn, merchant, filter, batch)?;
    let (mut ids, mut sizes) = (Vec::new(), Vec::new());
    while let Some(b) = stream.next().await {
        let b = b?;
        sizes.push(b.len());
        ids.extend(b.iter().map(|t| t.id));
    }
    Ok((ids, sizes))
}

/// The crate's cursors open in `txn` (PostgreSQL).
async fn open_cursors(txn: &DatabaseTransaction) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_cursors WHERE name LIKE 'fds_cursor_%'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

fn assert_invalid(err: Error, field: &str) {
    assert!(
        matches!(&err, Error::InvalidInput { field: f, .. } if *f == field),
        "expected invalid `{field}`, got {err:?}"
    );
}

/// The stream returns exactly the filtered rows of the merchant, in id
/// order, across batch boundaries, for batch sizes below, at and above the
/// page limit; another merchant's matching rows never appear.
#[tokio::test]
async fn stream_returns_the_filtered_rows_in_order() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = seed(&txn, a, 31).await;
    seed(&txn, b, 12).await;
    let want = open_ids(&mine);
    let n = want.len();
    assert!(n > 10 && n < 31);
    for batch in [1, 3, 5, n as u64, n as u64 + 1, 600, MAX_STREAM_BATCH] {
        let (ids, sizes) = stream_ids(&txn, a, TicketFilter::open(), batch).await?;
        assert_eq!(ids, want, "batch {batch}");
        assert!(sizes.iter().all(|s| *s as u64 <= batch && *s > 0));
        let full = n / batch as usize;
        assert_eq!(sizes.len(), n.div_ceil(batch as usize), "batch {batch}");
        assert!(sizes[..full].iter().all(|s| *s as u64 == batch));
    }
    // Flagged rows follow the filter's rules.
    let (deleted, _) = stream_ids(&txn, a, TicketFilter::new().only_deleted(), 4).await?;
    assert_eq!(deleted.len(), 6);
    let (everything, _) = stream_ids(&txn, a, TicketFilter::new().including_flagged(), 7).await?;
    assert_eq!(everything, mine.iter().map(|t| t.id).collect::<Vec<_>>());
    // Full rows, every column as stored.
    let mut rows = Vec::new();
    let mut stream = REPO.stream_batches(&txn, a, TicketFilter::new().including_flagged(), 8)?;
    while let Some(b) = stream.next().await {
        rows.extend(b?);
    }
    drop(stream);
    assert_eq!(rows, all_rows(&txn, a).await);
    // A merchant with nothing matching: an empty stream.
    let (none, sizes) = stream_ids(&txn, unique_merchant_id(), TicketFilter::new(), 5).await?;
    assert!(none.is_empty() && sizes.is_empty());
    for bad in [0, MAX_STREAM_BATCH + 1] {
        let err = REPO.stream_batches(&txn, a, TicketFilter::new(), bad);
        assert_invalid(err.err().unwrap(), "batch_size");
    }
    let err = REPO.stream_batches(&txn, a, TicketFilter::new().tag("a\0b"), 5);
    assert_invalid(err.err().unwrap(), "tag");
    Ok(())
}

/// What each backend sends: PostgreSQL declares a cursor, fetches one
/// batch per statement and closes it; the others run keyset queries.
#[tokio::test]
async fn stream_statements_per_backend() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let a = unique_merchant_id();
    seed(&txn, a, 30).await;
    db.counter().reset();
    let (ids, _) = stream_ids(&txn, a, TicketFilter::new().including_flagged(), 10).await?;
    assert_eq!(ids.len(), 30);
    let sql = db.counter().statements();
    if db.backend() == DbBackend::Postgres {
        // (`CLOSE` is sent unprepared: the counter does not see it.)
        assert_eq!(sql.len(), 1 + 4, "{sql:#?}");
        assert!(sql[0].starts_with("DECLARE fds_cursor_"), "{}", sql[0]);
        assert!(sql[0].contains("NO SCROLL CURSOR FOR SELECT"));
        assert!(sql[0].contains("\"merchant_id\" = $1"));
        assert!(
            sql[1..]
                .iter()
                .all(|s| s.starts_with("FETCH 10 FROM fds_cursor_"))
        );
        assert_eq!(open_cursors(&txn).await, 0, "closed at the end");
        // A stream dropped part-way leaves its cursor open, harmlessly.
        let mut stream = REPO.stream_batches(&txn, a, TicketFilter::new(), 10)?;
        stream.next().await.unwrap()?;
        drop(stream);
        assert_eq!(open_cursors(&txn).await, 1);
    } else {
        assert_eq!(sql.len(), 4, "{sql:#?}");
        assert!(sql.iter().all(|s| s.starts_with("SELECT")));
    }
    assert!(sql.iter().all(|s| !s.to_uppercase().contains("OFFSET")));
    Ok(())
}

/// The transaction is usable between batches: a write (an insert, and
/// marking the batch processed) between batches, and the stream goes on at
/// the right row. On PostgreSQL the cursor reads the rows as of its first
/// batch; the keyset batches see a new row with a higher id.
#[tokio::test]
async fn stream_leaves_the_transaction_usable_between_batches() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = seed(&txn, a, 20).await;
    seed(&txn, b, 5).await;
    let all = TicketFilter::new().including_flagged();
    let mut stream = REPO.stream_batches(&txn, a, all.clone(), 6)?;
    let mut seen = Vec::new();
    let mut inserted = None;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let ids: Vec<_> = batch.iter().map(|t| t.id).collect();
        seen.extend(ids.iter().copied());
        REPO.mark_processed(&txn, a, &ids).await?;
        if inserted.is_none() {
            inserted = Some(
                TicketFactory::new(a)
                    .created_at(at(100))
                    .insert(&txn)
                    .await?,
            );
        }
    }
    drop(stream);
    let inserted = inserted.unwrap();
    let mut want: Vec<_> = mine.iter().map(|t| t.id).collect();
    if db.backend() != DbBackend::Postgres {
        want.push(inserted.id);
    }
    assert_eq!(seen, want);
    let processed = REPO.count(&txn, a, &all.clone().processed(true)).await?;
    assert_eq!(processed, want.len() as u64);
    assert_eq!(REPO.count(&txn, b, &all.processed(true)).await?, 0);
    // And after the stream: the next one sees everything.
    let (ids, _) = stream_ids(&txn, a, TicketFilter::new().including_flagged(), 500).await?;
    assert_eq!(ids.len(), 21);
    Ok(())
}

/// Two streams alive at once on one transaction, polled in turn: each has
/// its own cursor (PostgreSQL) and reads its own rows.
#[tokio::test]
async fn two_streams_interleaved_on_one_transaction() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let rows_a = seed(&txn, a, 15).await;
    let rows_b = seed(&txn, b, 15).await;
    let mut sa = REPO.stream_batches(&txn, a, TicketFilter::open(), 2)?;
    let mut sb = REPO.stream_batches(&txn, b, TicketFilter::open(), 3)?;
    let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
    loop {
        let na = sa.next().await.transpose()?;
        let nb = sb.next().await.transpose()?;
        if na.is_none() && nb.is_none() {
            break;
        }
        got_a.extend(na.unwrap_or_default().into_iter().map(|t| t.id));
        got_b.extend(nb.unwrap_or_default().into_iter().map(|t| t.id));
    }
    assert_eq!(got_a, open_ids(&rows_a));
    assert_eq!(got_b, open_ids(&rows_b));
    Ok(())
}

/// A stream dropped between batches, or while a batch's statement is on
/// the wire (after 1 to 6 polls, before or after a first batch), leaves
/// the transaction usable: after `undo_cancelled` (what every crate call
/// runs first) the next statements and streams work, and the transaction
/// commits. MariaDB only: a statement with bound parameters dropped
/// mid-flight can leave the connection out of step (sqlx 0.9, the crate's
/// "Cancellation" docs); that is reported as `ConnectionLost` with nothing
/// committed, never a hang.
#[tokio::test]
async fn a_dropped_stream_leaves_the_transaction_usable() -> TestResult {
    let db = TestDb::connect().await?;
    let all = TicketFilter::new().including_flagged();
    let mut lost = 0;
    for polls in 1..=6 {
        for skip_first in [false, true] {
            let a = unique_merchant_id();
            let txn = db.begin().await?;
            let mine = seed(&txn, a, 12).await;
            let mut stream = REPO.stream_batches(&txn, a, all.clone(), 5)?;
            if skip_first {
                assert_eq!(stream.next().await.unwrap()?.len(), 5);
            }
            {
                let mut next = pin!(stream.next());
                for _ in 0..polls {
                    if futures_util::poll!(next.as_mut()).is_ready() {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
            }
            drop(stream);
            match undo_cancelled(&txn).await {
                Ok(()) => {}
                Err(Error::ConnectionLost(_)) if db.backend() == DbBackend::MySql => {
                    lost += 1;
                    drop(txn);
                    let check = db.begin().await?;
                    assert_eq!(REPO.count(&check, a, &all).await?, 0, "nothing committed");
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            // The transaction answers, and is not aborted (PostgreSQL).
            let t = TicketFactory::new(a)
                .created_at(at(200))
                .insert(&txn)
                .await?;
            REPO.delete(&txn, a, &[t.id]).await?;
            let (ids, _) = stream_ids(&txn, a, all.clone(), 500).await?;
            assert_eq!(ids, mine.iter().map(|t| t.id).collect::<Vec<_>>());
            txn.commit().await?;
            let check = db.begin().await?;
            assert_eq!(REPO.count(&check, a, &all).await?, 12);
        }
    }
    if db.backend() != DbBackend::MySql {
        assert_eq!(lost, 0);
    }
    Ok(())
}

/// Offset pages without the total are one statement, with it two; pages,
/// `has_more` and the total agree with `list_paginated`; another
/// merchant's rows are not counted; bad pages are typed errors.
#[tokio::test]
async fn offset_pages_count_only_on_request() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = seed(&txn, a, 35).await;
    seed(&txn, b, 35).await;
    let open = TicketFilter::open();
    let sort = TicketSort::CreatedAsc;
    let want = open_ids(&mine); // created in id order
    let pages = want.len().div_ceil(7) as u64;
    assert!(pages >= 3);
    let mut seen = Vec::new();
    for page in 1..=pages {
        db.counter().reset();
        let p = REPO
            .list_offset(&txn, a, &open, sort, &OffsetRequest::new(page, 7))
            .await?;
        assert_eq!(db.counter().get(), 1, "one statement per page");
        assert_eq!(p.total, None);
        assert_eq!(p.pages(), None);
        assert_eq!(p.has_more, page < pages);
        assert_eq!((p.page, p.per_page), (page, 7));
        let old = REPO.list_paginated(&txn, a, &open, sort, page, 7).await?;
        assert_eq!(p.items, old.items);
        seen.extend(p.items.iter().map(|t| t.id));
    }
    assert_eq!(seen, want);
    db.counter().reset();
    let p = REPO
        .list_offset(&txn, a, &open, sort, &OffsetRequest::new(2, 7).with_total())
        .await?;
    assert_eq!(db.counter().get(), 2);
    let total = want.len() as u64;
    assert_eq!(
        (p.total, p.pages(), p.has_more),
        (Some(total), Some(pages), true)
    );
    assert_eq!(p.items.len(), 7);
    let past = REPO
        .list_offset(
            &txn,
            a,
            &open,
            sort,
            &OffsetRequest::new(99, 7).with_total(),
        )
        .await?;
    assert!(past.items.is_empty() && !past.has_more);
    assert_eq!(past.total, Some(total));
    for (req, field) in [
        (OffsetRequest::new(0, 7), "page"),
        (OffsetRequest::new(1, 0), "per_page"),
        (OffsetRequest::new(1, MAX_PAGE_SIZE + 1), "per_page"),
        (OffsetRequest::new(u64::MAX, 500).with_total(), "page"),
    ] {
        let err = REPO.list_offset(&txn, a, &open, sort, &req).await;
        assert_invalid(err.unwrap_err(), field);
    }
    Ok(())
}

/// `update_where` changes exactly the filter's tickets of this merchant in
/// one `UPDATE`: Resolved stamps an empty `resolved_at` and keeps a set
/// one; flagged tickets only when the filter says; another merchant's
/// matching tickets are untouched; bad input is typed and sends nothing.
#[tokio::test]
async fn update_where_changes_exactly_the_filters_tickets() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mut mine = seed(&txn, a, 20).await;
    // An open ticket that was resolved once already keeps that instant.
    let earlier = at(-5);
    mine.push(
        TicketFactory::new(a)
            .status(TicketStatus::Open)
            .resolved_at(Some(earlier))
            .insert(&txn)
            .await?,
    );
    seed(&txn, b, 20).await;
    let theirs = all_rows(&txn, b).await;
    let want = open_ids(&mine);
    let before = Utc::now() - Duration::seconds(1);

    db.counter().reset();
    let n = REPO
        .update_where(
            &txn,
            a,
            &TicketFilter::open(),
            TicketChange::new().status(TicketStatus::Resolved),
        )
        .await?;
    assert_eq!(n, want.len() as u64);
    let updates: Vec<_> = db
        .counter()
        .statements()
        .into_iter()
        .filter(|s| !s.contains("SAVEPOINT"))
        .collect();
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert!(updates[0].starts_with("UPDATE"));

    for (old, new) in mine.iter().zip(all_rows(&txn, a).await) {
        assert_eq!(old.id, new.id);
        if want.contains(&old.id) {
            assert_eq!(new.status, TicketStatus::Resolved);
            match old.resolved_at {
                Some(r) => assert_eq!(new.resolved_at, Some(r)),
                None => assert!(new.resolved_at.unwrap() >= before),
            }
            assert_eq!(new.closed_at, old.closed_at);
        } else {
            assert_eq!(&new, old, "not matched, not changed");
        }
    }
    assert_eq!(all_rows(&txn, b).await, theirs);

    // Processed, flagged included: every one of the merchant's tickets.
    let n = REPO
        .update_where(
            &txn,
            a,
            &TicketFilter::new().including_flagged().processed(false),
            TicketChange::new().processed(true),
        )
        .await?;
    assert_eq!(n, 21);
    assert!(all_rows(&txn, a).await.iter().all(|t| t.processed));
    // Both at once; only deleted ones.
    let n = REPO
        .update_where(
            &txn,
            a,
            &TicketFilter::new().only_deleted(),
            TicketChange::new()
                .status(TicketStatus::Closed)
                .processed(false),
        )
        .await?;
    assert_eq!(n, 4);
    for t in all_rows(&txn, a).await {
        assert_eq!(t.deleted, !t.processed);
        if t.deleted {
            assert_eq!(t.status, TicketStatus::Closed);
            assert!(t.closed_at.is_some() && t.resolved_at.is_some());
        }
    }
    assert_eq!(all_rows(&txn, b).await, theirs);

    // Bad input: typed, nothing sent.
    db.counter().reset();
    let err = REPO
        .update_where(&txn, a, &TicketFilter::new(), TicketChange::new())
        .await;
    assert_invalid(err.unwrap_err(), "change");
    let err = REPO
        .update_where(
            &txn,
            a,
            &TicketFilter::new().tag("x\0"),
            TicketChange::new().processed(true),
        )
        .await;
    assert_invalid(err.unwrap_err(), "tag");
    assert_eq!(db.counter().get(), 0);
    // Nothing matching: 0.
    let n = REPO
        .update_where(
            &txn,
            unique_merchant_id(),
            &TicketFilter::new(),
            TicketChange::new().processed(true),
        )
        .await?;
    assert_eq!(n, 0);
    Ok(())
}

/// A cancelled `update_where` (dropped after 1 to 10 polls) leaves nothing
/// half-done: after the next crate call (or `undo_cancelled`) either every
/// matching ticket changed or none did, the other merchant's did not, and
/// the transaction is usable.
#[tokio::test]
async fn a_cancelled_update_where_is_all_or_nothing() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    seed(&txn, a, 30).await;
    seed(&txn, b, 30).await;
    let theirs = all_rows(&txn, b).await;
    let all = TicketFilter::new().including_flagged();
    for polls in 1..=10 {
        // Reset: nothing processed.
        REPO.update_where(&txn, a, &all, TicketChange::new().processed(false))
            .await?;
        {
            let change = TicketChange::new().processed(true);
            let mut call = pin!(REPO.update_where(&txn, a, &all, change));
            for _ in 0..polls {
                if futures_util::poll!(call.as_mut()).is_ready() {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        undo_cancelled(&txn).await?;
        let processed = all_rows(&txn, a)
            .await
            .iter()
            .filter(|t| t.processed)
            .count();
        assert!(
            processed == 0 || processed == 30,
            "polls {polls}: {processed} of 30"
        );
        assert_eq!(all_rows(&txn, b).await, theirs);
    }
    Ok(())
}
