//! Shared by the analytics tests: a plain-Rust computation of every metric
//! (the independent check), and float-tolerant JSON comparison.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use freshdesk_store::MerchantId;
use freshdesk_store::analytics::{BusinessHours, ReportParams, UtcOffset};
use freshdesk_store::entity::{agent, conversation, rating, ticket};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// Every row of one merchant that the report reads.
pub struct Rows {
    pub tickets: Vec<ticket::Model>,
    pub ratings: Vec<rating::Model>,
    pub conversations: Vec<conversation::Model>,
    pub agents: Vec<agent::Model>,
}

/// Every ticket, rating, conversation and agent of `merchant` (fine in a
/// test, never in the library).
pub async fn load<C: ConnectionTrait>(db: &C, merchant: MerchantId) -> Rows {
    Rows {
        tickets: ticket::Entity::find()
            .filter(ticket::Column::MerchantId.eq(merchant))
            .all(db)
            .await
            .unwrap(),
        ratings: rating::Entity::find()
            .filter(rating::Column::MerchantId.eq(merchant))
            .all(db)
            .await
            .unwrap(),
        conversations: conversation::Entity::find()
            .filter(conversation::Column::MerchantId.eq(merchant))
            .all(db)
            .await
            .unwrap(),
        agents: agent::Entity::find()
            .filter(agent::Column::MerchantId.eq(merchant))
            .all(db)
            .await
            .unwrap(),
    }
}

/// Business seconds between `a` and `b` by walking the local days between
/// them and intersecting each day's working interval (negative when
/// `b < a`), the nanoseconds summed and truncated toward zero once.
pub fn business_seconds(
    hours: &BusinessHours,
    offset: UtcOffset,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> i64 {
    if b < a {
        return -business_seconds(hours, offset, b, a);
    }
    let mut nanos: i128 = 0;
    let mut day = offset.local_date(a).unwrap();
    let last = offset.local_date(b).unwrap();
    while day <= last {
        if let Some((s, e)) = hours.working_interval_on(day) {
            let midnight = offset.start_of(day).unwrap();
            let ws = midnight + Duration::seconds(i64::from(s));
            let we = midnight + Duration::seconds(i64::from(e));
            let (lo, hi) = (ws.max(a), we.min(b));
            if lo < hi {
                nanos += i128::from((hi - lo).num_nanoseconds().unwrap());
            }
        }
        day = day.succ_opt().unwrap();
    }
    i64::try_from(nanos / 1_000_000_000).unwrap()
}

fn stats(mut values: Vec<i64>) -> Value {
    values.sort_unstable();
    let n = values.len();
    if n == 0 {
        return json!({"count": 0, "avg_secs": null, "min_secs": null, "max_secs": null,
                      "p50_secs": null, "p90_secs": null});
    }
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    let pct = |p: f64| {
        let pos = p * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        let (a, b) = (values[lo] as f64, values[hi] as f64);
        a + (b - a) * (pos - lo as f64)
    };
    json!({
        "count": n,
        "avg_secs": sum as f64 / n as f64,
        "min_secs": values[0],
        "max_secs": values[n - 1],
        "p50_secs": pct(0.5),
        "p90_secs": pct(0.9),
    })
}

/// DESIGN.md's metrics computed in Rust from the rows, as the report's JSON.
pub fn expected(p: &ReportParams, rows: &Rows) -> Value {
    let (tickets, ratings) = (&rows.tickets, &rows.ratings);
    let offset = chrono::FixedOffset::east_opt(p.utc_offset.seconds()).unwrap();
    let local_midnight = |d: NaiveDate| {
        offset
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    let (start, end) = (local_midnight(p.from), local_midnight(p.to));
    let inside = |t: DateTime<Utc>| start <= t && t < end;
    let local_day = |t: DateTime<Utc>| t.with_timezone(&offset).date_naive();
    let mine: Vec<&ticket::Model> = tickets
        .iter()
        .filter(|t| t.merchant_id == p.merchant && !t.spam && !t.deleted)
        .collect();
    let counted: HashSet<i64> = mine.iter().map(|t| t.id.get()).collect();
    let mut public_replies: HashMap<i64, u64> = HashMap::new();
    for c in &rows.conversations {
        if c.merchant_id == p.merchant && !c.incoming && !c.private {
            *public_replies.entry(c.ticket_id.get()).or_default() += 1;
        }
    }
    let one_touch = |t: &ticket::Model| public_replies.get(&t.id.get()) == Some(&1);
    let created: Vec<&&ticket::Model> = mine.iter().filter(|t| inside(t.created_at)).collect();
    let resolved: Vec<&&ticket::Model> = mine
        .iter()
        .filter(|t| t.resolved_at.is_some_and(inside))
        .collect();

    let status = |code: i32| created.iter().filter(|t| t.status.code() == code).count();
    let priority = |code: i32| created.iter().filter(|t| t.priority.code() == code).count();

    let mut days = BTreeMap::new();
    let mut d = p.from;
    while d < p.to {
        days.insert(d, (0u64, 0u64));
        d += Duration::days(1);
    }
    for t in &created {
        days.get_mut(&local_day(t.created_at)).unwrap().0 += 1;
    }
    for t in &resolved {
        days.get_mut(&local_day(t.resolved_at.unwrap())).unwrap().1 += 1;
    }

    let rated: Vec<&rating::Model> = ratings
        .iter()
        .filter(|r| {
            r.merchant_id == p.merchant
                && inside(r.created_at)
                && counted.contains(&r.ticket_id.get())
        })
        .collect();
    let positive = rated.iter().filter(|r| r.rating > 100).count();

    let fr_breached = created
        .iter()
        .filter(|t| match (t.fr_due_by, t.first_responded_at) {
            (Some(due), Some(done)) => done > due,
            (Some(due), None) => due < p.now,
            _ => false,
        })
        .count();
    let res_breached = created
        .iter()
        .filter(|t| match (t.due_by, t.resolved_at) {
            (Some(due), Some(done)) => done > due,
            (Some(due), None) => due < p.now,
            _ => false,
        })
        .count();

    let mut tag_counts: BTreeMap<String, u64> = BTreeMap::new();
    for t in &created {
        let unique: HashSet<&str> = t.tag_list().into_iter().collect();
        for tag in unique {
            *tag_counts.entry(tag.to_owned()).or_default() += 1;
        }
    }
    let mut tags: Vec<(String, u64)> = tag_counts.into_iter().collect();
    tags.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
    });
    tags.truncate(10);

    let mut per_agent: BTreeMap<i64, (u64, i64, u64, u64)> = BTreeMap::new();
    for t in &resolved {
        if let Some(agent) = t.responder_id {
            let e = per_agent.entry(agent.get()).or_default();
            e.0 += 1;
            if let Some(frt) = t.first_response_time {
                e.1 += frt;
                e.2 += 1;
            }
            if one_touch(t) {
                e.3 += 1;
            }
        }
    }
    let mut agents: Vec<(i64, (u64, i64, u64, u64))> = per_agent.into_iter().collect();
    agents.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let agent_name = |id: i64| {
        rows.agents
            .iter()
            .find(|a| a.id.get() == id && a.merchant_id == p.merchant && !a.name.is_empty())
            .map_or(Value::Null, |a| json!(a.name))
    };

    let open: Vec<&&ticket::Model> = mine
        .iter()
        .filter(|t| [2, 3, 6, 7].contains(&t.status.code()))
        .collect();
    let mut ages = [0u64; 4];
    for t in &open {
        let age = p.now - t.created_at;
        let bucket = if age < Duration::hours(24) {
            0
        } else if age < Duration::hours(72) {
            1
        } else if age < Duration::hours(168) {
            2
        } else {
            3
        };
        ages[bucket] += 1;
    }
    let fr_end = |t: &ticket::Model| {
        t.first_responded_at.or_else(|| {
            t.first_response_time
                .map(|s| t.created_at + Duration::seconds(s))
        })
    };
    let business = |values: Vec<i64>| match &p.business_hours {
        Some(_) => stats(values),
        None => Value::Null,
    };
    let hours = p.business_hours.clone();
    let bsecs = |a: DateTime<Utc>, b: DateTime<Utc>| {
        business_seconds(hours.as_ref().unwrap(), p.utc_offset, a, b)
    };
    let first_response_business = business(if p.business_hours.is_some() {
        created
            .iter()
            .filter(|t| t.first_response_time.is_some())
            .map(|t| bsecs(t.created_at, fr_end(t).unwrap()))
            .collect()
    } else {
        Vec::new()
    });
    let resolution_business = business(if p.business_hours.is_some() {
        resolved
            .iter()
            .map(|t| bsecs(t.created_at, t.resolved_at.unwrap()))
            .collect()
    } else {
        Vec::new()
    });

    json!({
        "merchant_id": p.merchant.get(),
        "from": p.from.to_string(),
        "to": p.to.to_string(),
        "utc_offset": p.utc_offset.to_string(),
        "tickets_created": created.len(),
        "tickets_resolved": resolved.len(),
        "open_backlog": open.len(),
        "reopened": mine.iter().filter(|t| t.reopened_at.is_some_and(inside)).count(),
        "one_touch_resolved": resolved.iter().filter(|t| one_touch(t)).count(),
        "backlog_age": {"lt_1d": ages[0], "d1_3": ages[1], "d3_7": ages[2], "ge_7d": ages[3]},
        "first_response": stats(created.iter().filter_map(|t| t.first_response_time).collect()),
        "first_response_business": first_response_business,
        "resolution": stats(resolved.iter().map(|t| (t.resolved_at.unwrap() - t.created_at).num_seconds()).collect()),
        "resolution_business": resolution_business,
        "status_counts": {"open": status(2), "pending": status(3), "resolved": status(4),
            "closed": status(5), "waiting_on_customer": status(6), "waiting_on_third_party": status(7)},
        "priority_counts": {"low": priority(1), "medium": priority(2), "high": priority(3), "urgent": priority(4)},
        "daily": days.iter().map(|(d, (c, r))| json!({"date": d.to_string(), "created": c, "resolved": r})).collect::<Vec<_>>(),
        "csat": {"ratings": rated.len(), "positive": positive,
            "csat_pct": if rated.is_empty() { Value::Null } else { json!(positive as f64 * 100.0 / rated.len() as f64) }},
        "sla": {"first_response_breached": fr_breached, "resolution_breached": res_breached},
        "top_tags": tags.iter().map(|(tag, n)| json!({"tag": tag, "count": n})).collect::<Vec<_>>(),
        "agents": agents.iter().map(|(id, (n, sum, k, ot))| json!({
            "responder_id": id, "resolved": n,
            "avg_first_response_secs": if *k == 0 { Value::Null } else { json!(*sum as f64 / *k as f64) },
            "name": agent_name(*id), "one_touch": ot,
        })).collect::<Vec<_>>(),
    })
}

/// Differences between two JSON values (floats to 1e-9 relative, integers
/// exactly, key order included), as paths; empty when they agree.
pub fn diff(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", expected, actual, &mut out);
    out
}

fn walk(path: &str, e: &Value, a: &Value, out: &mut Vec<String>) {
    match (e, a) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1.0) {
                out.push(format!("{path}: expected {x}, got {y}"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let (kx, ky): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
            if kx != ky {
                out.push(format!("{path}: keys {kx:?} != {ky:?}"));
                return;
            }
            for (k, v) in x {
                walk(&format!("{path}.{k}"), v, &y[k], out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!(
                    "{path}: {} items != {} items: {e} vs {a}",
                    x.len(),
                    y.len()
                ));
                return;
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ if e != a => out.push(format!("{path}: expected {e}, got {a}")),
        _ => {}
    }
}

/// Panics with every difference when the report disagrees with the oracle.
pub fn assert_same(context: &str, expected: &Value, actual: &Value) {
    let d = diff(expected, actual);
    assert!(d.is_empty(), "{context}:\n  {}", d.join("\n  "));
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}
