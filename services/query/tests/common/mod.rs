//! Hand-made lakes for the query tests: events written as the ingest writes them.
// Each test file uses its own subset of these.
#![allow(dead_code, unused_imports)]

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use safelake_lake::Lake;
use safelake_period::Window;
use safelake_query::reports::Params;
use safelake_query::Engine;
use safelake_schemas::{HubId, SchoolId};
pub use safelake_tests::lake::{event, write_events as write_lake, TRUST};
use serde_json::Value;

/// Rows as display strings, where a test compares them with a table written by hand.
pub type Rows = Vec<Vec<String>>;

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
    let lake = Lake::at(dir.path()).unwrap();
    write_lake(&lake, events).await;
    let engine = Engine::open(&lake, &safelake_schemas::Trust::parse(TRUST).unwrap()).await.unwrap();
    (dir, engine)
}

/// A report's rows as display strings.
pub async fn report(engine: &Engine, name: &str, params: &Params) -> Rows {
    to_rows(safelake_query::reports::run(&engine.query(), name, params).await.unwrap())
}

/// A table written by hand, in the form `report` returns.
pub fn table(rows: &[&[&str]]) -> Rows {
    rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

/// A report over the academic year `text` (`2025-26`), for the whole trust.
pub fn year(text: &str) -> Params {
    Params::over(Window::year(text.parse().unwrap()))
}

/// A report over the days `[from, to)` (`2025-10-01`), for the whole trust.
pub fn dates(from: &str, to: &str) -> Params {
    let date = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    Params::over(Window::between(date(from), date(to)).unwrap())
}

/// The school scope `text`.
pub fn school(text: &str) -> Option<SchoolId> {
    Some(text.parse().unwrap())
}

/// The hub scope `text`.
pub fn hub(text: &str) -> Option<HubId> {
    Some(text.parse().unwrap())
}

/// A lake of `events` on the trust described by `trust` (a `trust.toml`), and the engine
/// over it.
pub async fn open_on(trust: &str, events: Vec<Value>) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    write_lake(&lake, events).await;
    let engine = Engine::open(&lake, &safelake_schemas::Trust::parse(trust).unwrap()).await.unwrap();
    (dir, engine)
}
