//! Property: random interleavings of overlapping ticket and conversation
//! batches, with duplicates and stale versions, each applied twice, leave
//! the rows a model of "each record's newest version, once" predicts (a
//! conversation of a ticket not synced yet is an orphan); replays change
//! nothing; another merchant with the same Freshdesk ids is untouched. On
//! the backend of `DATABASE_URL`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use freshdesk_store::MerchantId;
use freshdesk_store::entity::{conversation, ticket};
use freshdesk_store::freshdesk::{Conversation, Ticket};
use freshdesk_store::sync::{Listing, apply_conversations, apply_tickets};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

fn at(v: u8) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::hours(i64::from(v))
}

fn ticket_payload(k: u8, v: u8) -> Ticket {
    serde_json::from_value(serde_json::json!({
        "id": 4_000_000_000_i64 + i64::from(k), "subject": format!("t{k} v{v}"),
        "status": 2, "priority": 1, "requester_id": 900 + i64::from(k % 2),
        "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

fn conversation_payload(k: u8, v: u8) -> Conversation {
    serde_json::from_value(serde_json::json!({
        "id": 7_000_000_000_i64 + i64::from(k), "ticket_id": 4_000_000_000_i64 + i64::from(k % 3),
        "body": format!("c{k} v{v}"), "created_at": at(0), "updated_at": at(v),
    }))
    .unwrap()
}

#[derive(Clone, Debug)]
enum Step {
    Tickets(Vec<(u8, u8)>),
    Conversations(Vec<(u8, u8)>),
}

fn step() -> impl Strategy<Value = Step> {
    let batch = || proptest::collection::vec((0u8..4, 0u8..5), 0..8);
    prop_oneof![
        batch().prop_map(Step::Tickets),
        batch().prop_map(Step::Conversations)
    ]
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// Subjects and bodies by Freshdesk id, as stored for `m`.
async fn stored(
    txn: &DatabaseTransaction,
    m: MerchantId,
) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>), TestCaseError> {
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(m))
        .all(txn)
        .await
        .map_err(fail)?;
    let convs = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(m))
        .all(txn)
        .await
        .map_err(fail)?;
    Ok((
        tickets
            .into_iter()
            .map(|t| (t.freshdesk_ticket_id, t.subject))
            .collect(),
        convs
            .into_iter()
            .map(|c| (c.freshdesk_conversation_id, c.body))
            .collect(),
    ))
}

async fn run_case(txn: &DatabaseTransaction, steps: &[Step]) -> Result<(), TestCaseError> {
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    // The other merchant holds the same Freshdesk ids at the newest version.
    let theirs: Vec<Ticket> = (0..4).map(|k| ticket_payload(k, 9)).collect();
    apply_tickets(txn, other, Listing::Updated, &theirs)
        .await
        .map_err(fail)?;
    let before = stored(txn, other).await?;

    // The model: each record's newest version, once.
    let mut tickets: BTreeMap<u8, u8> = BTreeMap::new();
    let mut convs: BTreeMap<u8, u8> = BTreeMap::new();
    for step in steps {
        match step {
            Step::Tickets(batch) => {
                let payloads: Vec<Ticket> =
                    batch.iter().map(|(k, v)| ticket_payload(*k, *v)).collect();
                let counts = apply_tickets(txn, m, Listing::Updated, &payloads)
                    .await
                    .map_err(fail)?;
                prop_assert_eq!(
                    counts.inserted + counts.updated + counts.skipped,
                    batch.len() as u64
                );
                for (k, v) in batch {
                    let newest = tickets.entry(*k).or_insert(*v);
                    *newest = (*newest).max(*v);
                }
                let replay = apply_tickets(txn, m, Listing::Updated, &payloads)
                    .await
                    .map_err(fail)?;
                prop_assert_eq!((replay.inserted, replay.updated), (0, 0));
            }
            Step::Conversations(batch) => {
                let payloads: Vec<Conversation> = batch
                    .iter()
                    .map(|(k, v)| conversation_payload(*k, *v))
                    .collect();
                let counts = apply_conversations(txn, m, &payloads).await.map_err(fail)?;
                let mut orphans = 0;
                let mut seen = std::collections::BTreeSet::new();
                for (k, v) in batch {
                    if !tickets.contains_key(&(k % 3)) {
                        if seen.insert(*k) {
                            orphans += 1;
                        }
                        continue;
                    }
                    let newest = convs.entry(*k).or_insert(*v);
                    *newest = (*newest).max(*v);
                }
                prop_assert_eq!(counts.orphans, orphans);
                let replay = apply_conversations(txn, m, &payloads).await.map_err(fail)?;
                prop_assert_eq!((replay.inserted, replay.updated), (0, 0));
            }
        }
    }
    let expected_tickets: BTreeMap<String, String> = tickets
        .iter()
        .map(|(k, v)| {
            (
                (4_000_000_000_i64 + i64::from(*k)).to_string(),
                format!("t{k} v{v}"),
            )
        })
        .collect();
    let expected_convs: BTreeMap<String, String> = convs
        .iter()
        .map(|(k, v)| {
            (
                (7_000_000_000_i64 + i64::from(*k)).to_string(),
                format!("c{k} v{v}"),
            )
        })
        .collect();
    let (got_tickets, got_convs) = stored(txn, m).await?;
    prop_assert_eq!(got_tickets, expected_tickets);
    prop_assert_eq!(got_convs, expected_convs);
    prop_assert_eq!(stored(txn, other).await?, before);
    Ok(())
}

/// Random interleavings of overlapping batches converge to each record's
/// newest version, once.
#[test]
fn interleaved_batches_converge_to_the_newest_versions() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _context = rt.enter();
    let db = rt.block_on(TestDb::connect()).unwrap();
    let config = Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(step(), 1..10), |steps| {
        rt.block_on(async {
            let txn = db.begin().await.map_err(fail)?;
            let result = run_case(&txn, &steps).await;
            txn.rollback().await.map_err(fail)?;
            result
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
