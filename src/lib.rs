//! crate docs (temporary)
#![deny(missing_docs)]

pub mod analytics;
pub mod config;
pub mod entity;
pub mod error;
pub mod ids;
pub mod migration;
pub mod repository;
pub mod retry;

pub use config::PoolConfig;
pub use error::{ConflictKind, Error, Result};
pub use ids::{AgentId, ContactId, ConversationId, MerchantId, RatingId, TicketId};
#[cfg(feature = "testing")]
pub mod testing;
