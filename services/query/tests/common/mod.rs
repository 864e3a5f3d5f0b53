//! Hand-made lakes for the query tests: events written as the ingest writes them.
#![allow(dead_code)]

use chrono::Utc;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use safelake_lake::{layout::file_name, write_parquet, FamilyBuilder, Lake, Partition};
use safelake_query::Engine;
use safelake_schemas::validate_value;
use serde_json::{json, Value};

/// Rows as display strings, where a test compares them with a table written by hand.
pub type Rows = Vec<Vec<String>>;

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

pub fn event(n: usize, school: &str, kind: &str, time: &str, data: Value) -> Value {
    json!({"specversion": "1.0", "id": format!("ev-{n}"), "source": "urn:test", "type": format!("uk.safeguarding.{kind}.v1"),
           "time": time, "schoolid": school, "data": data})
}

/// Writes events as the ingest would: one file per (family, school, month).
pub fn write_lake(lake: &Lake, events: Vec<Value>) {
    let mut builders: std::collections::BTreeMap<Partition, FamilyBuilder> = Default::default();
    for (seq, value) in events.into_iter().enumerate() {
        let event = validate_value(value.clone(), None).unwrap_or_else(|r| panic!("{value}: {r}"));
        let family = event.event_type.family;
        let partition = Partition::events(family, &event.school_id, &event.month());
        builders.entry(partition).or_insert_with(|| FamilyBuilder::new(family)).append(&event, seq as u64 + 1, 0);
    }
    for (partition, mut builder) in builders {
        write_parquet(&lake.dir(&partition), &file_name(1, 1, false), &[builder.finish(Utc::now())], vec![]).unwrap();
    }
}

/// Query results as rows of display strings, for comparing with a table written by hand.
pub async fn rows(engine: &Engine, sql: &str) -> Rows {
    to_rows(engine.sql(sql).await.unwrap())
}

pub fn to_rows(batches: Vec<datafusion::arrow::record_batch::RecordBatch>) -> Rows {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<_> =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap()).collect();
        for i in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(i).to_string()).collect());
        }
    }
    rows
}

/// A lake of `events` on the test trust, and the engine over it.
pub async fn open(events: Vec<Value>) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    write_lake(&Lake::new(dir.path()), events);
    let engine = Engine::open(dir.path(), &safelake_schemas::Trust::parse(TRUST).unwrap()).await.unwrap();
    (dir, engine)
}

/// A report's rows as display strings.
pub async fn report(engine: &Engine, name: &str, params: &safelake_query::reports::Params) -> Rows {
    to_rows(safelake_query::reports::run(engine.context(), name, params).await.unwrap())
}

/// A table written by hand, in the form `report` returns.
pub fn table(rows: &[&[&str]]) -> Rows {
    rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}
