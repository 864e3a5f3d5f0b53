//! Schools by name on charts and pages: reports carry `school_id` (the stable key every
//! export and join uses), readers know "Ash Primary". A `school_name` column is added
//! after `school_id` for drawing and display only; the API's rows stay as the report
//! defines them.

use std::sync::Arc;

use anyhow::Result;
use arrow::array::{Array, ArrayRef, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use safelake_schemas::Trust;

pub fn with_school_names(batch: RecordBatch, trust: &Trust) -> Result<RecordBatch> {
    let schema = batch.schema();
    let Ok(at) = schema.index_of("school_id") else { return Ok(batch) };
    let ids = cast(batch.column(at), &DataType::Utf8)?;
    let ids = ids.as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
    let names: StringArray = (0..ids.len())
        .map(|i| (!ids.is_null(i)).then(|| trust.school(ids.value(i)).map_or(ids.value(i), |s| s.name.as_str())))
        .collect();
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    fields.insert(at + 1, Arc::new(Field::new("school_name", DataType::Utf8, true)));
    columns.insert(at + 1, Arc::new(names));
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    #[test]
    fn names_follow_ids_and_unknown_ids_stay_as_they_are() {
        let trust = Trust::parse(
            "[trust]\nid = \"t\"\nname = \"T\"\n[[hubs]]\nid = \"n\"\nname = \"N\"\n[[schools]]\nid = \"sch01\"\nname = \"Ash Primary\"\nhub = \"n\"\nphase = \"primary\"\nurn = \"1\"\n",
        )
        .unwrap();
        let batch = RecordBatch::try_from_iter([
            ("school_id", Arc::new(StringArray::from(vec!["sch01", "sch09"])) as ArrayRef),
            ("incidents", Arc::new(Int64Array::from(vec![3, 4])) as ArrayRef),
        ])
        .unwrap();
        let named = with_school_names(batch, &trust).unwrap();
        let names: Vec<_> = named.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["school_id", "school_name", "incidents"]);
        let column = named.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(column.iter().collect::<Vec<_>>(), [Some("Ash Primary"), Some("sch09")]);
    }
}
