//! Reading a contract field out of a row: the school's words through the layout's value
//! map, its dates through the layout's formats. A word no map names is refused and listed,
//! never guessed; a date that does not read is refused with the format it was read with.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use safelake_schemas::events::ContractEnum;

use super::table::{column_key, Cell, Row};
use crate::clock::{LoggedTime, SchoolClock};
use crate::record::Refusal;

/// What a closed enumeration accepts: the contract's own names, and the words a layout's
/// `[values.<field>]` table maps onto them.
#[derive(Debug, Clone)]
pub struct Words<T> {
    field: &'static str,
    words: HashMap<String, T>,
}

impl<T: Copy> Words<T> {
    pub fn new(field: &'static str, words: HashMap<String, T>) -> Words<T> {
        Words { field, words }
    }

    /// The value `word` names, or the refusal that lists it for the dry run.
    pub fn map(&self, word: &str) -> Result<T, Refusal> {
        self.words.get(&column_key(word)).copied().ok_or_else(|| {
            Refusal::unmapped(self.field, word, &format!(": add it to [values.{}] in the layout", self.field))
        })
    }
}

/// The contract's names of an enumeration, as the words every layout starts from.
pub fn contract_words<E: ContractEnum>() -> HashMap<String, E> {
    E::ALL.iter().map(|&e| (column_key(e.as_str()), e)).collect()
}

/// What spreadsheets write for yes and no.
pub fn yes_no_words() -> HashMap<String, bool> {
    let yes = ["yes", "y", "true", "1"].map(|w| (w.to_string(), true));
    let no = ["no", "n", "false", "0"].map(|w| (w.to_string(), false));
    yes.into_iter().chain(no).collect()
}

/// A field of an enumeration: from a column, from the layout's default when the sheet
/// has no such column or the cell is empty, or both.
#[derive(Debug, Clone)]
pub struct Choice<T> {
    pub column: Option<String>,
    pub words: Words<T>,
    pub default: Option<T>,
}

/// A value read, with the word it was read from (empty for a default): an event's id
/// derives from the words, so that a re-import of the same row is the same event.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen<T> {
    pub value: T,
    pub word: String,
}

impl<T: Copy> Choice<T> {
    pub fn pick(&self, row: &Row) -> Result<Chosen<T>, Refusal> {
        let word = self.column.as_deref().and_then(|c| row.text(c));
        match (word, self.default) {
            (Some(word), _) => Ok(Chosen { value: self.words.map(&word)?, word }),
            (None, Some(value)) => Ok(Chosen { value, word: String::new() }),
            (None, None) => Err(empty(self.words.field, self.column.as_deref().unwrap_or_default())),
        }
    }
}

pub fn empty(field: &str, column: &str) -> Refusal {
    Refusal::new(format!("no {field}: the {column:?} cell is empty"))
}

/// How the sheet writes dates and times as text. Excel's date cells need neither.
#[derive(Debug, Clone)]
pub struct Dates {
    pub date: String,
    pub time: String,
}

impl Dates {
    /// The date (and time, when the cell has one) of a date cell; `None` when it is empty.
    pub fn date(&self, cell: &Cell) -> Result<Option<(NaiveDate, Option<NaiveTime>)>, String> {
        match cell {
            Cell::Empty => Ok(None),
            Cell::Date(date) => Ok(Some((*date, None))),
            Cell::DateTime(at) => Ok(Some((at.date(), Some(at.time())))),
            Cell::Time(_) => Err(format!("{cell} is a time, not a date")),
            Cell::Text(text) => self.date_text(text).map(Some),
        }
    }

    fn date_text(&self, text: &str) -> Result<(NaiveDate, Option<NaiveTime>), String> {
        for format in [self.date.as_str(), "%Y-%m-%d"] {
            if let Ok(date) = NaiveDate::parse_from_str(text, format) {
                return Ok((date, None));
            }
        }
        // One column holding both, as many incident systems export "Date/Time".
        let with_time = [
            format!("{} {}", self.date, self.time),
            format!("{} %H:%M:%S", self.date),
            format!("{} %H:%M", self.date),
            "%Y-%m-%d %H:%M:%S".into(),
            "%Y-%m-%dT%H:%M:%S".into(),
            "%Y-%m-%d %H:%M".into(),
        ];
        with_time
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(|at| (at.date(), Some(at.time())))
            .ok_or_else(|| format!("{text:?} is not a date written {}", self.date))
    }

    /// The time of day of a time cell; `None` when it is empty.
    pub fn time(&self, cell: &Cell) -> Result<Option<NaiveTime>, String> {
        match cell {
            Cell::Empty => Ok(None),
            Cell::Time(time) => Ok(Some(*time)),
            Cell::DateTime(at) => Ok(Some(at.time())),
            Cell::Date(_) => Err(format!("{cell} is a date, not a time")),
            Cell::Text(text) => [self.time.as_str(), "%H:%M:%S", "%H:%M"]
                .iter()
                .find_map(|format| NaiveTime::parse_from_str(text, format).ok())
                .map(Some)
                .ok_or_else(|| format!("{text:?} is not a time written {}", self.time)),
        }
    }

    /// The local time a row gives by a date column and an optional time column: the time
    /// column's, else the date cell's own, else midnight (sheets often keep dates only).
    /// `None` when the date cell is empty.
    pub fn when(&self, row: &Row, date: &str, time: Option<&str>) -> Result<Option<NaiveDateTime>, Refusal> {
        let in_column = |column: &str, reason: String| Refusal::new(format!("column {column:?}: {reason}"));
        let Some((day, time_in_date)) = self.date(row.cell(date)).map_err(|r| in_column(date, r))? else {
            return Ok(None);
        };
        let time_of_day = match time {
            Some(column) => self.time(row.cell(column)).map_err(|r| in_column(column, r))?,
            None => None,
        };
        Ok(Some(day.and_time(time_of_day.or(time_in_date).unwrap_or(NaiveTime::MIN))))
    }
}

/// A sheet's local time in UTC; the hour the clocks skip refuses the row.
pub fn utc(clock: SchoolClock, local: NaiveDateTime) -> Result<DateTime<Utc>, Refusal> {
    clock.utc(LoggedTime::Local(local)).map_err(Refusal::new)
}
