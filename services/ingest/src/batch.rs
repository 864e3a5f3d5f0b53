//! A worker's batch: the rows and refusals it holds, and the acks it owes once they are
//! committed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use async_nats::jetstream::message::Acker;
use chrono::{DateTime, Utc};
use safelake_lake::{layout::file_name, write_parquet, FamilyBuilder, Lake, Partition, Reject, RejectsBuilder};
use safelake_schemas::ValidEvent;

#[derive(Default)]
pub struct Batch {
    builders: HashMap<Partition, (FamilyBuilder, SeqRange)>,
    rejects: RejectsBuilder,
    reject_range: SeqRange,
    /// (id hash, content hash) of every event held, for the dedupe index.
    pub ids: Vec<(u64, u64)>,
    pub acks: Vec<Acker>,
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
        let partition = Partition::events(event.event_type.family, &event.school_id, &event.month());
        let (builder, range) = self
            .builders
            .entry(partition)
            .or_insert_with(|| (FamilyBuilder::new(event.event_type.family), SeqRange::default()));
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
        let mut files = Vec::new();
        let mut events = 0;
        let mut dirs = Vec::new();
        for (partition, (builder, range)) in self.builders.iter_mut() {
            events += builder.len();
            let batch = builder.finish(now);
            let dir = lake.dir(partition);
            files.push(write_parquet(&dir, &file_name(range.first, range.last, false), &[batch], Vec::new())?);
            dirs.push(dir);
        }
        let rejects = self.rejects.len();
        if !self.rejects.is_empty() {
            let dir = lake.dir(&Partition::rejects(&now.format("%Y-%m").to_string()));
            let batch = self.rejects.finish(now);
            let name = file_name(self.reject_range.first, self.reject_range.last, false);
            files.push(write_parquet(&dir, &name, &[batch], Vec::new())?);
        }
        self.builders.clear();
        Ok(Committed { files, events, rejects })
    }
}
