//! Watermarks: per merchant and stream, the `updated_at` a sync has applied
//! up to, in `freshdesk_sync_state`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::entity::sync_state;
use crate::error::{Error, Result};
use crate::ids::MerchantId;
use crate::repository::savepoint::in_savepoint;
use crate::repository::upsert::{NewestWins, upsert_newest};

/// A stream of Freshdesk records a sync follows, each with its own
/// watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStream {
    /// `GET /api/v2/tickets` (`updated_since`).
    Tickets,
    /// Tickets listed with `filter=deleted`.
    TicketsDeleted,
    /// Tickets listed with `filter=spam`.
    TicketsSpam,
    /// Conversations of the synced tickets.
    Conversations,
    /// Satisfaction ratings (`created_since`).
    Ratings,
    /// Agents.
    Agents,
    /// Contacts.
    Contacts,
}

impl SyncStream {
    /// Every stream.
    pub const ALL: [SyncStream; 7] = [
        SyncStream::Tickets,
        SyncStream::TicketsDeleted,
        SyncStream::TicketsSpam,
        SyncStream::Conversations,
        SyncStream::Ratings,
        SyncStream::Agents,
        SyncStream::Contacts,
    ];

    /// The name stored in `freshdesk_sync_state.stream` (`"tickets_deleted"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SyncStream::Tickets => "tickets",
            SyncStream::TicketsDeleted => "tickets_deleted",
            SyncStream::TicketsSpam => "tickets_spam",
            SyncStream::Conversations => "conversations",
            SyncStream::Ratings => "ratings",
            SyncStream::Agents => "agents",
            SyncStream::Contacts => "contacts",
        }
    }
}

impl fmt::Display for SyncStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SyncStream {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|stream| stream.as_str() == s)
            .ok_or_else(|| Error::invalid_input("stream", format!("unknown stream `{s}`")))
    }
}

/// The merchant's watermark for `stream`: the instant its last committed
/// sync applied records up to, or `None` before the first one.
///
/// Runs 1 statement in the caller's transaction.
///
/// # Errors
///
/// A database error when the query fails.
pub async fn read_watermark(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    stream: SyncStream,
) -> Result<Option<DateTime<Utc>>> {
    Ok(sync_state::Entity::find()
        .filter(sync_state::Column::MerchantId.eq(merchant))
        .filter(sync_state::Column::Stream.eq(stream.as_str()))
        .one(txn)
        .await?
        .map(|row| row.watermark))
}

/// Moves the merchant's watermark for `stream` to `to`, in the caller's
/// transaction (so it commits, or rolls back, with the data it covers). It
/// never moves backwards: an older `to` leaves it where it is. Returns the
/// watermark now stored.
///
/// Runs 2 statements (the upsert and a read back) in a savepoint; on SQLite
/// and MariaDB 1 more to count. A dropped call (a timeout, `select!`) is undone whole
/// and never touches the caller's earlier writes
/// ([how](crate::repository#cancellation)).
///
/// # Errors
///
/// A database error when a statement fails; the caller's transaction stays
/// usable.
pub async fn advance_watermark(
    txn: &DatabaseTransaction,
    merchant: MerchantId,
    stream: SyncStream,
    to: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let spec = NewestWins::<sync_state::Entity> {
        merchant: sync_state::Column::MerchantId,
        key: sync_state::Column::Stream,
        key_field: "stream",
        updated_at: sync_state::Column::Watermark,
        update: vec![sync_state::Column::UpdatedAt],
    };
    let row = sync_state::ActiveModel {
        merchant_id: Set(merchant),
        stream: Set(stream.as_str().to_owned()),
        watermark: Set(to.trunc_subsecs(6)),
        updated_at: Set(Utc::now().trunc_subsecs(6)),
    };
    in_savepoint(txn, async |sp: &DatabaseTransaction| {
        upsert_newest(sp, merchant, &spec, vec![row]).await?;
        read_watermark(sp, merchant, stream)
            .await?
            .ok_or_else(|| Error::not_found("sync state", stream))
    })
    .await
}
