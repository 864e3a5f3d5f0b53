//! The small tables (incidents, monitoring alerts, agreements, rosters, filter
//! governance) held in memory, file by file.
//!
//! They are small in rows but spread over a partition per school and month, so reading
//! them from Parquet costs a file open, a footer and a page decode per partition on every
//! scan: measured at about 0.15 s for a table of a few thousand rows, and the incidents
//! projection scans its table four times. Lake files never change once committed (a
//! name is never reused; compaction writes new files), so each file is decoded once and
//! kept until it stops being live. Every scan still lists the table, through the lake's
//! own rule ([`Lake::live_files`]), so new files appear at once and a compaction's
//! inputs disappear with it, exactly as through the listing tables.
//!
//! A table whose decoded rows would take the cache past its budget is read from its
//! files as before, so the cache never holds more than it was given.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use datafusion::arrow::array::{new_null_array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::datasource::listing::ListingTable;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
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
}

#[derive(Debug, Clone)]
struct Decoded {
    /// The file as it was when decoded: a file replaced under the same name (which the
    /// lake never does, but a restored backup might) is decoded again.
    modified: Option<SystemTime>,
    len: u64,
    batch: RecordBatch,
    bytes: usize,
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
        let partitions = self.lake.partitions(&self.table).map_err(external)?;
        let mut live = Vec::new();
        for dir in &partitions {
            live.extend(Lake::live_files(dir).map_err(external)?);
        }
        let mut files = self.cache.files.lock().expect("never poisoned");
        // Forget this table's files that are no longer live (compacted, or removed by
        // retention).
        let keep: std::collections::HashSet<&PathBuf> = live.iter().collect();
        let gone: Vec<PathBuf> =
            files.entries.keys().filter(|p| p.starts_with(&self.dir) && !keep.contains(p)).cloned().collect();
        for path in gone {
            if let Some(old) = files.entries.remove(&path) {
                files.bytes -= old.bytes;
            }
        }
        let mut batches = Vec::with_capacity(live.len());
        for path in &live {
            let metadata = std::fs::metadata(path).map_err(|e| external(e.into()))?;
            let (modified, len) = (metadata.modified().ok(), metadata.len());
            if let Some(hit) = files.entries.get(path).filter(|d| d.modified == modified && d.len == len) {
                batches.push(hit.batch.clone());
                continue;
            }
            let batch = self.decode(path)?;
            let bytes = batch.get_array_memory_size();
            if files.bytes + bytes > self.cache.budget {
                tracing::info!(table = %self.table, budget = self.cache.budget, "the table no longer fits the cache: read from its files");
                return Ok(None);
            }
            files.bytes += bytes;
            if let Some(old) =
                files.entries.insert(path.clone(), Decoded { modified, len, batch: batch.clone(), bytes })
            {
                files.bytes -= old.bytes;
            }
            batches.push(batch);
        }
        Ok(Some(batches))
    }

    /// One file's rows in the table's schema, its partition columns from its path.
    fn decode(&self, path: &Path) -> Result<RecordBatch> {
        let file = std::fs::File::open(path).map_err(|e| external(e.into()))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        let read: Vec<RecordBatch> = reader.collect::<std::result::Result<_, _>>()?;
        let rows: usize = read.iter().map(RecordBatch::num_rows).sum();
        let values = partition_values(path);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for field in self.schema.fields() {
            let column =
                if let Some(value) = self.partition_columns.iter().find(|c| *c == field.name()).map(|c| &values[c]) {
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

/// `school_id=sch01/month=2025-10` of a file's path, as column name to value.
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
