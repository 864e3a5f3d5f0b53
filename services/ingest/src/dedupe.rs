//! The dedupe state shared by a process's workers: what the lake holds (each table's
//! ledger, read partition by partition as messages ask about them) plus what some worker
//! holds in a batch not yet committed.
//!
//! A copy of a message that another worker holds (a redelivery after an ack timeout) must
//! not be acked before that worker commits, or a failed commit would lose it: its ack
//! waits in the pending entry and is sent with the holder's commit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use safelake_lake::ledger::{Key, Ledger};
use safelake_lake::{Lake, Partition, TableSpec};
use safelake_schemas::FAMILIES;

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
struct PendingId {
    content_hash: u64,
    waiting: Acks,
}

#[derive(Default)]
struct Pending {
    ids: HashMap<u64, PendingId>,
    rejects: HashMap<u64, Acks>,
}

/// Each table's ledger, and what this process's batches hold.
pub struct Dedupe {
    ledgers: HashMap<&'static str, Arc<tokio::sync::Mutex<Ledger>>>,
    pending: Mutex<Pending>,
}

impl Dedupe {
    /// Ledgers of every table the ingest appends to, together holding at most about
    /// `budget` bytes of keys.
    pub async fn open(lake: &Lake, budget: usize) -> Result<Dedupe> {
        let mut specs: Vec<(TableSpec, Key)> = FAMILIES.iter().map(|f| (TableSpec::family(*f), Key::EventId)).collect();
        specs.push((TableSpec::rejects(), Key::StreamSeq));
        let share = budget / specs.len();
        let mut ledgers = HashMap::new();
        for (spec, key) in specs {
            let table = lake.table(&spec).await.with_context(|| format!("opening {}", spec.name))?;
            ledgers.insert(spec.name, Arc::new(tokio::sync::Mutex::new(Ledger::new(table, key, share))));
        }
        Ok(Dedupe { ledgers, pending: Mutex::new(Pending::default()) })
    }

    /// The ledger of `table`, through which its commits go.
    pub fn ledger(&self, table: &str) -> Arc<tokio::sync::Mutex<Ledger>> {
        Arc::clone(self.ledgers.get(table).expect("a ledger for every table the ingest writes"))
    }

    /// Decides on an event of `table` in `partition`; on [`Admission::Held`] its ack
    /// (`reply`) is kept here.
    pub async fn admit_event(
        &self,
        table: &str,
        partition: &Partition,
        id_hash: u64,
        content_hash: u64,
        reply: &str,
    ) -> Result<Admission> {
        let stored = self.ledger(table).lock().await.lookup(partition, id_hash).await?;
        if let Some(stored) = stored {
            return Ok(if stored == content_hash { Admission::Duplicate } else { Admission::Conflict });
        }
        let mut pending = self.pending.lock().expect("dedupe lock");
        Ok(match pending.ids.get_mut(&id_hash) {
            Some(p) if p.content_hash == content_hash => {
                p.waiting.push(reply);
                Admission::Held
            }
            Some(_) => Admission::Conflict,
            None => {
                pending.ids.insert(id_hash, PendingId { content_hash, waiting: Acks::default() });
                Admission::New
            }
        })
    }

    /// Decides on a refused message, known by its stream sequence, in the `rejects`
    /// partition its publication time puts it in.
    pub async fn admit_reject(&self, partition: &Partition, stream_seq: u64, reply: &str) -> Result<Admission> {
        let stored = self.ledger(safelake_lake::tables::REJECTS).lock().await.lookup(partition, stream_seq).await?;
        if stored.is_some() {
            return Ok(Admission::Duplicate);
        }
        let mut pending = self.pending.lock().expect("dedupe lock");
        Ok(match pending.rejects.get_mut(&stream_seq) {
            Some(waiting) => {
                waiting.push(reply);
                Admission::Held
            }
            None => {
                pending.rejects.insert(stream_seq, Acks::default());
                Admission::New
            }
        })
    }

    /// Forgets the pending entries of a batch that is now in the lake (its rows committed,
    /// or found stored by another writer); returns the acks that waited for it.
    pub fn settled(&self, ids: &[(u64, u64)], reject_seqs: &[u64]) -> Acks {
        let mut pending = self.pending.lock().expect("dedupe lock");
        let mut waiting = Acks::default();
        for (id, _) in ids {
            if let Some(p) = pending.ids.remove(id) {
                waiting.append(&p.waiting);
            }
        }
        for seq in reject_seqs {
            if let Some(held) = pending.rejects.remove(seq) {
                waiting.append(&held);
            }
        }
        waiting
    }

    /// Forgets a batch that failed to commit: none of it is acked, so all of it comes back.
    pub fn abandoned(&self, ids: &[(u64, u64)], reject_seqs: &[u64]) {
        let mut pending = self.pending.lock().expect("dedupe lock");
        for (id, _) in ids {
            pending.ids.remove(id);
        }
        for seq in reject_seqs {
            pending.rejects.remove(seq);
        }
    }
}
