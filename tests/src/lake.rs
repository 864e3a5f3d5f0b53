//! Reads the lake back the way any Parquet tool would: the live files of every partition,
//! every column, as JSON-like values that tests compare with what was sent.

use std::collections::BTreeMap;
use std::fs::File;

use anyhow::Result;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int32Type, TimeUnit, TimestampMicrosecondType, UInt64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use safelake_lake::Lake;
use serde_json::Value;

/// One stored row: column name to value (timestamps as UTC microseconds, dates as days
/// since 1970, binaries as lossy UTF-8), with the partition columns added.
pub type Row = BTreeMap<String, Value>;

/// Every row of a table (`filter_events`, `rejects`, ...).
pub fn rows(lake: &Lake, table: &str) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for dir in lake.partitions(table)? {
        let partition: Vec<(String, String)> = dir
            .strip_prefix(lake.root().join(table))?
            .components()
            .filter_map(|c| c.as_os_str().to_str()?.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect();
        for file in Lake::live_files(&dir)? {
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file)?)?.build()?;
            for batch in reader {
                let batch = batch?;
                for i in 0..batch.num_rows() {
                    let mut row = Row::new();
                    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                        row.insert(field.name().clone(), value(column.as_ref(), i));
                    }
                    for (k, v) in &partition {
                        row.insert(k.clone(), Value::from(v.as_str()));
                    }
                    rows.push(row);
                }
            }
        }
    }
    Ok(rows)
}

fn value(column: &dyn Array, i: usize) -> Value {
    if column.is_null(i) {
        return Value::Null;
    }
    match column.data_type() {
        DataType::Utf8 => Value::from(column.as_string::<i32>().value(i)),
        DataType::Dictionary(_, _) => {
            let dict = column.as_dictionary::<Int32Type>();
            let key = dict.keys().value(i) as usize;
            Value::from(dict.values().as_string::<i32>().value(key))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Value::from(column.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        DataType::UInt64 => Value::from(column.as_primitive::<UInt64Type>().value(i)),
        DataType::Int32 => Value::from(column.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => Value::from(column.as_primitive::<arrow::datatypes::Int64Type>().value(i)),
        DataType::Date32 => Value::from(column.as_primitive::<arrow::datatypes::Date32Type>().value(i)),
        DataType::Boolean => Value::from(column.as_boolean().value(i)),
        DataType::Binary => Value::from(String::from_utf8_lossy(column.as_binary::<i32>().value(i)).into_owned()),
        other => Value::from(format!("<{other}>")),
    }
}

/// The ids of every event in every family table.
pub fn event_ids(lake: &Lake) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for family in safelake_schemas::FAMILIES {
        for row in rows(lake, family.table())? {
            ids.push(row["id"].as_str().unwrap_or_default().to_string());
        }
    }
    Ok(ids)
}

/// A CloudEvent of `kind` (`incident.recorded`, ...) for hand-made lakes: id `ev-<n>`.
pub fn event(n: usize, school: &str, kind: &str, time: &str, data: Value) -> Value {
    serde_json::json!({"specversion": "1.0", "id": format!("ev-{n}"), "source": "urn:test",
        "type": format!("uk.safeguarding.{kind}.v1"), "time": time, "schoolid": school, "data": data})
}

/// Writes events as the ingest would (validated, one file per family, school and month),
/// for tests of what reads the lake. Panics on an event the contract refuses.
pub fn write_events(lake: &Lake, events: Vec<Value>) {
    write_commit(lake, 1, events);
}

/// [`write_events`] as a commit of the stream from sequence `first` on: another call with
/// another `first` adds files beside the ones there.
pub fn write_commit(lake: &Lake, first: u64, events: Vec<Value>) {
    use safelake_lake::{layout::file_name, write_parquet, FamilyBuilder, Partition};
    let mut builders: BTreeMap<Partition, FamilyBuilder> = BTreeMap::new();
    for (seq, value) in (first..).zip(events) {
        let event = safelake_schemas::validate_value(value.clone(), None).unwrap_or_else(|r| panic!("{value}: {r}"));
        let family = event.event_type.family;
        let partition = Partition::events(family, &event.school_id, &event.month());
        builders.entry(partition).or_insert_with(|| FamilyBuilder::new(family)).append(&event, seq, 0);
    }
    for (partition, mut builder) in builders {
        let batch = builder.finish(std::time::SystemTime::now().into());
        write_parquet(&lake.dir(&partition), &file_name(first, first, false), &[batch], vec![])
            .expect("writing a test lake");
    }
}

/// A two-school trust for hand-made lakes: sch01 (Ash Primary) in hub north, sch02
/// (Birch Academy) in hub south.
pub const TRUST: &str = r#"
[trust]
id = "west"
name = "West Trust"
[[hubs]]
id = "north"
name = "North Hub"
[[schools]]
id = "sch01"
name = "Ash Primary"
hub = "north"
phase = "primary"
urn = "100001"
[[hubs]]
id = "south"
name = "South Hub"
[[schools]]
id = "sch02"
name = "Birch Academy"
hub = "south"
phase = "secondary"
urn = "100002"
"#;

fn incident(n: usize, school: &str, pupil: usize, occurred: &str, category: &str) -> Value {
    event(
        n,
        school,
        "incident.recorded",
        occurred,
        serde_json::json!({"incident_id": format!("INC-{n}"), "occurred_at": occurred, "subject_role": "pupil",
               "pupil_ref": format!("p_{pupil:016x}"), "year_group": 7, "category": category,
               "location": "in_school", "severity": "B", "illegal": false, "reported_by_role": "staff"}),
    )
}

fn census(n: usize, school: &str, headcount: u32) -> Value {
    let data =
        serde_json::json!({"census_date": "2025-10-02", "role": "pupil", "year_group": 7, "headcount": headcount});
    event(n, school, "roster.census", "2025-10-02T06:00:00Z", data)
}

/// A small lake of [`TRUST`] for the tests of who sees what. sch01 (north): in October
/// 2025, 3 cyberbullying incidents (pupils 1, 1, 1: a repeat pupil) and 7 of "other"
/// (pupils 2..8); sch02 (south): 12 cyberbullying (pupils 20..31). 200 pupils on roll at
/// each.
pub fn incidents_lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut events = vec![census(1, "sch01", 200), census(2, "sch02", 200)];
    let mut n = 100;
    for day in 3..6 {
        events.push(incident(n, "sch01", 1, &format!("2025-10-{day:02}T10:00:00Z"), "cyberbullying"));
        n += 1;
    }
    for pupil in 2..9 {
        events.push(incident(n, "sch01", pupil, "2025-10-10T10:00:00Z", "other"));
        n += 1;
    }
    for pupil in 20..32 {
        events.push(incident(n, "sch02", pupil, "2025-10-12T10:00:00Z", "cyberbullying"));
        n += 1;
    }
    write_events(&Lake::new(dir.path()), events);
    dir
}
