//! The newest-wins upsert builder (`repository::upsert`) on a real
//! database (`DATABASE_URL`: SQLite, PostgreSQL or MariaDB), each test with
//! its own merchants. It lives here, with its first user, because the
//! repository layer's own files never open transactions.
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{agent, ticket};
use crate::ids::MerchantId;
use crate::repository::limits::max_bind_params;
use crate::repository::upsert::{NewestWins, UpsertCounts, upsert_newest};
use crate::testing::{TestDb, unique_merchant_id};

fn agents() -> NewestWins<agent::Entity> {
    NewestWins {
        merchant: agent::Column::MerchantId,
        key: agent::Column::FreshdeskAgentId,
        key_field: "freshdesk_agent_id",
        updated_at: agent::Column::UpdatedAt,
        update: vec![agent::Column::Name, agent::Column::Email],
    }
}

fn agent(fd: &str, name: &str, at: Option<DateTime<Utc>>) -> agent::ActiveModel {
    agent::ActiveModel {
        merchant_id: Set(MerchantId::new(1).unwrap()),
        freshdesk_agent_id: Set(fd.to_owned()),
        name: Set(name.to_owned()),
        email: Set(None),
        updated_at: Set(at),
        ..Default::default()
    }
}

fn t(hours: i64) -> DateTime<Utc> {
    // Past 2038 on purpose: MariaDB must get these as DATETIME values.
    Utc.with_ymd_and_hms(2040, 1, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

async fn names(txn: &DatabaseTransaction, merchant: MerchantId) -> Vec<(String, String)> {
    agent::Entity::find()
        .filter(agent::Column::MerchantId.eq(merchant))
        .order_by_asc(agent::Column::FreshdeskAgentId)
        .all(txn)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.freshdesk_agent_id, a.name))
        .collect()
}

/// 1 newer, 1 older, 1 with the same timestamp, 1 new: inserted 1,
/// updated 2, skipped 1; a replay changes nothing; another merchant with
/// the same Freshdesk ids is untouched.
#[tokio::test]
async fn newer_wins_older_is_skipped_replays_change_nothing() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    for merchant in [m, other] {
        let first = upsert_newest(
            &txn,
            merchant,
            &agents(),
            vec![
                agent("newer", "old", Some(t(1))),
                agent("older", "old", Some(t(1))),
                agent("same", "old", Some(t(1))),
            ],
        )
        .await
        .unwrap();
        assert_eq!(
            first,
            UpsertCounts {
                inserted: 3,
                updated: 0,
                skipped: 0
            }
        );
    }
    let batch = vec![
        agent("new", "fresh", Some(t(0))),
        agent("same", "same-ts", Some(t(1))),
        agent("older", "stale", Some(t(0))),
        agent("newer", "fresh", Some(t(2))),
    ];
    let counts = upsert_newest(&txn, m, &agents(), batch.clone())
        .await
        .unwrap();
    assert_eq!(
        counts,
        UpsertCounts {
            inserted: 1,
            updated: 2,
            skipped: 1
        }
    );
    let want = vec![
        ("new".to_owned(), "fresh".to_owned()),
        ("newer".to_owned(), "fresh".to_owned()),
        ("older".to_owned(), "old".to_owned()),
        ("same".to_owned(), "same-ts".to_owned()),
    ];
    assert_eq!(names(&txn, m).await, want);
    let replay = upsert_newest(&txn, m, &agents(), batch).await.unwrap();
    assert_eq!(
        replay,
        UpsertCounts {
            inserted: 0,
            updated: 0,
            skipped: 4
        }
    );
    assert_eq!(names(&txn, m).await, want);
    let stored = agent::Entity::find()
        .filter(agent::Column::MerchantId.eq(m))
        .filter(agent::Column::FreshdeskAgentId.eq("newer"))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.updated_at, Some(t(2)));
    assert_eq!(
        names(&txn, other).await,
        ["newer", "older", "same"]
            .map(|fd| (fd.to_owned(), "old".to_owned()))
            .to_vec()
    );
}

/// A placeholder (`updated_at` NULL) loses to any record, however old,
/// and a placeholder never overwrites a real row.
#[tokio::test]
async fn placeholders_lose_to_any_record() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    upsert_newest(&txn, m, &agents(), vec![agent("p", "", None)])
        .await
        .unwrap();
    let counts = upsert_newest(
        &txn,
        m,
        &agents(),
        vec![agent("p", "Real", Some(t(-1_000_000)))],
    )
    .await
    .unwrap();
    assert_eq!((counts.updated, counts.skipped), (1, 0));
    let counts = upsert_newest(&txn, m, &agents(), vec![agent("p", "", None)])
        .await
        .unwrap();
    assert_eq!((counts.updated, counts.skipped), (0, 1));
    assert_eq!(
        names(&txn, m).await,
        vec![("p".to_owned(), "Real".to_owned())]
    );
}

/// Rows are written in key order (new rows get ids in key order), in
/// several chunks when the batch is larger than one statement holds.
#[tokio::test]
async fn chunks_in_key_order() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    // 5 bound columns per row: one more row than a chunk holds.
    let rows = max_bind_params(db.backend()) / 5 + 1;
    let batch: Vec<_> = (0..rows)
        .rev()
        .map(|i| agent(&format!("{i:06}"), "n", Some(t(0))))
        .collect();
    db.counter().reset();
    let counts = upsert_newest(&txn, m, &agents(), batch).await.unwrap();
    assert_eq!(counts.inserted, rows as u64);
    let inserts = db
        .counter()
        .statements()
        .iter()
        .filter(|s| s.starts_with("INSERT"))
        .count();
    assert_eq!(inserts, 2);
    let stored = agent::Entity::find()
        .filter(agent::Column::MerchantId.eq(m))
        .order_by_asc(agent::Column::Id)
        .all(&txn)
        .await
        .unwrap();
    let keys: Vec<&str> = stored
        .iter()
        .map(|a| a.freshdesk_agent_id.as_str())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
}

/// Tickets: every listed column takes the newer version, `processed`
/// (the service's) never changes, timestamps past 2038 round-trip.
#[tokio::test]
async fn tickets_keep_processed_and_take_newer_columns() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    use ticket::Column as T;
    let spec = NewestWins::<ticket::Entity> {
        merchant: T::MerchantId,
        key: T::FreshdeskTicketId,
        key_field: "freshdesk_ticket_id",
        updated_at: T::UpdatedAt,
        update: vec![
            T::Subject,
            T::Status,
            T::Tags,
            T::CustomFields,
            T::Deleted,
            T::ReopenedAt,
        ],
    };
    let row = |subject: &str, at: DateTime<Utc>, processed: bool| {
        let mut new = crate::repository::NewTicket::new("42", subject, t(0));
        new.updated_at = at;
        new.processed = processed;
        new.tags = vec![subject.to_owned()];
        new.custom_fields = serde_json::json!({"cf_vip": true, "cf_n": 1.5});
        let mut active = new.into_active(m);
        active.deleted = Set(subject == "v2");
        active.reopened_at = Set(Some(at));
        active
    };
    upsert_newest(&txn, m, &spec, vec![row("v1", t(1), true)])
        .await
        .unwrap();
    let counts = upsert_newest(&txn, m, &spec, vec![row("v2", t(2), false)])
        .await
        .unwrap();
    assert_eq!(counts.updated, 1);
    let stale = upsert_newest(&txn, m, &spec, vec![row("v0", t(0), false)])
        .await
        .unwrap();
    assert_eq!(stale.skipped, 1);
    let stored = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(m))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.subject, "v2");
    assert_eq!(stored.tag_list(), ["v2"]);
    assert!(stored.processed, "sync never changes processed");
    assert!(stored.deleted);
    assert_eq!((stored.updated_at, stored.reopened_at), (t(2), Some(t(2))));
    assert_eq!(stored.custom_fields["cf_n"], serde_json::json!(1.5));
}
