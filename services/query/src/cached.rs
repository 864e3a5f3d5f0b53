//! The small tables (incidents, monitoring alerts, agreements, rosters, filter
//! governance) held in memory, file by file.
//!
//! They are small in rows but spread over a partition per school and month, so reading
//! them from Parquet costs a file open, a footer and a page decode per partition on every
//! scan: measured at about 0.15 s for a table of a few thousand rows, and the incidents
//! projection scans its table four times. Lake files do not change once committed
//! (compaction writes new files; a rollup twin rewritten by a repair is renamed into
//! place, a new inode), so each file is decoded once and kept, under its size, time and
//! inode, until it stops being live. Every scan still lists the table, through the lake's
//! own rule ([`Lake::live_files`]), so new files appear at once and a compaction's
//! inputs disappear with it, exactly as through the listing tables; a file removed
//! between the listing and its reading sends the scan back to list again.
//!
//! A table whose decoded rows would take the cache past its budget is dropped from it and
//! read from its files as before (with partition pruning) until the service restarts, so
//! the cache never holds more than it was given.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::Context;
use async_trait::async_trait;
use datafusion::arrow::array::{new_null_array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::datasource::listing::ListingTable;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use safelake_lake::Lake;

/// Decoded files, shared by every table (and every engine) of one service.
#[derive(Debug)]
pub struct FileCache {
    budget: usize,
    files: Mutex<Files>,
}

#[derive(Debug, Default)]
struct Files {
    entries: HashMap<PathBuf, Decoded>,
    bytes: usize,
    /// Tables (their directories) that outgrew the budget: read from their files until
    /// the service restarts, rather than decoded again and dropped on every scan.
    too_big: std::collections::HashSet<PathBuf>,
}

#[derive(Debug, Clone)]
struct Decoded {
    /// The file as it was when decoded: a file replaced under the same name (a repaired
    /// twin, a restored backup) is decoded again.
    version: Version,
    batch: RecordBatch,
    bytes: usize,
}

type Version = (Option<SystemTime>, u64, u64);

fn version(metadata: &std::fs::Metadata) -> Version {
    use std::os::unix::fs::MetadataExt;
    (metadata.modified().ok(), metadata.len(), metadata.ino())
}

/// What one reading of a table found.
enum Read {
    Rows(Vec<RecordBatch>),
    /// More than the cache may hold: read from the files.
    TooBig,
    /// A listed file was gone when read (compacted, or removed by retention): list again.
    Moved,
}

impl FileCache {
    /// A cache that holds at most `budget` bytes of decoded rows.
    pub fn new(budget: usize) -> Arc<FileCache> {
        Arc::new(FileCache { budget, files: Mutex::new(Files::default()) })
    }

    /// The decoded rows it holds, in bytes.
    pub fn bytes(&self) -> usize {
        self.files.lock().expect("never poisoned").bytes
    }
}

/// One table of the lake, scanned from the cache.
#[derive(Debug)]
pub struct CachedTable {
    source: Source,
    /// The same table read from its files, for when the cache cannot hold it.
    files: Arc<ListingTable>,
}

/// Where a table's rows come from: its directory, through the cache.
#[derive(Debug, Clone)]
struct Source {
    dir: PathBuf,
    lake: Lake,
    table: String,
    schema: SchemaRef,
    /// The Hive partition columns, in the order the table's schema ends with them.
    partition_columns: Vec<String>,
    cache: Arc<FileCache>,
}

impl CachedTable {
    pub fn new(lake: &Path, table: &str, files: ListingTable, partitions: &[&str], cache: Arc<FileCache>) -> Self {
        let source = Source {
            dir: lake.join(table),
            lake: Lake::new(lake),
            table: table.to_string(),
            schema: files.schema(),
            partition_columns: partitions.iter().map(|p| p.to_string()).collect(),
            cache,
        };
        CachedTable { source, files: Arc::new(files) }
    }
}

impl Source {
    /// The table's live rows, from the cache (decoding what it lacks), or None when they
    /// would not fit in its budget. Blocking: files are read.
    fn rows(&self) -> Result<Option<Vec<RecordBatch>>> {
        for _ in 0..5 {
            match self.read()? {
                Read::Rows(batches) => return Ok(Some(batches)),
                Read::TooBig => return Ok(None),
                Read::Moved => continue,
            }
        }
        Err(external(anyhow::anyhow!("the files of {} kept changing while being read", self.table)))
    }

    /// One listing and reading: hits under the lock, misses decoded outside it (other
    /// scans go on meanwhile), then stored under the budget.
    fn read(&self) -> Result<Read> {
        let partitions = self.lake.partitions(&self.table).map_err(external)?;
        let mut live = Vec::new();
        for dir in &partitions {
            live.extend(Lake::live_files(dir).map_err(external)?);
        }
        let mut versions = Vec::with_capacity(live.len());
        for path in &live {
            match std::fs::metadata(path) {
                Ok(metadata) => versions.push(version(&metadata)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Moved),
                Err(e) => return Err(external(anyhow::Error::from(e).context(format!("reading {}", path.display())))),
            }
        }
        let mut batches: Vec<Option<RecordBatch>> = {
            let mut files = self.cache.files.lock().expect("never poisoned");
            if files.too_big.contains(&self.dir) {
                return Ok(Read::TooBig);
            }
            // Forget this table's files that are no longer live.
            let keep: std::collections::HashSet<&PathBuf> = live.iter().collect();
            let gone: Vec<PathBuf> =
                files.entries.keys().filter(|p| p.starts_with(&self.dir) && !keep.contains(p)).cloned().collect();
            files.forget(gone);
            live.iter()
                .zip(&versions)
                .map(|(path, version)| {
                    files.entries.get(path).filter(|d| d.version == *version).map(|d| d.batch.clone())
                })
                .collect()
        };
        let mut decoded = Vec::new();
        let misses: Vec<usize> = (0..live.len()).filter(|&i| batches[i].is_none()).collect();
        for i in misses {
            let path = &live[i];
            let file = match std::fs::File::open(path) {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Moved),
                Err(e) => return Err(external(anyhow::Error::from(e).context(format!("reading {}", path.display())))),
            };
            let batch = self.decode(file, path)?;
            batches[i] = Some(batch.clone());
            decoded.push((path.clone(), Decoded { version: versions[i], bytes: batch.get_array_memory_size(), batch }));
        }
        let mut files = self.cache.files.lock().expect("never poisoned");
        for (path, entry) in decoded {
            let old = files.entries.get(&path).map_or(0, |d| d.bytes);
            if files.bytes - old + entry.bytes > self.cache.budget {
                tracing::info!(table = %self.table, budget = self.cache.budget, "the table no longer fits the cache: read from its files");
                let own: Vec<PathBuf> = files.entries.keys().filter(|p| p.starts_with(&self.dir)).cloned().collect();
                files.forget(own);
                files.too_big.insert(self.dir.clone());
                return Ok(Read::TooBig);
            }
            files.bytes = files.bytes - old + entry.bytes;
            files.entries.insert(path, entry);
        }
        Ok(Read::Rows(batches.into_iter().map(|b| b.expect("every file read")).collect()))
    }

    /// One file's rows in the table's schema, its partition columns from its path.
    fn decode(&self, file: std::fs::File, path: &Path) -> Result<RecordBatch> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        let read: Vec<RecordBatch> = reader.collect::<std::result::Result<_, _>>()?;
        let rows: usize = read.iter().map(RecordBatch::num_rows).sum();
        let values = partition_values(path.strip_prefix(&self.dir).unwrap_or(path));
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for field in self.schema.fields() {
            let column = if let Some(column) = self.partition_columns.iter().find(|c| *c == field.name()) {
                let value = values
                    .get(column)
                    .with_context(|| format!("{} is not in a {column}= directory", path.display()))
                    .map_err(external)?;
                cast(&(Arc::new(StringArray::from(vec![value.as_str(); rows])) as ArrayRef), field.data_type())?
            } else {
                let parts: Vec<ArrayRef> = read
                    .iter()
                    .map(|batch| match batch.column_by_name(field.name()) {
                        Some(column) => cast(column, field.data_type()).map_err(DataFusionError::from),
                        // A column the file predates (a field added to the contract later).
                        None => Ok(new_null_array(field.data_type(), batch.num_rows())),
                    })
                    .collect::<Result<_>>()?;
                let parts: Vec<&dyn datafusion::arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
                if parts.is_empty() {
                    new_null_array(field.data_type(), 0)
                } else {
                    datafusion::arrow::compute::concat(&parts)?
                }
            };
            columns.push(column);
        }
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}

impl Files {
    fn forget(&mut self, paths: Vec<PathBuf>) {
        for path in paths {
            if let Some(old) = self.entries.remove(&path) {
                self.bytes -= old.bytes;
            }
        }
    }
}

/// `school_id=sch01/month=2025-10` of a file's path within its table, as column name to
/// value.
fn partition_values(path: &Path) -> HashMap<String, String> {
    path.ancestors()
        .filter_map(|dir| dir.file_name()?.to_str()?.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

fn external(error: anyhow::Error) -> DataFusionError {
    DataFusionError::External(error.into())
}

#[async_trait]
impl TableProvider for CachedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.source.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Inexact, so that DataFusion still filters above the scan (rows from memory are not
    /// filtered) while a table read from its files prunes its partitions by them.
    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let source = self.source.clone();
        let rows = tokio::task::spawn_blocking(move || source.rows())
            .await
            .map_err(|e| DataFusionError::External(e.into()))??;
        let Some(batches) = rows else {
            return self.files.scan(state, projection, filters, limit).await;
        };
        // Spread the files over the session's partitions, so that scans run in parallel.
        let partitions = state.config().target_partitions().max(1);
        let mut spread: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions.min(batches.len()).max(1)];
        let count = spread.len();
        for (i, batch) in batches.into_iter().enumerate() {
            spread[i % count].push(batch);
        }
        Ok(MemorySourceConfig::try_new_exec(&spread, Arc::clone(&self.source.schema), projection.cloned())?)
    }
}
