//! Spreadsheets: incident logs, AUP sign-off sheets and the MIS census, as contract events.
//!
//! Schools keep these in Excel or export them as CSV from CPOMS, MyConcern or their MIS,
//! each with its own columns and words. A [layout](Layout) file per sheet layout says which
//! column is which field and what the school's words mean; a row then becomes its events,
//! or a refusal that names the row and the reason, or the value no layout maps.
//!
//! Each event's id derives from the facts of the row it is made from, in one canonical
//! form, not from the row's position or the file's format: the same sheet saved as CSV or
//! as XLSX, exported again tomorrow with rows shifted, or with a closure filled in since,
//! gives the very same ids for what it said before, so nothing is published twice. People
//! enter those facts as their keyed references, so an id cannot be tested against a guess
//! of who a row was about.

mod agreements;
mod census;
mod fields;
mod incidents;
mod layout;
mod spec;
mod table;
#[cfg(test)]
mod tests;

use std::fmt::{Display, Write as _};
use std::path::Path;

use safelake_schemas::events::EventData;

pub use layout::{Kind, Layout, LayoutError};
pub use table::{Cell, Row};

use crate::clock::SchoolClock;
use crate::importer::{Importer, Ready};
use crate::pseudonym::Pseudonymiser;
use crate::record::{Imported, Refusal, Unmapped};
use layout::Rows;

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error("{file} has no worksheet {sheet:?}; its worksheets are: {found}")]
    NoSheet { file: String, sheet: String, found: String },
    #[error("{file} has no header row{}", row.map(|r| format!(" at row {r}")).unwrap_or_default())]
    NoHeader { file: String, row: Option<u32> },
    #[error("{file} has no column {} that the layout reads; its columns are: {}", quoted(missing), quoted(found))]
    MissingColumns { file: String, missing: Vec<String>, found: Vec<String> },
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

/// Reads and checks a layout file.
pub fn read_layout(path: &Path) -> Result<Layout, LayoutError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LayoutError::Read { file: file.clone(), source })?;
    Layout::parse(&file, &text)
}

/// Every event the sheet at `path` makes, tallied (with every refused row and unmapped
/// value) in `importer.report`. The importer's source should be [`Layout::source`].
pub fn import_sheet(
    path: &Path,
    layout: &Layout,
    people: &Pseudonymiser,
    clock: SchoolClock,
    importer: &mut Importer,
) -> Result<Vec<Ready>, SheetError> {
    let table = table::read(path, layout.sheet.as_deref(), layout.header_row)?;
    let missing = table.missing(&layout.columns());
    if !missing.is_empty() {
        return Err(SheetError::MissingColumns {
            file: path.display().to_string(),
            missing: missing.into_iter().map(String::from).collect(),
            found: table.header.iter().filter(|h| !h.is_empty()).cloned().collect(),
        });
    }
    let mut ready = Vec::new();
    for row in &table.rows {
        let place = format!("{}:{}", path.display(), row.number);
        ready.extend(feed(importer, &place, row_events(layout, row, people, clock)));
    }
    Ok(ready)
}

/// What one row makes under `layout`.
pub fn row_events(layout: &Layout, row: &Row, people: &Pseudonymiser, clock: SchoolClock) -> RowOutcome {
    match &layout.rows {
        Rows::Incidents(rows) => rows.row(row, people, clock),
        Rows::Agreements(rows) => rows.row(row, people, clock),
        Rows::Census(rows) => rows.row(row),
    }
}

/// An event a row makes, with the facts its id derives from.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    pub record: String,
    pub event: EventData,
}

/// The events a row makes, and the values it carried that no layout maps but that did
/// not stop it (an unknown action leaves out that action, not the incident).
#[derive(Debug, Default)]
pub struct RowEvents {
    pub made: Vec<Made>,
    pub unmapped: Vec<Unmapped>,
}

pub type RowOutcome = Result<RowEvents, Refusal>;

/// Each event goes to the importer as a record of its own, so that its id depends on its
/// own facts only: an action added to the row since the last export is a new event, and
/// the incident it belongs to is not.
fn feed(importer: &mut Importer, place: &str, outcome: RowOutcome) -> Vec<Ready> {
    let RowEvents { made, mut unmapped } = match outcome {
        Ok(events) => events,
        Err(refusal) => return importer.record(place, "", Err(refusal)),
    };
    if made.is_empty() {
        return importer.record(place, "", Ok(Imported { unmapped, ..Imported::default() }));
    }
    let mut ready = Vec::new();
    for Made { record, event } in made {
        let imported = Imported { events: vec![event], unmapped: std::mem::take(&mut unmapped), skipped: None };
        ready.extend(importer.record(place, &record, Ok(imported)));
    }
    ready
}

/// The canonical text of the facts an event is made from: its id's record.
#[derive(Debug)]
pub(crate) struct Facts(String);

impl Facts {
    pub fn new(event: &str) -> Facts {
        Facts(event.to_string())
    }

    pub fn with(mut self, name: &str, value: impl Display) -> Facts {
        // Quoted, so that no cell's text can pass for another field.
        let _ = write!(self.0, "\n{name}={:?}", value.to_string());
        self
    }

    pub fn made(self, event: EventData) -> Made {
        Made { record: self.0, event }
    }
}
