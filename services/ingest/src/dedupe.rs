//! The dedupe state shared by a process's workers: what the lake holds (the committed
//! index) plus what some worker holds in a batch not yet committed.
//!
//! A copy of a message that another worker holds (a redelivery after an ack timeout) must
//! not be acked before that worker commits, or a failed commit would lose it: its ack
//! waits in the pending entry and is sent with the holder's commit.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use safelake_lake::{CommittedIndex, Lake};

use crate::acks::Acks;

/// What to do with an arriving message.
pub enum Admission {
    /// Not seen before: store it.
    New,
    /// Already committed with the same content: drop it, ack it with the next commit.
    Duplicate,
    /// Held by a batch not yet committed: dropped, and its ack travels with that batch.
    Held,
    /// The same id was stored with other content.
    Conflict,
}

#[derive(Default)]
struct Pending {
    content_hash: u64,
    waiting: Acks,
}

pub struct Dedupe {
    index: CommittedIndex,
    pending_ids: HashMap<u64, Pending>,
    pending_rejects: HashMap<u64, Acks>,
    last_refresh: Instant,
}

/// Redeliveries can mean another process committed the message: look at the lake again,
/// but not more often than this.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

impl Dedupe {
    pub fn new(index: CommittedIndex) -> Dedupe {
        Dedupe { index, pending_ids: HashMap::new(), pending_rejects: HashMap::new(), last_refresh: Instant::now() }
    }

    pub fn refresh_due(&self) -> bool {
        self.last_refresh.elapsed() >= REFRESH_EVERY
    }

    pub fn refresh(&mut self, lake: &Lake) -> Result<usize> {
        self.last_refresh = Instant::now();
        self.index.refresh(lake)
    }

    /// Decides on an event; on [`Admission::Held`] its ack (`reply`) is kept here.
    pub fn admit_event(&mut self, id_hash: u64, content_hash: u64, reply: &str) -> Admission {
        if let Some(stored) = self.index.content_of(id_hash) {
            return if stored == content_hash { Admission::Duplicate } else { Admission::Conflict };
        }
        match self.pending_ids.get_mut(&id_hash) {
            Some(p) if p.content_hash == content_hash => {
                p.waiting.push(reply);
                Admission::Held
            }
            Some(_) => Admission::Conflict,
            None => {
                self.pending_ids.insert(id_hash, Pending { content_hash, waiting: Acks::default() });
                Admission::New
            }
        }
    }

    /// Decides on a refused message, known by its stream sequence.
    pub fn admit_reject(&mut self, stream_seq: u64, reply: &str) -> Admission {
        if self.index.is_rejected(stream_seq) {
            return Admission::Duplicate;
        }
        match self.pending_rejects.get_mut(&stream_seq) {
            Some(waiting) => {
                waiting.push(reply);
                Admission::Held
            }
            None => {
                self.pending_rejects.insert(stream_seq, Acks::default());
                Admission::New
            }
        }
    }

    /// Moves a committed batch into the index; returns the acks that waited for it.
    pub fn committed(&mut self, ids: &[(u64, u64)], reject_seqs: &[u64], files: Vec<PathBuf>) -> Acks {
        let mut waiting = Acks::default();
        for (id, _) in ids {
            if let Some(p) = self.pending_ids.remove(id) {
                waiting.append(&p.waiting);
            }
        }
        for seq in reject_seqs {
            if let Some(held) = self.pending_rejects.remove(seq) {
                waiting.append(&held);
            }
        }
        self.index.committed(ids.iter().copied(), reject_seqs.iter().copied(), files);
        waiting
    }

    /// Forgets a batch that failed to commit: none of it is acked, so all of it comes back.
    pub fn abandoned(&mut self, ids: &[(u64, u64)], reject_seqs: &[u64]) {
        for (id, _) in ids {
            self.pending_ids.remove(id);
        }
        for seq in reject_seqs {
            self.pending_rejects.remove(seq);
        }
    }
}
