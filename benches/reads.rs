//! Read benchmarks (issue items 2, 4 and 6 of the first issue; 4 and 5 of
//! issue 14).
//!
//! * `children_1k`: 1,000 tickets with their conversations. The crate's
//!   eager loading (`list_with_children`, two keyset pages of 500, which also
//!   brings ratings, requesters and responders) against the N+1 loop (the
//!   tickets, then one query per ticket for its conversations). The
//!   statement count of each is recorded too.
//! * `pagination`: a page of 50 tickets of the large merchant
//!   (`BENCH_BIG_TICKETS`), in the default order (`TicketSort::CreatedDesc`:
//!   newest first, the id as tie-breaker), at the start and at 90 % depth,
//!   by keyset (`list` with a cursor) and by offset (`list_paginated`, which
//!   also counts the matching rows, and `list_offset`, which does not); the
//!   deep keyset and offset pages also against raw sqlx running the SQL the
//!   crate sent, with the same values (target ≤ 1.3×).
//! * `update_where`: marking a filter's tickets processed in one `UPDATE`
//!   (`update_where`) against raw sqlx running the same `UPDATE`.
//! * `projection`: a page of 500 tickets as full rows (`list`), as ids
//!   (`list_ids`) and as summaries (`list_summaries`).
//!
//! Run: `cargo bench --bench reads` (SQLite), or with
//! `DATABASE_URL=postgres://…` / `mysql://…` and `--all-features`.

mod common;

use common::{DataSet, Db, Group, Recorder, raw, timed};
use freshdesk_store::MerchantId;
use freshdesk_store::entity::{conversation, ticket};
use freshdesk_store::repository::{
    CursorRequest, OffsetRequest, SeaTicketRepository, TicketChange, TicketFilter,
    TicketRepository, TicketSort,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

const PAGE: u64 = 50;

/// The order of the pagination benchmark.
const SORT: TicketSort = TicketSort::CreatedDesc;

/// The crate's way: two keyset pages of 500 with their children.
async fn eager(db: &Db, merchant: MerchantId) -> usize {
    let repo = SeaTicketRepository;
    let txn = db.db.begin().await.unwrap();
    let all = TicketFilter::new();
    let first = repo
        .list_with_children(&txn, merchant, &all, &CursorRequest::first(500))
        .await
        .unwrap();
    let second = repo
        .list_with_children(
            &txn,
            merchant,
            &all,
            &CursorRequest::first(500).after(first.next_cursor.clone()),
        )
        .await
        .unwrap();
    let n = first.items.len() + second.items.len();
    let conversations: usize = first
        .items
        .iter()
        .chain(&second.items)
        .map(|t| t.conversations.len())
        .sum();
    assert!(conversations > n);
    n
}

/// The anti-pattern: the tickets, then one query per ticket.
async fn n_plus_1(db: &Db, merchant: MerchantId) -> usize {
    let txn = db.db.begin().await.unwrap();
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .order_by_desc(ticket::Column::CreatedAt)
        .order_by_desc(ticket::Column::Id)
        .all(&txn)
        .await
        .unwrap();
    let mut loaded = Vec::with_capacity(tickets.len());
    for t in tickets {
        let conversations = conversation::Entity::find()
            .filter(conversation::Column::MerchantId.eq(merchant))
            .filter(conversation::Column::TicketId.eq(t.id))
            .order_by_asc(conversation::Column::CreatedAt)
            .order_by_asc(conversation::Column::Id)
            .all(&txn)
            .await
            .unwrap();
        loaded.push((t, conversations));
    }
    loaded.len()
}

/// The cursor after the first `depth` tickets in `SORT` order, found by
/// walking `list_ids` pages of 500.
async fn cursor_at(db: &Db, merchant: MerchantId, depth: u64) -> Option<String> {
    let repo = SeaTicketRepository;
    let txn = db.db.begin().await.unwrap();
    let mut cursor = None;
    let mut read = 0;
    while read < depth {
        let size = (depth - read).min(500);
        let page = repo
            .list_ids(
                &txn,
                merchant,
                &TicketFilter::new(),
                &CursorRequest::first(size).sort(SORT).after(cursor),
            )
            .await
            .unwrap();
        read += page.items.len() as u64;
        cursor = page.next_cursor;
    }
    cursor
}

fn main() {
    let mut c = common::criterion();
    let rt = common::runtime();
    let rec = Recorder::default();
    let repo = SeaTicketRepository;
    let db = rt.block_on(Db::connect());
    let backend = common::backend_name();

    // 2. Eager loading vs N+1.
    let merchant = rt.block_on(db.ensure(DataSet::Children));
    for (name, statements) in [
        ("crate list_with_children", {
            let before = db.statements();
            assert_eq!(rt.block_on(eager(&db, merchant)), 1_000);
            db.statements() - before
        }),
        ("N+1 loop", {
            let before = db.statements();
            assert_eq!(rt.block_on(n_plus_1(&db, merchant)), 1_000);
            db.statements() - before
        }),
    ] {
        rec.note(format!(
            "children (1,000 tickets): {name} runs {statements} statements"
        ));
    }
    let mut g = Group::new(&mut c, &rt, &rec, "children_1k");
    g.bench("crate_list_with_children", || async {
        timed(eager(&db, merchant)).await.1
    });
    g.bench("n_plus_1", || async {
        timed(n_plus_1(&db, merchant)).await.1
    });
    g.finish();
    let id = |g: &str, b: &str| format!("{g}/{backend}/{b}");
    rec.ratio(
        "children (1,000 tickets): N+1 loop vs crate eager loading",
        &id("children_1k", "n_plus_1"),
        &id("children_1k", "crate_list_with_children"),
        None,
    );

    // 4. Keyset vs offset, at the start and at 90 % depth.
    let big = rt.block_on(db.ensure(DataSet::Big));
    let n = u64::from(DataSet::Big.tickets());
    let depth = n / 10 * 9;
    let (cursor, walk) = rt.block_on(timed(cursor_at(&db, big, depth)));
    assert!(cursor.is_some());
    rec.note(format!(
        "pagination: {n} tickets; walking {} keyset pages of 500 to 90 % depth took {walk:.1?}",
        depth / 500
    ));
    let deep_page = depth / PAGE + 1;
    let all = TicketFilter::new();
    let mut g = Group::new(&mut c, &rt, &rec, "pagination");
    let keyset = |after: Option<String>| {
        let all = &all;
        let db = &db;
        async move {
            let txn = db.db.begin().await.unwrap();
            let req = CursorRequest::first(PAGE).sort(SORT).after(after);
            let (page, t) = timed(repo.list(&txn, big, all, &req)).await;
            assert_eq!(page.unwrap().items.len() as u64, PAGE);
            t
        }
    };
    let offset = |page: u64| {
        let all = &all;
        let db = &db;
        async move {
            let txn = db.db.begin().await.unwrap();
            let (p, t) = timed(repo.list_paginated(&txn, big, all, SORT, page, PAGE)).await;
            assert_eq!(p.unwrap().items.len() as u64, PAGE);
            t
        }
    };
    let offset_no_count = |page: u64| {
        let all = &all;
        let db = &db;
        async move {
            let txn = db.db.begin().await.unwrap();
            let req = OffsetRequest::new(page, PAGE);
            let (p, t) = timed(repo.list_offset(&txn, big, all, SORT, &req)).await;
            assert_eq!(p.unwrap().items.len() as u64, PAGE);
            t
        }
    };
    // The statements the crate sends for the deep pages, to run them again
    // with raw sqlx (same SQL, same values).
    let (_, keyset_sql) = rt.block_on(db.capture(keyset(cursor.clone())));
    let (_, offset_sql) = rt.block_on(db.capture(offset_no_count(deep_page)));
    let (keyset_sql, offset_sql) = (&keyset_sql[0], &offset_sql[0]);
    rec.note(format!(
        "pagination: the deep keyset page's SQL: `{}`",
        keyset_sql.sql
    ));
    let raw_page = |stmt: &'static sea_orm::Statement, rows: u64| {
        let db = &db;
        async move {
            let (items, t) = raw::fetch_tickets(db, stmt).await;
            assert_eq!(items.len() as u64, rows);
            t
        }
    };
    let keyset_sql: &'static _ = Box::leak(Box::new(keyset_sql.clone()));
    let offset_sql: &'static _ = Box::leak(Box::new(offset_sql.clone()));
    g.bench("keyset_start", || keyset(None));
    g.bench("keyset_90pct", || keyset(cursor.clone()));
    g.bench("raw_keyset_90pct", || raw_page(keyset_sql, PAGE + 1));
    g.bench("offset_start", || offset(1));
    g.bench("offset_90pct", || offset(deep_page));
    g.bench("offset_90pct_no_count", || offset_no_count(deep_page));
    g.bench("raw_offset_90pct", || raw_page(offset_sql, PAGE + 1));
    g.finish();
    let p = |b: &str| id("pagination", b);
    for (what, slow, fast, target) in [
        (
            "keyset at 90 % vs keyset at start",
            "keyset_90pct",
            "keyset_start",
            Some(2.0),
        ),
        (
            "keyset at 90 %: crate vs raw sqlx, same SQL",
            "keyset_90pct",
            "raw_keyset_90pct",
            Some(1.3),
        ),
        (
            "offset at 90 % vs offset at start",
            "offset_90pct",
            "offset_start",
            None,
        ),
        (
            "offset at 90 % vs keyset at 90 %",
            "offset_90pct",
            "keyset_90pct",
            None,
        ),
        (
            "offset at 90 %: page + COUNT vs page alone",
            "offset_90pct",
            "offset_90pct_no_count",
            None,
        ),
        (
            "offset at 90 % without COUNT: crate vs raw sqlx, same SQL",
            "offset_90pct_no_count",
            "raw_offset_90pct",
            Some(1.3),
        ),
    ] {
        rec.ratio(&format!("pagination: {what}"), &p(slow), &p(fast), target);
    }

    // Bulk update by filter (issue 14, item 4b): mark the open, unprocessed
    // tickets of the 100k merchant processed, in a transaction rolled back
    // afterwards: the crate's `update_where` against raw sqlx running the
    // same UPDATE. Interleaved rounds (a rolled-back UPDATE leaves dead
    // rows, so running one side first would favour it); medians.
    let merchant = rt.block_on(db.ensure(DataSet::Tickets100k));
    let filter = TicketFilter::open().processed(false);
    let change = TicketChange::new().processed(true);
    let crate_update = || async {
        let txn = db.db.begin().await.unwrap();
        let (n, t) = timed(repo.update_where(&txn, merchant, &filter, change)).await;
        (n.unwrap(), t)
    };
    let (_, update_sql) = rt.block_on(db.capture(crate_update()));
    let update_sql = update_sql
        .into_iter()
        .find(|s| s.sql.starts_with("UPDATE"))
        .expect("the UPDATE");
    let (mut ours, mut raws) = (Vec::new(), Vec::new());
    let mut matched = 0;
    for _ in 0..7 {
        let (n, t) = rt.block_on(crate_update());
        let (m, r) = rt.block_on(raw::execute_rolled_back(&db, &update_sql));
        assert_eq!(n, m);
        matched = n;
        ours.push(t.as_secs_f64());
        raws.push(r.as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, r) = (median(&mut ours), median(&mut raws));
    rec.note(format!(
        "update_where ({matched} of 100,000 tickets marked processed, 7 interleaved rounds, \
         median): crate {} vs raw sqlx one UPDATE {}: {:.2}×",
        common::human(o),
        common::human(r),
        o / r
    ));

    // 6. Projections vs full rows.
    let merchant = rt.block_on(db.ensure(DataSet::Tickets100k));
    let req = CursorRequest::first(500);
    let mut g = Group::new(&mut c, &rt, &rec, "projection");
    g.elements(500);
    g.bench("full_rows", || async {
        let txn = db.db.begin().await.unwrap();
        let (p, t) = timed(repo.list(&txn, merchant, &all, &req)).await;
        assert_eq!(p.unwrap().items.len(), 500);
        t
    });
    g.bench("summaries", || async {
        let txn = db.db.begin().await.unwrap();
        let (p, t) = timed(repo.list_summaries(&txn, merchant, &all, &req)).await;
        assert_eq!(p.unwrap().items.len(), 500);
        t
    });
    g.bench("ids", || async {
        let txn = db.db.begin().await.unwrap();
        let (p, t) = timed(repo.list_ids(&txn, merchant, &all, &req)).await;
        assert_eq!(p.unwrap().items.len(), 500);
        t
    });
    g.finish();
    let p = |b: &str| id("projection", b);
    rec.ratio(
        "projection (page of 500): full rows vs summaries",
        &p("full_rows"),
        &p("summaries"),
        None,
    );
    rec.ratio(
        "projection (page of 500): full rows vs ids",
        &p("full_rows"),
        &p("ids"),
        None,
    );

    c.final_summary();
    rec.finish("reads");
}
