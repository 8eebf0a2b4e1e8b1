//! The single-shard rule as a check on SQL text: every statement that
//! touches a tenant table carries an equality filter on `merchant_id` (an
//! `INSERT` carries it as a value). That is what lets Citus route each
//! statement to one shard, and it is checked on every backend from the
//! statement log of a [`StatementCounter`](super::StatementCounter).

/// The crate's tenant tables.
const TENANT_TABLES: [&str; 6] = [
    "freshdesk_unified_ticket_view",
    "freshdesk_conversation",
    "freshdesk_rating",
    "freshdesk_agent",
    "freshdesk_contact",
    "freshdesk_sync_state",
];

/// Why `sql` would not be routed to one shard, or `None` when it would
/// (or touches no tenant table).
///
/// The check is textual and strict: every `SELECT`, `UPDATE` and `DELETE`
/// naming a tenant table must compare `merchant_id` with `=` to a bound
/// parameter or a literal, once per table reference (so a subquery or a join
/// without its own filter is caught); an `INSERT` must list `merchant_id`
/// among its columns and have each `SELECT` it reads from filtered the
/// same way.
pub fn unrouted(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    let references = TENANT_TABLES
        .iter()
        .map(|t| {
            // Quoted (`"t"`, `` `t` ``) or bare references, not prefixes of
            // other names.
            lower
                .match_indices(t)
                .filter(|(at, _)| {
                    let after = lower[at + t.len()..].chars().next();
                    let whole = !matches!(after, Some(c) if c.is_ascii_alphanumeric() || c == '_');
                    // A table reference, not a qualified column name.
                    let before = lower[..*at].trim_end_matches(['"', '`', ' ']);
                    let used = ["from", "join", "into", "update"]
                        .iter()
                        .any(|k| before.ends_with(k));
                    whole && used
                })
                .count()
        })
        .sum::<usize>();
    if references == 0 {
        return None;
    }
    let mut filters = 0;
    for (at, _) in lower.match_indices("merchant_id") {
        let rest = lower[at + "merchant_id".len()..].trim_start_matches(['"', '`', ' ']);
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            let bound = value.starts_with('$') || value.starts_with('?');
            let literal = value.starts_with(|c: char| c.is_ascii_digit());
            if bound || literal {
                filters += 1;
            }
        }
    }
    let insert = lower.trim_start().starts_with("insert");
    if insert {
        let columns_end = lower.find(')').unwrap_or(lower.len());
        if !lower[..columns_end].contains("merchant_id") {
            return Some("an INSERT into a tenant table without a merchant_id column".to_owned());
        }
        // The INSERT's own table needs no filter; what it reads does.
        if filters + 1 < references {
            return Some(format!(
                "an INSERT … SELECT reading {} tenant table reference(s) with {filters} merchant_id equality filter(s)",
                references - 1
            ));
        }
        return None;
    }
    if filters < references {
        return Some(format!(
            "{references} tenant table reference(s) but {filters} merchant_id equality filter(s)"
        ));
    }
    None
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
}
