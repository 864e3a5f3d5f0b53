//! Small-number suppression (reports.md): in what hab members and trustees see, a count
//! from 1 to 4 (the threshold is configurable) is withheld, and so is every figure from
//! which it could be worked out again:
//!
//! - a figure derived from it (a rate, a share, a median over those few): each report's
//!   header names them, `-- derived: rate_per_1000 = incidents`;
//! - more counts beside it where the counts add up to a total shown elsewhere (the
//!   categories of a school's month add up to its month): if only one cell of such a
//!   group were withheld, or a few small ones, the total minus the others would give them
//!   back, so the group's smallest other non-zero counts are withheld too, until its
//!   withheld cells add up to the threshold. The header names the groups,
//!   `-- complements: month, school_id; school_id, category`.
//!
//! Which columns are counts is the header's `-- counts:` line. The result keeps the
//! report's columns and types: a withheld cell is null, and [`Masked::mask`] says which
//! nulls were withheld, so each output can mark them its own way.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch, nullif};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::reports::Report;

/// The marker a withheld figure shows as on pages and in CSV.
pub fn marker(threshold: i64) -> String {
    format!("<{threshold}")
}

/// A report's result with some cells withheld (null) and which ones they are.
#[derive(Debug, Clone)]
pub struct Masked {
    pub batch: RecordBatch,
    /// For each column with withheld cells, one flag per row.
    pub mask: HashMap<String, Vec<bool>>,
}

impl Masked {
    /// A result shown as it is.
    pub fn open(schema: SchemaRef, batches: &[RecordBatch]) -> Result<Masked> {
        Ok(Masked { batch: concat(schema, batches)?, mask: HashMap::new() })
    }

    pub fn is_withheld(&self, column: &str, row: usize) -> bool {
        self.mask.get(column).is_some_and(|m| m[row])
    }

    /// The columns withheld in `row`, in the report's order.
    pub fn withheld_in(&self, row: usize) -> Vec<&str> {
        let schema = self.batch.schema_ref();
        schema.fields().iter().map(|f| f.name().as_str()).filter(|c| self.is_withheld(c, row)).collect()
    }

    pub fn any(&self) -> bool {
        self.mask.values().any(|m| m.iter().any(|w| *w))
    }

    /// The batch with every column that has withheld cells turned to text, the withheld
    /// ones reading `marker`: what CSV and pages show.
    pub fn as_text(&self, marker: &str) -> Result<RecordBatch> {
        let schema = self.batch.schema();
        let mut fields = Vec::new();
        let mut columns = Vec::new();
        for (field, column) in schema.fields().iter().zip(self.batch.columns()) {
            match self.mask.get(field.name()).filter(|m| m.iter().any(|w| *w)) {
                None => {
                    fields.push(Arc::clone(field));
                    columns.push(Arc::clone(column));
                }
                Some(mask) => {
                    let text = cast(column, &DataType::Utf8)?;
                    let text = text.as_any().downcast_ref::<StringArray>().context("cast to text")?;
                    let marked: StringArray = (0..text.len())
                        .map(|i| if mask[i] { Some(marker) } else { (!text.is_null(i)).then(|| text.value(i)) })
                        .collect();
                    fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, true)));
                    columns.push(Arc::new(marked) as ArrayRef);
                }
            }
        }
        Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
    }

    /// The rows of one school (by `school_id`), their withheld cells with them.
    pub fn of_school(self, school: &str) -> Result<Masked> {
        let ids = self.batch.column_by_name("school_id").context("the rows have no school_id")?;
        let ids = cast(ids, &DataType::Utf8)?;
        let ids = ids.as_any().downcast_ref::<StringArray>().context("cast to text")?;
        let keep: BooleanArray = ids.iter().map(|id| Some(id == Some(school))).collect();
        let batch = filter_record_batch(&self.batch, &keep)?;
        let mask = self
            .mask
            .into_iter()
            .map(|(column, flags)| {
                let kept = flags.into_iter().zip(keep.values().iter()).filter_map(|(w, k)| k.then_some(w)).collect();
                (column, kept)
            })
            .collect();
        Ok(Masked { batch, mask })
    }

    /// Adds a column (a school's name beside its id): the mask is by name, so it holds.
    pub fn map_batch(self, f: impl FnOnce(RecordBatch) -> Result<RecordBatch>) -> Result<Masked> {
        Ok(Masked { batch: f(self.batch)?, mask: self.mask })
    }
}

/// One batch of the rows, under the schema the rows themselves carry (the planned one
/// when there are none).
fn concat(planned: SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let schema = batches.first().map_or(planned, RecordBatch::schema);
    Ok(concat_batches(&schema, batches)?)
}

/// What a report's header says about suppression.
struct Rules<'a> {
    counts: Vec<&'a str>,
    derived: Vec<(&'a str, Vec<&'a str>)>,
    complements: Vec<Vec<&'a str>>,
}

fn list(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

impl<'a> Rules<'a> {
    fn of(report: &'a Report) -> Rules<'a> {
        let field = |key| report.header_field(key).unwrap_or("");
        Rules {
            counts: list(field("counts")),
            derived: field("derived")
                .split(';')
                .filter_map(|d| d.split_once('='))
                .map(|(column, sources)| (column.trim(), list(sources)))
                .collect(),
            complements: field("complements").split(';').map(list).filter(|g| !g.is_empty()).collect(),
        }
    }
}

/// Withholds `report`'s small numbers: counts from 1 to `threshold - 1`, what derives
/// from them, and the complements that would let them be worked out.
pub fn suppress(report: &Report, schema: SchemaRef, batches: &[RecordBatch], threshold: i64) -> Result<Masked> {
    let batch = concat(schema, batches)?;
    let schema = batch.schema();
    let rules = Rules::of(report);
    let rows = batch.num_rows();
    let values = |name: &str| -> Result<Vec<Option<i64>>> {
        let column =
            batch.column_by_name(name).with_context(|| format!("report {} has no column {name}", report.name))?;
        let column = cast(column, &DataType::Int64)?;
        let column = column.as_any().downcast_ref::<Int64Array>().context("cast to Int64")?;
        Ok(column.iter().collect())
    };
    let groups = groups(&batch, &rules.complements)?;
    let mut counts = Vec::new();
    let mut mask: HashMap<String, Vec<bool>> = HashMap::new();
    for count in &rules.counts {
        let values = values(count)?;
        mask.insert(count.to_string(), values.iter().map(|v| v.is_some_and(|v| (1..threshold).contains(&v))).collect());
        counts.push((*count, values));
    }
    // Complements and derived figures feed each other (a rate withheld beside a count,
    // a count withheld beside a rate's source), so both run until neither changes.
    loop {
        let mut changed = false;
        for (count, values) in &counts {
            let withheld = mask.get_mut(*count).expect("every count has a mask");
            changed |= complement(&groups, values, withheld, threshold);
        }
        for (column, sources) in &rules.derived {
            let from: Vec<bool> =
                (0..rows).map(|r| sources.iter().any(|s| mask.get(*s).is_some_and(|m| m[r]))).collect();
            let own = mask.entry(column.to_string()).or_insert_with(|| vec![false; rows]);
            for (a, b) in own.iter_mut().zip(from) {
                changed |= b && !*a;
                *a |= b;
            }
        }
        if !changed {
            break;
        }
    }
    let mut columns = batch.columns().to_vec();
    for (i, field) in schema.fields().iter().enumerate() {
        if let Some(withheld) = mask.get(field.name()) {
            let keep = BooleanArray::from(withheld.clone());
            columns[i] = nullif(&columns[i], &keep)?;
        }
    }
    let schema = Arc::new(Schema::new(
        schema.fields().iter().map(|f| Arc::new(f.as_ref().clone().with_nullable(true))).collect::<Vec<_>>(),
    ));
    Ok(Masked { batch: RecordBatch::try_new(schema, columns)?, mask })
}

/// For each complement (a list of columns), the groups of rows that share their values:
/// the rows whose counts add up to a total shown elsewhere.
fn groups(batch: &RecordBatch, groupings: &[Vec<&str>]) -> Result<Vec<Vec<Vec<usize>>>> {
    groupings
        .iter()
        .map(|columns| {
            let texts: Vec<ArrayRef> = columns
                .iter()
                .map(|c| batch.column_by_name(c).with_context(|| format!("no column {c} to complement by")))
                .map(|c| Ok(cast(c?, &DataType::Utf8)?))
                .collect::<Result<_>>()?;
            let mut groups: HashMap<Vec<Option<String>>, Vec<usize>> = HashMap::new();
            for row in 0..batch.num_rows() {
                let key = texts
                    .iter()
                    .map(|t| {
                        let t = t.as_any().downcast_ref::<StringArray>().expect("cast to text");
                        (!t.is_null(row)).then(|| t.value(row).to_string())
                    })
                    .collect();
                groups.entry(key).or_default().push(row);
            }
            let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
            groups.sort();
            Ok(groups)
        })
        .collect()
}

/// Makes every group's withheld cells safe against its total: none, or at least two that
/// add up to `threshold` or more; otherwise the total minus the cells shown would give
/// a small figure back (one cell, or two small ones together). The cell added is the
/// group's smallest shown non-zero count: a zero adds nothing to hide behind. A group
/// with no such cell left is withheld whole. Says whether anything was added.
fn complement(groups: &[Vec<Vec<usize>>], values: &[Option<i64>], withheld: &mut [bool], threshold: i64) -> bool {
    let mut changed = false;
    for rows in groups.iter().flatten() {
        loop {
            let hidden: Vec<usize> = rows.iter().copied().filter(|&r| withheld[r]).collect();
            let sum: i64 = hidden.iter().map(|&r| values[r].unwrap_or(0)).sum();
            if hidden.is_empty() || (hidden.len() >= 2 && sum >= threshold) {
                break;
            }
            let next = rows
                .iter()
                .copied()
                .filter(|&r| !withheld[r] && values[r].is_some_and(|v| v > 0))
                .min_by_key(|&r| (values[r], r));
            match next {
                Some(r) => withheld[r] = true,
                None => {
                    let rest: Vec<usize> =
                        rows.iter().copied().filter(|&r| !withheld[r] && values[r].is_some()).collect();
                    rest.iter().for_each(|&r| withheld[r] = true);
                    changed |= !rest.is_empty();
                    break;
                }
            }
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Float64Array, Int64Array};

    use super::*;

    const TRENDS: Report = Report {
        name: "trends",
        sql: "-- trends: test\n-- counts: incidents\n-- derived: rate = incidents\n\
              -- complements: month, school_id; school_id, category\nSELECT 1",
    };

    fn batch(rows: &[(&str, &str, &str, i64, f64)]) -> RecordBatch {
        let text = |i: usize| -> ArrayRef {
            Arc::new(StringArray::from(rows.iter().map(|r| [r.0, r.1, r.2][i].to_string()).collect::<Vec<_>>()))
        };
        RecordBatch::try_from_iter([
            ("month", text(0)),
            ("school_id", text(1)),
            ("category", text(2)),
            ("incidents", Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.3))) as ArrayRef),
            ("rate", Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.4))) as ArrayRef),
        ])
        .unwrap()
    }

    fn withheld(masked: &Masked, column: &str) -> Vec<usize> {
        (0..masked.batch.num_rows()).filter(|&r| masked.is_withheld(column, r)).collect()
    }

    #[test]
    fn a_small_count_its_rate_and_one_complement_are_withheld() {
        // One school-month: 12 bullying, 3 grooming, 7 sexting. Grooming is small; the
        // month's total minus the others would give it back, so the smallest other
        // (sexting, 7) goes too. Zeros and counts of 5 or more stay.
        let b = batch(&[
            ("2025-10", "sch01", "bullying", 12, 2.4),
            ("2025-10", "sch01", "grooming", 3, 0.6),
            ("2025-10", "sch01", "sexting", 7, 1.4),
            ("2025-11", "sch02", "bullying", 0, 0.0),
            ("2025-11", "sch02", "sexting", 5, 1.0),
        ]);
        let masked = suppress(&TRENDS, b.schema(), &[b], 5).unwrap();
        assert_eq!(withheld(&masked, "incidents"), [1, 2]);
        assert_eq!(withheld(&masked, "rate"), [1, 2]);
        let incidents = masked.batch.column_by_name("incidents").unwrap();
        assert_eq!(incidents.null_count(), 2);
        assert_eq!(masked.withheld_in(1), ["incidents", "rate"]);
        let text = masked.as_text("<5").unwrap();
        let shown = text.column_by_name("incidents").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(shown.iter().collect::<Vec<_>>(), [Some("12"), Some("<5"), Some("<5"), Some("0"), Some("5")]);
    }

    #[test]
    fn complements_spread_until_no_group_has_a_lone_withheld_cell() {
        // Grooming at sch01 is small in October. Complementing within October withholds
        // bullying (10, the smallest other). Across months, bullying (October, November)
        // and grooming (October, November) each now have one withheld cell, so
        // November's bullying (20) and grooming (50) go too; November then has two.
        let b = batch(&[
            ("2025-10", "sch01", "bullying", 10, 0.0),
            ("2025-10", "sch01", "grooming", 2, 0.0),
            ("2025-10", "sch01", "sexting", 40, 0.0),
            ("2025-11", "sch01", "bullying", 20, 0.0),
            ("2025-11", "sch01", "sexting", 30, 0.0),
            ("2025-11", "sch01", "grooming", 50, 0.0),
        ]);
        let masked = suppress(&TRENDS, b.schema(), &[b], 5).unwrap();
        let rows = withheld(&masked, "incidents");
        // Every group now holds no withheld cell or at least two.
        for (month, category) in [("2025-10", ""), ("2025-11", ""), ("", "bullying"), ("", "grooming"), ("", "sexting")]
        {
            let months = ["2025-10", "2025-10", "2025-10", "2025-11", "2025-11", "2025-11"];
            let categories = ["bullying", "grooming", "sexting", "bullying", "sexting", "grooming"];
            let n = rows
                .iter()
                .filter(|&&r| {
                    (month.is_empty() || months[r] == month) && (category.is_empty() || categories[r] == category)
                })
                .count();
            assert_ne!(n, 1, "a lone withheld cell in {month}{category}: {rows:?}");
        }
        assert_eq!(rows, [0, 1, 3, 5]);
    }

    #[test]
    fn a_zero_is_no_cover_and_two_small_cells_need_a_third() {
        // October: grooming 3 beside sexting 0. Withholding the zero would leave the
        // month's total minus bullying = 3, so bullying (12) goes instead.
        // November: 1 and 2 are both small; withheld together they would still add up to
        // 3 from the total, so the smallest other non-zero count (9) goes too, not 0 or 20.
        let b = batch(&[
            ("2025-10", "sch01", "bullying", 12, 0.0),
            ("2025-10", "sch01", "grooming", 3, 0.0),
            ("2025-10", "sch01", "sexting", 0, 0.0),
            ("2025-11", "sch02", "bullying", 1, 0.0),
            ("2025-11", "sch02", "grooming", 2, 0.0),
            ("2025-11", "sch02", "hate", 0, 0.0),
            ("2025-11", "sch02", "sexting", 9, 0.0),
            ("2025-11", "sch02", "violence", 20, 0.0),
        ]);
        let months: &Report = &Report {
            name: "months",
            sql: "-- months: test\n-- counts: incidents\n-- complements: month, school_id\nSELECT 1",
        };
        let masked = suppress(months, b.schema(), &[b], 5).unwrap();
        assert_eq!(withheld(&masked, "incidents"), [0, 1, 3, 4, 6]);
    }

    #[test]
    fn a_group_with_nothing_to_hide_behind_is_withheld_whole() {
        // One month with a single small count and zeros: no cover exists, so the
        // zeros go too and nothing in the month can be told apart.
        let b = batch(&[("2025-10", "sch01", "bullying", 2, 0.0), ("2025-10", "sch01", "sexting", 0, 0.0)]);
        let masked = suppress(&TRENDS, b.schema(), &[b], 5).unwrap();
        assert_eq!(withheld(&masked, "incidents"), [0, 1]);
    }

    #[test]
    fn a_threshold_of_one_withholds_nothing() {
        let b = batch(&[("2025-10", "sch01", "bullying", 1, 0.2)]);
        let masked = suppress(&TRENDS, b.schema(), &[b], 1).unwrap();
        assert!(!masked.any());
    }
}
