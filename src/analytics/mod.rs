//! Aggregate analytics computed by the database.
