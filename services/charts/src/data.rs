//! Pivots a report's Arrow batches into the small table a chart draws: one value per
//! (category, series), with nulls kept apart from zeros.
//!
//! Reports come from DataFusion with whatever string encoding the lake used (Utf8View,
//! dictionaries, ...) and one row per school or category, so this is where types are
//! normalised, rows are summed and series are ordered and cut to the top N.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Context};
use arrow::array::{Array, ArrayRef, Float64Array};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Name of the series that gathers everything past [`crate::Spec::top`].
pub const OTHER: &str = "Other";

/// Label shown for a null category or series.
pub const UNKNOWN_LABEL: &str = "Unknown";

/// One drawn value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// No row for this (category, series): nothing was counted.
    Absent,
    /// A null (suppressed or unknown), or a sum that includes one: never drawn as zero.
    Unknown,
    Value(f64),
}

impl Cell {
    pub fn value(self) -> Option<f64> {
        match self {
            Cell::Value(v) => Some(v),
            _ => None,
        }
    }

    fn add(self, other: Cell) -> Cell {
        match (self, other) {
            (Cell::Unknown, _) | (_, Cell::Unknown) => Cell::Unknown,
            (Cell::Absent, c) | (c, Cell::Absent) => c,
            (Cell::Value(a), Cell::Value(b)) => Cell::Value(a + b),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// One cell per category, in [`Table::categories`] order.
    pub cells: Vec<Cell>,
    /// Sum of the known values (orders the series).
    pub total: f64,
    /// The `Other` series made by `top`: drawn in grey.
    pub is_other: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Sorted as text.
    pub categories: Vec<String>,
    /// Largest total first, `Other` last.
    pub series: Vec<Series>,
}

impl Table {
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }

    /// Whether any drawn value is unknown (suppressed or null).
    pub fn has_unknown(&self) -> bool {
        self.series.iter().any(|s| s.cells.contains(&Cell::Unknown))
    }

    /// Whether there is at least one known value to draw.
    pub fn has_values(&self) -> bool {
        self.series.iter().any(|s| s.cells.iter().any(|c| c.value().is_some()))
    }

    /// Whether every known value is a whole number (counts), for number formatting.
    pub fn all_integers(&self) -> bool {
        self.series.iter().flat_map(|s| &s.cells).filter_map(|c| c.value()).all(|v| v.fract() == 0.0)
    }
}

/// Which columns to read.
pub struct Columns<'a> {
    pub x: &'a str,
    pub y: &'a str,
    /// Draw `y` as a percentage of this column's sum (see [`crate::Spec::per`]).
    pub per: Option<&'a str>,
    pub series: Option<&'a str>,
    /// Name of the single series when there is no series column.
    pub single_name: &'a str,
    pub top: Option<usize>,
}

/// Reads the batches into a [`Table`]. Errors name the missing or unusable column and the
/// columns that are available.
pub fn pivot(cols: &Columns<'_>, batches: &[RecordBatch]) -> anyhow::Result<Table> {
    let mut category_index: BTreeSet<String> = BTreeSet::new();
    let mut series_order: Vec<String> = Vec::new();
    let mut series_index: HashMap<String, usize> = HashMap::new();
    let mut cells: HashMap<(String, usize), Cell> = HashMap::new();
    let mut wholes: HashMap<(String, usize), Cell> = HashMap::new();
    if cols.per.is_some() && cols.top.is_some() {
        bail!("a chart drawn as a percentage (per) cannot also gather series into Other (top)");
    }

    for batch in batches {
        let x = labels(column(batch, cols.x, "x")?, cols.x)?;
        let y = numbers(column(batch, cols.y, "y")?, cols.y)?;
        let per = match cols.per {
            Some(name) => Some(numbers(column(batch, name, "per")?, name)?),
            None => None,
        };
        let series = match cols.series {
            Some(name) => Some(labels(column(batch, name, "series")?, name)?),
            None => None,
        };
        for row in 0..batch.num_rows() {
            let category = x[row].clone();
            let name = match &series {
                Some(s) => s[row].clone(),
                None => cols.single_name.to_string(),
            };
            let si = *series_index.entry(name.clone()).or_insert_with(|| {
                series_order.push(name);
                series_order.len() - 1
            });
            let value = if y.is_null(row) { Cell::Unknown } else { Cell::Value(y.value(row)) };
            let cell = cells.entry((category.clone(), si)).or_insert(Cell::Absent);
            *cell = cell.add(value);
            if let Some(per) = &per {
                let whole = if per.is_null(row) { Cell::Unknown } else { Cell::Value(per.value(row)) };
                let cell = wholes.entry((category.clone(), si)).or_insert(Cell::Absent);
                *cell = cell.add(whole);
            }
            category_index.insert(category);
        }
    }
    if cols.per.is_some() {
        for (key, cell) in cells.iter_mut() {
            *cell = match (*cell, wholes.get(key).copied().unwrap_or(Cell::Absent)) {
                (Cell::Value(part), Cell::Value(whole)) if whole > 0.0 => Cell::Value(100.0 * part / whole),
                (Cell::Absent, _) => Cell::Absent,
                _ => Cell::Unknown,
            };
        }
    }

    let categories: Vec<String> = category_index.into_iter().collect();
    let mut series: Vec<Series> = series_order
        .into_iter()
        .enumerate()
        .map(|(si, name)| {
            let cells: Vec<Cell> =
                categories.iter().map(|c| cells.get(&(c.clone(), si)).copied().unwrap_or(Cell::Absent)).collect();
            let total = cells.iter().filter_map(|c| c.value()).sum();
            Series { name, cells, total, is_other: false }
        })
        .collect();
    series.sort_by(|a, b| b.total.total_cmp(&a.total).then_with(|| a.name.cmp(&b.name)));

    if let Some(top) = cols.top {
        let top = top.max(1);
        if series.len() > top {
            let rest = series.split_off(top);
            let mut cells = vec![Cell::Absent; categories.len()];
            for s in &rest {
                for (acc, c) in cells.iter_mut().zip(&s.cells) {
                    *acc = acc.add(*c);
                }
            }
            let total = cells.iter().filter_map(|c| c.value()).sum();
            series.push(Series { name: OTHER.to_string(), cells, total, is_other: true });
        }
    }
    Ok(Table { categories, series })
}

fn column<'b>(batch: &'b RecordBatch, name: &str, role: &str) -> anyhow::Result<&'b ArrayRef> {
    match batch.column_by_name(name) {
        Some(c) => Ok(c),
        None => {
            let available: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
            bail!("{role} column `{name}` is not in the result; available columns: {}", available.join(", "))
        }
    }
}

/// Category or series labels as text, whatever the array type.
fn labels(array: &ArrayRef, name: &str) -> anyhow::Result<Vec<String>> {
    let options = FormatOptions::default();
    let formatter = ArrayFormatter::try_new(array.as_ref(), &options)
        .with_context(|| format!("column `{name}` of type {} cannot be shown as text", array.data_type()))?;
    Ok((0..array.len())
        .map(|i| if array.is_null(i) { UNKNOWN_LABEL.to_string() } else { formatter.value(i).to_string() })
        .collect())
}

/// Values as f64 with nulls kept.
fn numbers(array: &ArrayRef, name: &str) -> anyhow::Result<Float64Array> {
    let numeric = match array.data_type() {
        DataType::Dictionary(_, value) => value.is_numeric(),
        other => other.is_numeric(),
    };
    if !numeric {
        bail!("y column `{name}` is {}, not a number: choose a numeric column for y", array.data_type());
    }
    let cast =
        cast(array, &DataType::Float64).with_context(|| format!("y column `{name}` cannot be read as numbers"))?;
    let values = cast.as_any().downcast_ref::<Float64Array>().context("cast to Float64 gave another type")?.clone();
    Ok(values)
}

/// A column name made readable: `rate_per_1000` -> `Rate per 1000`, `pct_reviewed` ->
/// `% reviewed`, `school_id` -> `School ID`.
pub fn humanise(column: &str) -> String {
    let words: Vec<String> = column
        .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(|w| match w.to_ascii_lowercase().as_str() {
            "pct" => "%".to_string(),
            "id" => "ID".to_string(),
            "dsl" | "ceop" | "iwf" | "lado" | "hab" | "ai" => w.to_ascii_uppercase(),
            _ => w.to_string(),
        })
        .collect();
    let joined = words.join(" ");
    let mut chars = joined.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanises_names() {
        assert_eq!(humanise("rate_per_1000"), "Rate per 1000");
        assert_eq!(humanise("pct_recorded_same_day"), "% recorded same day");
        assert_eq!(humanise("school_id"), "School ID");
        assert_eq!(humanise("incidents"), "Incidents");
        assert_eq!(humanise("referred_dsl"), "Referred DSL");
    }

    #[test]
    fn unknown_wins_over_values_and_absent_is_neutral() {
        assert_eq!(Cell::Absent.add(Cell::Value(2.0)), Cell::Value(2.0));
        assert_eq!(Cell::Value(1.0).add(Cell::Value(2.0)), Cell::Value(3.0));
        assert_eq!(Cell::Value(1.0).add(Cell::Unknown), Cell::Unknown);
        assert_eq!(Cell::Absent.add(Cell::Absent), Cell::Absent);
    }

    #[test]
    fn a_percentage_is_of_the_sums_not_a_sum_of_percentages() {
        use arrow::array::{Int64Array, StringArray};
        use std::sync::Arc;
        // Pupils: 10 of 20 and 30 of 40 signed: 40 of 60 is 66.7%, not 50% + 75%. Staff
        // have no census (on_roll unknown): unknown, not drawn as zero.
        let batch = RecordBatch::try_from_iter([
            ("role", Arc::new(StringArray::from(vec!["pupil", "pupil", "staff"])) as ArrayRef),
            ("signed", Arc::new(Int64Array::from(vec![10, 30, 5])) as ArrayRef),
            ("on_roll", Arc::new(Int64Array::from(vec![Some(20), Some(40), None])) as ArrayRef),
        ])
        .unwrap();
        let cols = Columns { x: "role", y: "signed", per: Some("on_roll"), series: None, single_name: "%", top: None };
        let table = pivot(&cols, &[batch]).unwrap();
        assert_eq!(table.categories, ["pupil", "staff"]);
        let pupils = table.series[0].cells[0].value().unwrap();
        assert!((pupils - 200.0 / 3.0).abs() < 1e-9, "{pupils}");
        assert_eq!(table.series[0].cells[1], Cell::Unknown);
    }
}
