//! Factories of a ticket's children: [`ConversationFactory`] and
//! [`RatingFactory`].

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Conn, fetch, insert_rows, unique_freshdesk_id};
use crate::entity::{conversation, rating, ticket};
use crate::error::Result;
use crate::ids::{MerchantId, TicketId};
use crate::repository::{NewConversation, NewRating};

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
