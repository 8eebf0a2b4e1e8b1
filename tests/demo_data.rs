//! The demo-data generator: deterministic across runs and backends, bulk
//! written, and realistic enough to report on.

use chrono::{TimeZone, Utc};
use freshdesk_store::entity::{agent, contact, conversation, rating, ticket};
use freshdesk_store::testing::demo::{self, DemoConfig};
use freshdesk_store::testing::{TestDb, unique_merchant_id};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder};

fn config() -> DemoConfig {
    DemoConfig::new(2, 120, 2026)
        .first_merchant(unique_merchant_id())
        .anchor(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
}

/// FNV-1a, so the digest does not depend on std's hasher.
fn fnv(acc: u64, text: &str) -> u64 {
    text.bytes()
        .fold(acc, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// A digest of every demo row, with surrogate ids and merchant ids replaced
/// by the Freshdesk ids and merchant positions they stand for.
async fn digest(txn: &sea_orm::DatabaseTransaction, config: &DemoConfig) -> (u64, usize) {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    let mut rows = 0;
    for (pos, merchant) in config.merchant_ids().into_iter().enumerate() {
        let agents = agent::Entity::find()
            .filter(agent::Column::MerchantId.eq(merchant))
            .order_by_asc(agent::Column::FreshdeskAgentId)
            .all(txn)
            .await
            .unwrap();
        let contacts = contact::Entity::find()
            .filter(contact::Column::MerchantId.eq(merchant))
            .order_by_asc(contact::Column::FreshdeskContactId)
            .all(txn)
            .await
            .unwrap();
        let tickets = ticket::Entity::find()
            .filter(ticket::Column::MerchantId.eq(merchant))
            .order_by_asc(ticket::Column::FreshdeskTicketId)
            .all(txn)
            .await
            .unwrap();
        let agent_fd = |id| {
            agents
                .iter()
                .find(|a| Some(a.id) == id)
                .map(|a| a.freshdesk_agent_id.clone())
        };
        let contact_fd = |id| {
            contacts
                .iter()
                .find(|c| Some(c.id) == id)
                .map(|c| c.freshdesk_contact_id.clone())
        };
        for a in &agents {
            h = fnv(
                h,
                &format!("{pos}|A|{}|{}|{:?}", a.freshdesk_agent_id, a.name, a.email),
            );
        }
        for c in &contacts {
            h = fnv(
                h,
                &format!(
                    "{pos}|C|{}|{}|{:?}",
                    c.freshdesk_contact_id, c.name, c.email
                ),
            );
        }
        for t in &tickets {
            h = fnv(
                h,
                &format!(
                    "{pos}|T|{}|{}|{}|{}|{:?}|{:?}|{:?}|{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{}",
                    t.freshdesk_ticket_id,
                    t.subject,
                    t.status.code(),
                    t.priority.code(),
                    t.source.map(|s| s.code()),
                    contact_fd(t.requester_id),
                    agent_fd(t.responder_id),
                    t.created_at.to_rfc3339(),
                    t.updated_at.to_rfc3339(),
                    t.first_responded_at.map(|d| d.to_rfc3339()),
                    t.first_response_time,
                    t.fr_due_by.map(|d| d.to_rfc3339()),
                    t.due_by.map(|d| d.to_rfc3339()),
                    t.resolved_at.map(|d| d.to_rfc3339()),
                    t.closed_at.map(|d| d.to_rfc3339()),
                    t.tags,
                    t.custom_fields,
                    t.processed
                ),
            );
        }
        let fd_of = |id| {
            tickets
                .iter()
                .find(|t| t.id == id)
                .unwrap()
                .freshdesk_ticket_id
                .clone()
        };
        let conversations = conversation::Entity::find()
            .filter(conversation::Column::MerchantId.eq(merchant))
            .order_by_asc(conversation::Column::FreshdeskConversationId)
            .all(txn)
            .await
            .unwrap();
        for c in &conversations {
            h = fnv(
                h,
                &format!(
                    "{pos}|V|{}|{}|{}|{}|{}|{:?}|{}",
                    c.freshdesk_conversation_id,
                    fd_of(c.ticket_id),
                    c.body,
                    c.incoming,
                    c.private,
                    c.author_id,
                    c.created_at.to_rfc3339()
                ),
            );
        }
        let ratings = rating::Entity::find()
            .filter(rating::Column::MerchantId.eq(merchant))
            .order_by_asc(rating::Column::FreshdeskRatingId)
            .all(txn)
            .await
            .unwrap();
        for r in &ratings {
            h = fnv(
                h,
                &format!(
                    "{pos}|R|{}|{}|{}|{:?}|{}",
                    r.freshdesk_rating_id,
                    fd_of(r.ticket_id),
                    r.rating,
                    r.feedback,
                    r.created_at.to_rfc3339()
                ),
            );
        }
        rows += agents.len() + contacts.len() + tickets.len() + conversations.len() + ratings.len();
    }
    (h, rows)
}

/// The committed digest of `config()`'s rows: every backend must read back
/// exactly these rows (generated once on SQLite).
const EXPECTED_DIGEST: (u64, usize) = (11_249_864_232_515_300_629, 1149);

/// Same seed, same rows, on every backend.
#[tokio::test]
async fn same_seed_gives_the_same_rows_on_every_backend() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let config = config();
    let summary = demo::fill(&txn, &config).await.unwrap();
    assert_eq!(summary.merchants, 2);
    assert_eq!(summary.tickets, 240);
    let got = digest(&txn, &config).await;
    let total = summary.agents
        + summary.contacts
        + summary.tickets
        + summary.conversations
        + summary.ratings;
    assert_eq!(got.1 as u64, total);
    assert_eq!(
        got, EXPECTED_DIGEST,
        "demo rows differ from the committed digest"
    );
}

/// Bulk writes: a fixed number of statements per merchant, not one per row.
#[tokio::test]
async fn fill_uses_bulk_statements() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let config = DemoConfig::new(1, 2_000, 1).first_merchant(unique_merchant_id());
    db.counter().reset();
    let summary = demo::fill(&txn, &config).await.unwrap();
    // One INSERT per chunk of rows under the bind-parameter limit (a row binds
    // every column but the id), plus the agent, contact and ticket id lookups.
    let limit: u64 = match db.backend() {
        DbBackend::Sqlite => 32_766,
        _ => 65_535,
    };
    let statements = |rows: u64, columns: u64| rows.div_ceil(limit / columns);
    let expected = statements(summary.agents, 4)
        + statements(summary.contacts, 4)
        + statements(summary.tickets, 19)
        + statements(summary.conversations, 8)
        + statements(summary.ratings, 6)
        + 3;
    assert_eq!(
        db.counter().get(),
        expected,
        "{:?}",
        db.counter().statements()
    );
    assert!(summary.conversations > 2_000);
    assert!(summary.ratings > 100);
}

/// The data has what the reports need: every status family, SLA deadlines,
/// first responses, tags, and nothing after the anchor.
#[tokio::test]
async fn data_is_realistic() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let config = config();
    demo::fill(&txn, &config).await.unwrap();
    let merchant = config.merchant_ids()[0];
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::MerchantId.eq(merchant))
        .all(&txn)
        .await
        .unwrap();
    assert_eq!(tickets.len(), 120);
    assert!(tickets.iter().any(|t| t.is_open()));
    assert!(tickets.iter().any(|t| t.is_resolved()));
    assert!(
        tickets
            .iter()
            .any(|t| t.fr_due_by.is_some() && t.due_by.is_some())
    );
    assert!(tickets.iter().any(|t| t.first_response_time.is_some()));
    assert!(tickets.iter().any(|t| !t.tag_list().is_empty()));
    assert!(
        tickets
            .iter()
            .all(|t| t.created_at <= config.anchor && t.updated_at <= config.anchor)
    );
    assert!(
        tickets
            .iter()
            .filter(|t| t.is_resolved())
            .all(|t| t.resolved_at.is_some())
    );
    assert!(tickets.iter().all(|t| {
        t.first_response_time
            == t.first_responded_at
                .map(|f| (f - t.created_at).num_seconds())
    }));
}
