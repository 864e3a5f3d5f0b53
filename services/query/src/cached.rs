//! The small tables (incidents, monitoring alerts, agreements, rosters, filter
//! governance, high-risk blocks, blocks per category) held in memory, file by file.
//!
//! They are small in rows but spread over a partition per school and month, so reading
//! them from Parquet costs a file open, a footer and a page decode per partition on every
//! scan: measured at about 0.15 s for a table of a few thousand rows, and the incidents
//! projection scans its table four times. A Delta data file never changes once written
//! (a path is never reused), so each file is decoded once and kept, under its path, until
//! no version a query reads still has it. Every scan reads exactly the files of the
//! version the query reads (see [`crate::snapshots`]), so new files appear at once and a
//! compaction's inputs go with it, exactly as through a Delta scan.
//!
//! A table whose decoded rows would take the cache past its budget is dropped from it and
//! read through its Delta scan (with partition pruning) until the service restarts, so
//! the cache never holds more than it was given.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{new_null_array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use safelake_lake::{DataFile, Table};

use crate::snapshots::Snapshots;
use crate::table::{delta_scan, version_for};

/// Decoded files, shared by every table (and every engine) of one service.
#[derive(Debug)]
pub struct FileCache {
    budget: usize,
    files: Mutex<Files>,
}

#[derive(Debug, Default)]
struct Files {
    /// By table, then by the file's path within it.
    entries: HashMap<(&'static str, String), Decoded>,
    bytes: usize,
    /// Tables that outgrew the budget: read through their scans until the service
    /// restarts, rather than decoded again and dropped on every scan.
    too_big: HashSet<&'static str>,
}

#[derive(Debug, Clone)]
struct Decoded {
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
    name: &'static str,
    schema: SchemaRef,
    snapshots: Arc<Snapshots>,
    cache: Arc<FileCache>,
}

impl CachedTable {
    /// `schema` is the table's as its Delta scan gives it, so that a table that outgrows
    /// the cache reads the same through either.
    pub fn new(name: &'static str, schema: SchemaRef, snapshots: Arc<Snapshots>, cache: Arc<FileCache>) -> CachedTable {
        CachedTable { name, schema, snapshots, cache }
    }

    /// The rows of the version `table`, from the cache (decoding what it lacks), or None
    /// when they would not fit in its budget.
    async fn rows(&self, table: &Table) -> Result<Option<Vec<RecordBatch>>> {
        let live = table.files();
        let mut batches: Vec<Option<RecordBatch>> = {
            let files = self.cache.files.lock().expect("never poisoned");
            if files.too_big.contains(self.name) {
                return Ok(None);
            }
            live.iter().map(|f| files.entries.get(&(self.name, f.path.clone())).map(|d| d.batch.clone())).collect()
        };
        let mut decoded = Vec::new();
        for (i, file) in live.iter().enumerate() {
            if batches[i].is_some() {
                continue;
            }
            let batch = self.decode(table, file).await?;
            batches[i] = Some(batch.clone());
            decoded.push((file.path.clone(), Decoded { bytes: batch.get_array_memory_size(), batch }));
        }
        let mut files = self.cache.files.lock().expect("never poisoned");
        for (path, entry) in decoded {
            if files.bytes + entry.bytes > self.cache.budget {
                // Files of versions no query reads any more go first.
                files.forget_unlisted(self.name, &live);
            }
            if files.bytes + entry.bytes > self.cache.budget {
                tracing::info!(
                    table = self.name,
                    budget = self.cache.budget,
                    "the table no longer fits the cache: read from its files"
                );
                files.forget_table(self.name);
                files.too_big.insert(self.name);
                return Ok(None);
            }
            files.bytes += entry.bytes;
            if let Some(old) = files.entries.insert((self.name, path), entry) {
                files.bytes -= old.bytes;
            }
        }
        Ok(Some(batches.into_iter().map(|b| b.expect("every file read")).collect()))
    }

    /// One file's rows in the table's schema, its partition columns from the log.
    async fn decode(&self, table: &Table, file: &DataFile) -> Result<RecordBatch> {
        let read = table.read(&file.path, &[]).await.map_err(external)?;
        let rows: usize = read.iter().map(RecordBatch::num_rows).sum();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for field in self.schema.fields() {
            let value = match field.name().as_str() {
                "school_id" if table.spec().partitions.contains(&"school_id") => file.partition.school_id.clone(),
                "month" if table.spec().partitions.contains(&"month") => Some(file.partition.month.clone()),
                _ => None,
            };
            let column = if let Some(value) = value {
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
    fn forget_unlisted(&mut self, table: &'static str, live: &[DataFile]) {
        let keep: HashSet<&str> = live.iter().map(|f| f.path.as_str()).collect();
        let gone: Vec<(&'static str, String)> =
            self.entries.keys().filter(|(t, p)| *t == table && !keep.contains(p.as_str())).cloned().collect();
        self.forget(gone);
    }

    fn forget_table(&mut self, table: &'static str) {
        let own: Vec<(&'static str, String)> = self.entries.keys().filter(|(t, _)| *t == table).cloned().collect();
        self.forget(own);
    }

    fn forget(&mut self, keys: Vec<(&'static str, String)>) {
        for key in keys {
            if let Some(old) = self.entries.remove(&key) {
                self.bytes -= old.bytes;
            }
        }
    }
}

fn external(error: anyhow::Error) -> DataFusionError {
    DataFusionError::External(error.into())
}

#[async_trait]
impl TableProvider for CachedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
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
        let table = version_for(state, &self.snapshots, self.name).await?;
        let Some(batches) = self.rows(&table).await? else {
            return delta_scan(&table)?.scan(state, projection, filters, limit).await;
        };
        // Spread the files over the session's partitions, so that scans run in parallel.
        let partitions = state.config().target_partitions().max(1);
        let mut spread: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions.min(batches.len()).max(1)];
        let count = spread.len();
        for (i, batch) in batches.into_iter().enumerate() {
            spread[i % count].push(batch);
        }
        Ok(MemorySourceConfig::try_new_exec(&spread, Arc::clone(&self.schema), projection.cloned())?)
    }
}
