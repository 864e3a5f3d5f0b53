//! Writing a generated trust to a directory: `trust.toml` and one JSON Lines file per
//! family, the layout the CLI and the ingest's file loader read.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use safelake_schemas::events::EventData;
use safelake_schemas::{Family, FAMILIES};

use crate::Options;

/// What `write_dir` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub events: u64,
    /// Events per CloudEvents `type`, e.g. `uk.safeguarding.filter.blocked.v1`.
    pub by_type: BTreeMap<String, u64>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} events", self.events)?;
        let width = self.by_type.keys().map(String::len).max().unwrap_or(0);
        for (name, count) in &self.by_type {
            writeln!(f, "  {name:<width$}  {count:>10}")?;
        }
        Ok(())
    }
}

pub fn family(data: &EventData) -> Family {
    match data {
        EventData::IncidentRecorded(_)
        | EventData::IncidentActionTaken(_)
        | EventData::IncidentAmended(_)
        | EventData::IncidentClosed(_) => Family::Incident,
        EventData::FilterBlocked(_)
        | EventData::UnblockRequested(_)
        | EventData::UnblockDecided(_)
        | EventData::RuleChanged(_) => Family::Filter,
        EventData::AlertRaised(_) | EventData::AlertReviewed(_) => Family::Monitor,
        EventData::AgreementSigned(_) | EventData::AgreementWithdrawn(_) => Family::Agreement,
        EventData::Census(_) => Family::Roster,
        EventData::CheckPerformed(_)
        | EventData::ActionAgreed(_)
        | EventData::ActionClosed(_)
        | EventData::ReviewCompleted(_)
        | EventData::ResponsibilityAssigned(_) => Family::Assurance,
        EventData::TrainingCompleted(_) => Family::Training,
    }
}

/// Writes `dir/trust.toml` and `dir/events/<family>.jsonl` (every family, even if empty),
/// replacing files of those names.
pub fn write_dir(options: &Options, dir: &Path) -> Result<Summary> {
    options.check()?;
    let events_dir = dir.join("events");
    fs::create_dir_all(&events_dir).with_context(|| format!("creating {}", events_dir.display()))?;
    let trust_path = dir.join("trust.toml");
    fs::write(&trust_path, crate::trust(options).to_toml())
        .with_context(|| format!("writing {}", trust_path.display()))?;
    let mut files = FAMILIES
        .iter()
        .map(|family| {
            let path = events_dir.join(format!("{family}.jsonl"));
            let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            Ok((*family, (path, BufWriter::with_capacity(1 << 20, file))))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    let mut summary = Summary::default();
    for event in crate::events(options) {
        let (path, out) = files.get_mut(&family(&event.data)).expect("every family has a file");
        writeln!(out, "{}", event.to_json()).with_context(|| format!("writing {}", path.display()))?;
        summary.events += 1;
        *summary.by_type.entry(event.data.type_name().to_string()).or_default() += 1;
    }
    for (path, mut out) in files.into_values() {
        out.flush().with_context(|| format!("writing {}", path.display()))?;
    }
    tracing::info!(events = summary.events, dir = %dir.display(), "synthetic trust written");
    Ok(summary)
}
