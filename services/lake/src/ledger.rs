//! What each partition of a table already holds, so that nothing is stored twice: event
//! ids (with a hash of their content) in the raw event tables, stream sequences in
//! `rejects`.
//!
//! An event can only be where its family, school and month put it, so a check reads only
//! that partition: its files are read (the key columns only) the first time the partition
//! is asked about, kept current from then on by reading the files that later commits add
//! to it, and dropped, least recently used first, when the ledger passes its budget.
//! Memory therefore follows the partitions being written (this month's, in a live trust),
//! not the lake's history, and nothing is read at start.
//!
//! A ledger is exact as of its table's version: every partition it holds has exactly the
//! keys the files of that version hold. [`Ledger::catch_up`] moves it to the latest
//! version, reading what other writers added; [`Ledger::record`] folds in a commit made
//! through it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use anyhow::Result;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int32Type, Int64Type};
use deltalake::kernel::Action;
use object_store::path::Path as StorePath;

use crate::table::{Partition, Table};

/// Bytes a held key costs (the key, its content hash and the map's own overhead).
const BYTES_PER_KEY: usize = 32;

/// Keys are already hashes: hashing them again is wasted work on the hot path.
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type PrehashedMap<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

/// What identifies a row of a table for dedupe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The event id's hash, with the content hash beside it (raw event tables).
    EventId,
    /// The stream sequence and place in a batch (`rejects`, whose messages may have no
    /// id): see [`crate::rejects::key`].
    Refusal,
}

impl Key {
    fn columns(self) -> &'static [&'static str] {
        match self {
            Key::EventId => &["id", "content_hash"],
            Key::Refusal => &["stream_seq", "position"],
        }
    }
}

struct Held {
    keys: PrehashedMap<u64>,
    used: u64,
}

/// The keys of the partitions asked about, as of the table's version.
pub struct Ledger {
    table: Table,
    key: Key,
    held: HashMap<Partition, Held>,
    budget: usize,
    clock: u64,
}

impl Ledger {
    /// A ledger of `table` that holds at most about `budget` bytes of keys.
    pub fn new(table: Table, key: Key, budget: usize) -> Ledger {
        Ledger { table, key, held: HashMap::new(), budget, clock: 0 }
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Keys held, over every partition.
    pub fn keys(&self) -> usize {
        self.held.values().map(|h| h.keys.len()).sum()
    }

    /// The content hash stored under `key` in `partition` (0 for a stream sequence), if
    /// the table holds it as of this version.
    pub async fn lookup(&mut self, partition: &Partition, key: u64) -> Result<Option<u64>> {
        self.clock += 1;
        if let Some(held) = self.held.get_mut(partition) {
            held.used = self.clock;
            return Ok(held.keys.get(&key).copied());
        }
        let keys = self.read(partition).await?;
        let found = keys.get(&key).copied();
        self.held.insert(partition.clone(), Held { keys, used: self.clock });
        self.evict(partition);
        Ok(found)
    }

    /// Moves to the table's latest version, reading the files other writers added to the
    /// partitions held (a rewrite of rows already there, such as a compaction, adds
    /// nothing; a removal of data, such as retention, drops the partition, to be read
    /// again if asked about).
    pub async fn catch_up(&mut self) -> Result<()> {
        let before = self.table.version();
        if !self.table.update().await? {
            return Ok(());
        }
        let commits = match self.table.commits_after(before).await {
            Ok(commits) => commits,
            // The log no longer has them (a ledger left behind longer than the log's
            // retention): read again whatever is asked about.
            Err(error) => {
                tracing::warn!(table = self.table.name(), "{error:#}; reading its partitions afresh");
                self.held.clear();
                return Ok(());
            }
        };
        for (_, actions) in commits {
            for action in actions {
                match action {
                    Action::Add(add) if add.data_change => {
                        let partition = Partition::of(&add.partition_values);
                        if self.held.contains_key(&partition) {
                            let path = StorePath::from_url_path(&add.path)?;
                            let keys = self.read_file(path.as_ref()).await?;
                            let held = self.held.get_mut(&partition).expect("held");
                            held.keys.extend(keys);
                        }
                    }
                    Action::Remove(remove) if remove.data_change => {
                        let partition = Partition::of(&remove.partition_values.unwrap_or_default());
                        self.held.remove(&partition);
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Folds in a commit made through this ledger's table (at the version after the one
    /// the ledger was exact at): `keys` per partition, with their content hashes.
    pub fn record(&mut self, table: Table, keys: impl IntoIterator<Item = (Partition, Vec<(u64, u64)>)>) {
        self.table = table;
        for (partition, keys) in keys {
            if let Some(held) = self.held.get_mut(&partition) {
                held.keys.extend(keys);
            }
        }
    }

    /// The table, for a commit through it.
    pub fn table_mut(&mut self) -> &mut Table {
        &mut self.table
    }

    async fn read(&self, partition: &Partition) -> Result<PrehashedMap<u64>> {
        let mut keys = PrehashedMap::default();
        for file in self.table.files_in(partition) {
            keys.extend(self.read_file(&file.path).await?);
        }
        Ok(keys)
    }

    async fn read_file(&self, path: &str) -> Result<Vec<(u64, u64)>> {
        let mut keys = Vec::new();
        for batch in self.table.read(path, self.key.columns()).await? {
            match self.key {
                Key::EventId => {
                    let ids = batch.column(0).as_string::<i32>();
                    let hashes = batch.column(1).as_primitive::<Int64Type>();
                    for i in 0..ids.len() {
                        keys.push((crate::id_hash(ids.value(i)), hashes.value(i) as u64));
                    }
                }
                Key::Refusal => {
                    let seqs = batch.column(0).as_primitive::<Int64Type>();
                    // Files written before batches have no position column.
                    let positions = batch.column_by_name("position").map(|p| p.as_primitive::<Int32Type>());
                    for i in 0..seqs.len() {
                        let position = positions.filter(|p| p.is_valid(i)).map(|p| p.value(i) as u16);
                        keys.push((crate::rejects::key(seqs.value(i) as u64, position), 0));
                    }
                }
            }
        }
        Ok(keys)
    }

    /// Drops the least recently used partitions (never `keep`) until within budget.
    fn evict(&mut self, keep: &Partition) {
        while self.keys() * BYTES_PER_KEY > self.budget {
            let oldest =
                self.held.iter().filter(|(p, _)| *p != keep).min_by_key(|(_, h)| h.used).map(|(p, _)| p.clone());
            match oldest {
                Some(partition) => {
                    self.held.remove(&partition);
                }
                None => break,
            }
        }
    }
}
