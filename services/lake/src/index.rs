//! What the lake already holds, so that nothing is stored twice.
//!
//! One mechanism covers every way an event can arrive again: a JetStream redelivery after
//! a crash between commit and ack, a delivery to another worker after an ack timeout, and
//! a publisher's re-send outside the server's duplicate window. Each carries an event id
//! the lake already holds, with the same content: it is dropped. The same id with other
//! content is a conflict, which the ingest refuses into `rejects`. Refused messages are
//! known by stream sequence, since a broken message may have no id.
//!
//! Ids and contents are kept as 64-bit hashes (16 bytes an event in memory).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use serde_json::Value;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use crate::layout::{Lake, REJECTS};

/// The hash of an event id.
pub fn id_hash(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}

/// A hash of an event's content that ignores key order and white space, so that a
/// re-serialised re-send still counts as the same event.
pub fn content_hash(event: &Value) -> u64 {
    fn feed(value: &Value, h: &mut Xxh3) {
        match value {
            Value::Null => h.update(b"n"),
            Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
            Value::Number(n) => {
                h.update(b"#");
                h.update(n.to_string().as_bytes());
            }
            Value::String(s) => {
                h.update(b"\"");
                h.update(&(s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Array(items) => {
                h.update(b"[");
                items.iter().for_each(|i| feed(i, h));
                h.update(b"]");
            }
            Value::Object(map) => {
                // serde_json's map keeps keys sorted, so equal objects feed equally.
                h.update(b"{");
                for (k, v) in map {
                    h.update(&(k.len() as u64).to_le_bytes());
                    h.update(k.as_bytes());
                    feed(v, h);
                }
                h.update(b"}");
            }
        }
    }
    let mut h = Xxh3::new();
    feed(event, &mut h);
    h.digest()
}

/// Keys are already hashes: hashing them again is wasted work on the hot path.
#[derive(Default)]
struct Prehashed(u64);

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

type PrehashedMap = HashMap<u64, u64, BuildHasherDefault<Prehashed>>;
type PrehashedSet = HashSet<u64, BuildHasherDefault<Prehashed>>;

/// Event ids (with content hashes) and refused sequences already committed to the lake.
#[derive(Default)]
pub struct CommittedIndex {
    ids: PrehashedMap,
    reject_seqs: PrehashedSet,
    known_files: HashSet<PathBuf>,
}

impl CommittedIndex {
    /// Reads what the lake holds.
    pub fn load(lake: &Lake) -> Result<CommittedIndex> {
        let mut index = CommittedIndex::default();
        index.refresh(lake)?;
        Ok(index)
    }

    /// Reads the live files not seen yet (written by other processes, or compactions).
    /// Returns how many files were read.
    pub fn refresh(&mut self, lake: &Lake) -> Result<usize> {
        let mut read = 0;
        for table in Lake::tables() {
            for dir in lake.partitions(table)? {
                for file in Lake::live_files(&dir)? {
                    if self.known_files.contains(&file) {
                        continue;
                    }
                    match self.read_file(&file, table == REJECTS) {
                        Ok(()) => {}
                        // A compaction may delete an input between listing and reading;
                        // its rows are in the compacted file, which is read instead.
                        Err(e) if !file.exists() => tracing::debug!("{} went away: {e:#}", file.display()),
                        Err(e) => return Err(e),
                    }
                    self.known_files.insert(file);
                    read += 1;
                }
            }
        }
        self.known_files.retain(|f| f.exists());
        Ok(read)
    }

    fn read_file(&mut self, path: &Path, rejects: bool) -> Result<()> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .with_context(|| format!("reading the footer of {}", path.display()))?;
        let columns: &[&str] = if rejects { &["stream_seq"] } else { &["id", "content_hash"] };
        let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        for batch in builder.with_projection(mask).with_batch_size(65_536).build()? {
            let batch = batch.with_context(|| format!("reading {}", path.display()))?;
            if rejects {
                let seqs = batch.column(0).as_primitive::<UInt64Type>();
                self.reject_seqs.extend(seqs.values().iter().copied());
            } else {
                let ids = batch.column(0).as_string::<i32>();
                let hashes = batch.column(1).as_primitive::<UInt64Type>();
                for i in 0..ids.len() {
                    self.ids.insert(id_hash(ids.value(i)), hashes.value(i));
                }
            }
        }
        Ok(())
    }

    /// The content hash stored for an id, if the id is committed.
    pub fn content_of(&self, id_hash: u64) -> Option<u64> {
        self.ids.get(&id_hash).copied()
    }

    pub fn is_rejected(&self, stream_seq: u64) -> bool {
        self.reject_seqs.contains(&stream_seq)
    }

    /// Records what a commit of this process wrote, without reading the files back.
    pub fn committed(
        &mut self,
        ids: impl IntoIterator<Item = (u64, u64)>,
        reject_seqs: impl IntoIterator<Item = u64>,
        files: impl IntoIterator<Item = PathBuf>,
    ) {
        self.ids.extend(ids);
        self.reject_seqs.extend(reject_seqs);
        self.known_files.extend(files);
    }

    pub fn events(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_hash_ignores_key_order_but_not_values() {
        let a: Value = serde_json::from_str(r#"{"id":"x","data":{"a":1,"b":"c"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "data": {"b": "c", "a": 1}, "id": "x" }"#).unwrap();
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&json!({"id":"x","data":{"a":2,"b":"c"}})));
        assert_ne!(content_hash(&json!({"a":"bc"})), content_hash(&json!({"ab":"c"})));
    }
}
