//! Retention: a table's data is kept for a period, then removed a whole partition (one
//! school's month) at a time, once every event in it is older than the period. All the
//! expired partitions of a table leave it in one Delta commit, so no reader ever sees part
//! of a month; their files are deleted by the next vacuum after the table's own retention
//! (see [`crate::compact::vacuum`]). The rollups follow: their rows for a removed month go
//! with the raw table's next step (see [`crate::follow`]).

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Months, NaiveDate};
use deltalake::protocol::DeltaOperation;

use crate::table::{Lake, Outcome, Partition};
use crate::tables::TableSpec;

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
pub async fn expired(lake: &Lake, policy: &Policy, today: NaiveDate) -> Result<Vec<Expired>> {
    let spec = retained_table(&policy.table)?;
    let table = lake.table(&spec).await?;
    let keep_from = first_kept_month(today, policy.months);
    let mut by_partition: std::collections::BTreeMap<Partition, Expired> = Default::default();
    for file in table.files() {
        if file.partition.month >= keep_from {
            continue;
        }
        let entry = by_partition.entry(file.partition.clone()).or_insert_with(|| Expired {
            table: policy.table.clone(),
            partition: file.partition.path(),
            month: file.partition.month.clone(),
            files: 0,
            rows: 0,
            bytes: 0,
        });
        entry.files += 1;
        entry.rows += file.rows.unwrap_or(0) as i64;
        entry.bytes += file.size.max(0) as u64;
    }
    let mut expired: Vec<Expired> = by_partition.into_values().collect();
    expired.sort_by(|a, b| (&a.month, &a.partition).cmp(&(&b.month, &b.partition)));
    Ok(expired)
}

/// The table a retention policy may name: raw events, `rejects` and `audit_log`. A
/// rollup follows its raw table and cannot be given a period of its own.
pub fn retained_table(name: &str) -> Result<TableSpec> {
    match TableSpec::named(name) {
        Some(spec) if crate::compact::compacted_tables().iter().any(|t| t.name == spec.name) => Ok(spec),
        Some(_) => bail!("{name} is a rollup: it keeps what its raw table keeps; give the period to that table"),
        None => bail!("{name} is not a table of the lake"),
    }
}

/// Removes the expired partitions `expired` of one table in one commit. Returns the
/// table version that no longer has them.
///
/// The commit is exact and names the partitions' files as of the version it follows: a
/// compaction that replaced some of them meanwhile (its removals, marked as no change to
/// the data, do not conflict in delta-rs's eyes) would otherwise leave its output, and
/// the month's rows, in the table.
pub async fn remove(lake: &Lake, table: &str, expired: &[Expired]) -> Result<Option<i64>> {
    if expired.is_empty() {
        return Ok(None);
    }
    let spec = retained_table(table)?;
    let mut table = lake.table(&spec).await?;
    let gone: std::collections::HashSet<&str> = expired.iter().map(|e| e.partition.as_str()).collect();
    let before = expired.iter().map(|e| e.month.as_str()).max().unwrap_or_default();
    loop {
        let paths: Vec<String> =
            table.files().into_iter().filter(|f| gone.contains(f.partition.path().as_str())).map(|f| f.path).collect();
        if paths.is_empty() {
            return Ok(None);
        }
        let actions = table.removes(&paths, true);
        let operation = DeltaOperation::Delete { predicate: Some(format!("month <= '{before}'")) };
        match table.commit_exact(actions, operation, None).await? {
            Outcome::Committed(version) => return Ok(Some(version)),
            Outcome::Taken => {
                table.update().await?;
            }
        }
    }
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
