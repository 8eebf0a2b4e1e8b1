//! Applying agents and contacts on a real database: fixtures load, replays
//! and older versions change nothing, newer ones win, placeholders are
//! filled in, and another merchant with the same Freshdesk ids is untouched.

use chrono::Duration;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};

use super::{ApplyCounts, apply_agents, apply_contacts};
use crate::entity::{agent, contact};
use crate::freshdesk::{Agent, Contact, parse_records};
use crate::ids::MerchantId;
use crate::repository::upsert::{NewestWins, upsert_newest};
use crate::testing::{TestDb, unique_merchant_id};

const AGENTS: &str = include_str!("../../tests/fixtures/freshdesk/agents.json");
const CONTACTS: &str = include_str!("../../tests/fixtures/freshdesk/contacts.json");

async fn agent_rows(txn: &DatabaseTransaction, m: MerchantId) -> Vec<agent::Model> {
    agent::Entity::find()
        .filter(agent::Column::MerchantId.eq(m))
        .order_by_asc(agent::Column::FreshdeskAgentId)
        .all(txn)
        .await
        .unwrap()
}

fn counts(inserted: u64, updated: u64, skipped: u64) -> ApplyCounts {
    ApplyCounts {
        inserted,
        updated,
        skipped,
        ..ApplyCounts::default()
    }
}

/// The agent fixtures load; a replay changes nothing; an older version is
/// skipped; a newer one wins; the other merchant's rows stay as they were.
#[tokio::test]
async fn agents_newest_wins_and_replays_change_nothing() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let agents: Vec<Agent> = parse_records(AGENTS).unwrap();
    assert_eq!(
        apply_agents(&txn, other, &agents).await.unwrap(),
        counts(2, 0, 0)
    );
    assert_eq!(
        apply_agents(&txn, m, &agents).await.unwrap(),
        counts(2, 0, 0)
    );
    assert_eq!(
        apply_agents(&txn, m, &agents).await.unwrap(),
        counts(0, 0, 2)
    );
    let stored = agent_rows(&txn, m).await;
    assert_eq!(stored[0].freshdesk_agent_id, "67013469919");
    assert_eq!(stored[0].name, "Ann Agent");
    assert_eq!(stored[0].email.as_deref(), Some("ann@example.com"));
    assert_eq!(stored[0].updated_at, agents[0].updated_at);

    let mut older = agents[0].clone();
    older.updated_at = older.updated_at.map(|t| t - Duration::days(1));
    older.contact.name = Some("Stale".into());
    let mut newer = agents[1].clone();
    newer.updated_at = newer.updated_at.map(|t| t + Duration::days(1));
    newer.contact.name = Some("Olli Renamed".into());
    assert_eq!(
        apply_agents(&txn, m, &[older, newer]).await.unwrap(),
        counts(0, 1, 1)
    );
    let names: Vec<String> = agent_rows(&txn, m)
        .await
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["Ann Agent", "Olli Renamed"]);
    let untouched: Vec<String> = agent_rows(&txn, other)
        .await
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(untouched, ["Ann Agent", "Occasional Olli"]);
}

/// A batch naming one record twice keeps its newest version (in any order).
#[tokio::test]
async fn duplicates_in_a_batch_keep_the_newest() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let contacts: Vec<Contact> = parse_records(CONTACTS).unwrap();
    let mut newer = contacts[0].clone();
    newer.updated_at = newer.updated_at.map(|t| t + Duration::seconds(1));
    newer.name = "Bo Newer".into();
    let got = apply_contacts(&txn, m, &[newer, contacts[0].clone(), contacts[1].clone()])
        .await
        .unwrap();
    assert_eq!(got, counts(2, 0, 1));
    let stored = contact::Entity::find()
        .filter(contact::Column::MerchantId.eq(m))
        .filter(contact::Column::FreshdeskContactId.eq("67042965499"))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.name.as_str(), stored.email), ("Bo Newer", None));
}

/// A placeholder contact (no `updated_at`) is filled in by the contact's
/// own record, however old.
#[tokio::test]
async fn placeholders_are_filled_in() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let spec = NewestWins::<contact::Entity> {
        merchant: contact::Column::MerchantId,
        key: contact::Column::FreshdeskContactId,
        key_field: "freshdesk_contact_id",
        updated_at: contact::Column::UpdatedAt,
        update: vec![contact::Column::Name, contact::Column::Email],
    };
    let placeholder = contact::ActiveModel {
        freshdesk_contact_id: sea_orm::Set("67042965500".into()),
        name: sea_orm::Set(String::new()),
        email: sea_orm::Set(None),
        updated_at: sea_orm::Set(None),
        ..Default::default()
    };
    upsert_newest(&txn, m, &spec, vec![placeholder])
        .await
        .unwrap();
    let contacts: Vec<Contact> = parse_records(CONTACTS).unwrap();
    let got = apply_contacts(&txn, m, &contacts[1..]).await.unwrap();
    assert_eq!(got, counts(0, 1, 0));
    let stored = contact::Entity::find()
        .filter(contact::Column::MerchantId.eq(m))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Dana Whitfield");
    assert_eq!(stored.updated_at, contacts[1].updated_at);
}

/// A record that cannot be stored is an error naming it and the field, and
/// nothing of its batch is written.
#[tokio::test]
async fn unusable_records_write_nothing() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let mut agents: Vec<Agent> = parse_records(AGENTS).unwrap();
    agents[1].contact.name = Some("Nul\0".into());
    match apply_agents(&txn, m, &agents).await.unwrap_err() {
        crate::Error::InvalidInput { field, reason } => {
            assert_eq!(field, "contact.name");
            assert!(reason.starts_with("agent 67013469920"), "{reason}");
        }
        other => panic!("expected InvalidInput, got {other}"),
    }
    agents[1].contact.name = None;
    agents[1].updated_at = None;
    agents[1].created_at = None;
    let err = apply_agents(&txn, m, &agents).await.unwrap_err();
    assert!(
        matches!(
            err,
            crate::Error::InvalidInput {
                field: "updated_at",
                ..
            }
        ),
        "{err}"
    );
    assert!(agent_rows(&txn, m).await.is_empty());
}
