//! A report's rows as a table on a page: headings in words, values as text, numbers
//! marked so they align right, and a year-on-year comparison for the trustees' review.

use std::collections::HashMap;

use arrow::array::Array;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Table {
    pub headings: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
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

/// Rows as text, with only `columns` (all when empty).
pub fn table(batches: &[RecordBatch], columns: &[String]) -> anyhow::Result<Table> {
    let cells = cells(batches)?;
    let Some(first) = batches.first() else {
        return Ok(Table { headings: columns.iter().map(|c| humanise(c)).collect(), numeric: vec![], rows: vec![] });
    };
    let schema = first.schema();
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
    })
}

fn cells(batches: &[RecordBatch]) -> anyhow::Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_null("–");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<_> =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options)).collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(i).to_string()).collect());
        }
    }
    Ok(rows)
}

/// This period's rows beside the one before: rows matched on their text columns, and for
/// each of `values` the figure now, the figure before and the change with its direction.
pub fn compare(now: &[RecordBatch], before: &[RecordBatch], by: &[String], values: &[String]) -> anyhow::Result<Table> {
    let Some(first) = now.first().or(before.first()) else {
        return Ok(Table { headings: vec![], numeric: vec![], rows: vec![] });
    };
    let schema = first.schema();
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
    let numbers = |batches: &[RecordBatch]| -> anyhow::Result<HashMap<Vec<String>, Vec<Option<f64>>>> {
        let text = cells(batches)?;
        let mut out = HashMap::new();
        let mut row = 0;
        for batch in batches {
            let columns: Vec<_> = values
                .iter()
                .map(|&i| arrow::compute::cast(batch.column(i), &DataType::Float64))
                .collect::<Result<_, _>>()?;
            for r in 0..batch.num_rows() {
                let key: Vec<String> = keys.iter().map(|&k| text[row][k].clone()).collect();
                let figures = columns
                    .iter()
                    .map(|c| {
                        let c = c.as_any().downcast_ref::<arrow::array::Float64Array>().expect("cast to f64");
                        (!c.is_null(r)).then(|| c.value(r))
                    })
                    .collect();
                out.insert(key, figures);
                row += 1;
            }
        }
        Ok(out)
    };
    let (now, before) = (numbers(now)?, numbers(before)?);
    let mut keys_seen: Vec<&Vec<String>> = now.keys().chain(before.keys().filter(|k| !now.contains_key(*k))).collect();
    keys_seen.sort();
    let mut headings: Vec<String> = keys.iter().map(|&k| humanise(schema.field(k).name())).collect();
    let mut numeric = vec![false; keys.len()];
    for &v in &values {
        let name = humanise(schema.field(v).name());
        headings.extend([name.clone(), format!("{name}, year before"), "Change".to_string()]);
        numeric.extend([true, true, true]);
    }
    let figure = |v: Option<f64>| v.map_or("–".to_string(), format_number);
    let rows = keys_seen
        .into_iter()
        .map(|key| {
            let mut row = key.clone();
            for i in 0..values.len() {
                let a = now.get(key).and_then(|f| f[i]);
                let b = before.get(key).and_then(|f| f[i]);
                let change = match (a, b) {
                    (Some(a), Some(b)) if a > b => format!("▲ {}", format_number(a - b)),
                    (Some(a), Some(b)) if a < b => format!("▼ {}", format_number(b - a)),
                    (Some(_), Some(_)) => "no change".to_string(),
                    _ => "–".to_string(),
                };
                row.extend([figure(a), figure(b), change]);
            }
            row
        })
        .collect();
    Ok(Table { headings, numeric, rows })
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
        let table = compare(&[now], &[before], &[], &["incidents".into(), "rate_per_1000".into()]).unwrap();
        assert_eq!(table.headings[..4], ["School id", "Incidents", "Incidents, year before", "Change"]);
        assert_eq!(
            table.rows,
            [
                ["sch01", "12", "–", "–", "4", "–", "–"],
                ["sch02", "5", "7", "▼ 2", "–", "2.5", "–"],
                ["sch03", "–", "3", "–", "–", "1", "–"],
            ]
        );
    }
}
