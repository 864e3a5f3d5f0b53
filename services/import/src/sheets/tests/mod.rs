//! The sheets as a school would give them: rows written as CSV and as XLSX, read through
//! a layout, compared event by event with what the contract should receive.

mod incidents;
mod layouts;
mod others;
mod xlsx;

use std::path::{Path, PathBuf};

use safelake_schemas::events::EventData;

use super::{import_sheet, row_events, table, Layout};
use crate::clock::SchoolClock;
use crate::identities::IdentityMap;
use crate::importer::{Importer, Ready};
use crate::key::SchoolKey;
use crate::pseudonym::Pseudonymiser;
use crate::record::Unmapped;
use crate::report::Report;

const IDENTITIES: &str = "username,upn,role,year_group,email\n\
    jsmith,K82106080455C,pupil,9,jsmith@school.example\n\
    lcarter,K82106100314A,pupil,7,lcarter@school.example\n\
    mokafor,K82106090127B,pupil,8,\n\
    tgreen,,staff,,tgreen@school.example\n";

fn people() -> Pseudonymiser {
    Pseudonymiser::new(SchoolKey::from_bytes([7; 32]), IdentityMap::read(IDENTITIES.as_bytes()).unwrap())
}

fn reference(name: &str) -> String {
    people().person(name).unwrap().reference
}

fn utc(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().unwrap()
}

/// A cell as a test writes it: the CSV gets its text, the workbook its typed value.
#[derive(Clone, Copy)]
pub enum Value {
    Text(&'static str),
    Number(f64),
    /// Day, month, year: `dd/mm/yyyy` in the CSV, a date cell in the workbook.
    Date(u8, u8, u16),
    /// `dd/mm/yyyy HH:MM` in the CSV, a date-time cell in the workbook.
    DateTime(u8, u8, u16, u8, u8),
    /// `HH:MM` in the CSV, a time cell in the workbook.
    Time(u8, u8),
    Blank,
}

pub type Sheet = Vec<Vec<Value>>;

/// Text cells, one `&str` per cell.
pub fn texts(cells: &[&'static str]) -> Vec<Value> {
    cells.iter().map(|&c| if c.is_empty() { Value::Blank } else { Value::Text(c) }).collect()
}

fn layout(text: &str) -> Layout {
    Layout::parse("test.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

/// Every event the sheet's rows make, without the importer: the typed events to compare.
fn events(path: &Path, layout: &Layout) -> Vec<EventData> {
    let table = table::read(path, layout.sheet.as_deref(), layout.header_row).unwrap();
    let people = people();
    table
        .rows
        .iter()
        .filter_map(|row| row_events(layout, row, &people, SchoolClock::default()).ok())
        .flat_map(|made| made.made.into_iter().map(|m| m.event))
        .collect()
}

/// What the importer publishes of the sheet, and its report.
fn import(path: &Path, layout: &Layout) -> (Vec<Ready>, Report) {
    let mut importer = Importer::new("sch01".parse().unwrap(), layout.source(), people().event_ids());
    let ready =
        import_sheet(path, layout, &people(), SchoolClock::default(), &mut importer).unwrap_or_else(|e| panic!("{e}"));
    (ready, importer.report)
}

fn unmapped(report: &Report) -> Vec<(String, String)> {
    report.unmapped.keys().map(|Unmapped { kind, value }| (kind.clone(), value.clone())).collect()
}

fn write_csv(dir: &Path, name: &str, sheet: &Sheet) -> PathBuf {
    let mut out = ::csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in sheet {
        out.write_record(row.iter().map(csv_text)).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, out.into_inner().unwrap()).unwrap();
    path
}

fn csv_text(value: &Value) -> String {
    match *value {
        Value::Text(text) => text.to_string(),
        Value::Number(x) => x.to_string(),
        Value::Date(d, m, y) => format!("{d:02}/{m:02}/{y}"),
        Value::DateTime(d, m, y, h, mi) => format!("{d:02}/{m:02}/{y} {h:02}:{mi:02}"),
        Value::Time(h, mi) => format!("{h:02}:{mi:02}"),
        Value::Blank => String::new(),
    }
}
