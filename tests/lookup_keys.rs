//! Look-ups by many Freshdesk ids (`resolve_freshdesk_ids`, `upsert_many`'s
//! id read-back, the sync's ticket look-ups) on every backend, with ids a
//! PostgreSQL array literal must quote: quotes, backslashes, commas,
//! braces, spaces, the word `NULL`, an empty-looking `""` and non-ASCII.
//! On PostgreSQL these travel as one array parameter (see
//! `repository::limits::any_of`); another merchant holding the same ids
//! stays invisible and untouched.

use chrono::{TimeZone, Utc};
use freshdesk_store::repository::{
    ContactRepository, NewContact, NewTicket, SeaContactRepository, SeaTicketRepository,
    TicketRepository,
};
use freshdesk_store::testing::{TestDb, unique_merchant_id};

fn awkward_ids() -> Vec<String> {
    [
        "plain",
        "with \"quotes\"",
        "back\\slash",
        "trailing\\",
        "a,b",
        "{braces}",
        "  spaced  ",
        "NULL",
        "null",
        "\"\"",
        "ünïcødé ✓",
        "'single'",
        "semi;colon",
        "$1",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test]
async fn many_key_lookups_find_exactly_the_merchants_rows_whatever_the_ids() {
    let db = TestDb::connect().await.unwrap();
    let txn = db.begin().await.unwrap();
    let (m, other) = (unique_merchant_id(), unique_merchant_id());
    let at = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
    let ids = awkward_ids();
    let repo = SeaTicketRepository;
    // The other merchant holds the same ids, except the first.
    repo.insert_many(
        &txn,
        other,
        ids[1..]
            .iter()
            .map(|k| NewTicket::new(k.clone(), "theirs", at))
            .collect(),
    )
    .await
    .unwrap();
    let written = repo
        .upsert_many(
            &txn,
            m,
            ids.iter()
                .map(|k| NewTicket::new(k.clone(), "ours", at))
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(written.len(), ids.len());

    // Asked for every id and a few that do not exist: exactly ours.
    let mut asked = ids.clone();
    asked.extend(["missing".to_owned(), "with \"quotes".to_owned()]);
    let found = repo.resolve_freshdesk_ids(&txn, m, &asked).await.unwrap();
    assert_eq!(found.len(), ids.len(), "{found:?}");
    for (k, id) in ids.iter().zip(&written) {
        assert_eq!(found.get(k), Some(id), "{k:?}");
    }
    // Replaying the upsert changes nothing and returns the same ids.
    let again = repo
        .upsert_many(
            &txn,
            m,
            ids.iter()
                .map(|k| NewTicket::new(k.clone(), "ours", at))
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(again, written);
    let theirs = repo.resolve_freshdesk_ids(&txn, other, &ids).await.unwrap();
    assert_eq!(theirs.len(), ids.len() - 1);
    assert!(theirs.values().all(|id| !written.contains(id)));

    // People: the same look-up on contacts.
    let contacts = SeaContactRepository;
    contacts
        .upsert_many(
            &txn,
            m,
            ids.iter()
                .map(|k| NewContact::new(k.clone(), "someone"))
                .collect(),
        )
        .await
        .unwrap();
    let people = contacts
        .resolve_freshdesk_ids(&txn, m, &asked)
        .await
        .unwrap();
    assert_eq!(people.len(), ids.len());
    assert!(ids.iter().all(|k| people.contains_key(k)));
    let none = contacts
        .resolve_freshdesk_ids(&txn, other, &ids)
        .await
        .unwrap();
    assert!(none.is_empty());
    txn.rollback().await.unwrap();
}
