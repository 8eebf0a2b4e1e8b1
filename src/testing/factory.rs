//! Builder-style factories: sensible defaults, unique Freshdesk ids, and
//! the seed guide's lazy attributes.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, NotSet, QueryFilter, Select, TransactionTrait,
};
use serde_json::{Value, json};

use crate::entity::enums::{Priority, Source, TicketStatus};
use crate::entity::{agent, contact, conversation, rating, ticket};
use crate::error::{Error, Result};
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::repository::bulk::insert_chunked;
use crate::repository::{NewConversation, NewRating, NewTicket};

/// What the factories insert through: a transaction (the rows go into a
/// savepoint of it) or a pool (a transaction of their own).
pub trait Conn: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> {}
impl<C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>> Conn for C {}

/// Inserts through the crate's own write path, in a savepoint or
/// transaction begun here (test code may begin one; the data layers may not).
async fn insert_rows<C: Conn, A: ActiveModelTrait + Send>(db: &C, rows: Vec<A>) -> Result<u64> {
    let txn = db.begin().await?;
    let n = insert_chunked(&txn, rows).await?;
    txn.commit().await?;
    Ok(n)
}

static FRESHDESK_SEQ: AtomicU64 = AtomicU64::new(1);
static MERCHANT_SEQ: AtomicI64 = AtomicI64::new(0);

/// A Freshdesk id no other factory call in this process has returned
/// (`"{prefix}-{n}"`).
pub fn unique_freshdesk_id(prefix: &str) -> String {
    format!("{prefix}-{}", FRESHDESK_SEQ.fetch_add(1, Ordering::Relaxed))
}

/// A merchant id no other call returns, in this process or (with
/// overwhelming likelihood) in another test process against the same
/// server: for tests that commit.
pub fn unique_merchant_id() -> MerchantId {
    if MERCHANT_SEQ.load(Ordering::SeqCst) == 0 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(1);
        let base = ((nanos ^ (u128::from(std::process::id()) << 40)) % 1_000_000_000_000) as i64;
        let _ =
            MERCHANT_SEQ.compare_exchange(0, base * 1000 + 1, Ordering::SeqCst, Ordering::SeqCst);
    }
    MerchantId::new(MERCHANT_SEQ.fetch_add(1, Ordering::SeqCst))
        .expect("generated merchant ids are positive")
}

/// Inserts go through the crate's own write path (timestamps of any year on
/// every backend) and the row is read back by its unique Freshdesk id.
async fn fetch<C: ConnectionTrait, E: EntityTrait>(db: &C, select: Select<E>) -> Result<E::Model> {
    select
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(E::default().table_name(), "just inserted row"))
}

/// The instant factories use as "created" unless told otherwise:
/// 2026-10-01T12:00:00Z, so tests do not depend on the clock.
pub fn default_created_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
}

/// Builds a ticket row.
///
/// Lazy attributes, as in the seed guide: a resolved or closed ticket gets
/// `resolved_at` 24 hours after `created_at` unless one is set;
/// `first_response_time` is derived from `created_at` and
/// `first_responded_at`; `updated_at` defaults to the latest timestamp given.
#[derive(Clone, Debug)]
pub struct TicketFactory {
    merchant: MerchantId,
    freshdesk_ticket_id: Option<String>,
    subject: String,
    status: TicketStatus,
    priority: Priority,
    source: Option<Source>,
    requester: Option<ContactId>,
    responder: Option<AgentId>,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    first_responded_at: Option<DateTime<Utc>>,
    fr_due_by: Option<DateTime<Utc>>,
    due_by: Option<DateTime<Utc>>,
    resolved_at: Option<Option<DateTime<Utc>>>,
    closed_at: Option<DateTime<Utc>>,
    tags: Vec<String>,
    custom_fields: Value,
    processed: bool,
}

impl TicketFactory {
    /// An open, medium-priority email ticket of `merchant`, created at
    /// [`default_created_at`].
    pub fn new(merchant: MerchantId) -> Self {
        Self {
            merchant,
            freshdesk_ticket_id: None,
            subject: "Test ticket".to_owned(),
            status: TicketStatus::Open,
            priority: Priority::Medium,
            source: Some(Source::Email),
            requester: None,
            responder: None,
            created_at: default_created_at(),
            updated_at: None,
            first_responded_at: None,
            fr_due_by: None,
            due_by: None,
            resolved_at: None,
            closed_at: None,
            tags: Vec::new(),
            custom_fields: json!({}),
            processed: false,
        }
    }

    /// Freshdesk's ticket id (default: a unique generated one).
    pub fn freshdesk_id(mut self, id: impl Into<String>) -> Self {
        self.freshdesk_ticket_id = Some(id.into());
        self
    }
    /// Subject line.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }
    /// Status.
    pub fn status(mut self, status: TicketStatus) -> Self {
        self.status = status;
        self
    }
    /// Priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }
    /// Source channel (`None` for unknown).
    pub fn source(mut self, source: Option<Source>) -> Self {
        self.source = source;
        self
    }
    /// Requester contact.
    pub fn requester(mut self, contact: ContactId) -> Self {
        self.requester = Some(contact);
        self
    }
    /// Assigned agent.
    pub fn responder(mut self, agent: AgentId) -> Self {
        self.responder = Some(agent);
        self
    }
    /// Creation instant.
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = at;
        self
    }
    /// Last update instant.
    pub fn updated_at(mut self, at: DateTime<Utc>) -> Self {
        self.updated_at = Some(at);
        self
    }
    /// First response instant (`first_response_time` follows).
    pub fn first_responded_at(mut self, at: DateTime<Utc>) -> Self {
        self.first_responded_at = Some(at);
        self
    }
    /// First-response SLA deadline.
    pub fn fr_due_by(mut self, at: DateTime<Utc>) -> Self {
        self.fr_due_by = Some(at);
        self
    }
    /// Resolution SLA deadline.
    pub fn due_by(mut self, at: DateTime<Utc>) -> Self {
        self.due_by = Some(at);
        self
    }
    /// Resolution instant; `None` keeps it empty even for a resolved ticket.
    pub fn resolved_at(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.resolved_at = Some(at);
        self
    }
    /// Closing instant.
    pub fn closed_at(mut self, at: DateTime<Utc>) -> Self {
        self.closed_at = Some(at);
        self
    }
    /// Tags (duplicates are kept as given).
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }
    /// Custom fields object.
    pub fn custom_fields(mut self, fields: Value) -> Self {
        self.custom_fields = fields;
        self
    }
    /// The `processed` flag.
    pub fn processed(mut self, processed: bool) -> Self {
        self.processed = processed;
        self
    }

    /// The row to insert, with the lazy attributes applied.
    pub fn build(self) -> ticket::ActiveModel {
        let resolved_at = match self.resolved_at {
            Some(explicit) => explicit,
            None if self.status.is_resolved() => Some(self.created_at + Duration::hours(24)),
            None => None,
        };
        let updated_at = self.updated_at.unwrap_or_else(|| {
            [self.first_responded_at, resolved_at, self.closed_at]
                .into_iter()
                .flatten()
                .fold(self.created_at, DateTime::max)
        });
        NewTicket {
            freshdesk_ticket_id: self
                .freshdesk_ticket_id
                .unwrap_or_else(|| unique_freshdesk_id("ticket")),
            subject: self.subject,
            status: self.status,
            priority: self.priority,
            source: self.source,
            requester_id: self.requester,
            responder_id: self.responder,
            created_at: self.created_at,
            updated_at,
            first_responded_at: self.first_responded_at,
            fr_due_by: self.fr_due_by,
            due_by: self.due_by,
            resolved_at,
            closed_at: self.closed_at,
            tags: self.tags,
            custom_fields: self.custom_fields,
            processed: self.processed,
        }
        .into_active(self.merchant)
    }

    /// Inserts the row and returns it as stored.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`](crate::Error::Conflict) for a duplicate Freshdesk
    /// id or a requester / responder of another merchant.
    pub async fn insert<C: Conn>(self, db: &C) -> Result<ticket::Model> {
        let row = self.build();
        let key = (
            row.merchant_id.clone().unwrap(),
            row.freshdesk_ticket_id.clone().unwrap(),
        );
        insert_rows(db, vec![row]).await?;
        fetch(
            db,
            ticket::Entity::find()
                .filter(ticket::Column::MerchantId.eq(key.0))
                .filter(ticket::Column::FreshdeskTicketId.eq(key.1)),
        )
        .await
    }
}

/// Builds a conversation of a ticket.
#[derive(Clone, Debug)]
pub struct ConversationFactory {
    merchant: MerchantId,
    ticket: TicketId,
    freshdesk_id: Option<String>,
    body: String,
    incoming: bool,
    private: bool,
    author_id: Option<i64>,
    created_at: DateTime<Utc>,
}

impl ConversationFactory {
    /// An incoming public reply on `ticket`, an hour after it was created.
    pub fn new(ticket: &ticket::Model) -> Self {
        Self {
            merchant: ticket.merchant_id,
            ticket: ticket.id,
            freshdesk_id: None,
            body: "Hello".to_owned(),
            incoming: true,
            private: false,
            author_id: None,
            created_at: ticket.created_at + Duration::hours(1),
        }
    }
    /// Freshdesk's conversation id (default: unique generated).
    pub fn freshdesk_id(mut self, id: impl Into<String>) -> Self {
        self.freshdesk_id = Some(id.into());
        self
    }
    /// Body text.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }
    /// Written by the customer (`true`) or an agent.
    pub fn incoming(mut self, incoming: bool) -> Self {
        self.incoming = incoming;
        self
    }
    /// A private note.
    pub fn private(mut self, private: bool) -> Self {
        self.private = private;
        self
    }
    /// Freshdesk user id of the author.
    pub fn author_id(mut self, author: i64) -> Self {
        self.author_id = Some(author);
        self
    }
    /// Creation instant.
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = at;
        self
    }
    /// The row to insert.
    pub fn build(self) -> conversation::ActiveModel {
        NewConversation {
            ticket_id: self.ticket,
            freshdesk_conversation_id: self
                .freshdesk_id
                .unwrap_or_else(|| unique_freshdesk_id("conversation")),
            body: self.body,
            incoming: self.incoming,
            private: self.private,
            author_id: self.author_id,
            created_at: self.created_at,
        }
        .into_active(self.merchant)
    }
    /// Inserts the row and returns it as stored.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`](crate::Error::Conflict) for a duplicate Freshdesk id.
    pub async fn insert<C: Conn>(self, db: &C) -> Result<conversation::Model> {
        let row = self.build();
        let key = (
            row.merchant_id.clone().unwrap(),
            row.freshdesk_conversation_id.clone().unwrap(),
        );
        insert_rows(db, vec![row]).await?;
        fetch(
            db,
            conversation::Entity::find()
                .filter(conversation::Column::MerchantId.eq(key.0))
                .filter(conversation::Column::FreshdeskConversationId.eq(key.1)),
        )
        .await
    }
}

/// Builds a satisfaction rating of a ticket.
#[derive(Clone, Debug)]
pub struct RatingFactory {
    merchant: MerchantId,
    ticket: TicketId,
    freshdesk_id: Option<String>,
    rating: i32,
    feedback: Option<String>,
    created_at: DateTime<Utc>,
}

impl RatingFactory {
    /// A "very happy" (102) rating of `ticket`, two days after it was created.
    pub fn new(ticket: &ticket::Model) -> Self {
        Self {
            merchant: ticket.merchant_id,
            ticket: ticket.id,
            freshdesk_id: None,
            rating: 102,
            feedback: None,
            created_at: ticket.created_at + Duration::days(2),
        }
    }
    /// Freshdesk's rating id (default: unique generated).
    pub fn freshdesk_id(mut self, id: impl Into<String>) -> Self {
        self.freshdesk_id = Some(id.into());
        self
    }
    /// The rating on Freshdesk's scale (103 … -103).
    pub fn rating(mut self, rating: i32) -> Self {
        self.rating = rating;
        self
    }
    /// Feedback text.
    pub fn feedback(mut self, feedback: impl Into<String>) -> Self {
        self.feedback = Some(feedback.into());
        self
    }
    /// Creation instant.
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = at;
        self
    }
    /// The row to insert.
    pub fn build(self) -> rating::ActiveModel {
        NewRating {
            ticket_id: self.ticket,
            freshdesk_rating_id: self
                .freshdesk_id
                .unwrap_or_else(|| unique_freshdesk_id("rating")),
            rating: self.rating,
            feedback: self.feedback,
            created_at: self.created_at,
        }
        .into_active(self.merchant)
    }
    /// Inserts the row and returns it as stored.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`](crate::Error::Conflict) for a duplicate Freshdesk id.
    pub async fn insert<C: Conn>(self, db: &C) -> Result<rating::Model> {
        let row = self.build();
        let key = (
            row.merchant_id.clone().unwrap(),
            row.freshdesk_rating_id.clone().unwrap(),
        );
        insert_rows(db, vec![row]).await?;
        fetch(
            db,
            rating::Entity::find()
                .filter(rating::Column::MerchantId.eq(key.0))
                .filter(rating::Column::FreshdeskRatingId.eq(key.1)),
        )
        .await
    }
}

macro_rules! person_factory {
    ($(#[$doc:meta])* $name:ident, $module:ident, $fd_col:ident, $fd_variant:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            merchant: MerchantId,
            freshdesk_id: Option<String>,
            name: String,
            email: Option<String>,
        }

        impl $name {
            /// A person of `merchant` with a generated name and no email.
            pub fn new(merchant: MerchantId) -> Self {
                Self {
                    merchant,
                    freshdesk_id: None,
                    name: concat!("Test ", $prefix).to_owned(),
                    email: None,
                }
            }
            /// Freshdesk's id (default: unique generated).
            pub fn freshdesk_id(mut self, id: impl Into<String>) -> Self {
                self.freshdesk_id = Some(id.into());
                self
            }
            /// Display name.
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self.name = name.into();
                self
            }
            /// Email address.
            pub fn email(mut self, email: impl Into<String>) -> Self {
                self.email = Some(email.into());
                self
            }
            /// The row to insert.
            pub fn build(self) -> $module::ActiveModel {
                $module::ActiveModel {
                    id: NotSet,
                    merchant_id: Set(self.merchant),
                    $fd_col: Set(self.freshdesk_id.unwrap_or_else(|| unique_freshdesk_id($prefix))),
                    name: Set(self.name),
                    email: Set(self.email),
                    ..Default::default()
                }
            }
            /// Inserts the row and returns it as stored.
            ///
            /// # Errors
            ///
            /// [`Error::Conflict`](crate::Error::Conflict) for a duplicate Freshdesk id.
            pub async fn insert<C: Conn>(self, db: &C) -> Result<$module::Model> {
                let row = self.build();
                let key = (row.merchant_id.clone().unwrap(), row.$fd_col.clone().unwrap());
                insert_rows(db, vec![row]).await?;
                fetch(
                    db,
                    $module::Entity::find()
                        .filter($module::Column::MerchantId.eq(key.0))
                        .filter($module::Column::$fd_variant.eq(key.1)),
                )
                .await
            }
        }
    };
}

person_factory!(
    /// Builds an agent.
    AgentFactory,
    agent,
    freshdesk_agent_id,
    FreshdeskAgentId,
    "agent"
);
person_factory!(
    /// Builds a contact.
    ContactFactory,
    contact,
    freshdesk_contact_id,
    FreshdeskContactId,
    "contact"
);
