//! The plan of the demo data: a seeded generator and what it makes of it
//! (a merchant's people, each ticket with its conversations and rating),
//! as a pure function of the [`DemoConfig`].

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, NotSet};
use serde_json::{Value, json};

use super::DemoConfig;
use crate::entity::enums::{Priority, Source, TicketStatus};
use crate::entity::{agent, contact, conversation, rating, ticket};
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::repository::{NewConversation, NewRating, NewTicket};

/// SplitMix64: small, fast, and the same on every platform and version.
#[derive(Clone, Debug)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(parts: &[u64]) -> Self {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for part in parts {
            state = Rng(state ^ part.wrapping_mul(0xBF58_476D_1CE4_E5B9)).next_u64();
        }
        Rng(state)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent` / 100.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks by integer weights.
    pub(super) fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
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

pub(super) const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dev", "Emeka", "Fatima", "Goran", "Hana", "Ines", "Jun", "Kai", "Lena",
    "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wei",
    "Yara",
];
pub(super) const LAST_NAMES: &[&str] = &[
    "Okafor", "Schmidt", "Tanaka", "García", "Novak", "Haddad", "Larsen", "Moreau", "Silva", "Kim",
    "Ivanova", "Brown", "Rossi", "Nguyen", "Kowalski", "Fischer",
];
pub(super) const TAGS: &[&str] = &[
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
pub(super) const SUBJECTS: &[&str] = &[
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
pub(super) struct MerchantPeople {
    pub(super) index: u64,
    pub(super) agents: Vec<(String, String, Option<String>)>,
    pub(super) contacts: Vec<(String, String, Option<String>)>,
    pub(super) merchant: MerchantId,
}

impl MerchantPeople {
    /// `index` is the merchant's position in the configuration: the rows
    /// depend on it, not on the merchant id.
    pub(super) fn new(config: &DemoConfig, merchant: MerchantId, index: u64) -> Self {
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

    pub(super) fn agent_rows(&self) -> Vec<agent::ActiveModel> {
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

    pub(super) fn contact_rows(&self) -> Vec<contact::ActiveModel> {
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

pub(super) struct ConversationPlan {
    pub(super) freshdesk_id: String,
    pub(super) body: String,
    pub(super) incoming: bool,
    pub(super) private: bool,
    pub(super) author_id: Option<i64>,
    pub(super) created_at: DateTime<Utc>,
}

impl ConversationPlan {
    pub(super) fn row(&self, merchant: MerchantId, ticket: TicketId) -> conversation::ActiveModel {
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

pub(super) struct RatingPlan {
    pub(super) freshdesk_id: String,
    pub(super) rating: i32,
    pub(super) feedback: Option<String>,
    pub(super) created_at: DateTime<Utc>,
}

impl RatingPlan {
    pub(super) fn row(&self, merchant: MerchantId, ticket: TicketId) -> rating::ActiveModel {
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
pub(super) struct TicketPlan {
    pub(super) freshdesk_id: String,
    pub(super) subject: String,
    pub(super) status: TicketStatus,
    pub(super) priority: Priority,
    pub(super) source: Option<Source>,
    pub(super) requester: Option<String>,
    pub(super) responder: Option<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) first_responded_at: Option<DateTime<Utc>>,
    pub(super) fr_due_by: Option<DateTime<Utc>>,
    pub(super) due_by: Option<DateTime<Utc>>,
    pub(super) resolved_at: Option<DateTime<Utc>>,
    pub(super) closed_at: Option<DateTime<Utc>>,
    pub(super) tags: Vec<String>,
    pub(super) custom_fields: Value,
    pub(super) processed: bool,
    pub(super) conversations: Vec<ConversationPlan>,
    pub(super) rating: Option<RatingPlan>,
}

impl TicketPlan {
    pub(super) fn generate(config: &DemoConfig, people: &MerchantPeople, i: u32) -> Self {
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

    pub(super) fn row(
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
    use chrono::TimeZone;

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
