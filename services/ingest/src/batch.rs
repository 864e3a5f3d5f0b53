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
use crate::dedupe::Dedupe;

/// Rows of one partition: keyed by school, then (family, year, month), so that the hot
/// path looks partitions up by borrowed values, without allocating.
type Builders = HashMap<String, HashMap<(Family, i32, u32), Rows>>;

/// One partition's rows, with each row's key and the index of its ack.
struct Rows {
    builder: FamilyBuilder,
    keys: Vec<(u64, u64)>,
    acks: Vec<usize>,
    last_seq: u64,
}

#[derive(Default)]
pub struct Batch {
    builders: Builders,
    /// Refusals by the month of their publication, with the index of each one's ack.
    rejects: HashMap<String, (RejectsBuilder, Vec<usize>)>,
    pub acks: Acks,
    pub bytes: usize,
    pub started: Option<Instant>,
    pub duplicates: u64,
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
    /// Messages held (stored, refused or dropped), each owing an ack.
    pub fn messages(&self) -> usize {
        self.acks.len()
    }

    pub fn note_arrival(&mut self, bytes: usize) {
        self.started.get_or_insert_with(Instant::now);
        self.bytes += bytes;
    }

    /// Holds an event, whose ack is `reply`.
    pub fn add_event(&mut self, event: &ValidEvent, seq: u64, id_hash: u64, content_hash: u64, reply: &str) {
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
        rows.acks.push(self.acks.len());
        rows.last_seq = rows.last_seq.max(seq);
        self.acks.push(reply);
    }

    /// Holds a refusal, filed under the month `month` of its publication.
    pub fn add_reject(&mut self, reject: Reject, month: String, reply: &str) {
        let (builder, acks) = self.rejects.entry(month).or_default();
        builder.push(reject);
        acks.push(self.acks.len());
        self.acks.push(reply);
    }

    /// Every id held, with its content hash, and every refused sequence.
    pub fn keys(&self) -> (Vec<(u64, u64)>, Vec<u64>) {
        let ids = self.builders.values().flat_map(|s| s.values()).flat_map(|r| r.keys.iter().copied()).collect();
        let seqs = self.rejects.values().flat_map(|(b, _)| b.seqs()).collect();
        (ids, seqs)
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
            let last = builder.seqs().max().unwrap_or(0);
            let keys = builder.seqs().map(|s| (s, 0)).collect();
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
            for (part, row) in appended.late {
                withheld.insert(acks[part][row]);
            }
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
