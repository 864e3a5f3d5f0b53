//! A report's rows as a table on a page: headings in words, values as text, numbers
//! marked so they align right, and a year-on-year comparison for the trustees' review.

use std::collections::HashMap;

use arrow::array::Array;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use safelake_query::suppress::Masked;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Table {
    pub headings: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    /// A second, smaller line under a cell (the year before and the change), in the
    /// shape of `rows`, "" where there is none; empty when no cell has one.
    pub notes: Vec<Vec<String>>,
}

/// `rate_per_1000` → "Rate per 1000"; `pct_reviewed` → "% reviewed".
pub fn humanise(column: &str) -> String {
    let text = column.replace("pct_", "% ").replace("_pct", " %").replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric()
}

/// Rows as text, with only `columns` (all when empty); withheld figures read `marker`.
pub fn table(result: &Masked, columns: &[String], marker: &str) -> anyhow::Result<Table> {
    let cells = cells(&result.as_text(marker)?)?;
    let schema = result.batch.schema();
    let named = schema.index_of("school_name").is_ok();
    let picked: Vec<usize> = if columns.is_empty() {
        // A school's name says it to a reader; its id is for exports.
        (0..schema.fields().len()).filter(|&i| !(named && schema.field(i).name() == "school_id")).collect()
    } else {
        columns.iter().map(|c| schema.index_of(c)).collect::<Result<_, _>>()?
    };
    Ok(Table {
        headings: picked.iter().map(|&i| humanise(schema.field(i).name())).collect(),
        numeric: picked.iter().map(|&i| is_numeric(schema.field(i).data_type())).collect(),
        rows: cells.into_iter().map(|row| picked.iter().map(|&i| row[i].clone()).collect()).collect(),
        notes: Vec::new(),
    })
}

/// Every cell as text: fractions to one decimal place (a rate of 1.0 reads "1", as in the
/// year-on-year comparison), everything else as Arrow writes it.
fn cells(batch: &RecordBatch) -> anyhow::Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_null("–");
    let columns: Vec<Box<dyn Fn(usize) -> String + '_>> = batch
        .columns()
        .iter()
        .map(|column| -> anyhow::Result<Box<dyn Fn(usize) -> String + '_>> {
            if matches!(column.data_type(), DataType::Float16 | DataType::Float32 | DataType::Float64) {
                let floats = arrow::compute::cast(column, &DataType::Float64)?;
                Ok(Box::new(move |i| {
                    let floats = floats.as_any().downcast_ref::<arrow::array::Float64Array>().expect("cast to f64");
                    if floats.is_null(i) {
                        "–".to_string()
                    } else {
                        format_number(floats.value(i))
                    }
                }))
            } else {
                let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
                Ok(Box::new(move |i| formatter.value(i).to_string()))
            }
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((0..batch.num_rows()).map(|i| columns.iter().map(|f| f(i)).collect()).collect())
}

/// A figure of the year-on-year comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    Missing,
    Value(f64),
    Withheld,
}

/// This period's rows beside the one before: rows matched on their text columns, and for
/// each of `values` one column, the figure now with a line under it for the figure before
/// and the change with its direction (none where either figure is withheld, which would
/// give it back). One column a figure, not three, so the review fits a page.
pub fn compare(now: &Masked, before: &Masked, by: &[String], values: &[String], marker: &str) -> anyhow::Result<Table> {
    let schema = now.batch.schema();
    let named = schema.index_of("school_name").is_ok();
    let keys: Vec<usize> = if by.is_empty() {
        (0..schema.fields().len()).filter(|&i| !is_numeric(schema.field(i).data_type())).collect()
    } else {
        by.iter().map(|c| schema.index_of(c)).collect::<Result<_, _>>()?
    };
    // Matched by id, shown by name (the two go together).
    let mut keys: Vec<usize> = keys
        .into_iter()
        .map(|i| {
            if named && schema.field(i).name() == "school_id" {
                schema.index_of("school_name").unwrap_or(i)
            } else {
                i
            }
        })
        .filter(|&i| !(named && schema.field(i).name() == "school_id"))
        .collect();
    keys.dedup();
    let values: Vec<usize> = values.iter().map(|c| schema.index_of(c)).collect::<Result<_, _>>()?;
    let numbers = |result: &Masked| -> anyhow::Result<HashMap<Vec<String>, Vec<Figure>>> {
        let text = cells(&result.batch)?;
        let columns: Vec<_> = values
            .iter()
            .map(|&i| arrow::compute::cast(result.batch.column(i), &DataType::Float64))
            .collect::<Result<_, _>>()?;
        let mut out = HashMap::new();
        for (r, row) in text.iter().enumerate() {
            let key: Vec<String> = keys.iter().map(|&k| row[k].clone()).collect();
            let figures = columns
                .iter()
                .zip(values.iter())
                .map(|(c, &i)| {
                    let c = c.as_any().downcast_ref::<arrow::array::Float64Array>().expect("cast to f64");
                    if result.is_withheld(schema.field(i).name(), r) {
                        Figure::Withheld
                    } else if c.is_null(r) {
                        Figure::Missing
                    } else {
                        Figure::Value(c.value(r))
                    }
                })
                .collect();
            out.insert(key, figures);
        }
        Ok(out)
    };
    let (now, before) = (numbers(now)?, numbers(before)?);
    let mut keys_seen: Vec<&Vec<String>> = now.keys().chain(before.keys().filter(|k| !now.contains_key(*k))).collect();
    keys_seen.sort();
    let mut headings: Vec<String> = keys.iter().map(|&k| humanise(schema.field(k).name())).collect();
    let mut numeric = vec![false; keys.len()];
    for &v in &values {
        headings.push(humanise(schema.field(v).name()));
        numeric.push(true);
    }
    let figure = |v: Figure| match v {
        Figure::Missing => "–".to_string(),
        Figure::Value(v) => format_number(v),
        Figure::Withheld => marker.to_string(),
    };
    let (mut rows, mut notes) = (Vec::new(), Vec::new());
    for key in keys_seen {
        let mut row = key.clone();
        let mut note = vec![String::new(); key.len()];
        for i in 0..values.len() {
            let a = now.get(key).map_or(Figure::Missing, |f| f[i]);
            let b = before.get(key).map_or(Figure::Missing, |f| f[i]);
            let change = match (a, b) {
                (Figure::Value(a), Figure::Value(b)) if a > b => format!(" · ▲ {}", format_number(a - b)),
                (Figure::Value(a), Figure::Value(b)) if a < b => format!(" · ▼ {}", format_number(b - a)),
                (Figure::Value(_), Figure::Value(_)) => " · no change".to_string(),
                _ => String::new(),
            };
            row.push(figure(a));
            note.push(format!("was {}{change}", figure(b)));
        }
        rows.push(row);
        notes.push(note);
    }
    Ok(Table { headings, numeric, rows, notes })
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{:.1}", (v * 10.0).round() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};

    fn batch(schools: &[&str], incidents: &[i64], rates: &[Option<f64>]) -> RecordBatch {
        RecordBatch::try_from_iter([
            ("school_id", Arc::new(StringArray::from(schools.to_vec())) as ArrayRef),
            ("incidents", Arc::new(Int64Array::from(incidents.to_vec())) as ArrayRef),
            ("rate_per_1000", Arc::new(Float64Array::from(rates.to_vec())) as ArrayRef),
        ])
        .unwrap()
    }

    fn open(batch: RecordBatch) -> Masked {
        Masked::open(batch.schema(), &[batch]).unwrap()
    }

    #[test]
    fn a_withheld_figure_shows_its_marker_and_no_change() {
        let mut now = open(batch(&["sch01", "sch02"], &[12, 3], &[Some(4.0), Some(1.0)]));
        now.mask.insert("incidents".into(), vec![false, true]);
        let before = open(batch(&["sch01", "sch02"], &[10, 9], &[Some(3.0), Some(3.0)]));
        let table = compare(&now, &before, &[], &["incidents".into()], "<5").unwrap();
        assert_eq!(table.rows, [["sch01", "12"], ["sch02", "<5"]]);
        assert_eq!(table.notes, [["", "was 10 · ▲ 2"], ["", "was 9"]]);
        let shown = super::table(&now, &[], "<5").unwrap();
        assert_eq!(shown.rows[1], ["sch02", "<5", "1"]);
        assert_eq!(shown.numeric, [false, true, true]);
    }

    #[test]
    fn headings_read_as_words() {
        assert_eq!(humanise("rate_per_1000"), "Rate per 1000");
        assert_eq!(humanise("pct_reviewed"), "% reviewed");
        assert_eq!(humanise("coverage_pct"), "Coverage %");
    }

    #[test]
    fn years_compare_row_by_row_with_direction() {
        let now = batch(&["sch01", "sch02"], &[12, 5], &[Some(4.0), None]);
        let before = batch(&["sch02", "sch03"], &[7, 3], &[Some(2.5), Some(1.0)]);
        let (now, before) = (open(now), open(before));
        let table = compare(&now, &before, &[], &["incidents".into(), "rate_per_1000".into()], "<5").unwrap();
        assert_eq!(table.headings, ["School id", "Incidents", "Rate per 1000"]);
        assert_eq!(table.rows, [["sch01", "12", "4"], ["sch02", "5", "–"], ["sch03", "–", "–"]]);
        assert_eq!(table.notes, [["", "was –", "was –"], ["", "was 7 · ▼ 2", "was 2.5"], ["", "was 3", "was 1"]]);
    }
}
