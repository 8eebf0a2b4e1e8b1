//! The bulk loader (`load::load_tickets`) on every backend: it loads what
//! `insert_many` would write (the same values, column for column), replays
//! newest-wins like `upsert_many`, reports conflicts and bad input with the
//! crate's typed errors while writing nothing, leaves other merchants
//! alone, and survives being dropped at random points: no partial rows,
//! and the pool keeps working.
//!
//! The loader commits, so every test uses fresh merchant ids. Size of the
//! cancellation test: `BULK_LOAD_CANCEL_TRIES` (default 16).

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use freshdesk_store::entity::enums::{Priority, Source, TicketStatus};
use freshdesk_store::entity::ticket;
use freshdesk_store::load::{Existing, LoadCounts, load_tickets};
use freshdesk_store::repository::{NewTicket, SeaTicketRepository, TicketRepository};
use freshdesk_store::testing::{AgentFactory, ContactFactory, TestDb, unique_merchant_id};
use freshdesk_store::{AgentId, ConflictKind, ContactId, Error, MerchantId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    Statement, TransactionTrait,
};

/// More rows than one chunked statement holds on every backend (SQLite
/// about 1,700 tickets per statement, PostgreSQL and MariaDB about 3,400).
const ROWS: usize = 3_600;

fn at(day: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, day, h, 0, 0).unwrap()
}

/// Commits a contact and an agent for `merchant`.
async fn people(db: &TestDb, merchant: MerchantId) -> (ContactId, AgentId) {
    let txn = db.begin().await.unwrap();
    let contact = ContactFactory::new(merchant).insert(&txn).await.unwrap();
    let agent = AgentFactory::new(merchant).insert(&txn).await.unwrap();
    txn.commit().await.unwrap();
    (contact.id, agent.id)
}

/// `n` tickets with every column exercised: text the `COPY` format must
/// escape, JSON with escapes, instants below the microsecond, optional
/// fields both set and empty.
fn rows(n: usize, prefix: &str, people: Option<(ContactId, AgentId)>) -> Vec<NewTicket> {
    (0..n)
        .map(|i| {
            let created =
                at(1 + (i % 20) as u32, 8) + chrono::Duration::nanoseconds(i as i64 * 1_001);
            let mut t = NewTicket::new(
                format!("{prefix}{i:05}"),
                match i % 4 {
                    0 => "plain subject".to_owned(),
                    1 => format!(
                        "tab\there, newline\nthere, cr\r, backslash \\N \\. \"quoted\" #{i}"
                    ),
                    2 => "ünïcødé — ✓ 日本語".to_owned(),
                    _ => String::new(),
                },
                created,
            );
            t.updated_at = created + chrono::Duration::hours(1);
            t.status = [
                TicketStatus::Open,
                TicketStatus::Pending,
                TicketStatus::Resolved,
                TicketStatus::from_code(42),
            ][i % 4];
            t.priority = [Priority::Low, Priority::Urgent][i % 2];
            t.source = (i % 3 != 0).then_some(Source::Email);
            if let Some((contact, agent)) = people {
                if i % 2 == 0 {
                    t.requester_id = Some(contact);
                }
                if i % 3 == 0 {
                    t.responder_id = Some(agent);
                }
            }
            if i % 5 != 0 {
                t.first_responded_at = Some(created + chrono::Duration::milliseconds(90_500));
                t.fr_due_by = Some(created + chrono::Duration::hours(4));
            }
            if i % 4 == 2 {
                t.resolved_at = Some(created + chrono::Duration::days(1));
                t.closed_at = Some(created + chrono::Duration::days(2));
                t.due_by = Some(created + chrono::Duration::days(3));
            }
            t.tags = match i % 3 {
                0 => vec![],
                1 => vec!["refund".into(), "tab\tand\\slash".into()],
                _ => vec!["\"q\"".into(), "line\nbreak".into(), "ü".into()],
            };
            t.custom_fields = serde_json::json!({
                "n": i, "nested": {"a": [1, 2.5, null, true], "s": "back\\slash \"q\" \t\n"},
                "big": 9_007_199_254_740_993_u64,
            });
            t.processed = i % 7 == 0;
            t
        })
        .collect()
}

/// The merchant's tickets, by Freshdesk id, without id and merchant.
async fn stored(db: &DatabaseConnection, merchant: MerchantId) -> Vec<ticket::Model> {
    ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .order_by_asc(ticket::Column::FreshdeskTicketId)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|mut t| {
            t.id = freshdesk_store::TicketId::new(1).unwrap();
            t.merchant_id = MerchantId::new(1).unwrap();
            t
        })
        .collect()
}

async fn count(db: &DatabaseConnection, merchant: MerchantId) -> u64 {
    use sea_orm::PaginatorTrait;
    ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .count(db)
        .await
        .unwrap()
}

/// A load writes exactly what `insert_many` writes for the same rows, on
/// more than one chunk's worth; an empty load sends nothing.
#[tokio::test]
async fn loads_what_insert_many_writes() {
    let db = TestDb::connect().await.unwrap();
    let (loaded, inserted) = (unique_merchant_id(), unique_merchant_id());
    let people_l = people(&db, loaded).await;
    let people_i = people(&db, inserted).await;
    let counts = load_tickets(
        db.connection(),
        loaded,
        Existing::Conflict,
        rows(ROWS, "t", Some(people_l)),
    )
    .await
    .unwrap();
    assert_eq!(
        counts,
        LoadCounts {
            inserted: ROWS as u64,
            updated: 0,
            skipped: 0
        }
    );
    let txn = db.begin().await.unwrap();
    SeaTicketRepository
        .insert_many(&txn, inserted, rows(ROWS, "t", Some(people_i)))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let (a, b) = (
        stored(db.connection(), loaded).await,
        stored(db.connection(), inserted).await,
    );
    assert_eq!(a.len(), ROWS);
    for (x, y) in a.iter().zip(&b) {
        let mut y = y.clone();
        // The people differ by merchant; everything else is equal.
        assert_eq!(x.requester_id.is_some(), y.requester_id.is_some());
        assert_eq!(x.responder_id.is_some(), y.responder_id.is_some());
        y.requester_id = x.requester_id;
        y.responder_id = x.responder_id;
        assert_eq!(*x, y);
    }
    let empty = load_tickets(db.connection(), loaded, Existing::NewestWins, Vec::new())
        .await
        .unwrap();
    assert_eq!(empty, LoadCounts::default());
}

/// Replays converge newest-wins like `upsert_many`: a replay changes
/// nothing, a newer version wins, an older one loses, `processed` stays.
#[tokio::test]
async fn replays_newest_wins() {
    let db = TestDb::connect().await.unwrap();
    let m = unique_merchant_id();
    let conn = db.connection();
    let first = load_tickets(conn, m, Existing::NewestWins, rows(ROWS, "r", None))
        .await
        .unwrap();
    assert_eq!(
        first,
        LoadCounts {
            inserted: ROWS as u64,
            updated: 0,
            skipped: 0
        }
    );
    let replay = load_tickets(conn, m, Existing::NewestWins, rows(ROWS, "r", None))
        .await
        .unwrap();
    assert_eq!(
        replay,
        LoadCounts {
            inserted: 0,
            updated: 0,
            skipped: ROWS as u64
        }
    );

    // The service marks one processed; a load never clears it.
    let txn = db.begin().await.unwrap();
    let id = SeaTicketRepository
        .get_by_freshdesk_id(&txn, m, "r00001")
        .await
        .unwrap()
        .id;
    SeaTicketRepository
        .mark_processed(&txn, m, &[id])
        .await
        .unwrap();
    txn.commit().await.unwrap();

    // Row 0..10: newer and changed; 10..20: older and changed; 20..: same; plus 5 new.
    let mut batch = rows(ROWS, "r", None);
    for (i, t) in batch.iter_mut().enumerate().take(20) {
        t.subject = format!("changed {i}");
        t.updated_at += chrono::Duration::hours(if i < 10 { 1 } else { -1 });
    }
    batch.extend(rows(5, "new-", None));
    let counts = load_tickets(conn, m, Existing::NewestWins, batch)
        .await
        .unwrap();
    assert_eq!(
        counts,
        LoadCounts {
            inserted: 5,
            updated: 10,
            skipped: ROWS as u64 - 10
        }
    );
    let all = stored(conn, m).await;
    assert_eq!(all.len(), ROWS + 5);
    let get = |fd: &str| all.iter().find(|t| t.freshdesk_ticket_id == fd).unwrap();
    assert_eq!(get("r00003").subject, "changed 3");
    assert_eq!(get("r00013").subject, rows(14, "r", None)[13].subject);
    assert!(get("r00001").processed, "processed is the service's");

    // The same through upsert_many in another merchant gives the same rows.
    let twin = unique_merchant_id();
    for batch in [rows(ROWS, "r", None)] {
        let txn = db.begin().await.unwrap();
        SeaTicketRepository
            .upsert_many(&txn, twin, batch)
            .await
            .unwrap();
        txn.commit().await.unwrap();
    }
    let mut batch = rows(ROWS, "r", None);
    for (i, t) in batch.iter_mut().enumerate().take(20) {
        t.subject = format!("changed {i}");
        t.updated_at += chrono::Duration::hours(if i < 10 { 1 } else { -1 });
    }
    batch.extend(rows(5, "new-", None));
    let txn = db.begin().await.unwrap();
    SeaTicketRepository
        .upsert_many(&txn, twin, batch)
        .await
        .unwrap();
    let tid = SeaTicketRepository
        .get_by_freshdesk_id(&txn, twin, "r00001")
        .await
        .unwrap()
        .id;
    SeaTicketRepository
        .mark_processed(&txn, twin, &[tid])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(stored(conn, twin).await, all);
}

/// A Freshdesk id the merchant has, with `Existing::Conflict`, is a typed
/// unique conflict naming the same constraint as `insert_many`'s, and
/// nothing of the load is written.
#[tokio::test]
async fn conflicts_are_typed_and_write_nothing() {
    let db = TestDb::connect().await.unwrap();
    let m = unique_merchant_id();
    let conn = db.connection();
    load_tickets(conn, m, Existing::Conflict, rows(3, "c", None))
        .await
        .unwrap();
    let mut batch = rows(ROWS, "d", None);
    batch.push(rows(3, "c", None).remove(1));
    let err = load_tickets(conn, m, Existing::Conflict, batch.clone())
        .await
        .unwrap_err();
    let Error::Conflict {
        kind, constraint, ..
    } = &err
    else {
        panic!("expected a conflict, got {err:?}");
    };
    assert_eq!(*kind, ConflictKind::Unique);
    assert!(
        constraint.contains("uq_ticket_freshdesk_id") || constraint.contains("freshdesk_ticket_id"),
        "{constraint}"
    );
    assert_eq!(count(conn, m).await, 3, "nothing of the failed load");

    let txn = db.begin().await.unwrap();
    let same = SeaTicketRepository
        .insert_many(&txn, m, batch)
        .await
        .unwrap_err();
    drop(txn);
    assert!(same.is_conflict(ConflictKind::Unique));
    let Error::Conflict {
        constraint: theirs, ..
    } = &same
    else {
        unreachable!()
    };
    assert_eq!(
        theirs, constraint,
        "the same constraint as insert_many names"
    );

    // A duplicate inside the load, likewise.
    let mut twice = rows(10, "e", None);
    twice.push(twice[4].clone());
    let err = load_tickets(conn, m, Existing::Conflict, twice)
        .await
        .unwrap_err();
    assert!(err.is_conflict(ConflictKind::Unique), "{err:?}");
    assert_eq!(count(conn, m).await, 3);
    // The pool is fine afterwards.
    load_tickets(conn, m, Existing::NewestWins, rows(10, "e", None))
        .await
        .unwrap();
    assert_eq!(count(conn, m).await, 13);
}

/// Bad input is the same typed error as `insert_many` / `upsert_many`
/// gives, before anything is sent; people the merchant does not have are
/// `NotFound`; nothing is written.
#[tokio::test]
async fn bad_input_is_typed_and_writes_nothing() {
    let db = TestDb::connect().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let (_, other_agent) = people(&db, other).await;
    let (other_contact, _) = people(&db, other).await;
    let conn = db.connection();
    type Spoil = fn(&mut NewTicket);
    let cases: [(&str, Spoil); 6] = [
        ("subject", |t| t.subject = "nul\0".into()),
        ("freshdesk_ticket_id", |t| {
            t.freshdesk_ticket_id = " ".into()
        }),
        ("freshdesk_ticket_id", |t| {
            t.freshdesk_ticket_id = "x".repeat(256)
        }),
        ("custom_fields", |t| {
            t.custom_fields = serde_json::json!([1])
        }),
        ("tags", |t| t.tags = vec!["a\0".into()]),
        ("created_at", |t| {
            t.created_at = Utc.with_ymd_and_hms(999, 1, 1, 0, 0, 0).unwrap()
        }),
    ];
    for (field, spoil) in cases {
        for existing in [Existing::Conflict, Existing::NewestWins] {
            let mut batch = rows(ROWS, "b", None);
            spoil(&mut batch[2_345]);
            let err = load_tickets(conn, m, existing, batch.clone())
                .await
                .unwrap_err();
            match &err {
                Error::InvalidInput { field: f, reason } => {
                    assert_eq!(*f, field);
                    assert!(reason.contains("row 2345"), "{reason}");
                }
                other => panic!("{field}: expected invalid input, got {other:?}"),
            }
            let txn = db.begin().await.unwrap();
            let theirs = SeaTicketRepository
                .insert_many(&txn, m, batch)
                .await
                .unwrap_err();
            assert_eq!(theirs.to_string(), err.to_string(), "as insert_many");
        }
    }
    let mut twice = rows(10, "b", None);
    twice.push(twice[4].clone());
    let err = load_tickets(conn, m, Existing::NewestWins, twice)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "freshdesk_ticket_id",
                ..
            }
        ),
        "{err:?}"
    );

    // Another merchant's contact or agent is not found, as insert_many says.
    for (what, spoil) in [
        (
            "contact",
            Box::new(move |t: &mut NewTicket| t.requester_id = Some(other_contact))
                as Box<dyn Fn(&mut NewTicket)>,
        ),
        (
            "agent",
            Box::new(move |t: &mut NewTicket| t.responder_id = Some(other_agent)),
        ),
    ] {
        for existing in [Existing::Conflict, Existing::NewestWins] {
            let mut batch = rows(ROWS, "b", None);
            spoil(&mut batch[17]);
            let err = load_tickets(conn, m, existing, batch).await.unwrap_err();
            assert!(
                matches!(&err, Error::NotFound { entity, .. } if *entity == what),
                "{what}: {err:?}"
            );
        }
    }
    assert_eq!(count(conn, m).await, 0, "nothing written");
}

/// Another merchant's tickets with the same Freshdesk ids are untouched
/// by loads in both modes, and never counted.
#[tokio::test]
async fn another_merchant_is_untouched() {
    let db = TestDb::connect().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let conn = db.connection();
    load_tickets(conn, other, Existing::Conflict, rows(50, "s", None))
        .await
        .unwrap();
    let before = stored(conn, other).await;
    let mut newer = rows(50, "s", None);
    for t in &mut newer {
        t.subject = "mine".into();
        t.updated_at += chrono::Duration::days(30);
    }
    let first = load_tickets(conn, m, Existing::Conflict, newer.clone())
        .await
        .unwrap();
    assert_eq!(
        first.inserted, 50,
        "the other merchant's ids are no conflict"
    );
    let again = load_tickets(conn, m, Existing::NewestWins, newer)
        .await
        .unwrap();
    assert_eq!(again.skipped, 50);
    assert_eq!(stored(conn, other).await, before);
    assert!(stored(conn, m).await.iter().all(|t| t.subject == "mine"));
}

/// xorshift64*: reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A load dropped at a random point (before, during and after `COPY` or
/// the chunked statements, and sometimes after it finished) leaves either
/// none or all of its rows, and the pool keeps working: every connection
/// answers, and a full load of the same rows succeeds.
#[tokio::test]
async fn cancelled_loads_leave_nothing_partial_and_the_pool_works() {
    let db = TestDb::connect().await.unwrap();
    let conn = db.connection();
    let tries: usize = std::env::var("BULK_LOAD_CANCEL_TRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let seed = std::env::var("BULK_LOAD_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_subsec_nanos() as u64 | 1);
    println!("BULK_LOAD_SEED={seed}");
    let mut rng = Rng(seed);
    // How long a whole load takes here, to drop within it.
    let mut full = u64::MAX;
    for _ in 0..2 {
        let started = Instant::now();
        load_tickets(
            conn,
            unique_merchant_id(),
            Existing::NewestWins,
            rows(ROWS, "x", None),
        )
        .await
        .unwrap();
        full = full.min(started.elapsed().as_micros().max(1) as u64);
    }
    let (mut cut, mut whole) = (0, 0);
    for _ in 0..tries {
        let m = unique_merchant_id();
        let existing = if rng.next().is_multiple_of(2) {
            Existing::Conflict
        } else {
            Existing::NewestWins
        };
        let delay = Duration::from_micros(rng.next() % (full * 5 / 4));
        let load = load_tickets(conn, m, existing, rows(ROWS, "x", None));
        match tokio::time::timeout(delay, load).await {
            Ok(done) => {
                done.unwrap();
                whole += 1;
            }
            Err(_) => cut += 1,
        }
        let n = count(conn, m).await;
        assert!(
            n == 0 || n == ROWS as u64,
            "partial rows: {n} (delay {delay:?})"
        );
        // Every pooled connection answers in step: hold as many at once as
        // the pool has (in-memory SQLite: one), each with a query.
        let size = if conn.get_database_backend() == sea_orm::DbBackend::Sqlite {
            1
        } else {
            4
        };
        let mut held = Vec::new();
        for _ in 0..size {
            held.push(conn.begin().await.unwrap());
        }
        for (i, txn) in held.iter().enumerate() {
            let row = txn
                .query_one_raw(Statement::from_string(
                    conn.get_database_backend(),
                    format!("SELECT {i} AS v"),
                ))
                .await
                .unwrap()
                .unwrap();
            let v = row
                .try_get::<i64>("", "v")
                .or_else(|_| row.try_get::<i32>("", "v").map(i64::from))
                .unwrap();
            assert_eq!(v, i as i64);
        }
        drop(held);
        // And the same load completes (newest wins, whatever landed).
        let counts = tokio::time::timeout(
            Duration::from_secs(60),
            load_tickets(conn, m, Existing::NewestWins, rows(ROWS, "x", None)),
        )
        .await
        .expect("a load after a cancelled one does not hang")
        .unwrap();
        assert_eq!(counts.inserted + counts.skipped, ROWS as u64);
        assert_eq!(count(conn, m).await, ROWS as u64);
        let n = count(conn, m).await;
        assert!(n == ROWS as u64, "{n}");
    }
    println!("cancelled loads: {cut} dropped mid-way, {whole} finished first");
}
