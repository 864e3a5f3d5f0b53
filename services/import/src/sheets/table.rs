//! A sheet as rows of cells, whichever program saved it: CSV, or a workbook (XLSX, XLS,
//! XLSB, ODS) read through calamine.
//!
//! The same sheet saved either way must read the same, because an event's id derives from
//! what its row says: so Excel's typed cells are brought to one form here (a date cell is a
//! date, a whole number has no `.0`), and a CSV's text is parsed by the layout's formats later.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use calamine::{open_workbook_auto, Data, ExcelDateTime, Reader};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::SheetError;

/// One cell, in the form every format reads to.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// A time of day with no date (an Excel time-only cell).
    Time(NaiveTime),
}

/// As text: what a text field reads, and dates in ISO form.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(text) => f.write_str(text),
            Cell::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Cell::DateTime(at) => write!(f, "{}", at.format("%Y-%m-%d %H:%M:%S")),
            Cell::Time(time) => write!(f, "{}", time.format("%H:%M:%S")),
        }
    }
}

/// A row below the header.
#[derive(Debug, Clone)]
pub struct Row {
    /// As the school sees it: the CSV line or the Excel row number.
    pub number: u32,
    /// By header, in the normal form of [`column_key`].
    cells: HashMap<String, Cell>,
}

impl Row {
    pub fn cell(&self, column: &str) -> &Cell {
        self.cells.get(&column_key(column)).unwrap_or(&Cell::Empty)
    }

    /// The cell's text, when it has any.
    pub fn text(&self, column: &str) -> Option<String> {
        Some(self.cell(column).to_string()).filter(|text| !text.is_empty())
    }
}

/// The rows of a sheet below its header.
#[derive(Debug)]
pub struct Table {
    /// The header's columns as written.
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    /// The columns of `wanted` that the header lacks.
    pub fn missing<'a>(&self, wanted: &[&'a str]) -> Vec<&'a str> {
        let have: Vec<String> = self.header.iter().map(|h| column_key(h)).collect();
        wanted.iter().copied().filter(|w| !have.contains(&column_key(w))).collect()
    }
}

/// Headers differ in case and spacing between exports of one system.
pub fn column_key(header: &str) -> String {
    header.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The sheet at `path`: CSV by its extension, any other a workbook; `sheet` picks a
/// workbook's worksheet (the first when `None`), `header_row` the header (the first
/// non-empty row when `None`).
pub fn read(path: &Path, sheet: Option<&str>, header_row: Option<u32>) -> Result<Table, SheetError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let grid = match extension.as_deref() {
        Some("csv" | "txt" | "tsv") => read_csv(path, extension.as_deref() == Some("tsv"))?,
        _ => read_workbook(path, sheet)?,
    };
    table(path, grid, header_row)
}

type Grid = Vec<(u32, Vec<Cell>)>;

fn table(path: &Path, grid: Grid, header_row: Option<u32>) -> Result<Table, SheetError> {
    let blank = |cells: &[Cell]| cells.iter().all(|c| *c == Cell::Empty);
    let mut rows = grid.into_iter();
    let (_, header) = match header_row {
        Some(wanted) => rows.find(|(number, _)| *number == wanted),
        None => rows.find(|(_, cells)| !blank(cells)),
    }
    .ok_or_else(|| SheetError::NoHeader { file: path.display().to_string(), row: header_row })?;
    let header: Vec<String> = header.iter().map(ToString::to_string).collect();
    let keys: Vec<String> = header.iter().map(|h| column_key(h)).collect();
    let rows = rows
        .filter(|(_, cells)| !blank(cells))
        .map(|(number, cells)| {
            let mut by_key = HashMap::new();
            for (key, cell) in keys.iter().zip(cells) {
                // The first of two columns with one header is the one a reader sees first.
                by_key.entry(key.clone()).or_insert(cell);
            }
            Row { number, cells: by_key }
        })
        .collect();
    Ok(Table { header, rows })
}

fn read_csv(path: &Path, tabs: bool) -> Result<Grid, SheetError> {
    let error = |reason: String| SheetError::Read { file: path.display().to_string(), reason };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if tabs { b'\t' } else { b',' })
        .from_path(path)
        .map_err(|e| error(e.to_string()))?;
    let mut grid = Vec::new();
    for record in csv.byte_records() {
        let record = record.map_err(|e| error(e.to_string()))?;
        let line = record.position().map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX));
        let mut cells: Vec<Cell> = record.iter().map(|field| text_cell(decode(field))).collect();
        if grid.is_empty() {
            if let Some(Cell::Text(first)) = cells.first_mut() {
                // Excel's "CSV UTF-8" starts with a byte-order mark.
                *first = first.trim_start_matches('\u{feff}').to_string();
            }
        }
        grid.push((line, cells));
    }
    Ok(grid)
}

/// UTF-8, else Latin-1: Excel's plain "CSV" save writes Windows-1252, whose letters and £
/// are Latin-1's, so a name with an accent or a £ survives.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn text_cell(text: String) -> Cell {
    let text = text.trim();
    if text.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text.to_string())
    }
}

fn read_workbook(path: &Path, sheet: Option<&str>) -> Result<Grid, SheetError> {
    let file = path.display().to_string();
    let mut book =
        open_workbook_auto(path).map_err(|e| SheetError::Read { file: file.clone(), reason: e.to_string() })?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted.trim())),
        None => names.first(),
    }
    .cloned()
    .ok_or_else(|| SheetError::NoSheet {
        file: file.clone(),
        sheet: sheet.unwrap_or_default().to_string(),
        found: names.join(", "),
    })?;
    let range = book.worksheet_range(&name).map_err(|e| SheetError::Read { file, reason: e.to_string() })?;
    // A range starts at its first used cell: the numbers the school sees count from A1.
    let (top, left) = range.start().unwrap_or((0, 0));
    let pad = vec![Cell::Empty; left as usize];
    Ok(range
        .rows()
        .zip(top..)
        .map(|(row, index)| (index + 1, pad.iter().cloned().chain(row.iter().map(cell)).collect()))
        .collect())
}

pub(super) fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(text) => text_cell(text.clone()),
        Data::Int(n) => Cell::Text(n.to_string()),
        Data::Float(x) => Cell::Text(number(*x)),
        // As Excel writes them when it saves a CSV.
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        Data::DateTime(at) => excel_time(at),
        Data::DateTimeIso(text) => iso_time(text),
        Data::DurationIso(text) => iso_duration(text).map_or_else(|| Cell::Text(text.clone()), Cell::Time),
        Data::Error(error) => Cell::Text(error.to_string()),
    }
}

/// `9`, not `9.0`: a year group or a reference typed as a number reads as the text would.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// An Excel serial date: the day from its whole part, the time of day from the rest, to
/// the nearest second (the fraction rarely lands on one exactly).
fn excel_time(at: &ExcelDateTime) -> Cell {
    let serial = at.as_f64();
    let fallback = || Cell::Text(number(serial));
    if !(0.0..1.0).contains(&serial) && at.is_duration() {
        return fallback();
    }
    if serial < 1.0 {
        // A time-only cell: Excel keeps it as the fraction of a day after day 0.
        let seconds = ((serial * 86_400.0).round() as u32).min(86_399);
        return NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).map_or_else(fallback, Cell::Time);
    }
    let (y, mo, d, h, mi, s, ms) = at.to_ymd_hms_milli();
    let at = NaiveDate::from_ymd_opt(y.into(), mo.into(), d.into())
        .and_then(|date| date.and_hms_milli_opt(h.into(), mi.into(), s.into(), ms.into()));
    // 29 February 1900, which Excel believes in, is no date.
    let Some(at) = at else { return fallback() };
    let at = at + Duration::milliseconds(500);
    let at = at.with_nanosecond(0).unwrap_or(at);
    day_or_time(at)
}

/// A date cell holds a whole day: a time of midnight is a date alone, in every format.
fn day_or_time(at: NaiveDateTime) -> Cell {
    if at.time() == NaiveTime::MIN {
        Cell::Date(at.date())
    } else {
        Cell::DateTime(at)
    }
}

/// OpenDocument's date cells: `2026-03-12` or `2026-03-12T10:15:00`.
fn iso_time(text: &str) -> Cell {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Cell::Date(date);
    }
    match NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        Ok(at) => day_or_time(at.with_nanosecond(0).unwrap_or(at)),
        Err(_) => Cell::Text(text.to_string()),
    }
}

/// OpenDocument's time cells are durations: `PT10H15M00S`.
fn iso_duration(text: &str) -> Option<NaiveTime> {
    let rest = text.strip_prefix("PT")?;
    let (hours, rest) = rest.split_once('H')?;
    let (minutes, rest) = rest.split_once('M')?;
    let seconds: f64 = rest.strip_suffix('S')?.parse().ok()?;
    NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, seconds as u32)
}
