//! Payload parsing and conversion: the fixtures under
//! `tests/fixtures/freshdesk/` (written from the API's shapes and the
//! quirks of real records) and records at the limits of their types.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::entity::enums::{Priority, Source, TicketStatus};
use crate::ids::{AgentId, ContactId, TicketId};

const TICKETS: &str = include_str!("../../tests/fixtures/freshdesk/tickets.json");
const DELETED: &str = include_str!("../../tests/fixtures/freshdesk/tickets_deleted.json");
const SPAM: &str = include_str!("../../tests/fixtures/freshdesk/tickets_spam.json");
const CONVERSATIONS: &str = include_str!("../../tests/fixtures/freshdesk/conversations.json");
const RATINGS: &str = include_str!("../../tests/fixtures/freshdesk/ratings.json");
const AGENTS: &str = include_str!("../../tests/fixtures/freshdesk/agents.json");
const CONTACTS: &str = include_str!("../../tests/fixtures/freshdesk/contacts.json");

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn ticket_json(extra: serde_json::Value) -> serde_json::Value {
    let mut base = json!({
        "id": 7, "subject": "s", "status": 2, "priority": 1,
        "created_at": "2026-10-01T00:00:00Z", "updated_at": "2026-10-01T01:00:00Z"
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn invalid_field(err: crate::Error) -> (&'static str, String) {
    match err {
        crate::Error::InvalidInput { field, reason } => (field, reason),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// A closed outbound-email ticket with no first response: resolved and
/// closed at creation, no first-response time, ids above 2^31, unknown
/// fields ignored.
#[test]
fn closed_outbound_ticket_without_first_response() {
    let tickets: Vec<Ticket> = parse_records(TICKETS).unwrap();
    let t = &tickets[0];
    assert_eq!(t.id, 1021);
    assert_eq!(
        (t.status, t.source),
        (TicketStatus::Closed, Some(Source::OutboundEmail))
    );
    assert_eq!(t.requester_id, Some(67_042_965_499));
    assert_eq!(t.responder_key().unwrap().as_deref(), Some("67013469919"));
    let stats = t.stats.as_ref().unwrap();
    assert_eq!(stats.first_responded_at, None);
    assert_eq!(
        stats.requester_responded_at,
        Some(utc("2022-11-17T08:12:40Z"))
    );
    let requester = ContactId::new(5).unwrap();
    let responder = AgentId::new(6).unwrap();
    let new = t.to_new_ticket(Some(requester), Some(responder)).unwrap();
    assert_eq!(new.freshdesk_ticket_id, "1021");
    assert_eq!(new.first_responded_at, None);
    assert_eq!(new.resolved_at, Some(t.created_at));
    assert_eq!(new.closed_at, Some(t.created_at));
    assert_eq!(
        (new.requester_id, new.responder_id),
        (Some(requester), Some(responder))
    );
    assert_eq!(
        new.custom_fields,
        json!({"cf_order_number": null, "cf_region": "EU"})
    );
    assert!(!new.processed);
    assert!(!t.spam && !t.deleted);
}

/// A custom status 8 and source 15 load as `Other`; boolean, numeric and
/// null custom fields keep their JSON types; offset timestamps become UTC;
/// the included requester (numeric mobile) fills a placeholder contact.
#[test]
fn custom_codes_custom_fields_and_offsets() {
    let tickets: Vec<Ticket> = parse_records(TICKETS).unwrap();
    let t = &tickets[1];
    assert_eq!(t.status, TicketStatus::Other(8));
    assert_eq!(t.source, Some(Source::Other(15)));
    assert_eq!(t.priority, Priority::High);
    assert_eq!(
        t.created_at,
        Utc.with_ymd_and_hms(2014, 12, 31, 2, 27, 9).unwrap()
    );
    assert_eq!(t.reopened_at(), Some(utc("2015-01-01T22:00:00Z")));
    let new = t.to_new_ticket(None, None).unwrap();
    assert_eq!(new.custom_fields["cf_is_vip"], json!(true));
    assert_eq!(new.custom_fields["cf_order_value"], json!(129.95));
    assert_eq!(new.custom_fields["cf_items"], json!(3));
    assert_eq!(new.custom_fields["cf_follow_up"], json!(null));
    assert_eq!(new.tags, ["damaged", "refund", "VIP"]);
    let requester = t.requester.as_ref().unwrap();
    assert_eq!(requester.mobile.as_ref().unwrap().as_str(), "4915112345678");
    let placeholder = t.requester_contact().unwrap().unwrap();
    assert_eq!(placeholder.freshdesk_contact_id, "67042965500");
    assert_eq!(placeholder.name, "Dana Whitfield");
    assert_eq!(placeholder.email.as_deref(), Some("dana@example.org"));
}

/// The first-response time is `stats.first_responded_at − created_at`
/// (here 3,600 s after an offset creation time; fractions as sent), and
/// missing or null optional fields read as empty.
#[test]
fn first_response_and_missing_fields() {
    let tickets: Vec<Ticket> = parse_records(TICKETS).unwrap();
    let t1 = tickets[1].to_new_ticket(None, None).unwrap();
    assert_eq!(
        (t1.first_responded_at.unwrap() - t1.created_at).num_seconds(),
        3600
    );
    let t = &tickets[2];
    assert_eq!(t.subject, "");
    assert!(t.tags.is_empty() && t.custom_fields.is_empty());
    assert_eq!(
        (t.source, t.responder_id, t.requester.as_ref()),
        (None, None, None)
    );
    let new = t.to_new_ticket(None, None).unwrap();
    assert_eq!(new.custom_fields, json!({}));
    assert_eq!(new.updated_at, utc("2026-10-01T09:30:00.125Z"));
    assert_eq!(new.first_responded_at, Some(utc("2026-10-01T09:12:30.5Z")));
    // No `include=requester`: the placeholder has the id and no name.
    let placeholder = t.requester_contact().unwrap().unwrap();
    assert_eq!((placeholder.name.as_str(), placeholder.email), ("", None));
}

/// 64-bit ids survive exactly, past 2^31 and past 2^53.
#[test]
fn ids_are_64_bit() {
    let tickets: Vec<Ticket> = parse_records(TICKETS).unwrap();
    let t = &tickets[3];
    assert_eq!(t.id, 2_147_483_649);
    assert_eq!(
        t.requester_key().unwrap().as_deref(),
        Some("9007199254740993")
    );
    assert_eq!(t.status, TicketStatus::WaitingOnCustomer);
    assert_eq!(
        t.to_new_ticket(None, None).unwrap().freshdesk_ticket_id,
        "2147483649"
    );
}

/// Tickets listed with `filter=deleted` and `filter=spam` carry the flags;
/// the default listing's `spam: false` and absent `deleted` clear them.
#[test]
fn deleted_and_spam_listings() {
    let deleted: Vec<Ticket> = parse_records(DELETED).unwrap();
    assert!(deleted[0].deleted && !deleted[0].spam);
    let spam: Vec<Ticket> = parse_records(SPAM).unwrap();
    assert!(spam[0].spam && !spam[0].deleted);
    assert_eq!(
        spam[0]
            .requester
            .as_ref()
            .unwrap()
            .phone
            .as_ref()
            .unwrap()
            .as_str(),
        "+1 555 0100"
    );
    let listed: Vec<Ticket> = parse_records(TICKETS).unwrap();
    assert!(listed.iter().all(|t| !t.deleted && !t.spam));
}

/// Conversations: a public agent reply, a private note, and an incoming
/// message whose HTML body is null (its text body is stored).
#[test]
fn conversations_load_and_convert() {
    let convs: Vec<Conversation> = parse_records(CONVERSATIONS).unwrap();
    assert_eq!(convs.len(), 3);
    let ticket = TicketId::new(9).unwrap();
    let reply = convs[0].to_new_conversation(ticket).unwrap();
    assert_eq!(reply.freshdesk_conversation_id, "67105086049");
    assert!(!reply.incoming && !reply.private);
    assert_eq!(reply.author_id, Some(67_013_469_919));
    assert_eq!(convs[0].ticket_key().unwrap(), "1022");
    assert!(convs[1].private);
    assert_eq!(convs[1].version(), utc("2015-01-01T00:05:00Z"));
    let incoming = convs[2].to_new_conversation(ticket).unwrap();
    assert!(incoming.incoming);
    assert_eq!(incoming.body, "Thanks, received.");
}

/// A rating with several questions stores its `default_question`; a
/// missing one is an error naming the rating and the field.
#[test]
fn ratings_store_the_default_question() {
    let ratings: Vec<SatisfactionRating> = parse_records(RATINGS).unwrap();
    assert_eq!(ratings[0].ratings.len(), 3);
    let ticket = TicketId::new(9).unwrap();
    let r = ratings[0].to_new_rating(ticket).unwrap();
    assert_eq!(
        (r.freshdesk_rating_id.as_str(), r.rating),
        ("67000499229", 103)
    );
    assert_eq!(r.feedback, None);
    let r = ratings[1].to_new_rating(ticket).unwrap();
    assert_eq!(
        (r.rating, r.feedback.as_deref()),
        (-102, Some("Took far too long."))
    );

    let mut no_default = ratings[0].clone();
    no_default.ratings.remove(DEFAULT_QUESTION);
    let (field, reason) = invalid_field(no_default.to_new_rating(ticket).unwrap_err());
    assert_eq!(field, "ratings.default_question");
    assert!(
        reason.contains("satisfaction rating 67000499229"),
        "{reason}"
    );
    let mut huge = ratings[0].clone();
    huge.ratings.insert(DEFAULT_QUESTION.into(), Some(i64::MAX));
    let (field, _) = invalid_field(huge.to_new_rating(ticket).unwrap_err());
    assert_eq!(field, "ratings.default_question");
}

/// Agents: name and email from the nested contact; numeric phone numbers
/// read as their digits; a missing email stays missing.
#[test]
fn agents_with_numeric_phone_numbers() {
    let agents: Vec<Agent> = parse_records(AGENTS).unwrap();
    let a = &agents[0];
    assert_eq!(a.contact.mobile.as_ref().unwrap().as_str(), "919876543210");
    assert_eq!(
        a.contact.phone.as_ref().unwrap().to_string(),
        "914412345678"
    );
    assert_eq!(a.contact.time_zone.as_deref(), Some("Chennai"));
    let new = a.to_new_agent().unwrap();
    assert_eq!(new.freshdesk_agent_id, "67013469919");
    assert_eq!(
        (new.name.as_str(), new.email.as_deref()),
        ("Ann Agent", Some("ann@example.com"))
    );
    assert_eq!(a.version().unwrap(), utc("2022-11-01T12:00:00Z"));
    let b = agents[1].to_new_agent().unwrap();
    assert_eq!((b.name.as_str(), b.email), ("Occasional Olli", None));
    assert_eq!(agents[1].version().unwrap(), utc("2021-05-04T23:35:05Z"));
}

/// Contacts: a null email, a numeric phone, custom fields of any type.
#[test]
fn contacts_load_and_convert() {
    let contacts: Vec<Contact> = parse_records(CONTACTS).unwrap();
    let c = contacts[0].to_new_contact().unwrap();
    assert_eq!(
        (c.freshdesk_contact_id.as_str(), c.email),
        ("67042965499", None)
    );
    assert_eq!(contacts[0].phone.as_ref().unwrap().as_str(), "4930123456");
    assert_eq!(contacts[0].custom_fields["cf_newsletter"], json!(false));
    assert_eq!(
        contacts[1].mobile.as_ref().unwrap().as_str(),
        "4915112345678"
    );
    assert_eq!(contacts[1].version().unwrap(), utc("2014-12-31T02:00:00Z"));
}

/// A first response before creation is an invalid-input error naming the
/// ticket and the field, not a negative first-response time.
#[test]
fn first_response_before_creation_is_invalid() {
    let t: Ticket = from_value(
        ticket_json(json!({"stats": {"first_responded_at": "2026-09-30T23:59:59Z"}})),
        0,
    )
    .unwrap();
    let (field, reason) = invalid_field(t.to_new_ticket(None, None).unwrap_err());
    assert_eq!(field, "stats.first_responded_at");
    assert!(reason.starts_with("ticket 7:"), "{reason}");
    // At creation exactly: a zero first-response time is fine.
    let t: Ticket = from_value(
        ticket_json(json!({"stats": {"first_responded_at": "2026-10-01T00:00:00Z"}})),
        0,
    )
    .unwrap();
    assert!(t.to_new_ticket(None, None).is_ok());
}

/// Records that cannot be used are errors naming the record (its id, or
/// its position when it has none) and the field — never a panic.
#[test]
fn unusable_records_name_the_record_and_the_field() {
    let cases: Vec<(serde_json::Value, Option<i64>, &str)> = vec![
        (ticket_json(json!({"id": null})), None, "id"),
        (
            {
                let mut v = ticket_json(json!({}));
                v.as_object_mut().unwrap().remove("id");
                v
            },
            None,
            "id",
        ),
        (
            ticket_json(json!({"created_at": "yesterday"})),
            Some(7),
            "created_at",
        ),
        (
            ticket_json(json!({"updated_at": 1700000000})),
            Some(7),
            "updated_at",
        ),
        (
            {
                let mut v = ticket_json(json!({}));
                v.as_object_mut().unwrap().remove("updated_at");
                v
            },
            Some(7),
            "updated_at",
        ),
        (
            ticket_json(json!({"stats": {"first_responded_at": "2026-13-01T00:00:00Z"}})),
            Some(7),
            "stats.first_responded_at",
        ),
        (
            ticket_json(json!({"status": 4294967296_i64})),
            Some(7),
            "status",
        ),
        (ticket_json(json!({"status": "open"})), Some(7), "status"),
        (
            ticket_json(json!({"id": 18446744073709551615_u64})),
            None,
            "id",
        ),
        (ticket_json(json!({"id": 1.5})), None, "id"),
        (ticket_json(json!({"id": "7"})), None, "id"),
        (
            ticket_json(json!({"requester_id": 1e300})),
            Some(7),
            "requester_id",
        ),
        (ticket_json(json!({"tags": ["ok", 3]})), Some(7), "tags[1]"),
        (
            ticket_json(json!({"custom_fields": [1, 2]})),
            Some(7),
            "custom_fields",
        ),
        (
            ticket_json(json!({"requester": {"id": 5, "mobile": {"n": 1}}})),
            Some(7),
            "requester.mobile",
        ),
        (
            ticket_json(json!({"created_at": "+275760-09-13T00:00:00Z"})),
            Some(7),
            "created_at",
        ),
    ];
    for (position, (value, id, field)) in cases.into_iter().enumerate() {
        let err = from_value::<Ticket>(value, position).unwrap_err();
        assert_eq!(err.record.kind, RecordKind::Ticket);
        assert_eq!(err.record.id, id, "{err}");
        assert_eq!(err.record.position, Some(position));
        assert_eq!(err.field, field, "{err}");
        assert!(!err.reason.is_empty());
        let message = err.to_string();
        match id {
            Some(id) => assert!(message.starts_with(&format!("ticket {id} ")), "{message}"),
            None => assert!(message.starts_with("ticket at record"), "{message}"),
        }
    }
    let err = from_value::<Ticket>(json!([1, 2]), 4).unwrap_err();
    assert_eq!((err.field.as_str(), err.record.position), ("", Some(4)));
    assert_eq!(
        err.to_string(),
        "ticket at record 4: record: expected a JSON object, got an array"
    );
    let err = parse_records::<Agent>("[null]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "agent at record 0: record: expected a JSON object, got null"
    );
    let err = parse_records::<Conversation>("[{\"id\": 1,").unwrap_err();
    assert_eq!(err.record.kind, RecordKind::Conversation);
    assert!(err.reason.starts_with("not valid JSON"), "{err}");
    let err = parse_records::<Conversation>(
        r#"[{"id": 1, "ticket_id": 2, "created_at": "2026-10-01T00:00:00Z"}, {"id": 3}]"#,
    )
    .unwrap_err();
    assert_eq!(
        err.record,
        RecordRef::new(RecordKind::Conversation, Some(3), Some(1))
    );
    assert_eq!(err.field, "ticket_id");
    assert_eq!(err.reason, "missing");
}

/// Ids at the limits: i64::MAX converts; zero and negative ids are errors
/// naming the record and the field.
#[test]
fn ids_at_the_limits() {
    let t: Ticket = from_value(
        ticket_json(json!({"id": i64::MAX, "responder_id": i64::MAX})),
        0,
    )
    .unwrap();
    assert_eq!(
        t.to_new_ticket(None, None).unwrap().freshdesk_ticket_id,
        i64::MAX.to_string()
    );
    assert_eq!(t.responder_key().unwrap(), Some(i64::MAX.to_string()));
    for (extra, field) in [
        (json!({"id": 0}), "id"),
        (json!({"id": i64::MIN}), "id"),
        (json!({"requester_id": -1}), "requester_id"),
        (json!({"responder_id": 0}), "responder_id"),
    ] {
        let t: Ticket = from_value(ticket_json(extra), 0).unwrap();
        let err = t
            .to_new_ticket(None, None)
            .and_then(|_| t.requester_key())
            .and_then(|_| t.responder_key())
            .unwrap_err();
        let (f, reason) = invalid_field(err);
        assert_eq!(f, field);
        assert!(reason.starts_with(&format!("ticket {}", t.id)), "{reason}");
    }
    let c: Conversation = from_value(
        json!({"id": 1, "ticket_id": -4, "created_at": "2026-10-01T00:00:00Z"}),
        0,
    )
    .unwrap();
    assert_eq!(invalid_field(c.ticket_key().unwrap_err()).0, "ticket_id");
    let a: Agent = from_value(json!({"id": 3, "contact": null}), 0).unwrap();
    assert_eq!(a.to_new_agent().unwrap().name, "");
    assert_eq!(invalid_field(a.version().unwrap_err()).0, "updated_at");
}

/// Extreme but valid timestamps: the first and last instants chrono's
/// RFC 3339 parser reads, in any offset; no panic in the first-response
/// arithmetic across the whole range.
#[test]
fn timestamps_at_the_limits() {
    let t: Ticket = from_value(
        ticket_json(json!({
            "created_at": "0001-01-01T00:00:00+14:00",
            "updated_at": "9999-12-31T23:59:59.999999999-12:00",
            "stats": {"first_responded_at": "9999-12-31T23:59:59Z"}
        })),
        0,
    )
    .unwrap();
    let new = t.to_new_ticket(None, None).unwrap();
    assert!(new.first_responded_at.unwrap() > new.created_at);
    assert_eq!(
        new.updated_at.to_rfc3339(),
        "+10000-01-01T11:59:59.999999999+00:00"
    );
}
