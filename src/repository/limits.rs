//! Bind-parameter limits of each backend: how many values one statement may
//! carry, and so how many ids fit in one `IN (…)` list. A leaf module: it
//! imports nothing from the rest of the repository layer.

use sea_orm::DbBackend;

/// Largest number of bind parameters one statement may carry.
pub(crate) fn max_bind_params(backend: DbBackend) -> usize {
    match backend {
        // PostgreSQL and MySQL count parameters in a u16.
        DbBackend::Postgres | DbBackend::MySql => 65_535,
        // The bundled SQLite (3.32+) allows 32,766.
        _ => 32_766,
    }
}

/// Ids per `IN (…)` list: the limit, less room for the statement's other
/// parameters (the merchant id and a few more).
pub(crate) fn ids_per_statement(backend: DbBackend) -> usize {
    max_bind_params(backend) - 16
}

/// `column IN (values)` for a look-up by many keys or ids of one merchant.
///
/// On PostgreSQL the values travel as one array parameter, unnested in a
/// subquery (`column IN (SELECT unnest(CAST($n AS text[])))`, `bigint[]`
/// for ids). A prepared statement with an `IN` list of hundreds of
/// parameters gets a *generic* plan after five executions, and with the
/// merchant's row count unknown (a fresh table, or one large merchant
/// among many small ones) that plan scans every row of the merchant
/// through a `merchant_id`-only index and compares each with the whole
/// list — a sync batch of 1,000 records then costs seconds per look-up on
/// a 100,000-ticket merchant; `= ANY(array)` has the same trap for long
/// arrays (a linear search per row). The unnested subquery is planned as a
/// semi-join: one probe of the `(merchant_id, key)` index per distinct
/// value (or a hash), never list × rows, and the statement text is the
/// same whatever the chunk's size. Elsewhere a plain `IN (…)` list.
pub(crate) fn any_of<V>(
    backend: DbBackend,
    column: impl sea_orm::sea_query::IntoColumnRef,
    values: impl IntoIterator<Item = V>,
) -> sea_orm::sea_query::Expr
where
    V: ArrayElement,
{
    use sea_orm::sea_query::{Expr, ExprTrait};
    if backend != DbBackend::Postgres {
        return Expr::col(column).is_in(values.into_iter().map(ArrayElement::into_value));
    }
    let mut literal = String::from("{");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        v.write_element(&mut literal);
    }
    literal.push('}');
    Expr::cust_with_exprs(
        format!("$1 IN (SELECT unnest(CAST($2 AS {})))", V::PG_ARRAY),
        [Expr::col(column), Expr::val(literal)],
    )
}

/// A value [`any_of`] can put in a PostgreSQL array literal.
pub(crate) trait ArrayElement {
    /// The array type it is cast to.
    const PG_ARRAY: &'static str;
    /// Appends the element to an array literal, quoted where needed.
    fn write_element(&self, out: &mut String);
    /// The value as a bind parameter (the other backends' `IN` list).
    fn into_value(self) -> sea_orm::Value;
}

impl ArrayElement for String {
    const PG_ARRAY: &'static str = "text[]";
    fn write_element(&self, out: &mut String) {
        // Quoted, with `"` and `\` escaped: any text is one element
        // (including `NULL`, commas and braces); NUL is refused before.
        out.push('"');
        for c in self.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    fn into_value(self) -> sea_orm::Value {
        self.into()
    }
}

impl ArrayElement for i64 {
    const PG_ARRAY: &'static str = "bigint[]";
    fn write_element(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "{self}");
    }
    fn into_value(self) -> sea_orm::Value {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(values: &[&str]) -> String {
        let mut out = String::new();
        for v in values {
            v.to_string().write_element(&mut out);
            out.push(',');
        }
        out
    }

    #[test]
    fn text_elements_are_quoted_and_escaped() {
        assert_eq!(
            literal(&["a", "b\"c", "d\\e", "NULL", "x,y{z}", ""]),
            r#""a","b\"c","d\\e","NULL","x,y{z}","","#
        );
    }

    #[test]
    fn ids_are_written_as_numbers() {
        let mut out = String::new();
        i64::MIN.write_element(&mut out);
        assert_eq!(out, i64::MIN.to_string());
    }
}
