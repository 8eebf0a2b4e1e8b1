//! Resolving Freshdesk ids to local row ids, one `SELECT` per chunk of keys.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, EntityTrait, ExprTrait};

use crate::error::Result;
use crate::ids::MerchantId;
use crate::repository::limits::ids_per_statement;

/// The local ids of the merchant's rows whose key column is one of `keys`,
/// by key. Keys with no row are absent from the map.
pub(super) async fn ids_by_key<C, E>(
    db: &C,
    merchant: MerchantId,
    (merchant_col, key_col, id_col): (E::Column, E::Column, E::Column),
    keys: &[String],
) -> Result<HashMap<String, i64>>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let mut found = HashMap::with_capacity(keys.len());
    let chunk = ids_per_statement(db.get_database_backend()).max(1);
    for keys in keys.chunks(chunk) {
        let mut select = Query::select();
        select
            .column(id_col)
            .column(key_col)
            .from(E::default())
            .and_where(Expr::col(merchant_col).eq(merchant.get()))
            .and_where(Expr::col(key_col).is_in(keys.iter().cloned()));
        for row in db.query_all(&select).await? {
            let id: i64 = row.try_get_by_index(0)?;
            let key: String = row.try_get_by_index(1)?;
            found.insert(key, id);
        }
    }
    Ok(found)
}
