//! What one source record became: events, a reason to skip it, or a reason to refuse it.
//! Every source (a filter log line, a spreadsheet row) ends in one of these, so the dry
//! run and the import report them the same way.

use safelake_schemas::events::EventData;

/// A source value that no mapping names: the dry run lists each with its count, so the
/// trust can add it to the mapping file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unmapped {
    /// What kind of value: `category`, `action`, `group`, a sheet column's name.
    pub kind: String,
    pub value: String,
}

impl Unmapped {
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Unmapped {
        Unmapped { kind: kind.into(), value: value.into() }
    }
}

/// Why a record was not imported, for the line of the report that names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub reason: String,
    /// The value that could not be mapped, when that is the reason.
    pub unmapped: Option<Unmapped>,
}

impl Refusal {
    pub fn new(reason: impl Into<String>) -> Refusal {
        Refusal { reason: reason.into(), unmapped: None }
    }

    pub fn unmapped(kind: &str, value: &str, hint: &str) -> Refusal {
        Refusal {
            reason: format!("{kind} {value:?} is not in the mapping{hint}"),
            unmapped: Some(Unmapped::new(kind, value)),
        }
    }
}

/// A record read and understood.
#[derive(Debug, Default)]
pub struct Imported {
    /// The events it makes (none for a request the filter allowed, say).
    pub events: Vec<EventData>,
    /// Why it makes none, when it is not a refusal: counted, not listed line by line.
    pub skipped: Option<&'static str>,
    /// Values it carried that no mapping names but that did not stop it (a second category).
    pub unmapped: Vec<Unmapped>,
}

impl Imported {
    pub fn event(event: EventData) -> Imported {
        Imported { events: vec![event], ..Imported::default() }
    }

    pub fn skipped(why: &'static str) -> Imported {
        Imported { skipped: Some(why), ..Imported::default() }
    }
}

pub type Outcome = Result<Imported, Refusal>;
