//! A worker's batch: the rows and refusals it holds, and the acks it owes once they are
//! committed.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, Utc};
use deltalake::kernel::Transaction;
use safelake_lake::append::{append, Part};
use safelake_lake::{FamilyBuilder, Partition, Reject, RejectsBuilder};
use safelake_schemas::{Family, ValidEvent};

use crate::acks::Acks;
use crate::dedupe::{Dedupe, Holder};

/// Rows of one partition: keyed by school, then (family, year, month), so that the hot
/// path looks partitions up by borrowed values, without allocating.
type Builders = HashMap<String, HashMap<(Family, i32, u32), Rows>>;

/// One partition's rows, with each row's key and the index of its message's ack.
struct Rows {
    builder: FamilyBuilder,
    keys: Vec<(u64, u64)>,
    acks: Vec<usize>,
    last_seq: u64,
}

pub struct Batch {
    /// Names this batch in the dedupe state's pending entries.
    pub holder: Holder,
    builders: Builders,
    /// Refusals by the month of their publication, with the index of each one's ack.
    rejects: HashMap<String, (RejectsBuilder, Vec<usize>)>,
    /// Events and refusals held.
    rows: usize,
    /// One ack per message held (a message of a batch carries many rows).
    pub acks: Acks,
    pub bytes: usize,
    pub started: Option<Instant>,
    pub duplicates: u64,
}

impl Default for Batch {
    fn default() -> Batch {
        Batch {
            holder: Holder::next(),
            builders: Builders::default(),
            rejects: HashMap::new(),
            rows: 0,
            acks: Acks::default(),
            bytes: 0,
            started: None,
            duplicates: 0,
        }
    }
}

/// What a commit wrote.
pub struct Committed {
    pub events: usize,
    pub rejects: usize,
    pub files: usize,
    /// Acks to send: every message held, but those whose rows another writer stored
    /// while this batch was written (their redelivery is judged against the lake).
    pub acks: Acks,
}

impl Batch {
    /// How full the batch is: its rows, or its messages where they are more (messages
    /// of duplicates hold no row but owe an ack).
    pub fn len(&self) -> usize {
        self.rows.max(self.acks.len())
    }

    /// No message held (every row belongs to a message whose ack the batch owes).
    pub fn is_empty(&self) -> bool {
        self.acks.len() == 0
    }

    /// Takes on the ack of a message whose rows this batch holds (or that it drops), sent
    /// once they are committed; returns the index its rows refer to.
    pub fn owe_ack(&mut self, reply: &str) -> usize {
        self.acks.push(reply);
        self.acks.len() - 1
    }

    pub fn note_arrival(&mut self, bytes: usize) {
        self.started.get_or_insert_with(Instant::now);
        self.bytes += bytes;
    }

    /// Holds an event of the message whose ack is `ack`.
    pub fn add_event(&mut self, event: &ValidEvent, seq: u64, id_hash: u64, content_hash: u64, ack: usize) {
        let family = event.event_type.family;
        let (year, month) = event.year_month();
        let school = match self.builders.get_mut(event.school_id.as_str()) {
            Some(school) => school,
            None => self.builders.entry(event.school_id.to_string()).or_default(),
        };
        let rows = school.entry((family, year, month)).or_insert_with(|| Rows {
            builder: FamilyBuilder::new(family),
            keys: Vec::new(),
            acks: Vec::new(),
            last_seq: 0,
        });
        rows.builder.append(event, seq, content_hash);
        rows.keys.push((id_hash, content_hash));
        rows.acks.push(ack);
        rows.last_seq = rows.last_seq.max(seq);
        self.rows += 1;
    }

    /// Holds a refusal of the message whose ack is `ack`, filed under the month `month`
    /// of its publication.
    pub fn add_reject(&mut self, reject: Reject, month: String, ack: usize) {
        let (builder, acks) = self.rejects.entry(month).or_default();
        builder.push(reject);
        acks.push(ack);
        self.rows += 1;
    }

    /// Every id held, with its content hash, and every refusal's key.
    pub fn keys(&self) -> (Vec<(u64, u64)>, Vec<u64>) {
        let ids = self.builders.values().flat_map(|s| s.values()).flat_map(|r| r.keys.iter().copied()).collect();
        let refusals = self.rejects.values().flat_map(|(b, _)| b.keys()).collect();
        (ids, refusals)
    }

    /// Commits every table's rows, each exactly once (see `safelake_lake::append`), the
    /// raw tables first and `rejects` last, each commit carrying `app_id` and the highest
    /// sequence it holds.
    pub async fn commit(&mut self, dedupe: &Dedupe, app_id: &str, now: DateTime<Utc>) -> Result<Committed> {
        let mut tables: HashMap<&'static str, Vec<TablePart>> = HashMap::new();
        for (school, partitions) in self.builders.drain() {
            for ((family, year, month), mut rows) in partitions {
                let partition = Partition::school_month(school.clone(), format!("{year:04}-{month:02}"));
                let part = Part { partition, batch: rows.builder.finish(now), keys: rows.keys };
                tables.entry(family.table()).or_default().push(TablePart {
                    part,
                    acks: rows.acks,
                    last_seq: rows.last_seq,
                });
            }
        }
        for (month, (mut builder, acks)) in self.rejects.drain() {
            let last = builder.last_seq();
            let keys = builder.keys().map(|k| (k, 0)).collect();
            let part = Part { partition: Partition::month(month), batch: builder.finish(now), keys };
            tables.entry(safelake_lake::tables::REJECTS).or_default().push(TablePart { part, acks, last_seq: last });
        }
        let mut order: Vec<&'static str> = tables.keys().copied().collect();
        order.sort_by_key(|t| (*t == safelake_lake::tables::REJECTS, *t));
        let mut committed = Committed { events: 0, rejects: 0, files: 0, acks: Acks::default() };
        let mut withheld = std::collections::HashSet::new();
        for table in order {
            let parts = tables.remove(table).expect("listed");
            let last = parts.iter().map(|p| p.last_seq).max().unwrap_or(0);
            let (parts, acks): (Vec<Part>, Vec<Vec<usize>>) = parts.into_iter().map(|p| (p.part, p.acks)).unzip();
            let txn = Transaction::new(app_id, i64::try_from(last).unwrap_or(i64::MAX));
            let appended = append(&dedupe.ledger(table), parts, txn).await?;
            withheld.extend(appended.late.into_iter().map(|(part, row)| acks[part][row]));
            if table == safelake_lake::tables::REJECTS {
                committed.rejects += appended.rows;
            } else {
                committed.events += appended.rows;
            }
            committed.files += appended.files;
        }
        for (index, reply) in self.acks.iter().enumerate() {
            if !withheld.contains(&index) {
                committed.acks.push(reply);
            }
        }
        if !withheld.is_empty() {
            tracing::info!(rows = withheld.len(), "rows another writer stored meanwhile are left to their redelivery");
        }
        Ok(committed)
    }
}

/// One partition's rows of a batch, as committed: the rows, the ack index of each, and
/// the highest stream sequence among them.
struct TablePart {
    part: Part,
    acks: Vec<usize>,
    last_seq: u64,
}
