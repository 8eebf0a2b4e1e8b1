//! Applying tickets, conversations and ratings on a real database: the
//! fixtures load, replays and older versions change nothing, placeholders
//! are created and filled in later, orphans are counted, deleted and spam
//! flags follow the listing, a bad batch writes nothing, and another
//! merchant with the same Freshdesk ids is untouched.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};

use super::{
    ApplyCounts, Listing, apply_agents, apply_contacts, apply_conversations, apply_ratings,
    apply_tickets,
};
use crate::entity::{agent, contact, conversation, rating, ticket};
use crate::freshdesk::{Agent, Contact, Conversation, SatisfactionRating, Ticket, parse_records};
use crate::ids::MerchantId;
use crate::testing::{TestDb, unique_merchant_id};

const TICKETS: &str = include_str!("../../tests/fixtures/freshdesk/tickets.json");
const DELETED: &str = include_str!("../../tests/fixtures/freshdesk/tickets_deleted.json");
const SPAM: &str = include_str!("../../tests/fixtures/freshdesk/tickets_spam.json");
const CONVERSATIONS: &str = include_str!("../../tests/fixtures/freshdesk/conversations.json");
const RATINGS: &str = include_str!("../../tests/fixtures/freshdesk/ratings.json");
const CONTACTS: &str = include_str!("../../tests/fixtures/freshdesk/contacts.json");
const AGENTS: &str = include_str!("../../tests/fixtures/freshdesk/agents.json");

fn tickets() -> Vec<Ticket> {
    parse_records(TICKETS).unwrap()
}

async fn ticket_rows(txn: &DatabaseTransaction, m: MerchantId) -> Vec<ticket::Model> {
    ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(m))
        .order_by_asc(ticket::Column::FreshdeskTicketId)
        .all(txn)
        .await
        .unwrap()
}

async fn ticket_row(txn: &DatabaseTransaction, m: MerchantId, key: &str) -> ticket::Model {
    ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(m))
        .filter(ticket::Column::FreshdeskTicketId.eq(key))
        .one(txn)
        .await
        .unwrap()
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

/// The ticket fixtures load with placeholders for their people; a replay
/// changes nothing; an older version is skipped; a newer one wins and
/// keeps `processed`; the other merchant's rows stay as they were.
#[tokio::test]
async fn tickets_newest_wins_with_placeholders() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let all = tickets();
    let first = apply_tickets(&txn, other, Listing::Updated, &all)
        .await
        .unwrap();
    // Four requesters and one responder have no row yet.
    assert_eq!(
        first,
        ApplyCounts {
            inserted: 4,
            placeholders: 5,
            ..ApplyCounts::default()
        }
    );
    let before_other = ticket_rows(&txn, other).await;
    assert_eq!(
        apply_tickets(&txn, m, Listing::Updated, &all)
            .await
            .unwrap(),
        first
    );
    assert_eq!(
        apply_tickets(&txn, m, Listing::Updated, &all)
            .await
            .unwrap(),
        counts(0, 0, 4)
    );

    let stored = ticket_row(&txn, m, "1022").await;
    assert_eq!(stored.updated_at, all[1].updated_at);
    assert_eq!(stored.reopened_at, all[1].reopened_at());
    assert!(!stored.deleted && !stored.spam && !stored.processed);
    // The requester placeholder took the included name, no version.
    let placeholder = contact::Entity::find()
        .filter(contact::Column::MerchantId.eq(m))
        .filter(contact::Column::FreshdeskContactId.eq("67042965500"))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(placeholder.id), stored.requester_id);
    assert_eq!(placeholder.updated_at, None);
    assert!(!placeholder.name.is_empty());

    // The service marks it processed; sync never touches the flag.
    ticket::Entity::update_many()
        .col_expr(ticket::Column::Processed, Expr::value(true))
        .filter(ticket::Column::Id.eq(stored.id))
        .exec(&txn)
        .await
        .unwrap();
    let mut older = all[1].clone();
    older.updated_at -= Duration::days(1);
    older.subject = "Stale".into();
    let mut newer = all[2].clone();
    newer.updated_at += Duration::days(1);
    newer.subject = "Renamed".into();
    let mut newest = all[1].clone();
    newest.updated_at += Duration::hours(1);
    newest.subject = "Newest".into();
    // `older` and `newest` name the same ticket: the newest one wins.
    assert_eq!(
        apply_tickets(&txn, m, Listing::Updated, &[newest, older, newer])
            .await
            .unwrap(),
        counts(0, 2, 1)
    );
    let stored = ticket_row(&txn, m, "1022").await;
    assert_eq!(stored.subject, "Newest");
    assert!(stored.processed);
    assert_eq!(ticket_row(&txn, m, "1023").await.subject, "Renamed");
    assert_eq!(ticket_rows(&txn, other).await, before_other);
}

/// Placeholders are filled in by the people's own payloads, and a later
/// ticket never blanks a real contact or agent.
#[tokio::test]
async fn placeholders_are_filled_in_later() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    apply_tickets(&txn, m, Listing::Updated, &tickets())
        .await
        .unwrap();
    let contacts: Vec<Contact> = parse_records(CONTACTS).unwrap();
    let agents: Vec<Agent> = parse_records(AGENTS).unwrap();
    assert_eq!(
        apply_contacts(&txn, m, &contacts).await.unwrap(),
        counts(0, 2, 0)
    );
    assert_eq!(
        apply_agents(&txn, m, &agents).await.unwrap(),
        counts(1, 1, 0)
    );
    let again = apply_tickets(&txn, m, Listing::Updated, &tickets())
        .await
        .unwrap();
    assert_eq!(again, counts(0, 0, 4));
    let bo = contact::Entity::find()
        .filter(contact::Column::MerchantId.eq(m))
        .filter(contact::Column::FreshdeskContactId.eq("67042965499"))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bo.name, "Bo Customer");
    assert_eq!(bo.updated_at, contacts[0].updated_at);
    let stored = ticket_row(&txn, m, "1021").await;
    assert_eq!(stored.requester_id, Some(bo.id));
    let ann = agent::Entity::find()
        .filter(agent::Column::MerchantId.eq(m))
        .filter(agent::Column::FreshdeskAgentId.eq("67013469919"))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.responder_id, Some(ann.id));
    assert!(ann.updated_at.is_some());
}

/// Conversations and ratings of tickets not synced yet are orphans; once
/// the tickets are there they load; replays and older versions change
/// nothing; the other merchant's rows are untouched.
#[tokio::test]
async fn children_orphans_then_newest_wins() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let convs: Vec<Conversation> = parse_records(CONVERSATIONS).unwrap();
    let ratings: Vec<SatisfactionRating> = parse_records(RATINGS).unwrap();
    let orphans = |n| ApplyCounts {
        orphans: n,
        ..ApplyCounts::default()
    };
    assert_eq!(
        apply_conversations(&txn, m, &convs).await.unwrap(),
        orphans(3)
    );
    assert_eq!(apply_ratings(&txn, m, &ratings).await.unwrap(), orphans(2));

    for merchant in [other, m] {
        apply_tickets(&txn, merchant, Listing::Updated, &tickets())
            .await
            .unwrap();
        assert_eq!(
            apply_conversations(&txn, merchant, &convs).await.unwrap(),
            counts(3, 0, 0)
        );
        assert_eq!(
            apply_ratings(&txn, merchant, &ratings).await.unwrap(),
            counts(2, 0, 0)
        );
    }
    let other_convs = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(other))
        .order_by_asc(conversation::Column::Id)
        .all(&txn)
        .await
        .unwrap();
    assert_eq!(
        apply_conversations(&txn, m, &convs).await.unwrap(),
        counts(0, 0, 3)
    );
    assert_eq!(
        apply_ratings(&txn, m, &ratings).await.unwrap(),
        counts(0, 0, 2)
    );

    let mut older = convs[0].clone();
    older.updated_at = Some(older.version() - Duration::days(1));
    older.body = "stale".into();
    let mut newer = convs[1].clone();
    newer.updated_at = Some(newer.version() + Duration::days(1));
    newer.body = "edited".into();
    assert_eq!(
        apply_conversations(&txn, m, &[older, newer]).await.unwrap(),
        counts(0, 1, 1)
    );
    let bodies: Vec<String> = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(m))
        .order_by_asc(conversation::Column::FreshdeskConversationId)
        .all(&txn)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies[0], convs[0].body);
    assert_eq!(bodies[1], "edited");

    let mut older = ratings[0].clone();
    older.updated_at = Some(older.version() - Duration::days(1));
    older.feedback = Some("stale".into());
    let mut newer = ratings[1].clone();
    newer.updated_at = Some(newer.version() + Duration::days(1));
    newer.feedback = Some("changed my mind".into());
    assert_eq!(
        apply_ratings(&txn, m, &[older, newer]).await.unwrap(),
        counts(0, 1, 1)
    );
    let feedback: Vec<Option<String>> = rating::Entity::find()
        .filter(rating::Column::MerchantId.eq(m))
        .order_by_asc(rating::Column::FreshdeskRatingId)
        .all(&txn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.feedback)
        .collect();
    assert_eq!(feedback[0], ratings[0].feedback);
    assert_eq!(feedback[1].as_deref(), Some("changed my mind"));
    let after = conversation::Entity::find()
        .filter(conversation::Column::MerchantId.eq(other))
        .order_by_asc(conversation::Column::Id)
        .all(&txn)
        .await
        .unwrap();
    assert_eq!(after, other_convs);
}

/// `filter=deleted` and `filter=spam` listings flag their tickets; the
/// same ticket listed later in the ordinary listing is restored.
#[tokio::test]
async fn deleted_and_spam_follow_the_listing() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let mut deleted: Vec<Ticket> = parse_records(DELETED).unwrap();
    let spam: Vec<Ticket> = parse_records(SPAM).unwrap();
    // The listing alone marks the ticket, whatever the payload says.
    deleted[0].deleted = false;
    for merchant in [m, other] {
        apply_tickets(&txn, merchant, Listing::Deleted, &deleted)
            .await
            .unwrap();
        apply_tickets(&txn, merchant, Listing::Spam, &spam)
            .await
            .unwrap();
    }
    let key = deleted[0].id.to_string();
    assert!(ticket_row(&txn, m, &key).await.deleted);
    let spam_key = spam[0].id.to_string();
    assert!(ticket_row(&txn, m, &spam_key).await.spam);

    let mut restored = deleted[0].clone();
    restored.updated_at += Duration::minutes(5);
    assert_eq!(
        apply_tickets(&txn, m, Listing::Updated, &[restored])
            .await
            .unwrap(),
        counts(0, 1, 0)
    );
    let row = ticket_row(&txn, m, &key).await;
    assert!(!row.deleted && !row.spam);
    assert!(ticket_row(&txn, other, &key).await.deleted);
}

/// A batch with one record that cannot be stored writes nothing: no
/// ticket, no placeholder.
#[tokio::test]
async fn a_bad_batch_writes_nothing() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let m = unique_merchant_id();
    let mut all = tickets();
    let mut bad = all[1].clone();
    bad.id = 77;
    bad.stats.get_or_insert_default().first_responded_at =
        Some(bad.created_at - Duration::hours(1));
    all.push(bad);
    let err = apply_tickets(&txn, m, Listing::Updated, &all)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("77") && err.contains("first_responded_at"),
        "{err}"
    );
    assert!(ticket_rows(&txn, m).await.is_empty());
    let contacts = contact::Entity::find()
        .filter(contact::Column::MerchantId.eq(m))
        .all(&txn)
        .await
        .unwrap();
    assert!(contacts.is_empty());
    // The transaction is still usable.
    apply_tickets(&txn, m, Listing::Updated, &tickets())
        .await
        .unwrap();
}
