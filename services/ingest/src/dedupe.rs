//! The dedupe state shared by a process's workers: what the lake holds (each table's
//! ledger, read partition by partition as messages ask about them) plus what some worker
//! holds in a batch not yet committed.
//!
//! A message is acked with the batch that holds its events, once they are committed. A
//! copy of an event that another batch holds (a redelivery after an ack timeout, or a
//! re-send) cannot be acked before that batch commits, or a failed commit would lose it,
//! so its message is sent back to JetStream to be judged again after that commit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use safelake_lake::ledger::{Key, Ledger};
use safelake_lake::{Lake, Partition, TableSpec};
use safelake_schemas::FAMILIES;

/// What to do with an arriving event or refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Not seen before: store it.
    New,
    /// Already committed with the same content: drop it.
    Duplicate,
    /// Held by the asking batch: dropped, and stored by that batch's commit.
    HeldHere,
    /// Held by another batch not yet committed: its message goes back to be judged again.
    HeldElsewhere,
    /// The same id was stored with other content.
    Conflict,
}

/// Names the batch that holds an entry: unique within the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder(u64);

impl Holder {
    pub fn next() -> Holder {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Holder(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

#[derive(Default)]
struct Pending {
    /// Event ids held, with their content hash and holder.
    ids: HashMap<u64, (u64, Holder)>,
    /// Refusal keys held.
    rejects: HashMap<u64, Holder>,
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
        specs.push((TableSpec::rejects(), Key::Refusal));
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

    /// Decides on an event of `table` in `partition` that batch `holder` is judging.
    pub async fn admit_event(
        &self,
        table: &str,
        partition: &Partition,
        id_hash: u64,
        content_hash: u64,
        holder: Holder,
    ) -> Result<Admission> {
        let stored = self.ledger(table).lock().await.lookup(partition, id_hash).await?;
        if let Some(stored) = stored {
            return Ok(if stored == content_hash { Admission::Duplicate } else { Admission::Conflict });
        }
        let mut pending = self.pending.lock().expect("dedupe lock");
        Ok(match pending.ids.get(&id_hash) {
            Some((content, _)) if *content != content_hash => Admission::Conflict,
            Some((_, held)) if *held == holder => Admission::HeldHere,
            Some(_) => Admission::HeldElsewhere,
            None => {
                pending.ids.insert(id_hash, (content_hash, holder));
                Admission::New
            }
        })
    }

    /// Decides on a refusal, known by its key (see `safelake_lake::rejects::key`), in the
    /// `rejects` partition its message's publication time puts it in.
    pub async fn admit_reject(&self, partition: &Partition, key: u64, holder: Holder) -> Result<Admission> {
        let stored = self.ledger(safelake_lake::tables::REJECTS).lock().await.lookup(partition, key).await?;
        if stored.is_some() {
            return Ok(Admission::Duplicate);
        }
        let mut pending = self.pending.lock().expect("dedupe lock");
        Ok(match pending.rejects.get(&key) {
            Some(held) if *held == holder => Admission::HeldHere,
            Some(_) => Admission::HeldElsewhere,
            None => {
                pending.rejects.insert(key, holder);
                Admission::New
            }
        })
    }

    /// Forgets the pending entries of a batch, committed (its rows now in the lake, or
    /// found stored by another writer) or failed (none of it acked, so all of it comes
    /// back).
    pub fn release(&self, ids: &[(u64, u64)], reject_keys: &[u64]) {
        let mut pending = self.pending.lock().expect("dedupe lock");
        for (id, _) in ids {
            pending.ids.remove(id);
        }
        for key in reject_keys {
            pending.rejects.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_batch_tells_its_own_entries_from_another_batchs() {
        let dir = tempfile::tempdir().unwrap();
        let dedupe = Dedupe::open(&Lake::at(dir.path()).unwrap(), 1 << 20).await.unwrap();
        let (a, b) = (Holder::next(), Holder::next());
        let (table, partition) = ("filter_events", Partition::school_month("sch01", "2026-11"));
        let admit = |content, holder| dedupe.admit_event(table, &partition, 1, content, holder);
        assert_eq!(admit(10, a).await.unwrap(), Admission::New);
        assert_eq!(admit(10, a).await.unwrap(), Admission::HeldHere);
        assert_eq!(admit(10, b).await.unwrap(), Admission::HeldElsewhere);
        assert_eq!(admit(11, b).await.unwrap(), Admission::Conflict);

        let month = Partition::month("2026-11");
        assert_eq!(dedupe.admit_reject(&month, 5, a).await.unwrap(), Admission::New);
        assert_eq!(dedupe.admit_reject(&month, 5, a).await.unwrap(), Admission::HeldHere);
        assert_eq!(dedupe.admit_reject(&month, 5, b).await.unwrap(), Admission::HeldElsewhere);
        assert_eq!(dedupe.admit_reject(&month, 6, b).await.unwrap(), Admission::New);

        // Released without a commit (the batch failed): the next copy is new again.
        dedupe.release(&[(1, 10)], &[5]);
        assert_eq!(admit(10, b).await.unwrap(), Admission::New);
        assert_eq!(dedupe.admit_reject(&month, 5, b).await.unwrap(), Admission::New);
    }
}
