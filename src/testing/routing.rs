//! The single-shard rule as a check on SQL text: every statement that
//! touches a tenant table carries an equality filter on `merchant_id` (an
//! `INSERT` carries it as a value). That is what lets Citus route each
//! statement to one shard, and it is checked on every backend from the
//! statement log of a [`StatementCounter`](super::StatementCounter)
//! (`tests/routing.rs` runs a workload over the crate's whole public API
//! through it).

use std::collections::BTreeSet;

/// The crate's tenant tables.
const TENANT_TABLES: [&str; 6] = [
    "freshdesk_unified_ticket_view",
    "freshdesk_conversation",
    "freshdesk_rating",
    "freshdesk_agent",
    "freshdesk_contact",
    "freshdesk_sync_state",
];

/// Words that can follow a table reference without being its alias.
const NOT_ALIASES: [&str; 22] = [
    "where",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "cross",
    "natural",
    "on",
    "using",
    "set",
    "values",
    "order",
    "group",
    "limit",
    "union",
    "except",
    "intersect",
    "returning",
    "for",
    "having",
    "window",
];

/// Why `sql` would not be routed to one shard, or `None` when it would
/// (or touches no tenant table).
///
/// The check is textual and strict. Each reference to a tenant table (after
/// `FROM`, `JOIN`, `INTO` or `UPDATE`; a subquery's or a `WITH` query's
/// own references count) needs its own `merchant_id` equality: either to a
/// bound parameter or a literal (`"t"."merchant_id" = $1`), or to another
/// reference's `merchant_id` (`"ft"."merchant_id" = "r"."merchant_id"`, a
/// colocated join Citus routes with the other side's filter), and at least
/// one of them must be to a parameter or literal. `IN`, ranges and
/// inequalities do not count, and neither does an `UPDATE`'s
/// `SET merchant_id = …` (an assignment, not a filter). An `INSERT` must
/// list `merchant_id` among its columns, and each `SELECT` it reads from is
/// held to the same rule.
///
/// What text cannot show is not checked: a filter under an `OR` or a
/// `NOT`. The crate builds its filters with `AND` only.
pub fn unrouted(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    let references = table_references(&lower);
    if references.is_empty() {
        return None;
    }
    let names: BTreeSet<&str> = references.iter().map(|r| r.name.as_str()).collect();
    let assignments = update_set_clause(&lower);
    let mut bound = 0;
    let mut joins = BTreeSet::new();
    for (at, _) in lower.match_indices("merchant_id") {
        let whole = !lower[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && !lower[at + "merchant_id".len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if !whole || assignments.as_ref().is_some_and(|r| r.contains(&at)) {
            continue;
        }
        let rest = lower[at + "merchant_id".len()..].trim_start_matches(['"', '`', ' ']);
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        if value.starts_with(['$', '?']) || value.starts_with(|c: char| c.is_ascii_digit()) {
            bound += 1;
        } else if let (Some(this), Some(other)) =
            (qualifier_before(&lower[..at]), qualified_merchant_id(value))
            && this != other
            && names.contains(this.as_str())
            && names.contains(other.as_str())
        {
            joins.insert(if this < other {
                (this, other)
            } else {
                (other, this)
            });
        }
    }
    let filters = bound + joins.len();
    let insert = lower.trim_start().starts_with("insert");
    if insert {
        let columns_end = lower.find(')').unwrap_or(lower.len());
        if !lower[..columns_end].contains("merchant_id") {
            return Some("an INSERT into a tenant table without a merchant_id column".to_owned());
        }
        // The INSERT's own table needs no filter; what it reads does.
        let read = references.len() - 1;
        if filters < read || (read > 0 && bound == 0) {
            return Some(format!(
                "an INSERT … SELECT reading {read} tenant table reference(s) with {bound} \
                 merchant_id equality filter(s) and {} join(s) on merchant_id",
                joins.len()
            ));
        }
        return None;
    }
    if filters < references.len() || bound == 0 {
        return Some(format!(
            "{} tenant table reference(s) but {bound} merchant_id equality filter(s) and {} \
             join(s) on merchant_id",
            references.len(),
            joins.len()
        ));
    }
    None
}

/// One reference to a tenant table: the name its columns are qualified
/// with (the alias, or the table's name without one).
struct Reference {
    name: String,
}

/// The tenant table references of `lower` (quoted or bare, not prefixes of
/// other names, not qualified column names).
fn table_references(lower: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    for table in TENANT_TABLES {
        for (at, _) in lower.match_indices(table) {
            let end = at + table.len();
            let after = lower[end..].chars().next();
            let whole = !matches!(after, Some(c) if c.is_ascii_alphanumeric() || c == '_');
            let before = lower[..at].trim_end_matches(['"', '`', ' ']);
            let used = ["from", "join", "into", "update"]
                .iter()
                .any(|k| before.ends_with(k));
            if !(whole && used) {
                continue;
            }
            let rest = lower[end..].trim_start_matches(['"', '`']).trim_start();
            let rest = rest.strip_prefix("as ").unwrap_or(rest).trim_start();
            let name = identifier(rest)
                .filter(|(alias, _)| !NOT_ALIASES.contains(&alias.as_str()))
                .map_or_else(|| table.to_owned(), |(alias, _)| alias);
            found.push(Reference { name });
        }
    }
    found
}

/// The identifier at the start of `text` (quoted with `"` or `` ` ``, or
/// bare) and the text after it.
fn identifier(text: &str) -> Option<(String, &str)> {
    if let Some(quote) = text.chars().next().filter(|c| *c == '"' || *c == '`') {
        let inner = &text[1..];
        let close = inner.find(quote)?;
        return Some((inner[..close].to_owned(), &inner[close + 1..]));
    }
    let len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (len > 0 && !text.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| (text[..len].to_owned(), &text[len..]))
}

/// The qualifier of a `merchant_id` column whose text ends `before`
/// (`"t".` or `t.`, with the column's own opening quote), if any.
fn qualifier_before(before: &str) -> Option<String> {
    let before = before.strip_suffix(['"', '`']).unwrap_or(before);
    let before = before.strip_suffix('.')?;
    if let Some(quoted) = before.strip_suffix(['"', '`']) {
        let open = quoted.rfind(['"', '`'])?;
        return Some(quoted[open + 1..].to_owned());
    }
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    (start < before.len()).then(|| before[start..].to_owned())
}

/// The qualifier when `value` starts with a qualified `merchant_id` column
/// (`"r"."merchant_id"`).
fn qualified_merchant_id(value: &str) -> Option<String> {
    let (qualifier, rest) = identifier(value)?;
    let (column, _) = identifier(rest.strip_prefix('.')?)?;
    (column == "merchant_id").then_some(qualifier)
}

/// The byte range of a top-level `UPDATE … SET …` clause (up to its
/// `WHERE`), whose `merchant_id = …` is an assignment.
fn update_set_clause(lower: &str) -> Option<std::ops::Range<usize>> {
    let start = lower.find("update")?;
    if !lower[..start].trim().is_empty() && !lower[..start].trim_end().ends_with("for") {
        return None;
    }
    let set = start + lower[start..].find(" set ")?;
    let end = lower[set..]
        .find(" where ")
        .map_or(lower.len(), |w| set + w);
    Some(set..end)
}

#[cfg(test)]
mod tests {
    use super::unrouted;

    #[test]
    fn filtered_statements_pass_and_unfiltered_ones_are_named() {
        assert!(
            unrouted(
                r#"SELECT "id" FROM "freshdesk_agent" WHERE "freshdesk_agent"."merchant_id" = $1"#
            )
            .is_none()
        );
        assert!(
            unrouted(
                "SELECT `id` FROM `freshdesk_agent` WHERE `merchant_id` = ? AND `id` IN (?, ?)"
            )
            .is_none()
        );
        assert!(
            unrouted(r#"INSERT INTO "freshdesk_agent" ("merchant_id", "name") VALUES ($1, $2)"#)
                .is_none()
        );
        assert!(unrouted("SELECT 1").is_none());
        assert!(unrouted(r#"SELECT "id" FROM "freshdesk_agent""#).is_some());
        assert!(
            unrouted(r#"SELECT * FROM "freshdesk_agent" WHERE "merchant_id" IN ($1, $2)"#)
                .is_some()
        );
        assert!(unrouted(r#"INSERT INTO "freshdesk_agent" ("name") VALUES ($1)"#).is_some());
        // A subquery without its own filter.
        assert!(unrouted(
            r#"SELECT * FROM "freshdesk_unified_ticket_view" WHERE "merchant_id" = $1 AND "id" IN (SELECT "ticket_id" FROM "freshdesk_rating")"#
        )
        .is_some());
        // Not a prefix match: a table whose name starts like a tenant table.
        assert!(unrouted("SELECT 1 FROM freshdesk_agent_archive").is_none());
    }

    #[test]
    fn joins_on_merchant_id_count_when_one_side_is_bound() {
        // A correlated subquery joined on merchant_id to a bound reference.
        assert!(unrouted(
            r#"SELECT COUNT(*) FROM "freshdesk_rating" AS "r" WHERE "r"."merchant_id" = $1 AND NOT EXISTS(SELECT 1 FROM "freshdesk_unified_ticket_view" AS "ft" WHERE "ft"."merchant_id" = "r"."merchant_id" AND "ft"."id" = "r"."ticket_id")"#
        )
        .is_none());
        // The same on MariaDB's quoting, and with bare aliases.
        assert!(unrouted(
            "SELECT 1 FROM `freshdesk_rating` `r` JOIN `freshdesk_unified_ticket_view` `t` ON `t`.`merchant_id` = `r`.`merchant_id` WHERE `r`.`merchant_id` = ?"
        )
        .is_none());
        assert!(unrouted(
            "SELECT 1 FROM freshdesk_rating r JOIN freshdesk_agent a ON a.merchant_id = r.merchant_id WHERE r.merchant_id = 7"
        )
        .is_none());
        // Joined to each other, but neither bound: every shard.
        assert!(unrouted(
            r#"SELECT 1 FROM "freshdesk_rating" AS "r" JOIN "freshdesk_unified_ticket_view" AS "t" ON "t"."merchant_id" = "r"."merchant_id""#
        )
        .is_some());
        // A third reference with no filter of its own is still caught.
        assert!(unrouted(
            r#"SELECT 1 FROM "freshdesk_rating" AS "r" JOIN "freshdesk_unified_ticket_view" AS "t" ON "t"."merchant_id" = "r"."merchant_id" JOIN "freshdesk_agent" AS "a" ON "a"."id" = "t"."responder_id" WHERE "r"."merchant_id" = $1"#
        )
        .is_some());
        // A column compared with itself joins nothing.
        assert!(unrouted(
            r#"SELECT 1 FROM "freshdesk_rating" AS "r" JOIN "freshdesk_agent" AS "a" ON "r"."merchant_id" = "r"."merchant_id" WHERE "r"."merchant_id" = $1"#
        )
        .is_some());
    }

    #[test]
    fn an_update_assigning_merchant_id_is_not_filtered_by_it() {
        assert!(unrouted(r#"UPDATE "freshdesk_agent" SET "merchant_id" = $1"#).is_some());
        assert!(
            unrouted(r#"UPDATE "freshdesk_agent" SET "merchant_id" = $1 WHERE "merchant_id" = $2"#)
                .is_none()
        );
        assert!(unrouted(
            "SET STATEMENT foreign_key_checks = 0 FOR UPDATE `freshdesk_agent` SET `merchant_id` = ? WHERE `id` = ?"
        )
        .is_some());
    }
}
