//! The ticket repository on a real database (SQLite by default; PostgreSQL
//! or MariaDB through `DATABASE_URL`): lookups, filters and sort orders,
//! offset and keyset pages, streaming, loading children in a fixed number of
//! statements, projections, bulk writes and upserts, bulk updates and
//! deletes, and moving a merchant's data. Every test puts rows of a second
//! merchant beside the first and checks none of them is returned, counted,
//! changed or deleted.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use freshdesk_store::entity::enums::{Priority, TicketStatus};
use freshdesk_store::entity::{agent, contact, conversation, rating, ticket};
use freshdesk_store::repository::*;
use freshdesk_store::testing::*;
use freshdesk_store::time::UtcOffset;
use freshdesk_store::{ConflictKind, Error, MerchantId, TicketId};
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const REPO: SeaTicketRepository = SeaTicketRepository;

fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

/// All of a merchant's ticket rows, read directly (not through the repository).
async fn all_rows(txn: &DatabaseTransaction, merchant: MerchantId) -> Vec<ticket::Model> {
    ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .order_by_asc(ticket::Column::Id)
        .all(txn)
        .await
        .unwrap()
}

/// `n` tickets of `merchant`, created an hour apart from `at(0)`.
async fn seed(txn: &DatabaseTransaction, merchant: MerchantId, n: i64) -> Vec<ticket::Model> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            TicketFactory::new(merchant)
                .created_at(at(i))
                .insert(txn)
                .await
                .unwrap(),
        );
    }
    out
}

fn ids(tickets: &[ticket::Model]) -> Vec<TicketId> {
    tickets.iter().map(|t| t.id).collect()
}

fn assert_invalid(err: Error, field: &str) {
    assert!(
        matches!(&err, Error::InvalidInput { field: f, .. } if *f == field),
        "expected invalid {field}, got {err}"
    );
}

fn assert_not_found(err: Error, id: impl ToString) {
    let id = id.to_string();
    assert!(
        matches!(&err, Error::NotFound { id: i, .. } if i.contains(&id)),
        "expected not found naming {id}, got {err}"
    );
}

/// `get` and `get_by_freshdesk_id` find the merchant's ticket and treat
/// another merchant's as missing, naming the id.
#[tokio::test]
async fn get_by_id_and_freshdesk_id_are_scoped() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = TicketFactory::new(a)
        .freshdesk_id("FD-1")
        .insert(&txn)
        .await?;
    let theirs = TicketFactory::new(b)
        .freshdesk_id("FD-1")
        .insert(&txn)
        .await?;

    assert_eq!(REPO.get(&txn, a, mine.id).await?, mine);
    assert_eq!(REPO.get_by_freshdesk_id(&txn, a, "FD-1").await?, mine);
    assert_eq!(REPO.get_by_freshdesk_id(&txn, b, "FD-1").await?, theirs);
    assert_not_found(REPO.get(&txn, a, theirs.id).await.unwrap_err(), theirs.id);
    assert_not_found(
        REPO.get_by_freshdesk_id(&txn, a, "FD-2").await.unwrap_err(),
        "FD-2",
    );
    let resolved = REPO
        .resolve_freshdesk_ids(&txn, a, &["FD-1".into(), "FD-9".into()])
        .await?;
    assert_eq!(
        resolved.into_iter().collect::<Vec<_>>(),
        vec![("FD-1".to_owned(), mine.id)]
    );
    db.counter().reset();
    REPO.get(&txn, a, mine.id).await?;
    assert_eq!(db.counter().get(), 1);
    Ok(())
}

/// The preset filters: open tickets, tickets created on a local date, the
/// "urgent or old high priority" filter and SLA breaches, each without the
/// other merchant's.
#[tokio::test]
async fn lookups_open_created_on_attention_and_sla() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let page = CursorRequest::first(100).sort(TicketSort::IdAsc);
    for m in [a, b] {
        for status in [
            TicketStatus::Open,
            TicketStatus::Pending,
            TicketStatus::Resolved,
            TicketStatus::Closed,
            TicketStatus::WaitingOnCustomer,
            TicketStatus::WaitingOnThirdParty,
            TicketStatus::Other(12),
        ] {
            TicketFactory::new(m).status(status).insert(&txn).await?;
        }
    }
    let open = REPO.list(&txn, a, &TicketFilter::open(), &page).await?;
    assert_eq!(open.items.len(), 4);
    assert!(open.items.iter().all(|t| t.merchant_id == a && t.is_open()));

    // Local date 2026-10-02 in +02:00 is [2026-10-01T22:00Z, 2026-10-02T22:00Z).
    let a2 = unique_merchant_id();
    let plus2: UtcOffset = "+02:00".parse()?;
    let day = NaiveDate::from_ymd_opt(2026, 10, 2).unwrap();
    let mut expected = Vec::new();
    for (h, on_day) in [(21, false), (22, true), (30, true), (45, true), (46, false)] {
        let t = TicketFactory::new(a2)
            .created_at(at(h))
            .insert(&txn)
            .await?;
        TicketFactory::new(b).created_at(at(h)).insert(&txn).await?;
        if on_day {
            expected.push(t.id);
        }
    }
    let on_day = TicketFilter::new().created_on(day, plus2)?;
    let got = REPO.list(&txn, a2, &on_day, &page).await?;
    assert_eq!(ids(&got.items), expected);
    let bad = FixedOffset::east_opt(15 * 3600).unwrap();
    assert_invalid(UtcOffset::try_from(bad).unwrap_err(), "utc_offset");

    // Urgent (any age), or high and older than 48 hours at `now`.
    let a3 = unique_merchant_id();
    let now = at(100);
    let mut expected = Vec::new();
    for (priority, h, hit) in [
        (Priority::Urgent, 99, true),
        (Priority::High, 51, true),
        (Priority::High, 53, false),
        (Priority::Medium, 0, false),
        (Priority::Low, 0, false),
    ] {
        let t = TicketFactory::new(a3)
            .priority(priority)
            .created_at(at(h))
            .insert(&txn)
            .await?;
        TicketFactory::new(b)
            .priority(priority)
            .created_at(at(h))
            .insert(&txn)
            .await?;
        if hit {
            expected.push(t.id);
        }
    }
    let attention = TicketFilter::urgent_or_old_high_priority(now, Duration::hours(48))?;
    let got = REPO.list(&txn, a3, &attention, &page).await?;
    assert_eq!(ids(&got.items), expected);
    assert_invalid(
        TicketFilter::urgent_or_old_high_priority(now, Duration::hours(-1)).unwrap_err(),
        "older_than",
    );

    // SLA breaches at `now`.
    let a4 = unique_merchant_id();
    let fr_late = TicketFactory::new(a4)
        .fr_due_by(at(10))
        .first_responded_at(at(11))
        .insert(&txn)
        .await?;
    let fr_overdue = TicketFactory::new(a4)
        .fr_due_by(at(99))
        .insert(&txn)
        .await?;
    let _fr_pending = TicketFactory::new(a4)
        .fr_due_by(at(101))
        .insert(&txn)
        .await?;
    let _fr_ok = TicketFactory::new(a4)
        .fr_due_by(at(10))
        .first_responded_at(at(9))
        .insert(&txn)
        .await?;
    let res_late = TicketFactory::new(a4)
        .status(TicketStatus::Resolved)
        .due_by(at(20))
        .resolved_at(Some(at(30)))
        .insert(&txn)
        .await?;
    let res_overdue = TicketFactory::new(a4).due_by(at(50)).insert(&txn).await?;
    let _none = TicketFactory::new(a4).insert(&txn).await?;
    TicketFactory::new(b)
        .fr_due_by(at(1))
        .due_by(at(1))
        .insert(&txn)
        .await?;
    let fr = REPO
        .list(
            &txn,
            a4,
            &TicketFilter::breaching_sla(Sla::FirstResponse, now),
            &page,
        )
        .await?;
    assert_eq!(ids(&fr.items), vec![fr_late.id, fr_overdue.id]);
    let res = REPO
        .list(
            &txn,
            a4,
            &TicketFilter::breaching_sla(Sla::Resolution, now),
            &page,
        )
        .await?;
    assert_eq!(ids(&res.items), vec![res_late.id, res_overdue.id]);
    let either = REPO
        .list(
            &txn,
            a4,
            &TicketFilter::breaching_sla(Sla::Either, now),
            &page,
        )
        .await?;
    assert_eq!(
        ids(&either.items),
        vec![fr_late.id, fr_overdue.id, res_late.id, res_overdue.id]
    );
    Ok(())
}

/// The deprecated preset lookups are `list` with the preset filter: the
/// same pages, and a cursor from one is valid for the other (and for any
/// call with the same filter and sort); their input checks still run
/// before any statement.
#[tokio::test]
#[allow(deprecated)]
async fn deprecated_presets_are_list_with_the_filter_and_share_cursors() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    for m in [a, b] {
        for (h, status) in [
            (1, TicketStatus::Open),
            (2, TicketStatus::Resolved),
            (3, TicketStatus::Pending),
            (4, TicketStatus::WaitingOnCustomer),
        ] {
            TicketFactory::new(m)
                .status(status)
                .created_at(at(h))
                .fr_due_by(at(h))
                .insert(&txn)
                .await?;
        }
    }
    let first = CursorRequest::first(1).sort(TicketSort::CreatedAsc);
    let next = |c: &Option<String>| first.clone().after(c.clone());

    // open() and list(open) page alike, and take each other's cursors.
    let open = TicketFilter::open();
    let p1 = REPO.open(&txn, a, &first).await?;
    assert_eq!(p1, REPO.list(&txn, a, &open, &first).await?);
    let p2 = REPO.list(&txn, a, &open, &next(&p1.next_cursor)).await?;
    assert_eq!(p2, REPO.open(&txn, a, &next(&p1.next_cursor)).await?);
    let p3 = REPO.open(&txn, a, &next(&p2.next_cursor)).await?;
    let all: Vec<_> = [&p1, &p2, &p3]
        .iter()
        .flat_map(|p| p.items.clone())
        .collect();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|t| t.merchant_id == a && t.is_open()));
    assert!(p3.next_cursor.is_none());
    // The same cursor also pages the ids and summaries of the same filter.
    let ids = REPO
        .list_ids(&txn, a, &open, &next(&p1.next_cursor))
        .await?;
    assert_eq!(ids.items, vec![p2.items[0].id]);

    // Each preset: one page through the method, the next through `list`.
    let now = at(10);
    let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let presets = [
        TicketFilter::new().created_on(day, UtcOffset::UTC)?,
        TicketFilter::urgent_or_old_high_priority(now, Duration::hours(1))?,
        TicketFilter::breaching_sla(Sla::FirstResponse, now),
    ];
    let utc = FixedOffset::east_opt(0).unwrap();
    for (i, filter) in presets.iter().enumerate() {
        let page = match i {
            0 => REPO.created_on(&txn, a, day, utc, &first).await?,
            1 => {
                REPO.urgent_or_old_high_priority(&txn, a, now, Duration::hours(1), &first)
                    .await?
            }
            _ => {
                REPO.breaching_sla(&txn, a, Sla::FirstResponse, now, &first)
                    .await?
            }
        };
        assert_eq!(
            page,
            REPO.list(&txn, a, filter, &first).await?,
            "{filter:?}"
        );
        if page.next_cursor.is_some() {
            REPO.list(&txn, a, filter, &next(&page.next_cursor)).await?;
        }
        // Another merchant never accepts it.
        if page.next_cursor.is_some() {
            assert_invalid(
                REPO.list(&txn, b, filter, &next(&page.next_cursor))
                    .await
                    .unwrap_err(),
                "cursor",
            );
        }
    }

    // Input checks, before any statement.
    db.counter().reset();
    let bad = FixedOffset::east_opt(15 * 3600).unwrap();
    assert_invalid(
        REPO.created_on(&txn, a, day, bad, &first)
            .await
            .unwrap_err(),
        "utc_offset",
    );
    assert_invalid(
        REPO.urgent_or_old_high_priority(&txn, a, now, Duration::hours(-1), &first)
            .await
            .unwrap_err(),
        "older_than",
    );
    assert_eq!(db.counter().get(), 0);
    Ok(())
}

/// Each field of the filter narrows the result, and `count` agrees with the
/// list; tags match exactly and case-sensitively.
#[tokio::test]
async fn filter_fields_and_count() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let agent_a = AgentFactory::new(a).insert(&txn).await?;
    let contact_a = ContactFactory::new(a).insert(&txn).await?;
    let agent_b = AgentFactory::new(b).insert(&txn).await?;
    let t1 = TicketFactory::new(a)
        .status(TicketStatus::Pending)
        .priority(Priority::High)
        .created_at(at(1))
        .responder(agent_a.id)
        .tags(["refund", "vip"])
        .insert(&txn)
        .await?;
    let t2 = TicketFactory::new(a)
        .status(TicketStatus::Closed)
        .priority(Priority::Low)
        .created_at(at(2))
        .requester(contact_a.id)
        .tags(["Refund"])
        .processed(true)
        .insert(&txn)
        .await?;
    let t3 = TicketFactory::new(a)
        .created_at(at(3))
        .tags(["refunds"])
        .insert(&txn)
        .await?;
    for h in 1..=3 {
        TicketFactory::new(b)
            .created_at(at(h))
            .responder(agent_b.id)
            .tags(["refund"])
            .insert(&txn)
            .await?;
    }
    let page = CursorRequest::first(50).sort(TicketSort::IdAsc);
    let cases: Vec<(TicketFilter, Vec<TicketId>)> = vec![
        (TicketFilter::new(), vec![t1.id, t2.id, t3.id]),
        (
            TicketFilter::new().statuses([TicketStatus::Pending, TicketStatus::Closed]),
            vec![t1.id, t2.id],
        ),
        (TicketFilter::new().priorities([Priority::Low]), vec![t2.id]),
        (
            TicketFilter::new().created_between(at(2), at(3)),
            vec![t2.id],
        ),
        (TicketFilter::new().responder(agent_a.id), vec![t1.id]),
        (TicketFilter::new().responder(agent_b.id), vec![]),
        (TicketFilter::new().requester(contact_a.id), vec![t2.id]),
        (TicketFilter::new().tag("refund"), vec![t1.id]),
        (TicketFilter::new().tag("Refund"), vec![t2.id]),
        (TicketFilter::new().tag("ref"), vec![]),
        (TicketFilter::new().processed(true), vec![t2.id]),
        (TicketFilter::new().processed(false), vec![t1.id, t3.id]),
        (
            TicketFilter::open().tag("vip").priorities([Priority::High]),
            vec![t1.id],
        ),
    ];
    for (filter, expected) in cases {
        let got = REPO.list(&txn, a, &filter, &page).await?;
        assert_eq!(ids(&got.items), expected, "{filter:?}");
        assert_eq!(
            REPO.count(&txn, a, &filter).await?,
            expected.len() as u64,
            "{filter:?}"
        );
    }
    db.counter().reset();
    REPO.count(&txn, a, &TicketFilter::open()).await?;
    assert_eq!(db.counter().get(), 1);
    Ok(())
}

/// Offset pages carry the total and the page count, cost two statements,
/// and reject page 0 and page sizes out of `1..=MAX_PAGE_SIZE`.
#[tokio::test]
async fn offset_pages_with_totals() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = seed(&txn, a, 23).await;
    seed(&txn, b, 30).await;
    let filter = TicketFilter::new();
    let mut seen = Vec::new();
    for page in 1..=3 {
        db.counter().reset();
        let p = REPO
            .list_paginated(&txn, a, &filter, TicketSort::CreatedAsc, page, 10)
            .await?;
        assert_eq!(db.counter().get(), 2);
        assert_eq!((p.page, p.per_page, p.total, p.pages), (page, 10, 23, 3));
        seen.extend(ids(&p.items));
    }
    assert_eq!(seen, ids(&mine));
    let past = REPO
        .list_paginated(&txn, a, &filter, TicketSort::CreatedAsc, 4, 10)
        .await?;
    assert!(past.items.is_empty());
    assert_eq!(past.total, 23);
    let e = REPO.list_paginated(&txn, a, &filter, TicketSort::CreatedAsc, 0, 10);
    assert_invalid(e.await.unwrap_err(), "page");
    for bad in [0, MAX_PAGE_SIZE + 1] {
        let e = REPO.list_paginated(&txn, a, &filter, TicketSort::CreatedAsc, 1, bad);
        assert_invalid(e.await.unwrap_err(), "per_page");
    }
    let empty = REPO
        .list_paginated(
            &txn,
            unique_merchant_id(),
            &filter,
            TicketSort::CreatedAsc,
            1,
            10,
        )
        .await?;
    assert_eq!((empty.total, empty.pages), (0, 0));
    Ok(())
}

/// Walking keyset pages in every sort order returns each row exactly once,
/// in order, with ties broken by id, one statement per page and no OFFSET.
#[tokio::test]
async fn keyset_pages_in_every_order() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    // Ties on purpose: three tickets per created_at, priorities cycling.
    let priorities = [
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];
    for i in 0..27i64 {
        for m in [a, b] {
            TicketFactory::new(m)
                .created_at(at(i / 3))
                .updated_at(at(100 - i / 2))
                .priority(priorities[(i % 4) as usize])
                .insert(&txn)
                .await?;
        }
    }
    let rows = all_rows(&txn, a).await;
    let key = |t: &ticket::Model, sort: TicketSort| -> (i64, i64, i64) {
        let p = i64::from(t.priority.code());
        let (c, u, id) = (
            t.created_at.timestamp(),
            t.updated_at.timestamp(),
            t.id.get(),
        );
        match sort {
            TicketSort::CreatedDesc => (-c, -id, 0),
            TicketSort::CreatedAsc => (c, id, 0),
            TicketSort::UpdatedDesc => (-u, -id, 0),
            TicketSort::UpdatedAsc => (u, id, 0),
            TicketSort::PriorityDesc => (-p, c, id),
            _ => (id, 0, 0),
        }
    };
    for sort in TicketSort::ALL {
        let mut expected = rows.clone();
        expected.sort_by_key(|t| key(t, sort));
        let mut got = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let req = CursorRequest::first(5).sort(sort).after(cursor.take());
            db.counter().reset();
            let page = REPO.list(&txn, a, &TicketFilter::new(), &req).await?;
            assert_eq!(db.counter().get(), 1);
            assert!(
                db.counter()
                    .statements()
                    .iter()
                    .all(|s| !s.to_uppercase().contains("OFFSET")),
                "keyset pages never use OFFSET"
            );
            pages += 1;
            got.extend(ids(&page.items));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(pages, 6, "{sort:?}");
        assert_eq!(got, ids(&expected), "{sort:?}");
    }
    Ok(())
}

/// Rows inserted while a client pages through do not make it repeat or skip
/// rows that were there before.
#[tokio::test]
async fn keyset_pages_stay_correct_under_inserts() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let a = unique_merchant_id();
    let before = seed(&txn, a, 20).await;
    let first = REPO
        .list(&txn, a, &TicketFilter::new(), &CursorRequest::first(7))
        .await?;
    // Newer tickets (they sort before the cursor) and older ones (after it).
    seed(&txn, a, 3).await;
    TicketFactory::new(a)
        .created_at(at(-5))
        .insert(&txn)
        .await?;
    let mut got = ids(&first.items);
    let mut cursor = first.next_cursor;
    while let Some(c) = cursor.take() {
        let page = REPO
            .list(
                &txn,
                a,
                &TicketFilter::new(),
                &CursorRequest::first(7).after(Some(c)),
            )
            .await?;
        got.extend(ids(&page.items));
        cursor = page.next_cursor;
    }
    let unique: BTreeSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no row twice");
    for t in &before {
        assert!(got.contains(&t.id), "no row skipped");
    }
    Ok(())
}

/// A malformed cursor, or one made for another merchant, sort order or
/// filter, is an invalid-input error; page sizes out of range are too.
#[tokio::test]
#[allow(deprecated)] // `open()` is `list(TicketFilter::open())`: same cursors
async fn foreign_and_malformed_cursors_are_rejected() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    seed(&txn, a, 3).await;
    seed(&txn, b, 3).await;
    let all = TicketFilter::new();
    let first = REPO.list(&txn, a, &all, &CursorRequest::first(1)).await?;
    let c = first.next_cursor.clone().expect("more pages");
    let next = |sort| CursorRequest::first(1).sort(sort).after(Some(c.clone()));
    assert!(
        REPO.list(&txn, a, &all, &next(TicketSort::CreatedDesc))
            .await
            .is_ok()
    );
    for err in [
        REPO.list(&txn, b, &all, &next(TicketSort::CreatedDesc))
            .await,
        REPO.list(&txn, a, &all, &next(TicketSort::CreatedAsc))
            .await,
        REPO.list(
            &txn,
            a,
            &TicketFilter::open(),
            &next(TicketSort::CreatedDesc),
        )
        .await,
        REPO.open(&txn, a, &next(TicketSort::CreatedDesc)).await,
    ] {
        assert_invalid(err.unwrap_err(), "cursor");
    }
    for junk in ["", "not a cursor", "00", &"ab".repeat(600), "6331"] {
        let req = CursorRequest::first(1).after(Some(junk));
        assert_invalid(REPO.list(&txn, a, &all, &req).await.unwrap_err(), "cursor");
    }
    for size in [0, MAX_PAGE_SIZE + 1] {
        let req = CursorRequest::first(size);
        assert_invalid(
            REPO.list(&txn, a, &all, &req).await.unwrap_err(),
            "page_size",
        );
    }
    Ok(())
}

/// Streaming reads every matching ticket in batches (keyset, or a cursor on
/// PostgreSQL), and the transaction is free between batches (here: marking
/// each batch processed).
#[tokio::test]
async fn stream_batches_leave_the_transaction_usable() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = seed(&txn, a, 23).await;
    seed(&txn, b, 10).await;
    TicketFactory::new(a)
        .status(TicketStatus::Closed)
        .insert(&txn)
        .await?;

    db.counter().reset();
    let mut stream = REPO.stream_batches(&txn, a, TicketFilter::open(), 5)?;
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        sizes.push(batch.len());
        seen.extend(ids(&batch));
        // Another statement on the same transaction between batches.
        REPO.mark_processed(&txn, a, &ids(&batch)).await?;
    }
    drop(stream);
    assert_eq!(sizes, vec![5, 5, 5, 5, 3]);
    assert_eq!(seen, ids(&mine));
    // PostgreSQL declares a cursor first (its `CLOSE` is not counted).
    let declare = u64::from(db.backend() == DbBackend::Postgres);
    assert_eq!(
        db.counter().get(),
        declare + 5 + 5,
        "5 batch queries and 5 updates"
    );
    assert!(
        db.counter()
            .statements()
            .iter()
            .all(|s| !s.to_uppercase().contains("OFFSET"))
    );
    let processed = REPO
        .count(&txn, a, &TicketFilter::new().processed(true))
        .await?;
    assert_eq!(processed, 23);
    assert_eq!(
        REPO.count(&txn, b, &TicketFilter::new().processed(true))
            .await?,
        0
    );

    // A full last batch costs one more query that finds the end.
    db.counter().reset();
    let batches: Vec<_> = REPO
        .stream_batches(&txn, a, TicketFilter::new(), 12)?
        .collect()
        .await;
    assert_eq!(batches.len(), 2);
    assert_eq!(db.counter().get(), declare + 3);
    assert!(
        REPO.stream_batches(&txn, a, TicketFilter::new(), 0)
            .is_err()
    );
    Ok(())
}

/// Writes `n` tickets of `merchant`, each with two conversations, a rating,
/// a requester and a responder, through the bulk API; returns their ids.
async fn seed_with_children(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    n: usize,
) -> Vec<TicketId> {
    let tag = unique_freshdesk_id("batch");
    SeaAgentRepository
        .insert_many(
            txn,
            merchant,
            vec![NewAgent::new(format!("{tag}-agent"), "Ann")],
        )
        .await
        .unwrap();
    SeaContactRepository
        .insert_many(
            txn,
            merchant,
            vec![NewContact::new(format!("{tag}-contact"), "Cy")],
        )
        .await
        .unwrap();
    let agent = SeaAgentRepository
        .get_by_freshdesk_id(txn, merchant, &format!("{tag}-agent"))
        .await
        .unwrap();
    let contact = SeaContactRepository
        .get_by_freshdesk_id(txn, merchant, &format!("{tag}-contact"))
        .await
        .unwrap();
    let fd: Vec<String> = (0..n).map(|i| format!("{tag}-t{i}")).collect();
    let rows = fd
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut t = NewTicket::new(id.clone(), format!("Ticket {i}"), at(i as i64));
            t.requester_id = Some(contact.id);
            t.responder_id = Some(agent.id);
            t
        })
        .collect();
    REPO.insert_many(txn, merchant, rows).await.unwrap();
    let map = REPO
        .resolve_freshdesk_ids(txn, merchant, &fd)
        .await
        .unwrap();
    let ticket_ids: Vec<TicketId> = fd.iter().map(|f| map[f]).collect();
    let mut convs = Vec::new();
    let mut ratings = Vec::new();
    for (i, id) in ticket_ids.iter().enumerate() {
        for j in 0..2 {
            convs.push(NewConversation::new(
                *id,
                format!("{tag}-c{i}-{j}"),
                "hi",
                at(i as i64 + j),
            ));
        }
        ratings.push(NewRating::new(
            *id,
            format!("{tag}-r{i}"),
            103,
            at(i as i64 + 2),
        ));
    }
    REPO.insert_conversations(txn, merchant, convs)
        .await
        .unwrap();
    REPO.insert_ratings(txn, merchant, ratings).await.unwrap();
    ticket_ids
}

/// Tickets with their conversations, ratings, requester and responder load
/// in 5 statements for 1,000 tickets as for 10, and carry nothing of the
/// other merchant's.
#[tokio::test]
async fn children_load_in_a_fixed_number_of_statements() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let many = seed_with_children(&txn, a, 1000).await;
    let theirs = seed_with_children(&txn, b, 10).await;

    for n in [10, 1000] {
        db.counter().reset();
        let loaded = REPO.get_many_with_children(&txn, a, &many[..n]).await?;
        assert_eq!(db.counter().get(), 5, "{n} tickets");
        assert_eq!(loaded.len(), n);
        for t in &loaded {
            assert_eq!(t.ticket.merchant_id, a);
            assert_eq!(t.conversations.len(), 2);
            assert!(t.conversations.iter().all(|c| c.ticket_id == t.ticket.id));
            assert!(t.conversations[0].created_at <= t.conversations[1].created_at);
            assert_eq!(t.ratings.len(), 1);
            assert_eq!(t.ratings[0].ticket_id, t.ticket.id);
            assert_eq!(t.requester.as_ref().map(|c| c.merchant_id), Some(a));
            assert_eq!(t.responder.as_ref().map(|c| c.merchant_id), Some(a));
        }
    }

    // Another merchant's ids are skipped, not loaded.
    let mixed: Vec<TicketId> = many[..2].iter().chain(&theirs[..2]).copied().collect();
    let loaded = REPO.get_many_with_children(&txn, a, &mixed).await?;
    assert_eq!(loaded.len(), 2);

    for size in [10, 500] {
        db.counter().reset();
        let page = REPO
            .list_with_children(&txn, a, &TicketFilter::new(), &CursorRequest::first(size))
            .await?;
        assert_eq!(db.counter().get(), 5, "page of {size}");
        assert_eq!(page.items.len() as u64, size);
        assert!(page.items.iter().all(|t| t.ticket.merchant_id == a
            && t.conversations.len() == 2
            && t.conversations.iter().all(|c| c.merchant_id == a)
            && t.ratings.iter().all(|r| r.merchant_id == a)));
    }

    db.counter().reset();
    let one = REPO.get_with_children(&txn, a, many[0]).await?;
    assert_eq!(db.counter().get(), 5);
    assert_eq!(one.conversations.len(), 2);
    assert_not_found(
        REPO.get_with_children(&txn, a, theirs[0])
            .await
            .unwrap_err(),
        theirs[0],
    );

    // A ticket without people or children: the people lookups are skipped.
    let bare = TicketFactory::new(a).insert(&txn).await?;
    db.counter().reset();
    let loaded = REPO.get_with_children(&txn, a, bare.id).await?;
    assert_eq!(db.counter().get(), 3);
    assert!(loaded.conversations.is_empty() && loaded.requester.is_none());
    db.counter().reset();
    assert!(REPO.get_many_with_children(&txn, a, &[]).await?.is_empty());
    assert_eq!(db.counter().get(), 0);
    Ok(())
}

/// Children loading is bounded: more than `MAX_TICKETS_WITH_CHILDREN`
/// ids is refused before any statement, and a ticket loads at most
/// `MAX_CHILDREN_PER_TICKET` conversations and ratings, the oldest, with a
/// flag saying it has more — in the same number of statements.
#[tokio::test]
async fn children_loading_is_bounded() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let a = unique_merchant_id();
    let max = MAX_CHILDREN_PER_TICKET as i64;
    let full = TicketFactory::new(a).insert(&txn).await?;
    let over = TicketFactory::new(a).insert(&txn).await?;
    let mut convs = Vec::new();
    let mut ratings = Vec::new();
    for (ticket, n) in [(&full, max), (&over, max + 2)] {
        for i in 0..n {
            // Newest first, so "the oldest" is not insertion order.
            let when = at(1000 - i);
            convs.push(NewConversation::new(
                ticket.id,
                format!("b-{}-c{i}", ticket.id),
                "x",
                when,
            ));
            ratings.push(NewRating::new(
                ticket.id,
                format!("b-{}-r{i}", ticket.id),
                103,
                when,
            ));
        }
    }
    REPO.insert_conversations(&txn, a, convs).await?;
    REPO.insert_ratings(&txn, a, ratings).await?;

    db.counter().reset();
    let loaded = REPO
        .get_many_with_children(&txn, a, &[full.id, over.id])
        .await?;
    assert_eq!(db.counter().get(), 3);
    for (t, truncated) in loaded.iter().zip([false, true]) {
        assert_eq!(t.conversations.len() as i64, max);
        assert_eq!(t.ratings.len() as i64, max);
        assert_eq!(t.conversations_truncated, truncated);
        assert_eq!(t.ratings_truncated, truncated);
        assert!(
            t.conversations
                .windows(2)
                .all(|w| w[0].created_at <= w[1].created_at)
        );
    }
    // The oldest are kept: the two newest of `over` are left out.
    assert_eq!(loaded[1].conversations[0].created_at, at(1000 - max - 1));
    assert_eq!(
        loaded[1].conversations.last().unwrap().created_at,
        at(1000 - 2)
    );
    let one = REPO.get_with_children(&txn, a, over.id).await?;
    assert!(one.conversations_truncated && one.ratings_truncated);

    // Too many ids: refused by name, nothing sent.
    let ids: Vec<TicketId> = (1..=MAX_TICKETS_WITH_CHILDREN as i64 + 1)
        .map(|i| TicketId::new(i).unwrap())
        .collect();
    db.counter().reset();
    assert_invalid(
        REPO.get_many_with_children(&txn, a, &ids)
            .await
            .unwrap_err(),
        "ids",
    );
    assert_eq!(db.counter().get(), 0);
    // Repeated ids count once.
    let repeated = vec![full.id; MAX_TICKETS_WITH_CHILDREN + 1];
    assert_eq!(
        REPO.get_many_with_children(&txn, a, &repeated).await?.len(),
        1
    );
    Ok(())
}

/// Ids-only and summary projections read only their columns, page like the
/// full list, and hold only the merchant's tickets.
#[tokio::test]
async fn projections_read_only_their_columns() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = seed(&txn, a, 12).await;
    seed(&txn, b, 12).await;
    let sort = TicketSort::UpdatedAsc;
    let full = REPO
        .list(
            &txn,
            a,
            &TicketFilter::new(),
            &CursorRequest::first(50).sort(sort),
        )
        .await?;

    let mut got_ids = Vec::new();
    let mut cursor = None;
    loop {
        db.counter().reset();
        let page = REPO
            .list_ids(
                &txn,
                a,
                &TicketFilter::new(),
                &CursorRequest::first(5).sort(sort).after(cursor),
            )
            .await?;
        assert_eq!(db.counter().get(), 1);
        let sql = db.counter().statements().join(" ");
        assert!(
            !sql.contains("subject") && !sql.contains("custom_fields"),
            "{sql}"
        );
        got_ids.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(got_ids, ids(&full.items));

    db.counter().reset();
    let summaries = REPO
        .list_summaries(
            &txn,
            a,
            &TicketFilter::new(),
            &CursorRequest::first(50).sort(sort),
        )
        .await?;
    let sql = db.counter().statements().join(" ");
    assert!(
        sql.contains("subject") && !sql.contains("custom_fields"),
        "{sql}"
    );
    assert_eq!(summaries.items.len(), mine.len());
    for (s, t) in summaries.items.iter().zip(&full.items) {
        assert_eq!(
            (s.id, &s.subject, s.status, s.priority, s.created_at),
            (t.id, &t.subject, t.status, t.priority, t.created_at)
        );
    }
    let json = serde_json::to_value(&summaries.items[0])?;
    assert_eq!(json.as_object().map(|o| o.len()), Some(5));
    Ok(())
}

/// Bulk inserts take one statement per chunk under the backend's
/// bind-parameter limit, derive `first_response_time`, validate their input,
/// and let the database report duplicate Freshdesk ids as conflicts.
#[tokio::test]
async fn bulk_insert_is_chunked_and_validated() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    seed(&txn, b, 2).await;
    let n = 4000usize;
    let rows: Vec<NewTicket> = (0..n)
        .map(|i| {
            let mut t = NewTicket::new(format!("bulk-{i}"), "s", at(0));
            t.first_responded_at = Some(at(0) + Duration::seconds(90) + Duration::nanoseconds(999));
            t
        })
        .collect();
    db.counter().reset();
    assert_eq!(REPO.insert_many(&txn, a, rows).await?, n as u64);
    // 19 bound columns a row (the id is generated): 32,766 / 19 = 1,724 rows
    // per statement on SQLite, 65,535 / 19 = 3,449 on PostgreSQL and MariaDB.
    let per_statement = match db.backend() {
        DbBackend::Sqlite => 1724,
        _ => 3449,
    };
    assert_eq!(db.counter().get(), n.div_ceil(per_statement) as u64);
    let stored = REPO.get_by_freshdesk_id(&txn, a, "bulk-7").await?;
    assert_eq!(stored.merchant_id, a);
    assert_eq!(stored.first_response_time, Some(90));
    assert_eq!(REPO.count(&txn, b, &TicketFilter::new()).await?, 2);

    let long = "x".repeat(256);
    for (bad, field) in [
        (NewTicket::new("", "s", at(0)), "freshdesk_ticket_id"),
        (
            NewTicket::new(long.as_str(), "s", at(0)),
            "freshdesk_ticket_id",
        ),
        (
            NewTicket {
                custom_fields: serde_json::json!([1]),
                ..NewTicket::new("ok", "s", at(0))
            },
            "custom_fields",
        ),
    ] {
        db.counter().reset();
        assert_invalid(
            REPO.insert_many(&txn, a, vec![bad]).await.unwrap_err(),
            field,
        );
        assert_eq!(db.counter().get(), 0, "nothing sent");
    }
    let ok = "y".repeat(255);
    REPO.insert_many(&txn, a, vec![NewTicket::new(ok.as_str(), "s", at(0))])
        .await?;

    // The database decides: a second insert of a known id is a conflict,
    // and the caller's transaction is aborted only as the backend does it.
    let sp = {
        use sea_orm::TransactionTrait;
        txn.begin().await?
    };
    let err = REPO
        .insert_many(&sp, a, vec![NewTicket::new("bulk-1", "again", at(0))])
        .await
        .unwrap_err();
    assert!(err.is_conflict(ConflictKind::Unique), "{err}");
    drop(sp);

    // Requesters and responders must be the merchant's.
    let their_agent = AgentFactory::new(b).insert(&txn).await?;
    let mut t = NewTicket::new("with-agent", "s", at(0));
    t.responder_id = Some(their_agent.id);
    assert_not_found(
        REPO.insert_many(&txn, a, vec![t]).await.unwrap_err(),
        their_agent.id,
    );
    Ok(())
}

/// Upserts: the same batch twice changes nothing, a changed row takes its
/// new values (but keeps `processed`), new rows are inserted, and the other
/// merchant's row with the same Freshdesk id is never touched.
#[tokio::test]
async fn upsert_is_idempotent_and_scoped() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let theirs = TicketFactory::new(b)
        .freshdesk_id("S-1")
        .subject("theirs")
        .insert(&txn)
        .await?;
    let batch: Vec<NewTicket> = (0..5)
        .map(|i| NewTicket::new(format!("S-{i}"), format!("v1 {i}"), at(i)))
        .collect();
    REPO.upsert_many(&txn, a, batch.clone()).await?;
    let first = all_rows(&txn, a).await;
    assert_eq!(first.len(), 5);
    db.counter().reset();
    let ids = REPO.upsert_many(&txn, a, batch.clone()).await?;
    // One upsert, and one SELECT of the ids it returns.
    assert_eq!(db.counter().get(), 2);
    let first_ids: Vec<TicketId> = first.iter().map(|t| t.id).collect();
    assert_eq!(ids, first_ids);
    assert_eq!(
        all_rows(&txn, a).await,
        first,
        "same batch twice changes nothing"
    );

    REPO.mark_processed(&txn, a, &[first[0].id]).await?;
    let mut changed = batch.clone();
    changed[0].subject = "v2".into();
    changed[0].status = TicketStatus::Resolved;
    changed[0].first_responded_at = Some(at(0) + Duration::seconds(30));
    changed.push(NewTicket::new("S-9", "new", at(9)));
    REPO.upsert_many(&txn, a, changed).await?;
    let after = all_rows(&txn, a).await;
    assert_eq!(after.len(), 6);
    assert_eq!(after[0].id, first[0].id);
    assert_eq!(after[0].subject, "v2");
    assert_eq!(after[0].status, TicketStatus::Resolved);
    assert_eq!(after[0].first_response_time, Some(30));
    assert!(after[0].processed, "processed is kept");
    assert_eq!(&after[1..5], &first[1..5]);
    assert_eq!(
        all_rows(&txn, b).await,
        vec![theirs],
        "other merchant untouched"
    );

    let dup = vec![
        NewTicket::new("D", "1", at(0)),
        NewTicket::new("D", "2", at(0)),
    ];
    assert_invalid(
        REPO.upsert_many(&txn, a, dup).await.unwrap_err(),
        "freshdesk_ticket_id",
    );
    Ok(())
}

/// Conversations and ratings: inserts and idempotent upserts, and a ticket
/// id of another merchant is not found.
#[tokio::test]
async fn conversations_and_ratings_writes() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = TicketFactory::new(a).insert(&txn).await?;
    let other = TicketFactory::new(a).insert(&txn).await?;
    let theirs = TicketFactory::new(b).insert(&txn).await?;
    ConversationFactory::new(&theirs)
        .freshdesk_id("C-1")
        .insert(&txn)
        .await?;

    let convs = vec![
        NewConversation::new(mine.id, "C-1", "hello", at(1)),
        NewConversation::new(mine.id, "C-2", "again", at(2)),
    ];
    db.counter().reset();
    assert_eq!(REPO.insert_conversations(&txn, a, convs.clone()).await?, 2);
    assert_eq!(db.counter().get(), 2, "ticket check + one insert");
    let mut changed = convs.clone();
    changed[1].body = "edited".into();
    changed[1].ticket_id = other.id;
    REPO.upsert_conversations(&txn, a, changed.clone()).await?;
    REPO.upsert_conversations(&txn, a, changed).await?;
    let loaded = REPO.get_with_children(&txn, a, other.id).await?;
    assert_eq!(loaded.conversations.len(), 1);
    assert_eq!(loaded.conversations[0].body, "edited");
    let theirs_loaded = REPO.get_with_children(&txn, b, theirs.id).await?;
    assert_eq!(theirs_loaded.conversations.len(), 1);
    assert_eq!(theirs_loaded.conversations[0].body, "Hello");

    let ratings = vec![NewRating::new(mine.id, "R-1", 103, at(3))];
    assert_eq!(REPO.insert_ratings(&txn, a, ratings.clone()).await?, 1);
    let mut changed = ratings.clone();
    changed[0].rating = -101;
    changed[0].feedback = Some("slow".into());
    REPO.upsert_ratings(&txn, a, changed.clone()).await?;
    REPO.upsert_ratings(&txn, a, changed).await?;
    let loaded = REPO.get_with_children(&txn, a, mine.id).await?;
    assert_eq!(loaded.ratings.len(), 1);
    assert_eq!(
        (
            loaded.ratings[0].rating,
            loaded.ratings[0].feedback.as_deref()
        ),
        (-101, Some("slow"))
    );

    // Another merchant's ticket id: not found, nothing written.
    let bad = vec![NewConversation::new(theirs.id, "C-9", "x", at(1))];
    assert_not_found(
        REPO.insert_conversations(&txn, a, bad.clone())
            .await
            .unwrap_err(),
        theirs.id,
    );
    assert_not_found(
        REPO.upsert_conversations(&txn, a, bad).await.unwrap_err(),
        theirs.id,
    );
    let bad = vec![NewRating::new(theirs.id, "R-9", 100, at(1))];
    assert_not_found(
        REPO.insert_ratings(&txn, a, bad.clone()).await.unwrap_err(),
        theirs.id,
    );
    assert_not_found(
        REPO.upsert_ratings(&txn, a, bad).await.unwrap_err(),
        theirs.id,
    );
    assert_invalid(
        REPO.insert_ratings(&txn, a, vec![NewRating::new(mine.id, " ", 100, at(1))])
            .await
            .unwrap_err(),
        "freshdesk_rating_id",
    );
    let n = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(b))
        .all(&txn)
        .await?;
    assert_eq!(n.len(), 1);
    let n = rating::Entity::find()
        .filter(rating::Column::MerchantId.eq(b))
        .all(&txn)
        .await?;
    assert!(n.is_empty());
    Ok(())
}

/// Status change, mark-processed and delete are one statement each; naming
/// another merchant's ticket fails as not found and changes nothing.
#[tokio::test]
async fn bulk_updates_and_deletes_are_scoped() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    let mine = seed(&txn, a, 4).await;
    let theirs = seed(&txn, b, 2).await;
    ConversationFactory::new(&mine[0]).insert(&txn).await?;
    RatingFactory::new(&mine[0]).insert(&txn).await?;
    let b_before = all_rows(&txn, b).await;

    db.counter().reset();
    assert_eq!(
        REPO.set_status(&txn, a, &ids(&mine[..3]), TicketStatus::Closed)
            .await?,
        3
    );
    assert_eq!(db.counter().get(), 1);
    // Setting the same value again still counts the rows (found, not changed).
    assert_eq!(
        REPO.set_status(&txn, a, &ids(&mine[..3]), TicketStatus::Closed)
            .await?,
        3
    );
    db.counter().reset();
    assert_eq!(REPO.mark_processed(&txn, a, &ids(&mine)).await?, 4);
    assert_eq!(db.counter().get(), 1);

    let a_before = all_rows(&txn, a).await;
    let mixed = vec![mine[3].id, theirs[0].id];
    assert_not_found(
        REPO.set_status(&txn, a, &mixed, TicketStatus::Pending)
            .await
            .unwrap_err(),
        theirs[0].id,
    );
    assert_not_found(
        REPO.mark_processed(&txn, a, &mixed).await.unwrap_err(),
        theirs[0].id,
    );
    assert_not_found(
        REPO.delete(&txn, a, &mixed).await.unwrap_err(),
        theirs[0].id,
    );
    assert_eq!(all_rows(&txn, a).await, a_before, "nothing changed");
    assert_eq!(
        all_rows(&txn, b).await,
        b_before,
        "other merchant untouched"
    );

    db.counter().reset();
    assert_eq!(REPO.delete(&txn, a, &[mine[0].id, mine[0].id]).await?, 1);
    assert_eq!(db.counter().get(), 1);
    let children = conversation::Entity::find()
        .filter(conversation::Column::TicketId.eq(mine[0].id))
        .all(&txn)
        .await?;
    assert!(children.is_empty(), "children deleted with their ticket");
    assert_not_found(REPO.get(&txn, a, mine[0].id).await.unwrap_err(), mine[0].id);
    assert_eq!(REPO.delete(&txn, a, &[]).await?, 0);
    assert_eq!(all_rows(&txn, b).await, b_before);
    Ok(())
}

/// Counts rows of each table for a merchant.
async fn table_counts(txn: &DatabaseTransaction, m: MerchantId) -> [usize; 5] {
    [
        ticket::Entity::find()
            .filter(ticket::Column::MerchantId.eq(m))
            .all(txn)
            .await
            .unwrap()
            .len(),
        conversation::Entity::find()
            .filter(conversation::Column::MerchantId.eq(m))
            .all(txn)
            .await
            .unwrap()
            .len(),
        rating::Entity::find()
            .filter(rating::Column::MerchantId.eq(m))
            .all(txn)
            .await
            .unwrap()
            .len(),
        agent::Entity::find()
            .filter(agent::Column::MerchantId.eq(m))
            .all(txn)
            .await
            .unwrap()
            .len(),
        contact::Entity::find()
            .filter(contact::Column::MerchantId.eq(m))
            .all(txn)
            .await
            .unwrap()
            .len(),
    ]
}

/// `migrate_merchant_data` moves every table, keeps ids and references, and
/// leaves a third merchant alone.
#[tokio::test]
async fn migrate_merchant_data_moves_every_table() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b, target) = (
        unique_merchant_id(),
        unique_merchant_id(),
        unique_merchant_id(),
    );
    let moved_ids = seed_with_children(&txn, a, 3).await;
    seed_with_children(&txn, b, 2).await;
    let b_before = table_counts(&txn, b).await;

    let moved = migrate_merchant_data(&txn, a, target).await?;
    assert_eq!(
        moved,
        MovedRows {
            tickets: 3,
            conversations: 6,
            ratings: 3,
            agents: 1,
            contacts: 1
        }
    );
    assert_eq!(table_counts(&txn, a).await, [0; 5]);
    assert_eq!(table_counts(&txn, target).await, [3, 6, 3, 1, 1]);
    assert_eq!(table_counts(&txn, b).await, b_before);
    let loaded = REPO
        .get_many_with_children(&txn, target, &moved_ids)
        .await?;
    assert_eq!(loaded.len(), 3);
    assert!(
        loaded
            .iter()
            .all(|t| t.conversations.len() == 2 && t.requester.is_some() && t.responder.is_some())
    );
    assert_invalid(migrate_merchant_data(&txn, b, b).await.unwrap_err(), "to");
    // Moving again from the now-empty merchant moves nothing.
    assert_eq!(
        migrate_merchant_data(&txn, a, target).await?,
        MovedRows::default()
    );
    Ok(())
}

/// A Freshdesk id the target already has is a conflict naming it; nothing
/// moved, and the caller's transaction is still usable.
#[tokio::test]
async fn migrate_merchant_data_conflict_moves_nothing() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, target) = (unique_merchant_id(), unique_merchant_id());
    seed_with_children(&txn, a, 3).await;
    let clash = TicketFactory::new(a)
        .freshdesk_id("CLASH-7")
        .insert(&txn)
        .await?;
    TicketFactory::new(target)
        .freshdesk_id("CLASH-7")
        .insert(&txn)
        .await?;
    let a_before = table_counts(&txn, a).await;

    let err = migrate_merchant_data(&txn, a, target).await.unwrap_err();
    assert!(err.is_conflict(ConflictKind::Unique), "{err}");
    assert!(err.to_string().contains("CLASH-7"), "{err}");
    assert_eq!(table_counts(&txn, a).await, a_before, "nothing moved");
    assert_eq!(table_counts(&txn, target).await, [1, 0, 0, 0, 0]);
    // The transaction still works, with foreign keys checked again at
    // once (MariaDB's FOREIGN_KEY_CHECKS and SQLite's defer_foreign_keys
    // were restored).
    assert_eq!(REPO.get(&txn, a, clash.id).await?.merchant_id, a);
    let err = TicketFactory::new(a)
        .responder(freshdesk_store::AgentId::new(i64::MAX)?)
        .insert(&txn)
        .await
        .unwrap_err();
    assert!(err.is_conflict(ConflictKind::ForeignKey), "{err}");
    Ok(())
}

/// Past the bind-parameter limit, ids are split into chunks: one statement
/// per chunk for the tickets, their conversations and their ratings.
#[tokio::test]
async fn children_load_in_chunks_past_the_bind_limit() -> TestResult {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    seed(&txn, b, 3).await;
    let n = 33_000usize;
    let rows = (0..n)
        .map(|i| NewTicket::new(format!("chunk-{i}"), "s", at(0)))
        .collect();
    REPO.insert_many(&txn, a, rows).await?;
    let ids: Vec<TicketId> = all_rows(&txn, a).await.iter().map(|t| t.id).collect();
    let mut with_theirs = ids.clone();
    with_theirs.extend(ids_of_merchant(&txn, b).await);
    db.counter().reset();
    let loaded = REPO.get_many_with_children(&txn, a, &with_theirs).await?;
    assert_eq!(loaded.len(), n);
    assert!(loaded.iter().all(|t| t.ticket.merchant_id == a));
    // 32,750 ids per statement on SQLite, 65,519 on PostgreSQL and MariaDB;
    // no requesters or responders, so three statements per chunk.
    let chunks = match db.backend() {
        DbBackend::Sqlite => 2,
        _ => 1,
    };
    assert_eq!(db.counter().get(), 3 * chunks);
    Ok(())
}

async fn ids_of_merchant(txn: &DatabaseTransaction, m: MerchantId) -> Vec<TicketId> {
    all_rows(txn, m).await.iter().map(|t| t.id).collect()
}

/// A bulk insert that fails (a Freshdesk id the merchant already has)
/// writes nothing — not even the chunks before the failing one — and leaves
/// the caller's transaction usable, on every backend.
#[tokio::test]
async fn failed_multi_chunk_insert_writes_nothing() -> freshdesk_store::Result<()> {
    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (a, b) = (unique_merchant_id(), unique_merchant_id());
    seed(&txn, b, 2).await;
    TicketFactory::new(a)
        .freshdesk_id("dup-3900")
        .insert(&txn)
        .await?;
    // 4,000 rows: 3 chunks on SQLite, 2 elsewhere; the clash is in the last one.
    let rows: Vec<NewTicket> = (0..4000)
        .map(|i| NewTicket::new(format!("dup-{i}"), "s", at(0)))
        .collect();
    let err = REPO.insert_many(&txn, a, rows).await.unwrap_err();
    assert!(err.is_conflict(ConflictKind::Unique), "{err}");
    assert_eq!(REPO.count(&txn, a, &TicketFilter::new()).await?, 1);
    assert_eq!(REPO.count(&txn, b, &TicketFilter::new()).await?, 2);
    // The transaction goes on, on PostgreSQL too.
    REPO.insert_many(&txn, a, vec![NewTicket::new("after", "s", at(1))])
        .await?;
    assert_eq!(REPO.count(&txn, a, &TicketFilter::new()).await?, 2);
    // So it does after a conflict in a one-statement insert.
    let small = vec![
        NewTicket::new("x", "s", at(0)),
        NewTicket::new("after", "s", at(0)),
    ];
    let err = REPO.insert_many(&txn, a, small).await.unwrap_err();
    assert!(err.is_conflict(ConflictKind::Unique), "{err}");
    assert_eq!(REPO.count(&txn, a, &TicketFilter::new()).await?, 2);
    Ok(())
}
