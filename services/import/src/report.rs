//! What an import did or, in a dry run, would do: events per type, every refused line
//! with its place and reason, and every source value no mapping names.

use std::collections::BTreeMap;
use std::fmt;

use crate::record::Unmapped;

#[derive(Debug, Default)]
pub struct Report {
    /// Events made, per CloudEvents type.
    pub events: BTreeMap<&'static str, u64>,
    /// Records that made no event but were not refused, per reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// `file:line: reason`, in the order read.
    pub refused: Vec<String>,
    /// Each value no mapping names: how often, and where first.
    pub unmapped: BTreeMap<Unmapped, (u64, String)>,
}

impl Report {
    pub fn event(&mut self, type_name: &'static str) {
        *self.events.entry(type_name).or_default() += 1;
    }

    pub fn skip(&mut self, why: &'static str) {
        *self.skipped.entry(why).or_default() += 1;
    }

    pub fn refuse(&mut self, place: &str, reason: &str) {
        self.refused.push(format!("{place}: {reason}"));
    }

    pub fn unmapped(&mut self, value: Unmapped, place: &str) {
        self.unmapped.entry(value).or_insert_with(|| (0, place.to_string())).0 += 1;
    }

    pub fn total_events(&self) -> u64 {
        self.events.values().sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "events:")?;
        if self.events.is_empty() {
            writeln!(f, "  none")?;
        }
        for (type_name, n) in &self.events {
            writeln!(f, "  {n:>9}  {type_name}")?;
        }
        for (why, n) in &self.skipped {
            writeln!(f, "skipped {n} {why}")?;
        }
        if !self.refused.is_empty() {
            writeln!(f, "refused {} lines:", self.refused.len())?;
            for line in &self.refused {
                writeln!(f, "  {line}")?;
            }
        }
        if !self.unmapped.is_empty() {
            writeln!(f, "values no mapping names (add them to the mapping file):")?;
            for (value, (n, first)) in &self.unmapped {
                writeln!(f, "  {} {:?}: {n} times, first at {first}", value.kind, value.value)?;
            }
        }
        Ok(())
    }
}
