//! Freshdesk's integer codes as Rust enums that never fail to load.
//!
//! Freshdesk accounts can define custom statuses (and, through other tools,
//! other codes can reach the tables). A value this crate does not know loads
//! as `Other(code)`, keeps its code when written back, and never fails the
//! query that read it.

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};
use serde::{Deserialize, Serialize};

macro_rules! open_code_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $code:literal => $label:literal, )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "i32", into = "i32")]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
            /// A code this crate does not know (for example a custom status),
            /// kept as stored.
            Other(i32),
        }

        impl $name {
            /// Every known value, in code order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The integer code Freshdesk (and the table) uses.
            pub const fn code(self) -> i32 {
                match self {
                    $( $name::$variant => $code, )+
                    $name::Other(code) => code,
                }
            }

            /// The value for a code; unknown codes become `Other(code)`.
            pub const fn from_code(code: i32) -> Self {
                match code {
                    $( $code => $name::$variant, )+
                    other => $name::Other(other),
                }
            }

            /// A snake_case label (`"waiting_on_customer"`), or `None` for `Other`.
            pub const fn label(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($label), )+
                    $name::Other(_) => None,
                }
            }
        }

        impl From<i32> for $name {
            fn from(code: i32) -> Self {
                Self::from_code(code)
            }
        }

        impl From<$name> for i32 {
            fn from(v: $name) -> i32 {
                v.code()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.label() {
                    Some(label) => f.write_str(label),
                    None => write!(f, "other({})", self.code()),
                }
            }
        }

        impl From<$name> for Value {
            fn from(v: $name) -> Value {
                Value::Int(Some(v.code()))
            }
        }

        impl TryGetable for $name {
            fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
                <i32 as TryGetable>::try_get_by(res, idx).map(Self::from_code)
            }
        }

        impl ValueType for $name {
            fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
                <i32 as ValueType>::try_from(v).map(Self::from_code)
            }

            fn type_name() -> String {
                stringify!($name).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::Int
            }

            fn column_type() -> ColumnType {
                ColumnType::Integer
            }
        }

        impl Nullable for $name {
            fn null() -> Value {
                Value::Int(None)
            }
        }

        impl sea_orm::IntoActiveValue<$name> for $name {
            fn into_active_value(self) -> sea_orm::ActiveValue<$name> {
                sea_orm::ActiveValue::Set(self)
            }
        }
    };
}

open_code_enum!(
    /// Ticket status (`status` column).
    ///
    /// Open statuses are Open, Pending, Waiting on customer and Waiting on
    /// third party; resolved statuses are Resolved and Closed.
    TicketStatus {
        /// 2
        Open = 2 => "open",
        /// 3
        Pending = 3 => "pending",
        /// 4
        Resolved = 4 => "resolved",
        /// 5
        Closed = 5 => "closed",
        /// 6
        WaitingOnCustomer = 6 => "waiting_on_customer",
        /// 7
        WaitingOnThirdParty = 7 => "waiting_on_third_party",
    }
);

impl TicketStatus {
    /// The codes that count as open: 2, 3, 6, 7.
    pub const OPEN: [TicketStatus; 4] = [
        TicketStatus::Open,
        TicketStatus::Pending,
        TicketStatus::WaitingOnCustomer,
        TicketStatus::WaitingOnThirdParty,
    ];
    /// The codes that count as resolved: 4, 5.
    pub const RESOLVED: [TicketStatus; 2] = [TicketStatus::Resolved, TicketStatus::Closed];

    /// Open, pending or waiting (2, 3, 6, 7). `Other` codes are neither open nor resolved.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// Resolved or closed (4, 5).
    pub fn is_resolved(self) -> bool {
        Self::RESOLVED.contains(&self)
    }
}

open_code_enum!(
    /// Ticket priority (`priority` column).
    Priority {
        /// 1
        Low = 1 => "low",
        /// 2
        Medium = 2 => "medium",
        /// 3
        High = 3 => "high",
        /// 4
        Urgent = 4 => "urgent",
    }
);

open_code_enum!(
    /// Channel a ticket came in through (`source` column).
    Source {
        /// 1
        Email = 1 => "email",
        /// 2
        Portal = 2 => "portal",
        /// 3
        Phone = 3 => "phone",
        /// 7
        Chat = 7 => "chat",
        /// 9
        FeedbackWidget = 9 => "feedback_widget",
        /// 10
        OutboundEmail = 10 => "outbound_email",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_survive() {
        for s in TicketStatus::KNOWN {
            assert_eq!(TicketStatus::from_code(s.code()), *s);
        }
        assert_eq!(TicketStatus::from_code(12), TicketStatus::Other(12));
        assert_eq!(TicketStatus::Other(12).code(), 12);
        assert!(!TicketStatus::Other(12).is_open());
        assert!(!TicketStatus::Other(12).is_resolved());
        assert_eq!(TicketStatus::Other(12).to_string(), "other(12)");
        assert_eq!(serde_json::to_string(&Priority::Urgent).unwrap(), "4");
        assert_eq!(
            serde_json::from_str::<Source>("8").unwrap(),
            Source::Other(8)
        );
    }
}
