//! Reads the lake back as any Delta reader would: the files of each table's latest
//! version, every column, as JSON-like values that tests compare with what was sent; and
//! writes hand-made lakes as the ingest writes them.

use std::collections::BTreeMap;

use anyhow::Result;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int32Type, TimeUnit, TimestampMicrosecondType};
use safelake_lake::{Lake, Partition, TableSpec};
use serde_json::Value;

/// One stored row: column name to value (timestamps as UTC microseconds, dates as days
/// since 1970, binaries as lossy UTF-8), with the partition columns added.
pub type Row = BTreeMap<String, Value>;

/// Every row of a table (`filter_events`, `rejects`, ...) in its latest version.
pub async fn rows(lake: &Lake, table: &str) -> Result<Vec<Row>> {
    let spec = TableSpec::named(table).ok_or_else(|| anyhow::anyhow!("no table {table}"))?;
    let table = lake.table(&spec).await?;
    let mut rows = Vec::new();
    for file in table.files() {
        let mut partition = Vec::new();
        if let Some(school) = &file.partition.school_id {
            partition.push(("school_id", school.clone()));
        }
        partition.push(("month", file.partition.month.clone()));
        for batch in table.read(&file.path, &[]).await? {
            for i in 0..batch.num_rows() {
                let mut row = Row::new();
                for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                    row.insert(field.name().clone(), value(column.as_ref(), i));
                }
                for (k, v) in &partition {
                    row.insert(k.to_string(), Value::from(v.as_str()));
                }
                rows.push(row);
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
        DataType::Int32 => Value::from(column.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => Value::from(column.as_primitive::<arrow::datatypes::Int64Type>().value(i)),
        DataType::Date32 => Value::from(column.as_primitive::<arrow::datatypes::Date32Type>().value(i)),
        DataType::Boolean => Value::from(column.as_boolean().value(i)),
        DataType::Binary => Value::from(String::from_utf8_lossy(column.as_binary::<i32>().value(i)).into_owned()),
        other => Value::from(format!("<{other}>")),
    }
}

/// The ids of every event in every family table.
pub async fn event_ids(lake: &Lake) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for family in safelake_schemas::FAMILIES {
        for row in rows(lake, family.table()).await? {
            ids.push(row["id"].as_str().unwrap_or_default().to_string());
        }
    }
    Ok(ids)
}

/// Asserts that the lake's event families hold `expected` events and none twice: the
/// check every crash, restart and failover test ends with.
pub async fn assert_each_event_once(lake: &Lake, expected: usize) -> Result<()> {
    let mut ids = event_ids(lake).await?;
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "an event was stored twice");
    assert_eq!(total, expected, "events were lost");
    Ok(())
}

/// A CloudEvent of `kind` (`incident.recorded`, ...) for hand-made lakes: id `ev-<n>`.
pub fn event(n: usize, school: &str, kind: &str, time: &str, data: Value) -> Value {
    serde_json::json!({"specversion": "1.0", "id": format!("ev-{n}"), "source": "urn:test",
        "type": format!("uk.safeguarding.{kind}.v1"), "time": time, "schoolid": school, "data": data})
}

/// Writes events as the ingest would (validated, one file per family, school and month,
/// a commit per family, the rollups following), for tests of what reads the lake.
/// Panics on an event the contract refuses.
pub async fn write_events(lake: &Lake, events: Vec<Value>) {
    write_commit(lake, 1, events).await;
}

/// [`write_events`] as a commit of the stream from sequence `first` on: another call with
/// another `first` adds files beside the ones there.
pub async fn write_commit(lake: &Lake, first: u64, events: Vec<Value>) {
    write_commit_at(lake, first, events, std::time::SystemTime::now()).await
}

/// [`write_commit`] with the events stamped as ingested at `ingested` (a lake written
/// yesterday, for what is read as the lake stood at the start of today).
pub async fn write_commit_at(lake: &Lake, first: u64, events: Vec<Value>, ingested: std::time::SystemTime) {
    use deltalake::kernel::Action;
    use deltalake::protocol::{DeltaOperation, SaveMode};
    use safelake_lake::FamilyBuilder;
    use safelake_schemas::Family;
    let mut builders: BTreeMap<(Family, Partition), FamilyBuilder> = BTreeMap::new();
    for (seq, value) in (first..).zip(events) {
        let event = safelake_schemas::validate_value(value.clone(), None).unwrap_or_else(|r| panic!("{value}: {r}"));
        let family = event.event_type.family;
        let partition = Partition::school_month(event.school_id.to_string(), event.month());
        let hash = safelake_lake::content_hash(&event.value);
        builders.entry((family, partition)).or_insert_with(|| FamilyBuilder::new(family)).append(&event, seq, hash);
    }
    let mut by_family: BTreeMap<Family, Vec<(Partition, arrow::record_batch::RecordBatch)>> = BTreeMap::new();
    for ((family, partition), mut builder) in builders {
        by_family.entry(family).or_default().push((partition, builder.finish(ingested.into())));
    }
    for (family, parts) in by_family {
        let mut table = lake.table(&TableSpec::family(family)).await.expect("opening a test table");
        let adds = table.write(parts, true).await.expect("writing a test lake");
        let operation = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
        table.commit(adds.into_iter().map(Action::Add).collect(), operation).await.expect("committing a test lake");
    }
    safelake_lake::follow::follow(lake).await.expect("deriving the rollups of a test lake");
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

/// A pupil incident of `category`, recorded with id `INC-<n>`.
pub fn incident(n: usize, school: &str, pupil: usize, occurred: &str, category: &str) -> Value {
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

/// A small lake of [`TRUST`] for the tests of who sees what: [`incidents`], written now.
pub async fn incidents_lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_events(&Lake::at(dir.path()).expect("a lake"), incidents()).await;
    dir
}

/// sch01 (north): in October 2025, 3 cyberbullying incidents (pupils 1, 1, 1: a repeat
/// pupil) and 7 of "other" (pupils 2..8); sch02 (south): 12 cyberbullying (pupils
/// 20..31). 200 pupils on roll at each.
pub fn incidents() -> Vec<Value> {
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
    events
}

/// Commits `bytes` to `table` as one data file of `partition`, whatever they are: for the
/// tests of a file that cannot be read.
pub async fn commit_raw_file(lake: &Lake, table: &str, partition: &Partition, bytes: &[u8]) {
    use deltalake::kernel::{Action, Add};
    use deltalake::protocol::{DeltaOperation, SaveMode};
    use object_store::ObjectStoreExt;
    let spec = TableSpec::named(table).expect("a table of the lake");
    let mut table = lake.table(&spec).await.expect("opening a test table");
    let path = format!("{}/part-unreadable.parquet", partition.path());
    let store = table.log_store().object_store(None);
    store.put(&object_store::path::Path::from(path.as_str()), bytes.to_vec().into()).await.expect("writing the file");
    let mut values = std::collections::HashMap::new();
    if let Some(school) = &partition.school_id {
        values.insert("school_id".to_string(), Some(school.clone()));
    }
    values.insert("month".to_string(), Some(partition.month.clone()));
    let add = Add {
        path,
        partition_values: values,
        size: bytes.len() as i64,
        modification_time: chrono::Utc::now().timestamp_millis(),
        data_change: true,
        ..Default::default()
    };
    let operation = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
    table.commit(vec![Action::Add(add)], operation).await.expect("committing the file");
}
