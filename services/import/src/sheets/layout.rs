//! A sheet layout: which column of a school's spreadsheet holds which contract field, and
//! what the school's words mean in the contract's closed enumerations.
//!
//! Every school's incident log and sign-off sheet has its own columns and its own words
//! ("Cat A", "Cyber bullying"), so the layout is a file the school edits, like a filter
//! mapping. It is read and checked whole before any row, so that a typo in it stops the
//! import with a reason instead of refusing every row.
//!
//! ```toml
//! kind = "incidents"          # incidents, agreements or census
//! sheet = "Incidents"         # a workbook's worksheet (default: the first)
//! header_row = 1              # default: the first non-empty row
//! date_format = "%d/%m/%Y"    # dates written as text (default %Y-%m-%d)
//! time_format = "%H:%M"       # times written as text (default %H:%M)
//! [columns]                   # contract field = the column's header
//! category = "Category"
//! [values.category]           # the school's word = the contract's
//! "Cyber bullying" = "cyberbullying"
//! [defaults]                  # for a field with no column, or an empty cell
//! location = "in_school"
//! ```

use super::spec::{File, Spec};
use super::{agreements, census, incidents};

/// Which kind of sheet a layout reads, and so which events its rows make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An incident log: `incident.recorded`, `incident.action_taken`, `incident.closed`.
    Incidents,
    /// An AUP sign-off sheet: `agreement.signed`.
    Agreements,
    /// An MIS census export: `roster.census`.
    Census,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Incidents => "incidents",
            Kind::Agreements => "agreements",
            Kind::Census => "census",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("cannot read the layout file {file}: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("layout file {file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// A layout file, read and checked.
#[derive(Debug, Clone)]
pub struct Layout {
    pub(super) source: String,
    pub(super) sheet: Option<String>,
    pub(super) header_row: Option<u32>,
    pub(super) rows: Rows,
}

/// What a layout does with each row, per kind.
#[derive(Debug, Clone)]
pub(super) enum Rows {
    Incidents(Box<incidents::Incidents>),
    Agreements(agreements::Agreements),
    Census(census::Census),
}

impl Layout {
    /// Parses a layout file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Layout, LayoutError> {
        let invalid = |reason: String| LayoutError::Invalid { file: file.to_string(), reason };
        let parsed: File = toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
        let kind = match parsed.kind.as_str() {
            "incidents" => Kind::Incidents,
            "agreements" => Kind::Agreements,
            "census" => Kind::Census,
            other => return Err(invalid(format!("kind = {other:?}: give incidents, agreements or census"))),
        };
        let source = parsed.source.clone().unwrap_or_else(|| format!("sheet-{}", kind.name()));
        if source.is_empty() || !source.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(invalid(format!("source = {source:?}: give lowercase letters, digits and '-'")));
        }
        if parsed.header_row == Some(0) {
            return Err(invalid("header_row counts from 1, as the sheet shows rows".into()));
        }
        let (sheet, header_row) = (parsed.sheet.clone(), parsed.header_row);
        let mut spec = Spec::new(parsed).map_err(invalid)?;
        let rows = match kind {
            Kind::Incidents => Rows::Incidents(Box::new(incidents::Incidents::from_spec(&mut spec).map_err(invalid)?)),
            Kind::Agreements => Rows::Agreements(agreements::Agreements::from_spec(&mut spec).map_err(invalid)?),
            Kind::Census => Rows::Census(census::Census::from_spec(&mut spec).map_err(invalid)?),
        };
        spec.finish().map_err(invalid)?;
        Ok(Layout { source, sheet, header_row, rows })
    }

    pub fn kind(&self) -> Kind {
        match self.rows {
            Rows::Incidents(_) => Kind::Incidents,
            Rows::Agreements(_) => Kind::Agreements,
            Rows::Census(_) => Kind::Census,
        }
    }

    /// The importer's source: part of every event id and of the events' `source`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every column header the layout reads.
    pub fn columns(&self) -> Vec<&str> {
        match &self.rows {
            Rows::Incidents(rows) => rows.columns(),
            Rows::Agreements(rows) => rows.columns(),
            Rows::Census(rows) => rows.columns(),
        }
    }
}
