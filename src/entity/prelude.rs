//! Entity types under short names: `use freshdesk_store::entity::prelude::*;`.

pub use super::agent::{
    ActiveModel as AgentActiveModel, Column as AgentColumn, Entity as Agent, Model as AgentModel,
};
pub use super::contact::{
    ActiveModel as ContactActiveModel, Column as ContactColumn, Entity as Contact,
    Model as ContactModel,
};
pub use super::conversation::{
    ActiveModel as ConversationActiveModel, Column as ConversationColumn, Entity as Conversation,
    Model as ConversationModel,
};
pub use super::enums::{Priority, Source, TicketStatus};
pub use super::rating::{
    ActiveModel as RatingActiveModel, Column as RatingColumn, Entity as Rating,
    Model as RatingModel,
};
pub use super::sync_state::{
    ActiveModel as SyncStateActiveModel, Column as SyncStateColumn, Entity as SyncState,
    Model as SyncStateModel,
};
pub use super::ticket::{
    ActiveModel as TicketActiveModel, Column as TicketColumn, Entity as Ticket,
    Model as TicketModel,
};
