//! Retention: a table's data is kept for a period, then removed a whole partition (one
//! school's month) at a time, once every event in it is older than the period. Whole
//! partitions, because the lake's files are immutable. A partition leaves the table in
//! one step, renamed into `<lake>/.removing/` (where no reader looks), and is deleted
//! from there: a crash midway never leaves part of a month readable, and the next run
//! finishes the deletion. A raw partition goes first and its rollup twins after it, so a
//! twin is never read without its raw file (an orphan twin is hidden anyway).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Months, NaiveDate};

use crate::layout::Lake;

/// How long a table's partitions are kept, in whole months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub table: String,
    pub months: u32,
}

/// Reads a period written in plain words: `2 years`, `18 months`, `1 year`.
pub fn parse_period(text: &str) -> Result<u32> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [count, unit] = words.as_slice() else {
        bail!("{text:?} is not a period; write it as \"2 years\" or \"18 months\"");
    };
    let count: u32 = count.parse().with_context(|| format!("{text:?}: {count:?} is not a whole number"))?;
    let months = match unit.trim_end_matches('s') {
        "year" => count.checked_mul(12).context("the period is too long")?,
        "month" => count,
        other => bail!("{text:?}: {other:?} is not a unit; use years or months"),
    };
    if months == 0 {
        bail!("{text:?}: a period of nothing would remove everything; leave the table out to keep it all");
    }
    Ok(months)
}

/// A partition that retention removed (or, in a dry run, would remove).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    pub table: String,
    /// `school_id=sch01/month=2023-08`, or `month=2023-08` for tables without schools.
    pub partition: String,
    pub month: String,
    pub files: usize,
    pub rows: i64,
    pub bytes: u64,
}

/// The first month still kept on `today` under a policy of `months`: a month is expired
/// when it ended at least `months` months before today.
pub fn first_kept_month(today: NaiveDate, months: u32) -> String {
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("a valid first of the month");
    let first = this_month.checked_sub_months(Months::new(months)).expect("a date within range");
    first.format("%Y-%m").to_string()
}

/// The partitions of `policy.table` that are expired on `today`, oldest first.
pub fn expired(lake: &Lake, policy: &Policy, today: NaiveDate) -> Result<Vec<Expired>> {
    let keep_from = first_kept_month(today, policy.months);
    let table_dir = lake.root().join(&policy.table);
    let mut expired = Vec::new();
    for dir in lake.partitions(&policy.table)? {
        let Some(month) = crate::layout::month_of(&dir) else {
            continue;
        };
        if month >= keep_from.as_str() {
            continue;
        }
        let (files, rows, bytes) = measure(&dir)?;
        let partition = dir.strip_prefix(&table_dir).unwrap_or(&dir).to_string_lossy().into_owned();
        expired.push(Expired { table: policy.table.clone(), partition, month: month.to_string(), files, rows, bytes });
    }
    expired.sort_by(|a, b| (&a.month, &a.partition).cmp(&(&b.month, &b.partition)));
    Ok(expired)
}

/// Where partitions wait to be deleted once they have left their table.
const REMOVING: &str = ".removing";

/// Removes an expired partition, its rollup twins after it.
pub fn remove(lake: &Lake, expired: &Expired) -> Result<()> {
    let dir = lake.root().join(&expired.table).join(&expired.partition);
    let twins: Vec<PathBuf> =
        crate::rollup::of_dir(&dir).into_iter().map(|r| crate::rollup::twin_dir(r, &dir)).collect();
    let removing = lake.root().join(REMOVING);
    std::fs::create_dir_all(&removing).with_context(|| format!("creating {}", removing.display()))?;
    let mut taken = Vec::new();
    for dir in std::iter::once(&dir).chain(&twins) {
        taken.extend(take_out(lake, dir, &removing)?);
    }
    for path in taken {
        std::fs::remove_dir_all(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

/// Renames `dir` into `removing` under a name of its own (its path in the lake), so that
/// it leaves its table at once. Returns where it went (nothing when it was already gone).
fn take_out(lake: &Lake, dir: &Path, removing: &Path) -> Result<Option<PathBuf>> {
    let relative = dir.strip_prefix(lake.root()).unwrap_or(dir).to_string_lossy().replace('/', "~");
    let to = removing.join(relative);
    match std::fs::rename(dir, &to) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("moving {} out of its table", dir.display())),
    }
    if let Some(parent) = dir.parent() {
        crate::commit::sync_dir(parent)?;
    }
    Ok(Some(to))
}

/// Deletes what a run that stopped midway had taken out of its tables but not yet deleted.
pub fn finish_removals(lake: &Lake) -> Result<()> {
    let removing = lake.root().join(REMOVING);
    let entries = match std::fs::read_dir(&removing) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", removing.display())),
    };
    for entry in entries {
        let path = entry?.path();
        std::fs::remove_dir_all(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

/// The live files of a partition, their rows (from the footers) and bytes.
fn measure(dir: &Path) -> Result<(usize, i64, u64)> {
    let files = Lake::live_files(dir)?;
    let (mut rows, mut bytes) = (0, 0);
    for file in &files {
        let handle = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        bytes += handle.metadata()?.len();
        let reader = parquet::file::reader::SerializedFileReader::new(handle)
            .with_context(|| format!("reading the footer of {}", file.display()))?;
        rows += parquet::file::reader::FileReader::metadata(&reader).file_metadata().num_rows();
    }
    Ok((files.len(), rows, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_in_plain_words() {
        assert_eq!(parse_period("2 years").unwrap(), 24);
        assert_eq!(parse_period("1 year").unwrap(), 12);
        assert_eq!(parse_period("18 months").unwrap(), 18);
        for bad in ["2", "two years", "3 weeks", "0 months", ""] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_month_expires_once_it_ended_the_whole_period_ago() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        // Kept for 24 months: December 2024 is still within, November 2024 ended 24
        // months and a day ago.
        assert_eq!(first_kept_month(today, 24), "2024-12");
        assert_eq!(first_kept_month(today, 1), "2026-11");
        assert_eq!(first_kept_month(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), 3), "2025-12");
    }
}
