//! Every public repository call runs in a `tracing` span named after it,
//! with the merchant id as the `merchant_id` field. A small recording
//! subscriber (installed for this thread only) collects the spans.
//!
//! One test in its own binary, so no other test's thread touches the
//! tracing callsites while it runs.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use freshdesk_store::entity::enums::TicketStatus;
use freshdesk_store::repository::*;
use freshdesk_store::testing::*;
use futures_util::StreamExt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// (target, span name, merchant_id field).
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

struct Recorder {
    seen: Seen,
    next: AtomicU64,
}

struct MerchantField(Option<String>);

impl Visit for MerchantField {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "merchant_id" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut merchant = MerchantField(None);
        attrs.record(&mut merchant);
        let meta = attrs.metadata();
        self.seen.lock().unwrap().push((
            meta.target().to_owned(),
            meta.name().to_owned(),
            merchant.0,
        ));
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Calls every public repository method and `migrate_merchant_data`, and
/// finds a span for each, carrying the merchant id.
#[tokio::test(flavor = "current_thread")]
#[allow(deprecated)] // the preset lookups keep their spans while deprecated
async fn every_public_call_has_a_span_with_the_merchant() -> Result<(), Box<dyn std::error::Error>>
{
    let seen: Seen = Arc::default();
    let _guard = tracing::subscriber::set_default(Recorder {
        seen: seen.clone(),
        next: AtomicU64::new(1),
    });

    let db = TestDb::connect().await?;
    let txn = db.begin().await?;
    let (m, target) = (unique_merchant_id(), unique_merchant_id());
    let at = Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap();
    let t = SeaTicketRepository;
    let (ag, co) = (SeaAgentRepository, SeaContactRepository);
    let page = CursorRequest::first(10);
    let all = TicketFilter::new();

    ag.insert_many(&txn, m, vec![NewAgent::new("a1", "Ann")])
        .await?;
    ag.upsert_many(&txn, m, vec![NewAgent::new("a1", "Ann")])
        .await?;
    let agent = ag.get_by_freshdesk_id(&txn, m, "a1").await?;
    ag.get(&txn, m, agent.id).await?;
    ag.get_many(&txn, m, &[agent.id]).await?;
    ag.resolve_freshdesk_ids(&txn, m, &["a1".into()]).await?;
    ag.list(&txn, m, None, 10).await?;
    ag.count(&txn, m).await?;
    co.insert_many(&txn, m, vec![NewContact::new("c1", "Cy")])
        .await?;
    co.upsert_many(&txn, m, vec![NewContact::new("c1", "Cy")])
        .await?;
    let contact = co.get_by_freshdesk_id(&txn, m, "c1").await?;
    co.get(&txn, m, contact.id).await?;
    co.get_many(&txn, m, &[contact.id]).await?;
    co.resolve_freshdesk_ids(&txn, m, &["c1".into()]).await?;
    co.list(&txn, m, None, 10).await?;
    co.count(&txn, m).await?;

    t.insert_many(&txn, m, vec![NewTicket::new("t1", "s", at)])
        .await?;
    t.upsert_many(&txn, m, vec![NewTicket::new("t2", "s", at)])
        .await?;
    let ticket = t.get_by_freshdesk_id(&txn, m, "t1").await?;
    t.get(&txn, m, ticket.id).await?;
    t.resolve_freshdesk_ids(&txn, m, &["t1".into()]).await?;
    t.insert_conversations(
        &txn,
        m,
        vec![NewConversation::new(ticket.id, "v1", "b", at)],
    )
    .await?;
    t.upsert_conversations(
        &txn,
        m,
        vec![NewConversation::new(ticket.id, "v1", "b", at)],
    )
    .await?;
    t.insert_ratings(&txn, m, vec![NewRating::new(ticket.id, "r1", 103, at)])
        .await?;
    t.upsert_ratings(&txn, m, vec![NewRating::new(ticket.id, "r1", 103, at)])
        .await?;
    t.open(&txn, m, &page).await?;
    let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    t.created_on(&txn, m, day, FixedOffset::east_opt(0).unwrap(), &page)
        .await?;
    t.urgent_or_old_high_priority(&txn, m, at, Duration::hours(1), &page)
        .await?;
    t.breaching_sla(&txn, m, Sla::Either, at, &page).await?;
    t.list(&txn, m, &all, &page).await?;
    t.list_paginated(&txn, m, &all, TicketSort::CreatedDesc, 1, 10)
        .await?;
    t.count(&txn, m, &all).await?;
    let _: Vec<_> = t.stream_batches(&txn, m, all.clone(), 10)?.collect().await;
    t.get_with_children(&txn, m, ticket.id).await?;
    t.get_many_with_children(&txn, m, &[ticket.id]).await?;
    t.list_with_children(&txn, m, &all, &page).await?;
    t.list_ids(&txn, m, &all, &page).await?;
    t.list_summaries(&txn, m, &all, &page).await?;
    t.set_status(&txn, m, &[ticket.id], TicketStatus::Pending)
        .await?;
    t.mark_processed(&txn, m, &[ticket.id]).await?;
    t.delete(&txn, m, &[ticket.id]).await?;
    ag.delete(&txn, m, &[agent.id]).await?;
    co.delete(&txn, m, &[contact.id]).await?;
    migrate_merchant_data(&txn, m, target).await?;

    let seen = seen.lock().unwrap().clone();
    let ours: BTreeSet<(String, String)> = seen
        .iter()
        .filter(|(target, _, _)| target.starts_with("freshdesk_store::repository::"))
        .map(|(target, name, merchant)| {
            assert_eq!(
                merchant.as_deref(),
                Some(m.to_string().as_str()),
                "span {target}::{name} carries the merchant id"
            );
            // The aggregate: `ticket` for `…::repository::ticket::sea`.
            let aggregate = target["freshdesk_store::repository::".len()..]
                .split("::")
                .next()
                .unwrap();
            (aggregate.to_owned(), name.clone())
        })
        .collect();

    let ticket_methods = [
        "get",
        "get_by_freshdesk_id",
        "resolve_freshdesk_ids",
        "open",
        "created_on",
        "urgent_or_old_high_priority",
        "breaching_sla",
        "list",
        "list_paginated",
        "count",
        "stream_batches",
        "get_with_children",
        "get_many_with_children",
        "list_with_children",
        "list_ids",
        "list_summaries",
        "insert_many",
        "upsert_many",
        "insert_conversations",
        "upsert_conversations",
        "insert_ratings",
        "upsert_ratings",
        "set_status",
        "mark_processed",
        "delete",
    ];
    let people_methods = [
        "get",
        "get_by_freshdesk_id",
        "get_many",
        "resolve_freshdesk_ids",
        "list",
        "count",
        "insert_many",
        "upsert_many",
        "delete",
    ];
    let mut expected = BTreeSet::new();
    for name in ticket_methods {
        expected.insert(("ticket".to_owned(), name.to_owned()));
    }
    for module in ["agent", "contact"] {
        for name in people_methods {
            expected.insert((module.to_owned(), name.to_owned()));
        }
    }
    expected.insert(("merchant".to_owned(), "migrate_merchant_data".to_owned()));
    let missing: Vec<_> = expected.difference(&ours).collect();
    assert!(missing.is_empty(), "no span for {missing:?}; saw {ours:?}");
    Ok(())
}
