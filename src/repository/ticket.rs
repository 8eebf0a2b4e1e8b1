//! Tickets with their conversations and ratings: the [`TicketRepository`]
//! trait (what a caller can do) and its SeaORM implementation,
//! [`SeaTicketRepository`], split by capability:
//!
//! | file | owns |
//! | --- | --- |
//! | `read.rs` | lookups, lists, counts, projections ([`TicketSummary`]) |
//! | `stream.rs` | the batch stream: a PostgreSQL cursor, keyset batches elsewhere ([`MAX_STREAM_BATCH`]) |
//! | `children.rs` | tickets with their conversations, ratings and people ([`TicketWithChildren`]), bounded |
//! | `write.rs` | inserts, upserts, status and flag updates (by id or filter), deletes; the bulk loader's chunked path |
//! | `api.rs` | the [`TicketRepository`] trait |
//! | `sea.rs` | the trait implementation: one `tracing` span per method, then a call into the three above |

mod api;
mod children;
mod read;
mod sea;
mod stream;
pub(crate) mod write;

pub use api::TicketRepository;
pub use children::{MAX_CHILDREN_PER_TICKET, MAX_TICKETS_WITH_CHILDREN, TicketWithChildren};
pub use read::TicketSummary;
pub use sea::SeaTicketRepository;
pub use stream::{MAX_STREAM_BATCH, STREAM_BATCH};
pub use write::TicketChange;
