//! Deterministic demo data: N merchants × M tickets of realistic helpdesk
//! activity, written with bulk inserts.
//!
//! The rows are a pure function of the [`DemoConfig`] (seed, merchants,
//! tickets, anchor; a merchant's rows depend on its position, not its id):
//! the same configuration gives the same rows on SQLite,
//! PostgreSQL and MariaDB, so reports over them can be compared across
//! backends. Every timestamp is a whole second at or before the anchor.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> freshdesk_store::Result<()> {
//! use freshdesk_store::testing::{TestDb, demo::{self, DemoConfig}};
//!
//! let db = TestDb::connect().await?;
//! let txn = db.begin().await?;
//! let summary = demo::fill(&txn, &DemoConfig::new(2, 50, 7)).await?;
//! assert_eq!(summary.tickets, 100);
//! # Ok(()) }
//! ```

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet,
    QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::entity::enums::{Priority, Source, TicketStatus};
use crate::entity::{agent, contact, conversation, rating, ticket};
use crate::error::Result;
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::repository::bulk::{insert_chunked, max_bind_params};
use crate::repository::{NewConversation, NewRating, NewTicket};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of merchants.
    pub merchants: u32,
    /// Id of the first merchant; the others follow consecutively.
    pub first_merchant: MerchantId,
    /// Tickets per merchant.
    pub tickets_per_merchant: u32,
    /// The seed: same seed, same rows.
    pub seed: u64,
    /// The "now" of the data: every timestamp is at or before it, most
    /// within the 90 days before it.
    pub anchor: DateTime<Utc>,
    /// Also generate conversations and ratings (default true).
    pub children: bool,
}

impl DemoConfig {
    /// `merchants` merchants (ids 1, 2, …) of `tickets_per_merchant`
    /// tickets each, anchored at the start of the current UTC day.
    pub fn new(merchants: u32, tickets_per_merchant: u32, seed: u64) -> Self {
        let today = Utc::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight");
        Self {
            merchants,
            first_merchant: MerchantId::new(1).expect("1 is a valid id"),
            tickets_per_merchant,
            seed,
            anchor: Utc.from_utc_datetime(&today),
            children: true,
        }
    }

    /// Sets the first merchant id.
    pub fn first_merchant(mut self, id: MerchantId) -> Self {
        self.first_merchant = id;
        self
    }

    /// Sets the anchor ("now" of the data).
    pub fn anchor(mut self, anchor: DateTime<Utc>) -> Self {
        self.anchor = anchor;
        self
    }

    /// Tickets only, without conversations and ratings.
    pub fn without_children(mut self) -> Self {
        self.children = false;
        self
    }

    /// The merchant ids this configuration fills.
    pub fn merchant_ids(&self) -> Vec<MerchantId> {
        (0..i64::from(self.merchants))
            .filter_map(|i| MerchantId::new(self.first_merchant.get() + i).ok())
            .collect()
    }
}

/// How many rows [`fill`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    /// Merchants filled.
    pub merchants: u64,
    /// Agents written.
    pub agents: u64,
    /// Contacts written.
    pub contacts: u64,
    /// Tickets written.
    pub tickets: u64,
    /// Conversations written.
    pub conversations: u64,
    /// Ratings written.
    pub ratings: u64,
}

/// Tickets generated and written per batch (bounded memory for large fills).
const BATCH: u32 = 5_000;

/// Writes the demo data of `config` with bulk inserts, merchant by merchant
/// and in batches of 5,000 tickets: all or nothing, in a savepoint of the
/// caller's transaction (or a transaction of its own on a pool).
///
/// # Errors
///
/// [`Error::Conflict`](crate::Error::Conflict) when a merchant already has
/// demo rows with the same Freshdesk ids; any database error.
pub async fn fill<C>(conn: &C, config: &DemoConfig) -> Result<DemoSummary>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = conn.begin().await?;
    let summary = fill_in(&txn, config).await?;
    txn.commit().await?;
    Ok(summary)
}

async fn fill_in(db: &DatabaseTransaction, config: &DemoConfig) -> Result<DemoSummary> {
    let mut summary = DemoSummary::default();
    for (index, merchant) in config.merchant_ids().into_iter().enumerate() {
        let people = MerchantPeople::new(config, merchant, index as u64);
        summary.agents += insert_chunked(db, people.agent_rows()).await?;
        summary.contacts += insert_chunked(db, people.contact_rows()).await?;
        let agent_ids: HashMap<String, AgentId> = agent::Entity::find()
            .select_only()
            .column(agent::Column::FreshdeskAgentId)
            .column(agent::Column::Id)
            .filter(agent::Column::MerchantId.eq(merchant))
            .into_tuple::<(String, AgentId)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let contact_ids: HashMap<String, ContactId> = contact::Entity::find()
            .select_only()
            .column(contact::Column::FreshdeskContactId)
            .column(contact::Column::Id)
            .filter(contact::Column::MerchantId.eq(merchant))
            .into_tuple::<(String, ContactId)>()
            .all(db)
            .await?
            .into_iter()
            .collect();

        let mut start = 0;
        while start < config.tickets_per_merchant {
            let end = (start + BATCH).min(config.tickets_per_merchant);
            let plans: Vec<TicketPlan> = (start..end)
                .map(|i| TicketPlan::generate(config, &people, i))
                .collect();
            let rows = plans
                .iter()
                .map(|p| p.row(merchant, &agent_ids, &contact_ids))
                .collect();
            summary.tickets += insert_chunked(db, rows).await?;
            if config.children {
                let ids = ticket_ids(db, merchant, &plans).await?;
                let mut conversations = Vec::new();
                let mut ratings = Vec::new();
                for plan in &plans {
                    let id = ids[&plan.freshdesk_id];
                    conversations.extend(plan.conversations.iter().map(|c| c.row(merchant, id)));
                    ratings.extend(plan.rating.iter().map(|r| r.row(merchant, id)));
                }
                summary.conversations += insert_chunked(db, conversations).await?;
                summary.ratings += insert_chunked(db, ratings).await?;
            }
            start = end;
        }
        summary.merchants += 1;
    }
    Ok(summary)
}

/// Ticket ids of a batch, by Freshdesk id (chunked `IN` lists).
async fn ticket_ids<C: ConnectionTrait>(
    db: &C,
    merchant: MerchantId,
    plans: &[TicketPlan],
) -> Result<HashMap<String, TicketId>> {
    let mut ids = HashMap::with_capacity(plans.len());
    let chunk = max_bind_params(db.get_database_backend()) - 1;
    for part in plans.chunks(chunk) {
        let rows = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::FreshdeskTicketId)
            .column(ticket::Column::Id)
            .filter(ticket::Column::MerchantId.eq(merchant))
            .filter(
                ticket::Column::FreshdeskTicketId
                    .is_in(part.iter().map(|p| p.freshdesk_id.clone())),
            )
            .into_tuple::<(String, TicketId)>()
            .all(db)
            .await?;
        ids.extend(rows);
    }
    Ok(ids)
}

/// SplitMix64: small, fast, and the same on every platform and version.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(parts: &[u64]) -> Self {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for part in parts {
            state = Rng(state ^ part.wrapping_mul(0xBF58_476D_1CE4_E5B9)).next_u64();
        }
        Rng(state)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks by integer weights.
    fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dev", "Emeka", "Fatima", "Goran", "Hana", "Ines", "Jun", "Kai", "Lena",
    "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wei",
    "Yara",
];
const LAST_NAMES: &[&str] = &[
    "Okafor", "Schmidt", "Tanaka", "García", "Novak", "Haddad", "Larsen", "Moreau", "Silva", "Kim",
    "Ivanova", "Brown", "Rossi", "Nguyen", "Kowalski", "Fischer",
];
const TAGS: &[&str] = &[
    "refund",
    "shipping",
    "billing",
    "bug",
    "login",
    "returns",
    "vip",
    "feature-request",
    "damaged",
    "Refund",
    "delivery-delay",
    "account",
];
const SUBJECTS: &[&str] = &[
    "Where is my order?",
    "Refund not received",
    "Cannot log in to my account",
    "Package arrived damaged",
    "Wrong size delivered",
    "Question about my invoice",
    "Discount code does not work",
    "Change shipping address",
    "App crashes on checkout",
    "Cancel my subscription",
];

/// Agents and contacts of one merchant (their Freshdesk ids are stable).
struct MerchantPeople {
    index: u64,
    agents: Vec<(String, String, Option<String>)>,
    contacts: Vec<(String, String, Option<String>)>,
    merchant: MerchantId,
}

impl MerchantPeople {
    /// `index` is the merchant's position in the configuration: the rows
    /// depend on it, not on the merchant id.
    fn new(config: &DemoConfig, merchant: MerchantId, index: u64) -> Self {
        let mut rng = Rng::new(&[config.seed, index, 1]);
        let n_agents = rng.range(4, 12) as usize;
        let n_contacts = (config.tickets_per_merchant as usize / 3).clamp(5, 5_000);
        let mut person = |kind: &str, i: usize, email_chance: u64| {
            let first = FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize];
            let last = LAST_NAMES[rng.below(LAST_NAMES.len() as u64) as usize];
            let email = rng.chance(email_chance).then(|| {
                format!(
                    "{}.{}{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    i
                )
            });
            (format!("{kind}-{i}"), format!("{first} {last}"), email)
        };
        let agents = (0..n_agents).map(|i| person("agent", i, 100)).collect();
        let contacts = (0..n_contacts).map(|i| person("contact", i, 85)).collect();
        Self {
            index,
            agents,
            contacts,
            merchant,
        }
    }

    fn agent_rows(&self) -> Vec<agent::ActiveModel> {
        self.agents
            .iter()
            .map(|(fd, name, email)| agent::ActiveModel {
                id: NotSet,
                merchant_id: Set(self.merchant),
                freshdesk_agent_id: Set(fd.clone()),
                name: Set(name.clone()),
                email: Set(email.clone()),
                ..Default::default()
            })
            .collect()
    }

    fn contact_rows(&self) -> Vec<contact::ActiveModel> {
        self.contacts
            .iter()
            .map(|(fd, name, email)| contact::ActiveModel {
                id: NotSet,
                merchant_id: Set(self.merchant),
                freshdesk_contact_id: Set(fd.clone()),
                name: Set(name.clone()),
                email: Set(email.clone()),
                ..Default::default()
            })
            .collect()
    }
}

struct ConversationPlan {
    freshdesk_id: String,
    body: String,
    incoming: bool,
    private: bool,
    author_id: Option<i64>,
    created_at: DateTime<Utc>,
}

impl ConversationPlan {
    fn row(&self, merchant: MerchantId, ticket: TicketId) -> conversation::ActiveModel {
        NewConversation {
            ticket_id: ticket,
            freshdesk_conversation_id: self.freshdesk_id.clone(),
            body: self.body.clone(),
            incoming: self.incoming,
            private: self.private,
            author_id: self.author_id,
            created_at: self.created_at,
        }
        .into_active(merchant)
    }
}

struct RatingPlan {
    freshdesk_id: String,
    rating: i32,
    feedback: Option<String>,
    created_at: DateTime<Utc>,
}

impl RatingPlan {
    fn row(&self, merchant: MerchantId, ticket: TicketId) -> rating::ActiveModel {
        NewRating {
            ticket_id: ticket,
            freshdesk_rating_id: self.freshdesk_id.clone(),
            rating: self.rating,
            feedback: self.feedback.clone(),
            created_at: self.created_at,
        }
        .into_active(merchant)
    }
}

/// One generated ticket with its children, before ids are known.
struct TicketPlan {
    freshdesk_id: String,
    subject: String,
    status: TicketStatus,
    priority: Priority,
    source: Option<Source>,
    requester: Option<String>,
    responder: Option<String>,
    created_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    fr_due_by: Option<DateTime<Utc>>,
    due_by: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    tags: Vec<String>,
    custom_fields: Value,
    processed: bool,
    conversations: Vec<ConversationPlan>,
    rating: Option<RatingPlan>,
}

impl TicketPlan {
    fn generate(config: &DemoConfig, people: &MerchantPeople, i: u32) -> Self {
        let mut rng = Rng::new(&[config.seed, people.index, 2, u64::from(i)]);
        let anchor = config.anchor;
        // Seconds from `t` to the anchor: later timestamps are drawn inside
        // this room, so nothing lies after the anchor and nothing piles up on it.
        let room = |t: DateTime<Utc>| (anchor - t).num_seconds().max(0);
        let created_at = anchor - Duration::seconds(rng.range(60, 90 * 86_400));
        let age_days = (anchor - created_at).num_days();

        let priority = rng.weighted(&[
            (Priority::Low, 30),
            (Priority::Medium, 40),
            (Priority::High, 20),
            (Priority::Urgent, 10),
        ]);
        let resolved_weight = if age_days > 14 { 85 } else { 45 };
        let status = if rng.chance(resolved_weight) {
            rng.weighted(&[(TicketStatus::Resolved, 55), (TicketStatus::Closed, 45)])
        } else if rng.chance(1) {
            TicketStatus::Other(12) // a custom status of the account
        } else {
            rng.weighted(&[
                (TicketStatus::Open, 45),
                (TicketStatus::Pending, 25),
                (TicketStatus::WaitingOnCustomer, 20),
                (TicketStatus::WaitingOnThirdParty, 10),
            ])
        };
        let source = if rng.chance(5) {
            None
        } else {
            Some(rng.weighted(&[
                (Source::Email, 40),
                (Source::Portal, 20),
                (Source::Phone, 10),
                (Source::Chat, 20),
                (Source::FeedbackWidget, 5),
                (Source::OutboundEmail, 5),
            ]))
        };
        let (fr_hours, due_hours, response_scale) = match priority {
            Priority::Urgent => (1, 4, 3_600),
            Priority::High => (4, 24, 4 * 3_600),
            Priority::Medium => (8, 72, 8 * 3_600),
            _ => (24, 120, 20 * 3_600),
        };
        let has_sla = rng.chance(90);
        let fr_due_by = has_sla.then(|| created_at + Duration::hours(fr_hours));
        let due_by = has_sla.then(|| created_at + Duration::hours(due_hours));
        // Some responses are late: up to twice the first-response SLA.
        let first_responded_at = if rng.chance(88) {
            let t = created_at + Duration::seconds(rng.range(30, 2 * response_scale));
            (t <= anchor).then_some(t)
        } else {
            None
        };
        let reopened = !status.is_resolved() && rng.chance(3);
        let resolved_at = if status.is_resolved() || reopened {
            let after = first_responded_at.unwrap_or(created_at);
            let room = room(after);
            Some(after + Duration::seconds(rng.range(room.min(600), room.min(10 * 86_400))))
        } else {
            None
        };
        let closed_at = match (status, resolved_at) {
            (TicketStatus::Closed, Some(r)) => {
                Some(r + Duration::seconds(rng.range(0, room(r).min(2 * 86_400))))
            }
            _ => None,
        };
        let n_tags = rng.weighted(&[(0usize, 25), (1, 35), (2, 25), (3, 10), (4, 5)]);
        let mut tags: Vec<String> = (0..n_tags)
            .map(|_| TAGS[rng.below(TAGS.len() as u64) as usize].to_owned())
            .collect();
        if !tags.is_empty() && rng.chance(3) {
            tags.push(tags[0].clone()); // a duplicate tag, as Freshdesk sometimes stores
        }
        let requester = (!people.contacts.is_empty() && rng.chance(97)).then(|| {
            people.contacts[rng.below(people.contacts.len() as u64) as usize]
                .0
                .clone()
        });
        let responder = (!people.agents.is_empty() && rng.chance(92)).then(|| {
            people.agents[rng.below(people.agents.len() as u64) as usize]
                .0
                .clone()
        });
        let freshdesk_id = format!("{}", 100_000 + u64::from(i));
        let subject = SUBJECTS[rng.below(SUBJECTS.len() as u64) as usize].to_owned();
        let order = format!("ORD-{}-{}", people.index + 1, rng.range(10_000, 99_999));
        let region = ["eu", "us", "apac"][rng.below(3) as usize];
        let custom_fields = json!({ "order_id": order, "region": region });
        let processed = status.is_resolved() && rng.chance(50);

        let mut conversations = Vec::new();
        let mut rating = None;
        if config.children {
            let mut at = created_at + Duration::seconds(rng.range(0, 120));
            let n = rng.range(1, 5);
            for c in 0..n {
                let incoming = c % 2 == 0;
                if let Some(first) = first_responded_at.filter(|_| !incoming && c == 1) {
                    at = first;
                }
                if at > anchor {
                    break;
                }
                conversations.push(ConversationPlan {
                    freshdesk_id: format!("{freshdesk_id}-{c}"),
                    body: if incoming {
                        "Hello, I need help with my order.".to_owned()
                    } else {
                        "Thanks for reaching out, we are on it.".to_owned()
                    },
                    incoming,
                    private: !incoming && rng.chance(10),
                    author_id: (!incoming).then(|| rng.range(1, 50)),
                    created_at: at,
                });
                at += Duration::seconds(rng.range(600, 86_400));
            }
            if let Some(resolved) = resolved_at.filter(|_| rng.chance(35)) {
                let score = rng.weighted(&[
                    (103, 20),
                    (102, 25),
                    (101, 20),
                    (100, 15),
                    (-101, 10),
                    (-102, 6),
                    (-103, 4),
                ]);
                let created = resolved + Duration::seconds(rng.range(60, 3 * 86_400));
                if created <= anchor {
                    rating = Some(RatingPlan {
                        freshdesk_id: format!("{freshdesk_id}-r"),
                        rating: score,
                        feedback: (score < 100 || rng.chance(30)).then(|| {
                            ["Slow answer", "Great help!", "Fine"][rng.below(3) as usize].to_owned()
                        }),
                        created_at: created,
                    });
                }
            }
        }

        TicketPlan {
            freshdesk_id,
            subject,
            status,
            priority,
            source,
            requester,
            responder,
            created_at,
            first_responded_at,
            fr_due_by,
            due_by,
            resolved_at,
            closed_at,
            tags,
            custom_fields,
            processed,
            conversations,
            rating,
        }
    }

    fn row(
        &self,
        merchant: MerchantId,
        agents: &HashMap<String, AgentId>,
        contacts: &HashMap<String, ContactId>,
    ) -> ticket::ActiveModel {
        let updated_at = [self.first_responded_at, self.resolved_at, self.closed_at]
            .into_iter()
            .flatten()
            .chain(self.conversations.iter().map(|c| c.created_at))
            .fold(self.created_at, DateTime::max);
        NewTicket {
            freshdesk_ticket_id: self.freshdesk_id.clone(),
            subject: self.subject.clone(),
            status: self.status,
            priority: self.priority,
            source: self.source,
            requester_id: self
                .requester
                .as_ref()
                .and_then(|fd| contacts.get(fd).copied()),
            responder_id: self
                .responder
                .as_ref()
                .and_then(|fd| agents.get(fd).copied()),
            created_at: self.created_at,
            updated_at,
            first_responded_at: self.first_responded_at,
            fr_due_by: self.fr_due_by,
            due_by: self.due_by,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            tags: self.tags.clone(),
            custom_fields: self.custom_fields.clone(),
            processed: self.processed,
        }
        .into_active(merchant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_plan_different_seed_different_plan() {
        let config =
            DemoConfig::new(1, 50, 42).anchor(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
        let merchant = MerchantId::new(1).unwrap();
        let people = MerchantPeople::new(&config, merchant, 0);
        let a: Vec<_> = (0..50)
            .map(|i| TicketPlan::generate(&config, &people, i).created_at)
            .collect();
        let b: Vec<_> = (0..50)
            .map(|i| TicketPlan::generate(&config, &people, i).created_at)
            .collect();
        assert_eq!(a, b);
        let other = DemoConfig {
            seed: 43,
            ..config.clone()
        };
        let c: Vec<_> = (0..50)
            .map(|i| TicketPlan::generate(&other, &people, i).created_at)
            .collect();
        assert_ne!(a, c);
        assert!(a.iter().all(|t| *t <= config.anchor));
    }
}
