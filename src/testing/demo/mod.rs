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

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use crate::entity::{agent, contact, ticket};
use crate::error::Result;
use crate::ids::{AgentId, ContactId, MerchantId, TicketId};
use crate::repository::bulk::insert_chunked;
use crate::repository::limits::max_bind_params;

mod plan;

use plan::{MerchantPeople, TicketPlan};

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
    fill_with_progress(conn, config, |_| {}).await
}

/// [`fill`], calling `progress` with the running totals after each batch of
/// tickets is written (for a progress bar: `summary.tickets` of
/// `merchants × tickets_per_merchant`). The same rows as [`fill`].
///
/// # Errors
///
/// As [`fill`].
pub async fn fill_with_progress<C, F>(
    conn: &C,
    config: &DemoConfig,
    mut progress: F,
) -> Result<DemoSummary>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
    F: FnMut(&DemoSummary),
{
    let txn = conn.begin().await?;
    let summary = fill_in(&txn, config, &mut progress).await?;
    txn.commit().await?;
    Ok(summary)
}

async fn fill_in(
    db: &DatabaseTransaction,
    config: &DemoConfig,
    progress: &mut dyn FnMut(&DemoSummary),
) -> Result<DemoSummary> {
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
            progress(&summary);
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
