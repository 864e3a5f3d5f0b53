//! Which version of each table a query reads.
//!
//! Every query reads each table at one version, chosen when the query first touches it,
//! no older than the query itself: a query never mixes two versions of a table, and sees
//! everything committed before it began. The web filter's raw table and its rollups are
//! chosen together, at a cut where every rollup reflects the raw version read (see
//! `safelake_lake::follow`), so a report that reads both never counts an event twice or
//! misses one, through compactions and crashes alike.
//!
//! [`Snapshots`] is shared by a service's queries: it keeps each table's latest version
//! (reading only the commits since, and at most once per query start) and a few older
//! versions that cuts have asked for. [`QuerySnapshot`] is one query's choice, carried in
//! the query's session configuration, where the table providers find it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Instant;

use anyhow::{Context, Result};
use safelake_lake::follow::{self, reflects};
use safelake_lake::{Lake, Table, TableSpec};
use tokio::sync::Mutex;

/// Older table versions kept for cuts (a raw table held back to what its rollups reflect).
const OLD_VERSIONS: usize = 16;

/// Every table's latest version, shared by a service's queries.
#[derive(Debug)]
pub struct Snapshots {
    lake: Lake,
    latest: HashMap<&'static str, Mutex<Latest>>,
    old: StdMutex<Vec<Table>>,
}

#[derive(Debug)]
struct Latest {
    table: Table,
    read_at: Instant,
}

impl Snapshots {
    /// Opens every table of the lake (creating those it lacks).
    pub async fn open(lake: &Lake) -> Result<Arc<Snapshots>> {
        let mut latest = HashMap::new();
        for spec in TableSpec::all() {
            let table = lake.table(&spec).await.with_context(|| format!("opening the table {}", spec.name))?;
            latest.insert(spec.name, Mutex::new(Latest { table, read_at: Instant::now() }));
        }
        Ok(Arc::new(Snapshots { lake: lake.clone(), latest, old: StdMutex::new(Vec::new()) }))
    }

    pub fn lake(&self) -> &Lake {
        &self.lake
    }

    /// A table as first opened, for its schema.
    pub async fn first(&self, name: &str) -> Result<Table> {
        Ok(self.entry(name)?.lock().await.table.clone())
    }

    fn entry(&self, name: &str) -> Result<&Mutex<Latest>> {
        self.latest.get(name).with_context(|| format!("the lake has no table {name}"))
    }

    /// The table's latest version, as of now.
    pub async fn now(&self, name: &str) -> Result<Table> {
        self.latest(name, Instant::now()).await
    }

    /// The table's latest version, read again unless it was read after `not_before`
    /// (queries that start together share one reading of the log).
    async fn latest(&self, name: &str, not_before: Instant) -> Result<Table> {
        let mut latest = self.entry(name)?.lock().await;
        if latest.read_at < not_before {
            let started = Instant::now();
            latest.table.update().await?;
            latest.read_at = started;
        }
        Ok(latest.table.clone())
    }

    /// The table at `version`, from the versions kept, or moved forward from the newest
    /// kept one before it (reading only the commits in between), or read from its log.
    async fn at(&self, spec: &TableSpec, version: i64, latest: &Table) -> Result<Table> {
        if latest.version() == version {
            return Ok(latest.clone());
        }
        let (kept, earlier) = {
            let old = self.old.lock().expect("never poisoned");
            let same = |t: &&Table| t.name() == spec.name;
            let kept = old.iter().filter(same).find(|t| t.version() == version).cloned();
            let earlier =
                old.iter().filter(same).filter(|t| t.version() < version).max_by_key(|t| t.version()).cloned();
            (kept, earlier)
        };
        if let Some(kept) = kept {
            return Ok(kept);
        }
        let table = match earlier {
            Some(mut earlier) => {
                earlier.update_to(version).await?;
                earlier
            }
            None => self.lake.table_at(spec, version).await?,
        };
        let mut old = self.old.lock().expect("never poisoned");
        if old.len() >= OLD_VERSIONS {
            old.remove(0);
        }
        old.push(table.clone());
        Ok(table)
    }

    /// The raw table `source` and its rollups at one cut: every rollup at the version
    /// that reflects the raw version read, all no older than `not_before`.
    async fn cut(&self, source: &TableSpec, rollups: &[TableSpec], not_before: Instant) -> Result<Vec<Table>> {
        let mut latest = Vec::new();
        for spec in rollups {
            latest.push(self.latest(spec.name, not_before).await?);
        }
        let raw = self.latest(source.name, not_before).await?;
        let mut reflected = Vec::new();
        for table in &latest {
            reflected.push(reflects(table, source.name).await?);
        }
        let lowest = reflected.iter().copied().min().unwrap_or(0).min(raw.version());
        let mut out = Vec::new();
        for ((spec, table), reflects_now) in rollups.iter().zip(latest).zip(reflected) {
            if reflects_now == lowest {
                out.push(table);
                continue;
            }
            // A rollup a step ahead of the others: the version before it stepped.
            let mut version = table.version() - 1;
            loop {
                let earlier = self.at(spec, version, &table).await?;
                let earlier_reflects = reflects(&earlier, source.name).await?;
                if earlier_reflects == lowest {
                    out.push(earlier);
                    break;
                }
                anyhow::ensure!(
                    earlier_reflects > lowest && version > 0,
                    "{} has no version reflecting version {lowest} of {}",
                    spec.name,
                    source.name
                );
                version -= 1;
            }
        }
        out.push(self.at(source, lowest, &raw).await?);
        Ok(out)
    }
}

/// The versions one query reads, chosen as it first touches each table.
#[derive(Debug)]
pub struct QuerySnapshot {
    snapshots: Arc<Snapshots>,
    started: Instant,
    pinned: Mutex<HashMap<&'static str, Table>>,
}

impl QuerySnapshot {
    pub fn new(snapshots: Arc<Snapshots>) -> QuerySnapshot {
        QuerySnapshot { snapshots, started: Instant::now(), pinned: Mutex::new(HashMap::new()) }
    }

    /// The version of `name` this query reads.
    pub async fn table(&self, name: &str) -> Result<Table> {
        let mut pinned = self.pinned.lock().await;
        if let Some(table) = pinned.get(name) {
            return Ok(table.clone());
        }
        for (source, rollups) in follow::sources() {
            let specs: Vec<TableSpec> = rollups.iter().map(|r| TableSpec::rollup(r)).collect();
            if source.name == name || specs.iter().any(|s| s.name == name) {
                for table in self.snapshots.cut(&source, &specs, self.started).await? {
                    pinned.insert(table.name(), table);
                }
                return pinned.get(name).cloned().context("a cut holds every table of its group");
            }
        }
        let table = self.snapshots.latest(name, self.started).await?;
        pinned.insert(table.name(), table.clone());
        Ok(table)
    }
}
