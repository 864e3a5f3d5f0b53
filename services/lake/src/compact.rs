//! Merges a partition's small files into one, atomically for readers.
//!
//! The output is committed like any file (see [`crate::commit`]) and names its inputs in
//! its footer; [`crate::Lake::live_files`] hides those inputs from that moment, and they
//! are deleted right after. A crash in between is finished on the next run. A lock file
//! per partition keeps two compactors (two ingest processes) from merging the same files.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::record_batch::RecordBatch;
use chrono::{Days, Months, NaiveDate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::commit::{sync_dir, write_parquet};
use crate::layout::{file_name, Lake, COMPACTED_SUFFIX, REPLACES_KEY};

/// When a partition is worth compacting.
#[derive(Debug, Clone, Copy)]
pub struct CompactionPolicy {
    /// Files under this size are "small".
    pub small_file_bytes: u64,
    /// Compact once a partition has at least this many small files.
    pub min_files: usize,
    /// Merge at most this many bytes at once, to bound memory.
    pub max_input_bytes: u64,
    /// Days after its month ends that a month partition is settled (late events have
    /// come): from then on two small files are enough to merge, so that a past month
    /// reads as one file, and its per-file rollups are the month's own (distinct users
    /// included: see `rollup::blocked_categories_monthly_schema`).
    pub settled_after_days: u32,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy { small_file_bytes: 64 << 20, min_files: 8, max_input_bytes: 256 << 20, settled_after_days: 7 }
    }
}

impl CompactionPolicy {
    /// How many small files make the partition `dir` worth compacting on `today`.
    fn min_files_in(&self, dir: &Path, today: NaiveDate) -> usize {
        let first =
            crate::layout::month_of(dir).and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok());
        let settled = first
            .and_then(|f| f.checked_add_months(Months::new(1)))
            .and_then(|end| end.checked_add_days(Days::new(self.settled_after_days.into())))
            .is_some_and(|settled| settled <= today);
        if settled {
            2
        } else {
            self.min_files.max(2)
        }
    }
}

/// What one compaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compacted {
    pub output: PathBuf,
    pub inputs: usize,
    pub rows: usize,
}

/// The names of the files a compaction output replaces (empty for other files).
pub fn replaced_by(path: &Path) -> Result<Vec<String>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader =
        SerializedFileReader::new(file).with_context(|| format!("reading the footer of {}", path.display()))?;
    let value = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == REPLACES_KEY))
        .and_then(|k| k.value.clone())
        .unwrap_or_default();
    Ok(value.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
}

/// Compacts every partition of every table that needs it.
pub fn compact_lake(lake: &Lake, policy: CompactionPolicy) -> Result<Vec<Compacted>> {
    let mut done = Vec::new();
    for table in Lake::tables() {
        for dir in lake.partitions(table)? {
            done.extend(compact_partition(&dir, policy)?);
        }
    }
    Ok(done)
}

/// Compacts one partition directory if it has enough small files (two, once its month
/// has settled) and no other compactor holds it.
pub fn compact_partition(dir: &Path, policy: CompactionPolicy) -> Result<Option<Compacted>> {
    let lock = File::create(dir.join(".compaction.lock"))?;
    if lock.try_lock().is_err() {
        return Ok(None);
    }
    finish_interrupted(dir)?;
    let mut inputs = Vec::new();
    let mut total = 0u64;
    for path in Lake::live_files(dir)? {
        let size = std::fs::metadata(&path)?.len();
        if size < policy.small_file_bytes && total + size <= policy.max_input_bytes {
            total += size;
            inputs.push(path);
        }
    }
    if inputs.len() < policy.min_files_in(dir, chrono::Utc::now().date_naive()) {
        return Ok(None);
    }
    let mut batches: Vec<RecordBatch> = Vec::new();
    for path in &inputs {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)
            .with_context(|| format!("reading {}", path.display()))?
            .with_batch_size(65_536)
            .build()?;
        for batch in reader {
            batches.push(batch?);
        }
    }
    if batches.windows(2).any(|w| w[0].schema() != w[1].schema()) {
        tracing::warn!(dir = %dir.display(), "files of different schemas (a contract change); not compacting them");
        return Ok(None);
    }
    let names: Vec<String> = inputs.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let ranges: Vec<(u64, u64)> = names.iter().filter_map(|n| seq_range(n)).collect();
    let first = ranges.iter().map(|r| r.0).min().unwrap_or(0);
    let last = ranges.iter().map(|r| r.1).max().unwrap_or(0);
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let metadata = vec![KeyValue::new(REPLACES_KEY.to_string(), names.join(","))];
    let output = write_parquet(dir, &file_name(first, last, true), &batches, metadata)?;
    for path in &inputs {
        std::fs::remove_file(path).with_context(|| format!("removing compacted input {}", path.display()))?;
    }
    sync_dir(dir)?;
    crate::rollup::remove_twins(dir, &names)?;
    Ok(Some(Compacted { output, inputs: inputs.len(), rows }))
}

/// Deletes the inputs of compactions that committed but crashed before deleting them,
/// and their rollup twins.
fn finish_interrupted(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(COMPACTED_SUFFIX) && !name.starts_with('.') {
            let inputs = replaced_by(&dir.join(&name))?;
            crate::rollup::remove_twins(dir, &inputs)?;
            for input in inputs {
                match std::fs::remove_file(dir.join(&input)) {
                    Ok(()) => {
                        tracing::info!(dir = %dir.display(), %input, "removed input of an interrupted compaction")
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("removing {input}")),
                }
            }
        }
    }
    Ok(())
}

/// The stream sequence range in a file name `<first>-<last>[...].parquet`.
pub fn seq_range(name: &str) -> Option<(u64, u64)> {
    let stem = name.split('.').next()?;
    let mut parts = stem.split('-');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}
