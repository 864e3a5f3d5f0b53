//! A worker's batch: the rows and refusals it holds, and the acks it owes once they are
//! committed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;

use crate::acks::Acks;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use safelake_lake::{layout::file_name, write_parquet, FamilyBuilder, Lake, Partition, Reject, RejectsBuilder};
use safelake_schemas::{Family, ValidEvent};

/// Files of one commit are written by this many threads at once: each file waits mostly
/// on its fsyncs, so overlapping them is what makes many-partition commits fast.
const WRITERS: usize = 8;

/// Rows of one partition: keyed by school, then (family, year, month), so that the hot
/// path looks partitions up by borrowed values, without allocating.
type Builders = HashMap<String, HashMap<(Family, i32, u32), (FamilyBuilder, SeqRange)>>;

#[derive(Default)]
pub struct Batch {
    builders: Builders,
    rejects: RejectsBuilder,
    reject_range: SeqRange,
    /// (id hash, content hash) of every event held, for the dedupe index.
    pub ids: Vec<(u64, u64)>,
    pub acks: Acks,
    pub bytes: usize,
    pub started: Option<Instant>,
    pub duplicates: u64,
}

#[derive(Default, Clone, Copy)]
struct SeqRange {
    first: u64,
    last: u64,
}

impl SeqRange {
    fn add(&mut self, seq: u64) {
        if self.first == 0 || seq < self.first {
            self.first = seq;
        }
        self.last = self.last.max(seq);
    }
}

/// What a commit wrote.
pub struct Committed {
    pub files: Vec<PathBuf>,
    pub events: usize,
    pub rejects: usize,
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

    pub fn add_event(&mut self, event: &ValidEvent, seq: u64, id_hash: u64, content_hash: u64) {
        let family = event.event_type.family;
        let (year, month) = event.year_month();
        let school = match self.builders.get_mut(event.school_id.as_str()) {
            Some(school) => school,
            None => self.builders.entry(event.school_id.clone()).or_default(),
        };
        let (builder, range) =
            school.entry((family, year, month)).or_insert_with(|| (FamilyBuilder::new(family), SeqRange::default()));
        builder.append(event, seq, content_hash);
        range.add(seq);
        self.ids.push((id_hash, content_hash));
    }

    pub fn add_reject(&mut self, reject: Reject) {
        self.reject_range.add(reject.stream_seq);
        self.rejects.push(reject);
    }

    pub fn reject_seqs(&self) -> Vec<u64> {
        self.rejects.seqs().collect()
    }

    /// Writes every partition's file and the rejects file. Blocking: run it off the
    /// async threads.
    pub fn write(&mut self, lake: &Lake, now: DateTime<Utc>) -> Result<Committed> {
        let mut files: Vec<(PathBuf, String, RecordBatch)> = Vec::new();
        let mut events = 0;
        for (school, partitions) in self.builders.drain() {
            for ((family, year, month), (mut builder, range)) in partitions {
                events += builder.len();
                let partition = Partition::events(family, &school, &format!("{year:04}-{month:02}"));
                files.push((lake.dir(&partition), file_name(range.first, range.last, false), builder.finish(now)));
            }
        }
        let rejects = self.rejects.len();
        if !self.rejects.is_empty() {
            let dir = lake.dir(&Partition::rejects(&now.format("%Y-%m").to_string()));
            let name = file_name(self.reject_range.first, self.reject_range.last, false);
            files.push((dir, name, self.rejects.finish(now)));
        }
        Ok(Committed { files: write_all(files)?, events, rejects })
    }
}

/// Commits every file, several at a time; any failure fails the whole commit (the batch is
/// then not acked, and what was written is found again as duplicates on redelivery).
fn write_all(files: Vec<(PathBuf, String, RecordBatch)>) -> Result<Vec<PathBuf>> {
    let work = Mutex::new(files.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WRITERS {
            scope.spawn(|| loop {
                let next = work.lock().expect("work queue").next();
                let Some((dir, name, batch)) = next else { break };
                let written = write_parquet(&dir, &name, &[batch], Vec::new());
                results.lock().expect("results").push(written);
            });
        }
    });
    results.into_inner().expect("results").into_iter().collect()
}
