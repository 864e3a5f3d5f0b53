//! Merges a partition's small files into one, as one Delta commit that removes the inputs
//! and adds the output (both marked as no change to the data, as Delta's own optimize
//! marks them): a reader sees either the inputs or the output, never both, whatever
//! engine it is. The inputs stay on storage until a [`vacuum`] after the table's
//! retention, so a reader that began on the version before still finds them.
//!
//! The rollup tables are not compacted here: their follower rebuilds a partition's rollup
//! rows when its raw files are merged (see [`crate::follow`]).

use std::collections::HashSet;

use anyhow::Result;
use arrow::compute::concat_batches;
use chrono::{Days, Months, NaiveDate};
use deltalake::kernel::Action;
use deltalake::operations::vacuum::VacuumMode;
use deltalake::protocol::DeltaOperation;
use safelake_schemas::FAMILIES;

use crate::table::{DataFile, Lake, Outcome, Partition, Table};
use crate::tables::TableSpec;

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
    /// reads as one file, and its rollup rows are the month's own (distinct users
    /// included: see `rollup::blocked_categories_monthly_schema`).
    pub settled_after_days: u32,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy { small_file_bytes: 64 << 20, min_files: 8, max_input_bytes: 256 << 20, settled_after_days: 7 }
    }
}

impl CompactionPolicy {
    /// How many small files make a partition of `month` (`YYYY-MM`) worth compacting on
    /// `today`.
    fn min_files_in(&self, month: &str, today: NaiveDate) -> usize {
        let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok();
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
    pub table: &'static str,
    pub partition: Partition,
    pub inputs: usize,
    pub rows: usize,
    /// The table version it committed as.
    pub version: i64,
}

/// The tables compaction merges: the raw events, `rejects` and `audit_log`.
pub fn compacted_tables() -> Vec<TableSpec> {
    let mut tables: Vec<TableSpec> = FAMILIES.iter().map(|f| TableSpec::family(*f)).collect();
    tables.push(TableSpec::rejects());
    tables.push(TableSpec::audit_log());
    tables
}

/// Compacts every partition of every table that needs it.
pub async fn compact_lake(lake: &Lake, policy: CompactionPolicy) -> Result<Vec<Compacted>> {
    let today = chrono::Utc::now().date_naive();
    let mut done = Vec::new();
    for spec in compacted_tables() {
        let mut table = lake.table(&spec).await?;
        done.extend(compact_table(&mut table, policy, today).await?);
    }
    Ok(done)
}

/// Compacts the partitions of `table` that have enough small files on `today` (two, once
/// their month has settled), each as one commit.
pub async fn compact_table(table: &mut Table, policy: CompactionPolicy, today: NaiveDate) -> Result<Vec<Compacted>> {
    let mut by_partition: std::collections::BTreeMap<Partition, Vec<DataFile>> = Default::default();
    for file in table.files() {
        by_partition.entry(file.partition.clone()).or_default().push(file);
    }
    let mut done = Vec::new();
    for (partition, files) in by_partition {
        let mut inputs = Vec::new();
        let mut total = 0u64;
        for file in files {
            let size = file.size.max(0) as u64;
            if size < policy.small_file_bytes && total + size <= policy.max_input_bytes {
                total += size;
                inputs.push(file);
            }
        }
        if inputs.len() < policy.min_files_in(&partition.month, today) {
            continue;
        }
        if let Some(compacted) = compact_files(table, &partition, &inputs).await? {
            done.push(compacted);
        }
    }
    Ok(done)
}

/// Merges `inputs` (files of `partition` in the table's current version) into one file.
/// None when another writer compacted or removed some of them first.
///
/// The commit is exact, and before each attempt the inputs must all still be in the
/// table: delta-rs lets two commits remove the same file when both mark the removal as
/// no change to the data, as a compaction does, so two processes compacting one
/// partition at once would both land and store its rows twice.
async fn compact_files(table: &mut Table, partition: &Partition, inputs: &[DataFile]) -> Result<Option<Compacted>> {
    let schema = table.file_schema();
    let mut batches = Vec::new();
    for file in inputs {
        batches.extend(table.read(&file.path, &[]).await?);
    }
    let merged = concat_batches(&schema, &batches)?;
    let rows = merged.num_rows();
    let paths: Vec<String> = inputs.iter().map(|f| f.path.clone()).collect();
    let output = table.write(vec![(partition.clone(), merged)], false).await?;
    loop {
        let live: HashSet<String> = table.files_in(partition).into_iter().map(|f| f.path).collect();
        if !paths.iter().all(|p| live.contains(p)) {
            tracing::info!(table = table.name(), partition = %partition.path(), "not compacted: another writer took its files");
            table.delete_uncommitted(&output).await;
            return Ok(None);
        }
        let mut actions = table.removes(&paths, false);
        actions.extend(output.iter().cloned().map(Action::Add));
        let operation = DeltaOperation::Optimize { predicate: Some(partition.path()), target_size: 0 };
        match table.commit_exact(actions, operation, None).await? {
            Outcome::Committed(version) => {
                return Ok(Some(Compacted {
                    table: table.name(),
                    partition: partition.clone(),
                    inputs: inputs.len(),
                    rows,
                    version,
                }))
            }
            Outcome::Taken => {
                table.update().await?;
            }
        }
    }
}

/// Deletes the files that left each table (compaction inputs, expired months) more than
/// the table's retention ago (or `retention`, for a lake nobody else reads yet, such as
/// a benchmark's), and files a crashed writer left unnamed by any commit. Returns how many
/// files were deleted.
pub async fn vacuum(lake: &Lake, retention: Option<chrono::Duration>) -> Result<usize> {
    let mut deleted = 0;
    for spec in TableSpec::all() {
        let table = lake.table(&spec).await?;
        let mut vacuum = table.delta().clone().vacuum().with_mode(VacuumMode::Full);
        if let Some(retention) = retention {
            vacuum = vacuum.with_retention_period(retention).with_enforce_retention_duration(false);
        }
        let (_, metrics) = vacuum.await?;
        deleted += metrics.files_deleted.len();
    }
    Ok(deleted)
}
