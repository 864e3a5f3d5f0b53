//! Appending rows to a table exactly once, by several writers at a time.
//!
//! The data files are written first, outside any lock. Then, holding the table's ledger,
//! the writer reads what other writers committed since (see [`Ledger::catch_up`]), leaves
//! out any row whose key another writer stored in the meantime, and commits as exactly the
//! next version; if another writer takes that version first it reads that commit too and
//! tries again. A commit therefore lands only after its writer has seen every commit
//! before it, so no key is ever stored twice, whichever process or worker commits it.
//!
//! Each commit carries a Delta application transaction (`txn`): the writer's id and the
//! highest stream sequence it has committed, as kafka-delta-ingest records its offsets.
//! It tells an operator, and any reader of the log, how far each ingest worker got; the
//! dedupe itself is by key, since workers sharing one JetStream consumer have no stream
//! partition of their own whose watermark alone could prove a sequence committed.

use anyhow::Result;
use arrow::array::BooleanArray;
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use deltalake::kernel::{Action, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use tokio::sync::Mutex;

use crate::ledger::Ledger;
use crate::table::{Outcome, Partition};

/// One partition's rows, with each row's key and content hash (0 for rejects).
pub struct Part {
    pub partition: Partition,
    pub batch: RecordBatch,
    pub keys: Vec<(u64, u64)>,
}

/// What an append committed.
#[derive(Debug, Default)]
pub struct Appended {
    /// The table version it committed as (none when every row was already stored).
    pub version: Option<i64>,
    pub rows: usize,
    pub files: usize,
    /// Rows left out because another writer stored their key after they were admitted,
    /// as (partition index in the call, row index): the caller leaves their messages
    /// unacked, and their redelivery is judged against what is now stored.
    pub late: Vec<(usize, usize)>,
}

/// Appends `parts` to the ledger's table exactly once, with `txn` in the commit.
pub async fn append(ledger: &Mutex<Ledger>, mut parts: Vec<Part>, txn: Transaction) -> Result<Appended> {
    parts.retain(|p| p.batch.num_rows() > 0);
    if parts.is_empty() {
        return Ok(Appended::default());
    }
    let table = ledger.lock().await.table().clone();
    let mut adds = table.write(parts.iter().map(|p| (p.partition.clone(), p.batch.clone())).collect(), true).await?;
    let mut late = Vec::new();
    // Each kept row's index in the part as given, for reporting late rows.
    let mut origins: Vec<Vec<usize>> = parts.iter().map(|p| (0..p.keys.len()).collect()).collect();
    let mut ledger = ledger.lock().await;
    loop {
        ledger.catch_up().await?;
        let mut stale = Vec::new();
        for (index, part) in parts.iter_mut().enumerate() {
            let mut keep = Vec::with_capacity(part.keys.len());
            for (row, (key, _)) in part.keys.iter().enumerate() {
                let stored = ledger.lookup(&part.partition, *key).await?.is_some();
                if stored {
                    late.push((index, origins[index][row]));
                }
                keep.push(!stored);
            }
            if keep.iter().any(|k| !k) {
                stale.push(index);
                part.batch = filter_record_batch(&part.batch, &BooleanArray::from(keep.clone()))?;
                part.keys = part.keys.iter().zip(&keep).filter(|(_, k)| **k).map(|(key, _)| *key).collect();
                origins[index] = origins[index].iter().zip(&keep).filter(|(_, k)| **k).map(|(o, _)| *o).collect();
            }
        }
        if !stale.is_empty() {
            // Rare: another process stored some of these rows while they were written.
            // The files of those partitions are written again without them.
            adds = rewrite(&ledger, &parts, &stale, adds).await?;
        }
        if adds.is_empty() {
            return Ok(Appended { version: None, rows: 0, files: 0, late });
        }
        let actions: Vec<Action> = adds.iter().cloned().map(Action::Add).collect();
        let operation = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: Some(ledger.table().spec().partitions.iter().map(|p| p.to_string()).collect()),
            predicate: None,
        };
        match ledger.table_mut().commit_exact(actions, operation, Some(txn.clone())).await? {
            Outcome::Committed(version) => {
                let table = ledger.table().clone();
                let keys = parts.iter().map(|p| (p.partition.clone(), p.keys.clone()));
                ledger.record(table, keys);
                let rows = parts.iter().map(|p| p.batch.num_rows()).sum();
                return Ok(Appended { version: Some(version), rows, files: adds.len(), late });
            }
            Outcome::Taken => continue,
        }
    }
}

/// Writes the parts at `stale` again and returns the adds with theirs replaced; the old
/// files, never committed, are deleted.
async fn rewrite(
    ledger: &Ledger,
    parts: &[Part],
    stale: &[usize],
    adds: Vec<deltalake::kernel::Add>,
) -> Result<Vec<deltalake::kernel::Add>> {
    let table = ledger.table();
    let stale_partitions: Vec<&Partition> = stale.iter().map(|i| &parts[*i].partition).collect();
    let (old, mut kept): (Vec<_>, Vec<_>) = adds.into_iter().partition(|add| {
        let partition = Partition::of(&add.partition_values);
        stale_partitions.contains(&&partition)
    });
    table.delete_uncommitted(&old).await;
    let again: Vec<(Partition, RecordBatch)> = stale
        .iter()
        .map(|i| &parts[*i])
        .filter(|p| p.batch.num_rows() > 0)
        .map(|p| (p.partition.clone(), p.batch.clone()))
        .collect();
    kept.extend(table.write(again, true).await?);
    Ok(kept)
}
