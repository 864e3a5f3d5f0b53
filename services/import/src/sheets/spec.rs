//! A layout file as written, and its tables handed out field by field to the kind of
//! sheet that reads them, so that what no kind asked for shows as a mistake in the file.

use std::collections::{BTreeMap, HashMap};

use chrono::format::{Item, StrftimeItems};
use safelake_schemas::events::ContractEnum;
use serde::Deserialize;

use super::fields::{contract_words, yes_no_words, Choice, Dates, Words};
use super::table::column_key;

/// A layout file as serde reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    pub kind: String,
    pub source: Option<String>,
    pub sheet: Option<String>,
    pub header_row: Option<u32>,
    date_format: Option<String>,
    time_format: Option<String>,
    separator: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, toml::Value>>,
    #[serde(default)]
    defaults: BTreeMap<String, toml::Value>,
}

/// A layout file's tables, handed out field by field to the kind that reads them; what no
/// kind asked for is a mistake in the file, reported by [`Spec::finish`].
pub(super) struct Spec {
    columns: BTreeMap<String, String>,
    values: BTreeMap<String, BTreeMap<String, toml::Value>>,
    defaults: BTreeMap<String, toml::Value>,
    pub dates: Dates,
    pub separator: char,
    /// The fields asked for, to name them when the file has another.
    known: Vec<&'static str>,
}

impl Spec {
    pub(super) fn new(file: File) -> Result<Spec, String> {
        let date = file.date_format.unwrap_or_else(|| "%Y-%m-%d".into());
        let time = file.time_format.unwrap_or_else(|| "%H:%M".into());
        for (key, format) in [("date_format", &date), ("time_format", &time)] {
            if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
                return Err(format!("{key} = {format:?} is not a chrono format such as %d/%m/%Y"));
            }
        }
        let separator = match file.separator.as_deref().map(|s| s.chars().collect::<Vec<_>>()).as_deref() {
            None => ';',
            Some([one]) => *one,
            Some(_) => return Err("separator: give one character, such as \";\"".into()),
        };
        Ok(Spec {
            columns: file.columns,
            values: file.values,
            defaults: file.defaults,
            dates: Dates { date, time },
            separator,
            known: Vec::new(),
        })
    }

    /// The column `field` comes from, if the layout names one.
    pub fn column(&mut self, field: &'static str) -> Option<String> {
        self.known.push(field);
        self.columns.remove(field).filter(|c| !c.trim().is_empty())
    }

    pub fn required(&mut self, field: &'static str) -> Result<String, String> {
        self.column(field).ok_or_else(|| format!("[columns] needs {field} (the header of the column it is in)"))
    }

    /// An enumeration of the contract, read through `[values.<field>]`.
    pub fn choice<E: ContractEnum>(&mut self, field: &'static str) -> Result<Choice<E>, String> {
        self.maybe_choice(field)?.ok_or_else(|| needs(field))
    }

    /// An enumeration the sheet may not have at all (actions, outcomes).
    pub fn maybe_choice<E: ContractEnum>(&mut self, field: &'static str) -> Result<Option<Choice<E>>, String> {
        let target = |value: &toml::Value| value.as_str().and_then(E::named);
        let allowed = E::names();
        self.either(field, contract_words::<E>(), target, &allowed)
    }

    /// Yes or no, read through `[values.<field>]` (`"Confirmed" = true`).
    pub fn yes_no(&mut self, field: &'static str) -> Result<Choice<bool>, String> {
        let target = |value: &toml::Value| {
            value.as_bool().or_else(|| value.as_str().and_then(|v| yes_no_words().get(v).copied()))
        };
        self.either(field, yes_no_words(), target, "true or false")?.ok_or_else(|| needs(field))
    }

    fn either<T: Copy>(
        &mut self,
        field: &'static str,
        mut words: HashMap<String, T>,
        target: impl Fn(&toml::Value) -> Option<T>,
        allowed: &str,
    ) -> Result<Option<Choice<T>>, String> {
        let column = self.column(field);
        for (word, value) in self.values.remove(field).unwrap_or_default() {
            let value =
                target(&value).ok_or_else(|| format!("[values.{field}] {word:?} = {value}: give one of {allowed}"))?;
            words.insert(column_key(&word), value);
        }
        let default = match self.defaults.remove(field) {
            Some(value) => {
                Some(target(&value).ok_or_else(|| format!("[defaults] {field} = {value}: give one of {allowed}"))?)
            }
            None => None,
        };
        if column.is_none() && default.is_none() {
            return Ok(None);
        }
        Ok(Some(Choice { column, words: Words::new(field, words), default }))
    }

    /// A default that is text (an agreement's version) or a date (a census date).
    pub fn default_value(&mut self, field: &'static str) -> Option<toml::Value> {
        self.defaults.remove(field)
    }

    /// Free words mapped to text, for a field that is not an enumeration (a version).
    pub fn renames(&mut self, field: &'static str) -> Result<HashMap<String, String>, String> {
        let mut renames = HashMap::new();
        for (word, value) in self.values.remove(field).unwrap_or_default() {
            let value = value.as_str().ok_or_else(|| format!("[values.{field}] {word:?} = {value}: give text"))?;
            renames.insert(column_key(&word), value.to_string());
        }
        Ok(renames)
    }

    pub(super) fn finish(self) -> Result<(), String> {
        let known = self.known.join(", ");
        let stray = |table: &str, key: &String| {
            format!("[{table}] has {key:?}, which this kind of sheet does not read (it reads {known})")
        };
        if let Some(key) = self.columns.keys().next() {
            return Err(stray("columns", key));
        }
        if let Some(key) = self.values.keys().next() {
            return Err(stray("values", key));
        }
        if let Some(key) = self.defaults.keys().next() {
            return Err(stray("defaults", key));
        }
        Ok(())
    }
}

fn needs(field: &str) -> String {
    format!("{field} needs a column in [columns] or a value in [defaults]")
}
