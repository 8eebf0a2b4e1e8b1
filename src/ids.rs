//! Typed ids: a [`MerchantId`] cannot be passed where a [`TicketId`] is expected.
//!
//! Every id is a positive 64-bit integer. The constructors reject zero and
//! negative values with [`Error::InvalidInput`],
//! so a merchant id that came from a query string or a message is checked
//! once, at the edge, and carried as a type from then on.

use std::fmt;

use sea_orm::DeriveValueType;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, DeriveValueType, Serialize,
            Deserialize,
        )]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(i64);

        impl $name {
            /// Checks that `value` is a valid id (greater than zero).
            ///
            /// # Errors
            ///
            /// [`Error::InvalidInput`] naming the field when `value <= 0`.
            pub fn new(value: i64) -> Result<Self> {
                if value > 0 {
                    Ok(Self(value))
                } else {
                    Err(Error::invalid_input(
                        $field,
                        format!("must be greater than 0, got {value}"),
                    ))
                }
            }

            /// The raw integer value, as stored in the database.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = Error;

            fn try_from(value: i64) -> Result<Self> {
                Self::new(value)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                let value: i64 = s.trim().parse().map_err(|_| {
                    Error::invalid_input($field, format!("`{s}` is not an integer"))
                })?;
                Self::new(value)
            }
        }
    };
}

typed_id!(
    /// The tenant key: every tenant row belongs to exactly one merchant.
    MerchantId,
    "merchant_id"
);
typed_id!(
    /// Primary key of a ticket row (`freshdesk_unified_ticket_view.id`).
    TicketId,
    "ticket_id"
);
typed_id!(
    /// Primary key of a conversation row (`freshdesk_conversation.id`).
    ConversationId,
    "conversation_id"
);
typed_id!(
    /// Primary key of a satisfaction rating row (`freshdesk_rating.id`).
    RatingId,
    "rating_id"
);
typed_id!(
    /// Primary key of an agent row (`freshdesk_agent.id`).
    AgentId,
    "agent_id"
);
typed_id!(
    /// Primary key of a contact row (`freshdesk_contact.id`).
    ContactId,
    "contact_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_id_must_be_positive() {
        assert!(MerchantId::new(1).is_ok());
        for bad in [0, -1, i64::MIN] {
            let err = MerchantId::new(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidInput {
                        field: "merchant_id",
                        ..
                    }
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn parse_and_serde_validate() {
        assert_eq!("42".parse::<TicketId>().unwrap().get(), 42);
        assert!("x".parse::<TicketId>().is_err());
        assert!(serde_json::from_str::<MerchantId>("0").is_err());
        assert_eq!(
            serde_json::to_string(&AgentId::new(7).unwrap()).unwrap(),
            "7"
        );
    }
}
