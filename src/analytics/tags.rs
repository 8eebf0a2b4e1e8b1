//! Top tags of the tickets created in the window.

use sea_orm::sea_query::{Alias, Expr, Func, JoinType, Order, Query};
use sea_orm::{DatabaseTransaction, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::params::Window;
use super::sql::{self, Dialect, all_rows, count, select_as};
use crate::entity::ticket;
use crate::error::Result;

/// How many tags [`top_tags`] returns.
pub const TOP_TAGS: u64 = 10;

/// A tag and the number of tickets that carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    /// The tag, as stored (case-sensitive).
    pub tag: String,
    /// Tickets created in the window with this tag (each ticket once, even
    /// when its array repeats the tag).
    pub count: u64,
}

#[derive(Debug, FromQueryResult)]
struct TagRow {
    tag: String,
    n: i64,
}

/// The element alias of the JSON table function.
const ELEMENT: &str = "e";
/// The alias of the distinct tags (PostgreSQL) or (ticket, tag) pairs.
const PAIRS: &str = "d";

/// The 10 most used tags of the tickets created in the window: count
/// descending, then tag ascending as bytes. Each ticket counts a tag once;
/// only string elements of a `tags` array count.
///
/// One statement over `(merchant_id, created_at)`, expanding each ticket's
/// array with the backend's JSON table function: PostgreSQL
/// `jsonb_array_elements`, MariaDB/MySQL `JSON_TABLE` (the tag column
/// `VARCHAR(1024)` with the binary `utf8mb4_nopad_bin` collation, so longer
/// tags are cut there), SQLite `json_each`.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the statement fails
/// (on SQLite also when a `tags` value is not valid JSON).
pub async fn top_tags(db: &DatabaseTransaction, w: &Window) -> Result<Vec<TagCount>> {
    let dialect = Dialect::of(db)?;
    let tags = dialect.ticket(ticket::Column::Tags);
    let value = dialect.col(ELEMENT, "value");
    let mut q = sql::tickets_created_in(w);
    let (function, argument, is_string, tag) = match dialect {
        Dialect::Postgres => (
            "jsonb_array_elements",
            format!("CASE WHEN jsonb_typeof({tags}) = 'array' THEN {tags} ELSE '[]'::jsonb END"),
            format!("jsonb_typeof({value}) = 'string'"),
            format!("({value} #>> '{{}}')"),
        ),
        Dialect::MySql => {
            let tag = dialect.col(ELEMENT, "tag");
            let ord = dialect.col(ELEMENT, "ord");
            (
                "JSON_TABLE",
                format!(
                    "{tags}, '$[*]' COLUMNS (`ord` FOR ORDINALITY, `tag` VARCHAR(1024) \
                     CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin PATH '$')"
                ),
                format!("JSON_TYPE(JSON_EXTRACT({tags}, CONCAT('$[', {ord} - 1, ']'))) = 'STRING'"),
                tag,
            )
        }
        Dialect::Sqlite => (
            "json_each",
            format!("CASE WHEN json_type({tags}) = 'array' THEN {tags} ELSE '[]' END"),
            format!("{} = 'text'", dialect.col(ELEMENT, "type")),
            value,
        ),
    };
    let elements = Func::cust(Alias::new(function)).arg(Expr::cust(argument));
    let outer_tag = dialect.col(PAIRS, "tag");
    let mut counted = if dialect == Dialect::Postgres {
        // Each ticket's distinct tags in a LATERAL subquery, which the
        // planner memoizes per distinct `tags` value, then one hash
        // aggregate of (tag, count): no (ticket, tag) set to hash or sort.
        let distinct_tags = Query::select()
            .expr_as(Expr::cust(tag), Alias::new("tag"))
            .from_function(elements, Alias::new(ELEMENT))
            .and_where(Expr::cust(is_string))
            .distinct()
            .to_owned();
        q.join_lateral(
            JoinType::InnerJoin,
            distinct_tags,
            Alias::new(PAIRS),
            Expr::cust("TRUE"),
        );
        q
    } else {
        // Each (ticket, tag) pair once, then counted per tag.
        q.from_function(elements, Alias::new(ELEMENT))
            .and_where(Expr::cust(is_string));
        select_as(&mut q, dialect.ticket(ticket::Column::Id), "id");
        select_as(&mut q, tag, "tag");
        q.distinct();
        let mut counted = Query::select();
        counted.from_subquery(q, Alias::new(PAIRS));
        counted
    };
    let outer_order = match dialect {
        Dialect::Postgres => format!("{outer_tag} COLLATE \"C\""),
        _ => outer_tag.clone(),
    };
    select_as(&mut counted, outer_tag.clone(), "tag");
    select_as(&mut counted, "COUNT(*)".to_owned(), "n");
    counted
        .add_group_by([Expr::cust(outer_tag)])
        .order_by_expr(Expr::cust("n"), Order::Desc)
        .order_by_expr(Expr::cust(outer_order), Order::Asc)
        .limit(TOP_TAGS);
    let q = counted;
    let rows: Vec<TagRow> = all_rows(db, &q).await?;
    Ok(rows
        .into_iter()
        .map(|r| TagCount {
            tag: r.tag,
            count: count(r.n),
        })
        .collect())
}
