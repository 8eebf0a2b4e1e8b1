//! Customer satisfaction: ratings given in the window.

use sea_orm::{DatabaseTransaction, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::params::Window;
use super::sql::{self, Dialect, RATING, count, one_row, select_as};
use crate::entity::rating::POSITIVE_THRESHOLD;
use crate::error::Result;

/// CSAT over the ratings created in the window (of any ticket, whenever
/// the ticket was created).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Csat {
    /// Ratings with `created_at` in the window.
    pub ratings: u64,
    /// Of those, ratings above 100 (happy or better).
    pub positive: u64,
    /// `100 × positive / ratings`; null when there is no rating.
    pub csat_pct: Option<f64>,
}

#[derive(Debug, FromQueryResult)]
struct CsatRow {
    ratings: i64,
    positive: i64,
    csat_pct: Option<f64>,
}

/// Ratings, positive ratings and CSAT % in the window: one statement over
/// the ratings' `(merchant_id, created_at)`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails.
pub async fn csat(db: &DatabaseTransaction, w: &Window) -> Result<Csat> {
    let dialect = Dialect::of(db)?;
    let rating = dialect.col(RATING, "rating");
    let positive = format!("COUNT(CASE WHEN {rating} > {POSITIVE_THRESHOLD} THEN 1 END)");
    let mut q = sql::ratings_created_in(w);
    select_as(&mut q, "COUNT(*)".to_owned(), "ratings");
    select_as(&mut q, positive.clone(), "positive");
    select_as(
        &mut q,
        format!("{} * 100 / NULLIF(COUNT(*), 0)", dialect.double(&positive)),
        "csat_pct",
    );
    let row: CsatRow = one_row(db, &q).await?;
    Ok(Csat {
        ratings: count(row.ratings),
        positive: count(row.positive),
        csat_pct: row.csat_pct,
    })
}
