//! Merchant-scoped repositories over the caller's transaction.
//!
//! Every method takes the caller's `&DatabaseTransaction` and a
//! [`MerchantId`](crate::MerchantId), filters by the merchant first, and
//! never begins, commits or rolls back the caller's transaction.

pub(crate) mod bulk;
