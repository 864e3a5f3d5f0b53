//! Keeps the rollup tables in step with their raw table, commit by commit, and records in
//! each which raw version it reflects, so that a reader can read the raw table and every
//! rollup as of one moment.
//!
//! A rollup table's commits each carry an application transaction (`txn`) whose app id
//! names the raw table (`safelake-rollup/filter_events`) and whose version is the raw
//! table's version the rollup now equals: the rollup of every raw file live at that
//! version. A step from raw version `a` to `b` reads the raw commits in between: a
//! partition that only gained files gains their rollup rows; a partition that lost any
//! (a compaction, a retention) has its rollup rows replaced by those of its files live at
//! `b`, so a compacted month's rollup is one file's answer again.
//!
//! The rollup tables cannot commit together (each is its own Delta table), so they step
//! in a fixed order under one rule: the first rollup table (the leader) steps only when
//! every other equals it, and the others step only to the leader's version. At any moment
//! the tables then reflect at most two raw versions, the lower one reached by all, and a
//! table ahead of it reached it in its previous table version ([`cut`]). Several ingest
//! processes may follow at once: each commit is exact, so a step another process already
//! made is simply seen and not made again.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use deltalake::kernel::{Action, Add, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use object_store::path::Path as StorePath;
use safelake_schemas::Family;

use crate::rollup::{self, Rollup};
use crate::table::{Lake, Outcome, Partition, Table};
use crate::tables::TableSpec;

/// The app id under which a rollup table records the raw version it reflects.
pub fn app_id(source: &str) -> String {
    format!("safelake-rollup/{source}")
}

/// The raw tables that have rollups, with theirs in step order (the leader first).
pub fn sources() -> Vec<(TableSpec, Vec<&'static Rollup>)> {
    let family = TableSpec::family(Family::Filter);
    let rollups = rollup::of(family.name);
    vec![(family, rollups)]
}

/// What [`follow`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Followed {
    /// Rollup commits made.
    pub commits: usize,
    /// The raw version every rollup reflects now.
    pub version: i64,
}

/// The raw version a rollup table reflects (0, the empty table, before its first step).
pub async fn reflects(table: &Table, source: &str) -> Result<i64> {
    Ok(table.txn_version(&app_id(source)).await?.unwrap_or(0))
}

/// Brings every rollup up to its raw table's latest version, once.
pub async fn follow(lake: &Lake) -> Result<Followed> {
    Follower::open(lake).await?.follow().await
}

/// The rollup tables of each raw table, kept open between steps so that each step reads
/// only the commits since the last.
pub struct Follower {
    lake: Lake,
    /// Each raw table, its rollups, and their tables (the leader first).
    sources: Vec<(TableSpec, Vec<&'static Rollup>, Table, Vec<Table>)>,
}

impl Follower {
    pub async fn open(lake: &Lake) -> Result<Follower> {
        let mut opened = Vec::new();
        for (source, rollups) in sources() {
            let mut tables = Vec::new();
            for rollup in &rollups {
                tables.push(lake.table(&TableSpec::rollup(rollup)).await?);
            }
            let raw = lake.table(&source).await?;
            opened.push((source, rollups, raw, tables));
        }
        Ok(Follower { lake: lake.clone(), sources: opened })
    }

    /// Brings every rollup up to its raw table's latest version.
    pub async fn follow(&mut self) -> Result<Followed> {
        let mut done = Followed::default();
        for (source, rollups, raw, tables) in &mut self.sources {
            loop {
                raw.update().await?;
                for table in tables.iter_mut() {
                    table.update().await?;
                }
                let mut versions = Vec::new();
                for table in tables.iter() {
                    versions.push(reflects(table, source.name).await?);
                }
                let leader = versions[0];
                let behind: Vec<usize> = (1..tables.len()).filter(|i| versions[*i] < leader).collect();
                let (from, to, which): (i64, i64, Vec<usize>) = if let Some(first) = behind.first() {
                    let from = versions[*first];
                    (from, leader, behind.into_iter().filter(|i| versions[*i] == from).collect())
                } else if leader < raw.version() {
                    (leader, raw.version(), (0..tables.len()).collect())
                } else {
                    done.version = leader;
                    break;
                };
                let step = Step::read(&self.lake, raw, source, from, to).await?;
                let picked: Vec<&'static Rollup> = which.iter().map(|i| rollups[*i]).collect();
                let written = {
                    let targets: Vec<&Table> = which.iter().map(|i| &tables[*i]).collect();
                    step.write(&targets, &picked).await?
                };
                for (i, adds) in which.iter().zip(written) {
                    match step.commit(&mut tables[*i], adds, source.name).await? {
                        Outcome::Committed(_) => done.commits += 1,
                        // Another process made this step first: look again.
                        Outcome::Taken => break,
                    }
                }
            }
        }
        Ok(done)
    }
}

/// Derives every rollup again from the raw files of the raw table's latest version (after
/// a rollup's definition changed), once they all reflect it, in step order.
pub async fn rebuild(lake: &Lake) -> Result<Followed> {
    let mut done = follow(lake).await?;
    for (source, rollups) in sources() {
        let raw = lake.table(&source).await?;
        let mut tables = Vec::new();
        for rollup in &rollups {
            tables.push(lake.table(&TableSpec::rollup(rollup)).await?);
        }
        let mut rebuilt: BTreeSet<Partition> = tables.iter().flat_map(|t| t.files()).map(|f| f.partition).collect();
        rebuilt.extend(raw.files().into_iter().map(|f| f.partition));
        let step = Step::of(raw, rebuilt, |_| true);
        let written = {
            let targets: Vec<&Table> = tables.iter().collect();
            step.write(&targets, &rollups).await?
        };
        for (table, adds) in tables.iter_mut().zip(written) {
            match step.commit(table, adds, source.name).await? {
                Outcome::Committed(_) => done.commits += 1,
                Outcome::Taken => anyhow::bail!("{} changed while it was rebuilt: run the rebuild again", table.name()),
            }
        }
        done.version = step.to;
    }
    Ok(done)
}

/// The raw commits between two versions, and the raw files whose rollup rows they call for.
struct Step {
    to: i64,
    /// Partitions whose rollup rows are all replaced (they lost a file).
    rebuilt: BTreeSet<Partition>,
    /// The raw files to derive from, per partition: live at `to`, and new since `from`
    /// or in a rebuilt partition.
    files: BTreeMap<Partition, Vec<String>>,
    /// Their rows, read once for every rollup.
    raw: Table,
}

impl Step {
    async fn read(lake: &Lake, latest: &Table, source: &TableSpec, from: i64, to: i64) -> Result<Step> {
        let at_to = if to == latest.version() { latest.clone() } else { lake.table_at(source, to).await? };
        let commits = match at_to.commits_after(from).await {
            Ok(commits) => commits,
            // The log no longer holds them (rollups left behind longer than the log's
            // retention): derive every partition again.
            Err(error) => {
                tracing::warn!("{error:#}; deriving every rollup partition again");
                let rebuilt = at_to.files().into_iter().map(|f| f.partition).collect();
                return Ok(Step::of(at_to, rebuilt, |_| true));
            }
        };
        let mut added: BTreeSet<String> = BTreeSet::new();
        let mut rebuilt: BTreeSet<Partition> = BTreeSet::new();
        for (_, actions) in commits {
            for action in actions {
                match action {
                    Action::Add(add) => {
                        added.insert(StorePath::from_url_path(&add.path)?.to_string());
                    }
                    Action::Remove(remove) => {
                        rebuilt.insert(Partition::of(&remove.partition_values.unwrap_or_default()));
                    }
                    _ => {}
                }
            }
        }
        Ok(Step::of(at_to, rebuilt, |path| added.contains(path)))
    }

    /// A step to the version of `raw` that rebuilds the partitions `rebuilt` from every
    /// file of theirs and adds the rollup rows of the files `new` picks elsewhere.
    fn of(raw: Table, rebuilt: BTreeSet<Partition>, new: impl Fn(&str) -> bool) -> Step {
        let mut files: BTreeMap<Partition, Vec<String>> = BTreeMap::new();
        for file in raw.files() {
            if rebuilt.contains(&file.partition) || new(&file.path) {
                files.entry(file.partition.clone()).or_default().push(file.path);
            }
        }
        Step { to: raw.version(), rebuilt, files, raw }
    }

    /// Writes each picked rollup table's files for this step (not yet committed), a
    /// partition at a time so that memory holds one partition's rows: each raw file is
    /// read once for all of them. Returns each table's add actions, in the order given.
    async fn write(&self, tables: &[&Table], rollups: &[&'static Rollup]) -> Result<Vec<Vec<Add>>> {
        let columns = rollup::columns_read(rollups);
        let mut adds: Vec<Vec<Add>> = vec![Vec::new(); rollups.len()];
        for (partition, paths) in &self.files {
            let mut per_rollup: Vec<Vec<RecordBatch>> = vec![Vec::new(); rollups.len()];
            for path in paths {
                let batches = self.raw.read(path, &columns).await?;
                let picked = rollups.to_vec();
                let derived = tokio::task::spawn_blocking(move || rollup::derive(&picked, &batches)).await??;
                for (i, rows) in derived.into_iter().enumerate() {
                    per_rollup[i].push(rows);
                }
            }
            for (i, batches) in per_rollup.into_iter().enumerate() {
                let rows = concat_batches(&(rollups[i].schema)(), &batches)?;
                if rows.num_rows() > 0 {
                    adds[i].extend(tables[i].write(vec![(partition.clone(), rows)], true).await?);
                }
            }
        }
        Ok(adds)
    }

    /// Commits one rollup table's files for this step, as exactly its next version.
    async fn commit(&self, table: &mut Table, adds: Vec<Add>, source: &str) -> Result<Outcome> {
        let mut actions: Vec<Action> = Vec::new();
        // Replaced: the rows of rebuilt partitions, and of any partition the raw table no
        // longer has at all.
        let live: BTreeSet<Partition> = self.raw.files().into_iter().map(|f| f.partition).collect();
        let stale: Vec<String> = table
            .files()
            .into_iter()
            .filter(|f| self.rebuilt.contains(&f.partition) || !live.contains(&f.partition))
            .map(|f| f.path)
            .collect();
        actions.extend(table.removes(&stale, true));
        actions.extend(adds.into_iter().map(Action::Add));
        let operation = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: Some(table.spec().partitions.iter().map(|p| p.to_string()).collect()),
            predicate: None,
        };
        let txn = Transaction::new(app_id(source), self.to);
        table.commit_exact(actions, operation, Some(txn)).await.with_context(|| format!("following {source}"))
    }
}
