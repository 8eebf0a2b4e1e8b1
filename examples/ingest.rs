//! Applies files of Freshdesk API v2 JSON (a JSON array, or one object per
//! line) for one merchant: newest wins, watermarks advanced, per-stream
//! counts printed. Each file is read as a stream and applied in bounded
//! batches, in one transaction: a bad record ends with one line naming the
//! file, the record and the field, and nothing of that file is written.
//!
//! ```sh
//! cargo run --all-features --example ingest -- --database-url URL --merchant ID FILE...
//! cargo run --all-features --example ingest -- --stream tickets --listing deleted FILE
//! ```
//!
//! With no `--database-url` (nor `DATABASE_URL`) it runs on an embedded
//! SQLite database, creates the schema, and reports what it loaded.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use common::progress::Progress;
use common::{Args, fail};
use freshdesk_store::freshdesk::{
    Agent, Contact, Conversation, Record, SatisfactionRating, Ticket, from_value,
};
use freshdesk_store::migration::{Migrator, MigratorTrait};
use freshdesk_store::sync::{self, ApplyCounts, Listing, SyncStream};
use freshdesk_store::{MerchantId, PoolConfig};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::Value;
use tokio::sync::mpsc;

const BATCH: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Tickets,
    Conversations,
    Ratings,
    Agents,
    Contacts,
}

impl Kind {
    fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "tickets" => Kind::Tickets,
            "conversations" => Kind::Conversations,
            "ratings" => Kind::Ratings,
            "agents" => Kind::Agents,
            "contacts" => Kind::Contacts,
            _ => return Err(format!("--stream: unknown stream `{s}`")),
        })
    }

    /// The stream a record belongs to, from its fields.
    fn of(v: &Value) -> Self {
        let has = |k: &str| v.get(k).is_some();
        if has("ratings") {
            Kind::Ratings
        } else if has("ticket_id") {
            Kind::Conversations
        } else if v.get("contact").is_some_and(Value::is_object) {
            Kind::Agents
        } else if has("subject") || has("status") {
            Kind::Tickets
        } else {
            Kind::Contacts
        }
    }
}

/// One batch read from a file: its records and the position of the first.
type Batch = Result<(usize, Vec<Value>), String>;

/// Reads `path` on a blocking thread, sending bounded batches.
fn read_file(path: String, tx: mpsc::Sender<Batch>) {
    let result = (|| -> Result<(), String> {
        let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(file);
        let first = loop {
            let buf = reader.fill_buf().map_err(|e| e.to_string())?;
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => break buf[i],
                None if buf.is_empty() => return Ok(()),
                None => {
                    let n = buf.len();
                    reader.consume(n);
                }
            }
        };
        let mut sink = Sink {
            tx: &tx,
            batch: Vec::new(),
            at: 0,
        };
        if first == b'[' {
            let mut de = serde_json::Deserializer::from_reader(reader);
            de.deserialize_seq(&mut sink).map_err(|e| e.to_string())?;
        } else {
            for value in serde_json::Deserializer::from_reader(reader).into_iter::<Value>() {
                sink.push(value.map_err(|e| e.to_string())?)?;
            }
        }
        sink.flush()
    })();
    if let Err(e) = result {
        let _ = tx.blocking_send(Err(e));
    }
}

struct Sink<'a> {
    tx: &'a mpsc::Sender<Batch>,
    batch: Vec<Value>,
    at: usize,
}

impl Sink<'_> {
    fn push(&mut self, v: Value) -> Result<(), String> {
        self.batch.push(v);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let n = batch.len();
        self.tx
            .blocking_send(Ok((self.at, batch)))
            .map_err(|_| "stopped".to_owned())?;
        self.at += n;
        Ok(())
    }
}

impl<'de> Visitor<'de> for &mut Sink<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.push(v).map_err(serde::de::Error::custom)?;
        }
        Ok(())
    }
}

fn records<T: Record>(at: usize, batch: Vec<Value>) -> Result<Vec<T>, String> {
    batch
        .into_iter()
        .enumerate()
        .map(|(i, v)| from_value::<T>(v, at + i).map_err(|e| e.to_string()))
        .collect()
}

/// Applies one batch of one stream; returns the counts and newest instant.
async fn apply(
    txn: &DatabaseTransaction,
    m: MerchantId,
    kind: Kind,
    listing: Listing,
    at: usize,
    batch: Vec<Value>,
) -> Result<(ApplyCounts, Option<DateTime<Utc>>), String> {
    let e = |e: freshdesk_store::Error| format!("record {at}..: {e}");
    Ok(match kind {
        Kind::Tickets => {
            let r: Vec<Ticket> = records(at, batch)?;
            let last = r.iter().map(|t| t.updated_at).max();
            (
                sync::apply_tickets(txn, m, listing, &r).await.map_err(e)?,
                last,
            )
        }
        Kind::Conversations => {
            let r: Vec<Conversation> = records(at, batch)?;
            let last = r.iter().map(Conversation::version).max();
            (
                sync::apply_conversations(txn, m, &r).await.map_err(e)?,
                last,
            )
        }
        Kind::Ratings => {
            let r: Vec<SatisfactionRating> = records(at, batch)?;
            let last = r.iter().map(SatisfactionRating::version).max();
            (sync::apply_ratings(txn, m, &r).await.map_err(e)?, last)
        }
        Kind::Agents => {
            let r: Vec<Agent> = records(at, batch)?;
            let last = r.iter().filter_map(|a| a.version().ok()).max();
            (sync::apply_agents(txn, m, &r).await.map_err(e)?, last)
        }
        Kind::Contacts => {
            let r: Vec<Contact> = records(at, batch)?;
            let last = r.iter().filter_map(|c| c.version().ok()).max();
            (sync::apply_contacts(txn, m, &r).await.map_err(e)?, last)
        }
    })
}

fn stream_of(kind: Kind, listing: Listing) -> SyncStream {
    match (kind, listing) {
        (Kind::Tickets, Listing::Deleted) => SyncStream::TicketsDeleted,
        (Kind::Tickets, Listing::Spam) => SyncStream::TicketsSpam,
        (Kind::Tickets, _) => SyncStream::Tickets,
        (Kind::Conversations, _) => SyncStream::Conversations,
        (Kind::Ratings, _) => SyncStream::Ratings,
        (Kind::Agents, _) => SyncStream::Agents,
        (Kind::Contacts, _) => SyncStream::Contacts,
    }
}

/// Applies one file in one transaction; rolls it all back on error.
async fn ingest_file(
    db: &DatabaseConnection,
    m: MerchantId,
    path: &str,
    forced: Option<Kind>,
    listing: Listing,
    totals: &mut BTreeMap<Kind, ApplyCounts>,
) -> Result<(), String> {
    let (tx, mut rx) = mpsc::channel::<Batch>(2);
    let owned = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || read_file(owned, tx));
    let txn = db.begin().await.map_err(|e| e.to_string())?;
    let mut progress = Progress::stderr(path.to_owned(), 0, "records");
    let mut file_totals: BTreeMap<Kind, (ApplyCounts, Option<DateTime<Utc>>)> = BTreeMap::new();
    let mut done = 0u64;
    while let Some(batch) = rx.recv().await {
        let (at, values) = batch?;
        // Split by stream, keeping each record's position.
        let mut by_kind: BTreeMap<Kind, (usize, Vec<Value>)> = BTreeMap::new();
        for (i, v) in values.into_iter().enumerate() {
            let kind = forced.unwrap_or_else(|| Kind::of(&v));
            by_kind
                .entry(kind)
                .or_insert((at + i, Vec::new()))
                .1
                .push(v);
        }
        for (kind, (first, values)) in by_kind {
            done += values.len() as u64;
            let (c, last) = apply(&txn, m, kind, listing, first, values).await?;
            let entry = file_totals.entry(kind).or_default();
            entry.0.inserted += c.inserted;
            entry.0.updated += c.updated;
            entry.0.skipped += c.skipped;
            entry.0.placeholders += c.placeholders;
            entry.0.orphans += c.orphans;
            entry.1 = entry.1.max(last);
        }
        progress.set(done);
    }
    reader.await.map_err(|e| e.to_string())?;
    for (kind, (counts, last)) in &file_totals {
        if let Some(last) = last {
            sync::advance_watermark(&txn, m, stream_of(*kind, listing), *last)
                .await
                .map_err(|e| e.to_string())?;
        }
        let t = totals.entry(*kind).or_default();
        t.inserted += counts.inserted;
        t.updated += counts.updated;
        t.skipped += counts.skipped;
        t.placeholders += counts.placeholders;
        t.orphans += counts.orphans;
    }
    txn.commit().await.map_err(|e| e.to_string())?;
    progress.finish();
    Ok(())
}

async fn run() -> Result<(), String> {
    let (flags, files): (Vec<String>, Vec<String>) = {
        let mut flags = Vec::new();
        let mut files = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            if a.starts_with("--") {
                let takes = !a.contains('=');
                flags.push(a);
                if takes && let Some(v) = args.next() {
                    flags.push(v);
                }
            } else {
                files.push(a);
            }
        }
        (flags, files)
    };
    let args = Args::parse_from(
        flags,
        &["database-url", "merchant", "stream", "listing"],
        &[],
    )?;
    if files.is_empty() {
        return Err("no FILE given: ingest --merchant ID FILE...".into());
    }
    let forced = args.get("stream").map(Kind::parse).transpose()?;
    let listing = match args.get("listing") {
        None | Some("updated") => Listing::Updated,
        Some("deleted") => Listing::Deleted,
        Some("spam") => Listing::Spam,
        Some(other) => return Err(format!("--listing: unknown listing `{other}`")),
    };
    let merchant = MerchantId::new(args.number("merchant", 1i64)?).map_err(|e| e.to_string())?;
    let url = args.database_url();
    let db = PoolConfig::from_url(url.as_deref().unwrap_or("sqlite::memory:"))
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    if url.is_none() {
        Migrator::up(&db, None).await.map_err(|e| e.to_string())?;
    }
    let mut totals = BTreeMap::new();
    for path in &files {
        ingest_file(&db, merchant, path, forced, listing, &mut totals)
            .await
            .map_err(|e| format!("{path}: {e} (nothing of this file was written)"))?;
    }
    for (kind, c) in &totals {
        println!(
            "{kind:?}: {} inserted, {} updated, {} skipped, {} placeholders, {} orphans",
            c.inserted, c.updated, c.skipped, c.placeholders, c.orphans
        );
    }
    if url.is_none() {
        let txn = db.begin().await.map_err(|e| e.to_string())?;
        for stream in [
            SyncStream::Tickets,
            SyncStream::Conversations,
            SyncStream::Ratings,
        ] {
            let at = sync::read_watermark(&txn, merchant, stream)
                .await
                .map_err(|e| e.to_string())?;
            println!("watermark {stream:?}: {at:?}");
        }
        txn.commit().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
