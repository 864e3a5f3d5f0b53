//! The lake and its Delta tables: opening them (creating each on first use), reading what
//! a version holds, writing data files and committing them.
//!
//! Every change to a table is one Delta commit: data files are written first, under
//! names nobody else uses, and become part of the table only when the commit that names
//! them is written (with `If-None-Match` on an object store, a hard link on a disk), so a
//! reader sees a whole commit or none of it. Files a commit removes stay on storage until
//! a vacuum, after the table's retention, so a reader holding an older version still
//! finds them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use delta_kernel::expressions::Scalar;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TransactionError};
use deltalake::kernel::{Action, Add, StructField, StructType, Transaction};
use deltalake::logstore::{
    default_logstore, logstore_factories, logstore_with, LogStore, LogStoreFactory, LogStoreRef, StorageConfig,
};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::table::config::TablePropertiesExt;
use deltalake::table::state::DeltaTableState;
use deltalake::writer::{DeltaWriter, RecordBatchWriter, WriteMode};
use deltalake::{DeltaTable, DeltaTableError};
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
// Deprecated in parquet 59 in favour of an `AsyncFileReader` each user writes (the crate's
// own example is this type again); it remains the one ranged reader of object_store's files.
#[allow(deprecated)]
use parquet::arrow::async_reader::ParquetObjectReader;
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::location::LakeUrl;
use crate::tables::TableSpec;

/// Rows per row group: large enough for good compression and few footers to read.
const ROW_GROUP_ROWS: usize = 1_000_000;

/// The table properties every table is created with (Delta's own names).
const PROPERTIES: &[(&str, &str)] = &[
    // Files a commit removed (compaction inputs, expired months) are deleted by a vacuum
    // once they have been out of the table this long: long enough for any reader that
    // started on an older version to finish.
    ("delta.deletedFileRetentionDuration", "interval 1 days"),
    // A checkpoint every ten commits: every reader (and every writer, after its commit)
    // replays at most ten commits on top of one.
    ("delta.checkpointInterval", "10"),
    // Commits older than this go at a checkpoint: the lake's history is its files, not its
    // log, and a writer lists the log at every commit (a local directory is listed whole),
    // so the log is kept short. Time travel reaches back this far.
    ("delta.logRetentionDuration", "interval 30 minutes"),
    // An ingest worker's watermark outlives it by the stream's replay window.
    ("delta.setTransactionRetentionDuration", "interval 30 days"),
];

/// delta-rs knows only `file://` and `memory://` until a cloud crate registers its scheme;
/// those crates bring their own object store builders, which we do not need (the lake
/// builds its store from [`LakeUrl`]). Every object store the lake supports takes a
/// commit with a conditional put, which is exactly delta-rs's default log store.
fn register_object_store_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for scheme in ["s3://", "s3a://", "az://", "abfs://", "abfss://", "azure://", "gs://"] {
            let url = url::Url::parse(scheme).expect("a scheme parses");
            logstore_factories().entry(url).or_insert_with(|| Arc::new(ConditionalPutLog));
        }
    });
}

/// The log store of every object store: commits by conditional put.
struct ConditionalPutLog;

impl LogStoreFactory for ConditionalPutLog {
    fn with_options(
        &self,
        prefixed_store: Arc<dyn ObjectStore>,
        root_store: Arc<dyn ObjectStore>,
        location: &url::Url,
        options: &StorageConfig,
    ) -> deltalake::DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}

/// The lake: its location and the object store that holds it.
#[derive(Debug, Clone)]
pub struct Lake {
    url: LakeUrl,
    store: Arc<dyn ObjectStore>,
}

impl Lake {
    pub fn open(url: LakeUrl) -> Result<Lake> {
        register_object_store_logs();
        let store = url.object_store()?;
        Ok(Lake { url, store })
    }

    /// The lake in a directory of this machine.
    pub fn at(dir: impl AsRef<Path>) -> Result<Lake> {
        Lake::open(LakeUrl::dir(dir))
    }

    pub fn url(&self) -> &LakeUrl {
        &self.url
    }

    /// The object store at [`LakeUrl::store_url`], for readers to register.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }

    fn log_store(&self, table: &str) -> Result<LogStoreRef> {
        // delta-rs takes a missing directory for a bad location rather than an empty one.
        if let Some(dir) = self.url.as_dir() {
            let dir = dir.join(table);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        Ok(logstore_with(Arc::clone(&self.store), &self.url.table_url(table), StorageConfig::default())?)
    }

    /// The table `spec` at its latest version, created (empty) if the lake lacks it.
    pub async fn table(&self, spec: &TableSpec) -> Result<Table> {
        let log_store = self.log_store(spec.name)?;
        // Asked first because delta-rs logs an empty log as an error before it returns one.
        let exists = log_store.is_delta_table_location().await?;
        let mut delta = DeltaTable::new(log_store);
        if !exists {
            delta = self.create(spec, delta).await?;
            return Ok(Table { spec: spec.clone(), delta });
        }
        match delta.load().await {
            Ok(()) => {}
            Err(DeltaTableError::NotATable(_)) => delta = self.create(spec, delta).await?,
            Err(e) => return Err(e).with_context(|| format!("reading the log of {}", spec.name)),
        }
        let delta = self.evolve(spec, delta).await?;
        Ok(Table { spec: spec.clone(), delta })
    }

    /// Adds to a table made by an earlier safelake the nullable columns its spec has since
    /// gained (such as `rejects.position`): one commit, made by whichever process opens the
    /// table first; rows written before read those columns as null. A process that may
    /// not write (a query replica with read-only credentials) reads the table as it is.
    async fn evolve(&self, spec: &TableSpec, delta: DeltaTable) -> Result<DeltaTable> {
        let missing = |delta: &DeltaTable| -> Result<Vec<StructField>> {
            let have = delta.snapshot()?.schema();
            let want: StructType = spec.table_schema().as_ref().try_into_kernel()?;
            Ok(want.fields().filter(|f| f.is_nullable() && have.field(f.name()).is_none()).cloned().collect())
        };
        let fields = missing(&delta)?;
        if fields.is_empty() {
            return Ok(delta);
        }
        let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
        tracing::info!(table = spec.name, columns = ?names, "adding columns to a table made by an earlier safelake");
        match delta.add_columns().with_fields(fields).await {
            Ok(delta) => Ok(delta),
            // Another process added them at the same moment (read theirs), or this one may
            // not write (read the table as it is; a write to it fails and says why).
            Err(error) => {
                let mut delta = DeltaTable::new(self.log_store(spec.name)?);
                delta.load().await.with_context(|| format!("reading the log of {}", spec.name))?;
                if !missing(&delta)?.is_empty() {
                    tracing::warn!(table = spec.name, columns = ?names, %error, "cannot add columns; reading the table without them");
                }
                Ok(delta)
            }
        }
    }

    /// The table `spec` as it was at `version`.
    pub async fn table_at(&self, spec: &TableSpec, version: i64) -> Result<Table> {
        let mut delta = DeltaTable::new(self.log_store(spec.name)?);
        delta
            .load_version(version as u64)
            .await
            .with_context(|| format!("reading version {version} of {}", spec.name))?;
        Ok(Table { spec: spec.clone(), delta })
    }

    /// Whether `table` is a Delta table yet (a lake written before safelake used Delta
    /// has plain Parquet directories: see [`crate::migrate`]).
    pub async fn has_table(&self, table: &str) -> Result<bool> {
        Ok(self.log_store(table)?.is_delta_table_location().await?)
    }

    async fn create(&self, spec: &TableSpec, delta: DeltaTable) -> Result<DeltaTable> {
        let schema: StructType = spec.table_schema().as_ref().try_into_kernel()?;
        let created = delta
            .create()
            .with_table_name(spec.name)
            .with_columns(schema.fields().cloned())
            .with_partition_columns(spec.partitions.iter().copied())
            .with_configuration(PROPERTIES.iter().map(|(k, v)| (k.to_string(), Some(v.to_string()))))
            .with_save_mode(SaveMode::Ignore)
            .await;
        match created {
            Ok(table) => Ok(table),
            // Another process created it at the same moment: read theirs.
            Err(error) => {
                let mut delta = DeltaTable::new(self.log_store(spec.name)?);
                match delta.load().await {
                    Ok(()) => Ok(delta),
                    Err(_) => Err(error).with_context(|| format!("creating the table {}", spec.name)),
                }
            }
        }
    }
}

/// A partition of a table: one school's month, or a month of a table not kept by school.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition {
    pub school_id: Option<String>,
    pub month: String,
}

impl Partition {
    pub fn school_month(school_id: impl Into<String>, month: impl Into<String>) -> Partition {
        Partition { school_id: Some(school_id.into()), month: month.into() }
    }

    pub fn month(month: impl Into<String>) -> Partition {
        Partition { school_id: None, month: month.into() }
    }

    /// The partition of a file, from its partition values in the log.
    pub fn of(values: &HashMap<String, Option<String>>) -> Partition {
        Partition {
            school_id: values.get("school_id").cloned().flatten(),
            month: values.get("month").cloned().flatten().unwrap_or_default(),
        }
    }

    /// `school_id=sch01/month=2025-10`, as the table's directories name it.
    pub fn path(&self) -> String {
        match &self.school_id {
            Some(school) => format!("school_id={school}/month={}", self.month),
            None => format!("month={}", self.month),
        }
    }

    fn values(&self, spec: &TableSpec) -> indexmap::IndexMap<String, Scalar> {
        spec.partitions
            .iter()
            .map(|column| {
                let value = match *column {
                    "school_id" => self.school_id.clone().unwrap_or_default(),
                    _ => self.month.clone(),
                };
                (column.to_string(), Scalar::String(value))
            })
            .collect()
    }
}

/// A data file of a table's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Relative to the table's directory.
    pub path: String,
    pub partition: Partition,
    pub size: i64,
    /// From the file's statistics.
    pub rows: Option<usize>,
}

/// What became of an exact commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Committed as this version.
    Committed(i64),
    /// Another writer committed the next version first: nothing was committed.
    Taken,
}

/// One table at one version.
#[derive(Debug, Clone)]
pub struct Table {
    spec: TableSpec,
    delta: DeltaTable,
}

impl Table {
    pub fn spec(&self) -> &TableSpec {
        &self.spec
    }

    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    pub fn version(&self) -> i64 {
        self.delta.version().map_or(-1, |v| v as i64)
    }

    pub fn state(&self) -> &DeltaTableState {
        self.delta.state.as_ref().expect("a loaded table")
    }

    pub fn log_store(&self) -> LogStoreRef {
        self.delta.log_store()
    }

    pub fn delta(&self) -> &DeltaTable {
        &self.delta
    }

    /// Reads the commits made since this version; returns whether there were any.
    pub async fn update(&mut self) -> Result<bool> {
        let before = self.version();
        self.delta.update_incremental(None).await.with_context(|| format!("reading the log of {}", self.name()))?;
        Ok(self.version() != before)
    }

    /// Moves forward to `version` (no further), reading only the commits in between.
    pub async fn update_to(&mut self, version: i64) -> Result<()> {
        self.delta
            .update_incremental(Some(version as u64))
            .await
            .with_context(|| format!("reading version {version} of {}", self.name()))
    }

    /// The data files of this version.
    pub fn files(&self) -> Vec<DataFile> {
        self.state()
            .log_data()
            .iter()
            .map(|file| DataFile {
                path: file.object_store_path().to_string(),
                partition: Partition::of(&file.partition_values_map()),
                size: file.size(),
                rows: file.num_records(),
            })
            .collect()
    }

    /// The data files of one partition of this version.
    pub fn files_in(&self, partition: &Partition) -> Vec<DataFile> {
        self.files().into_iter().filter(|f| &f.partition == partition).collect()
    }

    /// The remove actions for `paths`, as of this version.
    pub fn removes(&self, paths: &[String], data_change: bool) -> Vec<Action> {
        let wanted: std::collections::HashSet<&str> = paths.iter().map(String::as_str).collect();
        self.state()
            .log_data()
            .iter()
            .filter(|f| wanted.contains(f.object_store_path().as_ref()))
            .map(|f| Action::Remove(f.remove_action(data_change)))
            .collect()
    }

    /// The latest version of `app_id`'s application transaction (`txn`) in this version.
    /// A version never changes, so the answer is kept: finding it replays the log.
    pub async fn txn_version(&self, app_id: &str) -> Result<Option<i64>> {
        type Known = std::sync::Mutex<HashMap<(String, i64, String), Option<i64>>>;
        static KNOWN: std::sync::OnceLock<Known> = std::sync::OnceLock::new();
        let known = KNOWN.get_or_init(Default::default);
        let key = (self.delta.table_url().to_string(), self.version(), app_id.to_string());
        if let Some(found) = known.lock().expect("never poisoned").get(&key) {
            return Ok(*found);
        }
        let found = self.state().transaction_version(self.log_store().as_ref(), app_id).await?;
        let mut known = known.lock().expect("never poisoned");
        if known.len() > 100_000 {
            known.clear();
        }
        known.insert(key, found);
        Ok(found)
    }

    /// Writes each partition's rows as one data file (not yet part of the table) and
    /// returns the add actions that would make them so. `data_change` is false for a
    /// rewrite of rows the table already holds (compaction).
    pub async fn write(&self, parts: Vec<(Partition, RecordBatch)>, data_change: bool) -> Result<Vec<Add>> {
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let mut writer = RecordBatchWriter::for_table(&self.delta)?.with_writer_properties(properties());
        for (partition, batch) in parts {
            writer
                .write_partition(batch, &partition.values(&self.spec), WriteMode::Default)
                .await
                .with_context(|| format!("writing {} {}", self.name(), partition.path()))?;
        }
        let mut adds = writer.flush().await.with_context(|| format!("writing the files of {}", self.name()))?;
        for add in &mut adds {
            add.data_change = data_change;
        }
        Ok(adds)
    }

    /// Deletes data files this writer wrote and will not commit; a file left behind (the
    /// store failed) is an orphan that the next vacuum deletes.
    pub async fn delete_uncommitted(&self, adds: &[Add]) {
        let store = self.log_store().object_store(None);
        for add in adds {
            if let Ok(path) = StorePath::from_url_path(&add.path) {
                store.delete(&path).await.ok();
            }
        }
    }

    /// Commits `actions` as exactly the version after this one, or nothing if another
    /// writer took that version ([`Outcome::Taken`]: read what it did, then try again).
    /// The caller decides what the other writer's commit means for its own.
    pub async fn commit_exact(
        &mut self,
        actions: Vec<Action>,
        operation: DeltaOperation,
        txn: Option<Transaction>,
    ) -> Result<Outcome> {
        let next = self.version() + 1;
        let mut properties =
            CommitProperties::default().with_max_retries(0).with_cleanup_expired_logs(Some(self.checkpoints_at(next)));
        if let Some(txn) = txn {
            properties = properties.with_application_transaction(txn);
        }
        let committed = CommitBuilder::from(properties).with_actions(actions).build(
            Some(self.state()),
            self.log_store(),
            operation,
        );
        match committed.await {
            Ok(done) => {
                // Read again rather than take the commit's own new state: that state keeps
                // every commit since it was loaded in its log segment, and each later
                // commit would replay them all (measured: 4 ms at the first commit, 190 ms
                // at the 226th); read again, it starts from the latest checkpoint.
                self.delta.update_incremental(Some(done.version())).await?;
                Ok(Outcome::Committed(done.version() as i64))
            }
            Err(DeltaTableError::VersionAlreadyExists(_))
            | Err(DeltaTableError::Transaction {
                source: TransactionError::VersionAlreadyExists(_) | TransactionError::MaxCommitAttempts(_),
            }) => Ok(Outcome::Taken),
            Err(e) => Err(e).with_context(|| format!("committing to {}", self.name())),
        }
    }

    /// Commits `actions`, rebased over other writers' commits where Delta's conflict rules
    /// allow: for appends, and for removals that change the data (two removals of one file
    /// conflict only then; a rewrite that keeps the data commits exactly instead, as
    /// [`crate::compact`] does).
    pub async fn commit(&mut self, actions: Vec<Action>, operation: DeltaOperation) -> Result<i64> {
        let properties =
            CommitProperties::default().with_cleanup_expired_logs(Some(self.checkpoints_at(self.version() + 1)));
        let committed = CommitBuilder::from(properties).with_actions(actions).build(
            Some(self.state()),
            self.log_store(),
            operation,
        );
        let done = committed.await.with_context(|| format!("committing to {}", self.name()))?;
        // Read again, as after an exact commit.
        self.delta.update_incremental(Some(done.version())).await?;
        Ok(done.version() as i64)
    }

    /// Whether a commit as `version` writes a checkpoint, and so cleans up the log: the
    /// cleanup lists the whole log, so it runs with the checkpoint, not at every commit.
    fn checkpoints_at(&self, version: i64) -> bool {
        let interval = self.state().table_config().checkpoint_interval().get() as i64;
        (version + 1) % interval == 0
    }

    /// The actions of each commit after `from` up to this version, oldest first.
    pub async fn commits_after(&self, from: i64) -> Result<Vec<(i64, Vec<Action>)>> {
        let log = self.log_store();
        let mut commits = Vec::new();
        for version in from + 1..=self.version() {
            let bytes = log
                .read_commit_entry(version as u64)
                .await?
                .with_context(|| format!("version {version} of {} is no longer in its log", self.name()))?;
            commits.push((version, deltalake::logstore::get_actions(version as u64, &bytes)?));
        }
        Ok(commits)
    }

    /// The `columns` of a data file (all when empty).
    pub async fn read(&self, path: &str, columns: &[&str]) -> Result<Vec<RecordBatch>> {
        let store = self.log_store().object_store(None);
        #[allow(deprecated)]
        let reader = ParquetObjectReader::new(store, StorePath::from(path));
        let builder = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .with_context(|| format!("reading the footer of {}/{path}", self.name()))?;
        let builder = if columns.is_empty() {
            builder
        } else {
            let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
            builder.with_projection(mask)
        };
        let stream = builder.with_batch_size(65_536).build()?;
        stream.try_collect().await.with_context(|| format!("reading {}/{path}", self.name()))
    }

    /// The schema of this table's files (partition columns excluded).
    pub fn file_schema(&self) -> SchemaRef {
        Arc::clone(&self.spec.schema)
    }
}

fn properties() -> WriterProperties {
    // zstd level 1: measured as small as level 3 on these events, and 2.3x faster.
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("level 1 is valid")))
        .set_dictionary_enabled(true)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}
