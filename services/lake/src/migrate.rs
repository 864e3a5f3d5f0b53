//! Converting a lake written before safelake used Delta Lake (plain Hive-partitioned
//! Parquet, with a transaction layer of its own) into Delta tables, in place.
//!
//! That layout kept a table's files in `<table>/school_id=<id>/month=<YYYY-MM>/`, named by
//! stream sequences (`<first>-<last>.parquet`); a compaction output
//! (`*.compacted.parquet`) named the files it replaced in its footer, and rollups were
//! per-file twins in their own directories. For each table the live files (those no
//! compaction replaced) are read, their rows written again in the Delta table's types and
//! committed in one commit that also records the migration (an application transaction,
//! so a run that stops midway is simply run again), then the old files are deleted. The
//! rollups are not converted: they are derived again from the converted raw events.
//! Before and after, the ids (stream sequences for `rejects`, rows for `audit_log`) are
//! counted and fingerprinted, and a difference stops the migration before anything old is
//! deleted.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use deltalake::kernel::{Action, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::rollup::ROLLUPS;
use crate::table::{Lake, Partition, Table};
use crate::tables::TableSpec;

/// The footer key by which the old layout's compaction outputs named their inputs.
const REPLACES_KEY: &str = "safelake.replaces";
const MIGRATED: &str = "safelake-migrate";

/// What one table's migration found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub table: &'static str,
    pub files: usize,
    pub rows: usize,
    /// The same count and fingerprint of ids before and after.
    pub fingerprint: (usize, u64),
}

/// Whether the lake in `dir` holds tables in the layout before Delta (the ingest and the
/// query service refuse such a lake, and say to run `safelake lake migrate`).
pub fn needs_migration(dir: &Path) -> bool {
    TableSpec::all().iter().any(|spec| {
        let table = dir.join(spec.name);
        !table.join("_delta_log").exists() && !old_files(&table).unwrap_or_default().is_empty()
    }) || ROLLUPS.iter().any(|r| {
        let table = dir.join(r.table);
        !table.join("_delta_log").exists() && table.exists()
    })
}

/// Converts every table of the lake in `dir`.
pub async fn migrate(dir: &Path) -> Result<Vec<Migrated>> {
    let lake = Lake::at(dir)?;
    let mut done = Vec::new();
    for spec in crate::compact::compacted_tables() {
        if let Some(migrated) = migrate_table(&lake, dir, &spec).await? {
            done.push(migrated);
        }
    }
    for rollup in ROLLUPS {
        let old = dir.join(rollup.table);
        if old.exists() && !old.join("_delta_log").exists() {
            std::fs::remove_dir_all(&old).with_context(|| format!("removing the old rollup {}", old.display()))?;
        }
    }
    let removing = dir.join(".removing");
    if removing.exists() {
        std::fs::remove_dir_all(&removing)?;
    }
    Ok(done)
}

async fn migrate_table(lake: &Lake, dir: &Path, spec: &TableSpec) -> Result<Option<Migrated>> {
    let table_dir = dir.join(spec.name);
    let files = live_files(&table_dir)?;
    let already = lake.has_table(spec.name).await?;
    let mut table = lake.table(spec).await?;
    if already && table.txn_version(MIGRATED).await?.is_some() {
        // Converted by a run that stopped before deleting the old files.
        delete_old(&table_dir)?;
        return Ok(None);
    }
    if files.is_empty() {
        delete_old(&table_dir)?;
        return Ok(None);
    }
    let before = fingerprint_files(spec, &files)?;
    let mut parts: Vec<(Partition, RecordBatch)> = Vec::new();
    for (partition, paths) in &files {
        let mut batches = Vec::new();
        for path in paths {
            batches.push(conform(spec, read_all(path)?)?);
        }
        parts.push((partition.clone(), concat_batches(&spec.schema, &batches)?));
    }
    let rows = parts.iter().map(|(_, b)| b.num_rows()).sum();
    let adds = table.write(parts, true).await?;
    let operation = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
    table
        .commit_exact(adds.into_iter().map(Action::Add).collect(), operation, Some(Transaction::new(MIGRATED, 1)))
        .await?;
    let after = fingerprint_table(&table).await?;
    if after != before {
        bail!(
            "{}: the converted table holds {} ids (fingerprint {:x}) where the old files held {} ({:x}); the old files are kept",
            spec.name,
            after.0,
            after.1,
            before.0,
            before.1
        );
    }
    delete_old(&table_dir)?;
    let count = files.values().map(Vec::len).sum();
    Ok(Some(Migrated { table: spec.name, files: count, rows, fingerprint: before }))
}

/// The old layout's live files of a table directory, by partition: every committed
/// `.parquet` file (not hidden, not Delta's) that no compaction output replaces.
fn live_files(table_dir: &Path) -> Result<BTreeMap<Partition, Vec<PathBuf>>> {
    let mut live: BTreeMap<Partition, Vec<PathBuf>> = BTreeMap::new();
    for path in old_files(table_dir)? {
        let dir = path.parent().context("a file")?;
        let replaced: HashSet<String> = replaced_in(dir)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if replaced.contains(name) {
            continue;
        }
        let relative = dir.strip_prefix(table_dir)?;
        let mut school = None;
        let mut month = String::new();
        for part in relative.components() {
            let part = part.as_os_str().to_string_lossy();
            if let Some(v) = part.strip_prefix("school_id=") {
                school = Some(v.to_string());
            } else if let Some(v) = part.strip_prefix("month=") {
                month = v.to_string();
            }
        }
        live.entry(Partition { school_id: school, month }).or_default().push(path);
    }
    Ok(live)
}

/// Every old-layout data file under a table directory.
fn old_files(table_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![table_dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                if name.contains('=') {
                    dirs.push(entry.path());
                }
            } else if name.ends_with(".parquet") && !name.starts_with('.') && !name.starts_with("part-") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The names of the files that the compaction outputs in `dir` replaced.
fn replaced_in(dir: &Path) -> Result<HashSet<String>> {
    let mut replaced = HashSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.ends_with(".compacted.parquet") || name.starts_with('.') {
            continue;
        }
        let reader = SerializedFileReader::new(File::open(&path)?)?;
        let value = reader
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == REPLACES_KEY))
            .and_then(|k| k.value.clone())
            .unwrap_or_default();
        replaced.extend(value.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    Ok(replaced)
}

fn read_all(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(65_536).build()?;
    reader.collect::<std::result::Result<_, _>>().with_context(|| format!("reading {}", path.display()))
}

/// Old rows in the table's types: dictionaries as text, unsigned integers as signed
/// (a hash keeps its bits), a column the file predates as nulls.
fn conform(spec: &TableSpec, batches: Vec<RecordBatch>) -> Result<RecordBatch> {
    let mut out = Vec::new();
    for batch in batches {
        let mut columns: Vec<ArrayRef> = Vec::new();
        for field in spec.schema.fields() {
            let column = match batch.column_by_name(field.name()) {
                Some(column) if column.data_type() == &DataType::UInt64 => {
                    let values: arrow::array::Int64Array = column
                        .as_primitive::<arrow::datatypes::UInt64Type>()
                        .iter()
                        .map(|v| v.map(|v| v as i64))
                        .collect();
                    std::sync::Arc::new(values) as ArrayRef
                }
                Some(column) => cast(column, field.data_type())?,
                None => arrow::array::new_null_array(field.data_type(), batch.num_rows()),
            };
            columns.push(column);
        }
        out.push(RecordBatch::try_new(spec.schema.clone(), columns)?);
    }
    Ok(concat_batches(&spec.schema, &out)?)
}

/// How many ids a table holds, and an order-free fingerprint of them: a lost or doubled
/// id changes one or the other.
fn fingerprint_files(spec: &TableSpec, files: &BTreeMap<Partition, Vec<PathBuf>>) -> Result<(usize, u64)> {
    let mut print = (0usize, 0u64);
    for paths in files.values() {
        for path in paths {
            for batch in read_all(path)? {
                fold(spec, &batch, &mut print)?;
            }
        }
    }
    Ok(print)
}

async fn fingerprint_table(table: &Table) -> Result<(usize, u64)> {
    let mut print = (0usize, 0u64);
    for file in table.files() {
        for batch in table.read(&file.path, &[]).await? {
            fold(table.spec(), &batch, &mut print)?;
        }
    }
    Ok(print)
}

fn fold(spec: &TableSpec, batch: &RecordBatch, print: &mut (usize, u64)) -> Result<()> {
    let key =
        ["id", "stream_seq", "at"].into_iter().find(|k| spec.schema.column_with_name(k).is_some()).unwrap_or("id");
    let column = cast(batch.column_by_name(key).context("the key column")?, &DataType::Utf8)?;
    let text = column.as_string::<i32>();
    for i in 0..text.len() {
        print.0 += 1;
        print.1 = print.1.wrapping_add(crate::id_hash(text.value(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    Ok(())
}

/// Deletes the old layout's files (and any temporaries) of a converted table.
fn delete_old(table_dir: &Path) -> Result<()> {
    for path in old_files(table_dir)? {
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    let mut dirs = vec![table_dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(entry.path());
            } else if name.starts_with('.') && (name.ends_with(".tmp") || name == ".compaction.lock") {
                std::fs::remove_file(entry.path()).ok();
            }
        }
    }
    Ok(())
}
