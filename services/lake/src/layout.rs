//! Where files go, what their names mean, and which files are live.
//!
//! A file's name carries the range of stream sequences it holds. A compaction output is
//! named `*.compacted.parquet` and lists the files it replaces in its footer; until those
//! are deleted, [`Lake::live_files`] leaves them out, so a reader never sees a row twice.
//! A rollup's file (see [`crate::rollup`]) is live exactly when its raw twin is.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use safelake_schemas::{Family, FAMILIES};

pub const REJECTS: &str = "rejects";
/// Footer key of a compaction output: the comma-separated names of the files it replaces.
pub const REPLACES_KEY: &str = "safelake.replaces";
pub const COMPACTED_SUFFIX: &str = ".compacted.parquet";

/// A lake directory.
#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
}

/// One partition directory of one table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition {
    pub table: String,
    /// `None` for tables not partitioned by school (rejects).
    pub school_id: Option<String>,
    pub month: String,
}

impl Partition {
    pub fn events(family: Family, school_id: &str, month: &str) -> Partition {
        Partition {
            table: family.table().to_string(),
            school_id: Some(school_id.to_string()),
            month: month.to_string(),
        }
    }

    pub fn rejects(month: &str) -> Partition {
        Partition { table: REJECTS.to_string(), school_id: None, month: month.to_string() }
    }

    pub fn relative_dir(&self) -> PathBuf {
        let mut dir = PathBuf::from(&self.table);
        if let Some(school) = &self.school_id {
            dir.push(format!("school_id={school}"));
        }
        dir.push(format!("month={}", self.month));
        dir
    }
}

impl Lake {
    pub fn new(root: impl Into<PathBuf>) -> Lake {
        Lake { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn dir(&self, partition: &Partition) -> PathBuf {
        self.root.join(partition.relative_dir())
    }

    /// Every partition directory of a table (`incident_events`, ..., `rejects`).
    pub fn partitions(&self, table: &str) -> Result<Vec<PathBuf>> {
        let mut dirs = Vec::new();
        collect_leaf_dirs(&self.root.join(table), &mut dirs)?;
        dirs.sort();
        Ok(dirs)
    }

    /// Every table directory this lake may hold.
    pub fn tables() -> impl Iterator<Item = &'static str> {
        FAMILIES.iter().map(|f| f.table()).chain(std::iter::once(REJECTS))
    }

    /// The Parquet files of a partition directory that a reader should read: committed
    /// files (no temporaries) minus the inputs of any compaction that already committed;
    /// in a rollup's directory, the twins of the live raw files (see [`crate::rollup`]).
    pub fn live_files(dir: &Path) -> Result<Vec<PathBuf>> {
        if let Some(raw_dir) = crate::rollup::raw_dir_of(dir) {
            let raw: std::collections::HashSet<_> =
                Lake::live_files(&raw_dir)?.into_iter().filter_map(|p| p.file_name().map(|n| n.to_owned())).collect();
            let twins = data_files(dir)?.into_iter().filter(|n| raw.contains(std::ffi::OsStr::new(n)));
            return Ok(twins.map(|n| dir.join(n)).collect());
        }
        'listing: loop {
            let files = data_files(dir)?;
            let mut replaced: std::collections::HashSet<String> = std::collections::HashSet::new();
            for name in files.iter().filter(|n| n.ends_with(COMPACTED_SUFFIX)) {
                match crate::compact::replaced_by(&dir.join(name)) {
                    Ok(names) => replaced.extend(names),
                    // Merged again and deleted since the directory was read: that listing
                    // is stale, so read the directory again.
                    Err(_) if !dir.join(name).exists() => continue 'listing,
                    Err(e) => return Err(e),
                }
            }
            let mut live: Vec<PathBuf> =
                files.into_iter().filter(|n| !replaced.contains(n)).map(|n| dir.join(n)).collect();
            live.sort();
            return Ok(live);
        }
    }
}

/// The names of the committed data files in `dir`, sorted (none if it does not exist).
fn data_files(dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<String> = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if is_data_file(&name) {
            files.push(name);
        }
    }
    files.sort();
    Ok(files)
}

/// A committed data file: `*.parquet`, not hidden (temporaries start with `.`).
pub fn is_data_file(name: &str) -> bool {
    name.ends_with(".parquet") && !name.starts_with('.') && !name.starts_with('_')
}

/// `<first>-<last>.parquet` for a file holding stream sequences `first..=last`.
pub fn file_name(first: u64, last: u64, compacted: bool) -> String {
    if compacted {
        format!("{first}-{last}{COMPACTED_SUFFIX}")
    } else {
        format!("{first}-{last}.parquet")
    }
}

fn collect_leaf_dirs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    let mut has_subdirs = false;
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() && entry.file_name().to_string_lossy().contains('=') {
            has_subdirs = true;
            collect_leaf_dirs(&entry.path(), out)?;
        }
    }
    if !has_subdirs && month_of(dir).is_some() {
        out.push(dir.to_path_buf());
    }
    Ok(())
}

/// The month (`YYYY-MM`) of a partition directory `.../month=<YYYY-MM>`.
pub fn month_of(dir: &Path) -> Option<&str> {
    dir.file_name()?.to_str()?.strip_prefix("month=")
}
