//! The audit trail: who asked for what, when, in which scope, how many rows they got, and
//! whether they were refused. Every report, chart, page, SQL query and sign-in is
//! recorded in the lake's `audit_log` table (partitioned by `month`), which only the
//! director can query.
//!
//! Records are written with group commit: a request waits until its record is durable
//! (so an answer is never given that the trail does not hold), and every record that
//! arrives while one commit is being written goes into the next commit together. Records
//! are only ever appended, as Delta commits; nothing in the service edits or deletes
//! them, and SQL against the lake is read-only.

use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::SchemaRef;
use chrono::{DateTime, Utc};
use safelake_lake::{Lake, Partition, Table, TableSpec};
use tokio::sync::{mpsc, oneshot};

/// The lake table the trail is kept in.
pub const TABLE: &str = safelake_lake::tables::AUDIT_LOG;

/// Records at most per file: a burst is split rather than held up.
const MAX_BATCH: usize = 10_000;

/// What was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Report,
    Chart,
    Page,
    Sql,
    SignIn,
    /// An API call that is none of the above (the list of reports, a download of a list).
    Api,
    Retention,
    /// A meeting pack produced (by the schedule or `safelake pack`) or downloaded.
    Pack,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Report => "report",
            Kind::Chart => "chart",
            Kind::Page => "page",
            Kind::Sql => "sql",
            Kind::SignIn => "sign-in",
            Kind::Api => "api",
            Kind::Retention => "retention",
            Kind::Pack => "pack",
        }
    }
}

/// One record of the trail.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// The token's name, or empty when nobody signed in.
    pub who: String,
    pub token_id: Option<String>,
    pub role: Option<String>,
    /// The caller's address.
    pub address: Option<String>,
    pub kind: Kind,
    /// The report, chart or page, or the path.
    pub what: String,
    /// The parameters as asked, or the SQL text.
    pub detail: Option<String>,
    /// The scope the service applied (`trust`, `hub=north`, `school=sch01`).
    pub scope: Option<String>,
    pub rows: Option<i64>,
    /// The HTTP status, or for SQL over the PostgreSQL wire 200 or 400/403/500 alike.
    pub status: u16,
    pub message: Option<String>,
    pub millis: i64,
    /// How the request came: `http` or `pgwire`.
    pub via: &'static str,
}

impl Entry {
    /// How the request went, from its status: `ok`, `refused` (401, 403, 429) or
    /// `failed` (any other error).
    pub fn outcome(&self) -> &'static str {
        match self.status {
            200..=399 => "ok",
            401 | 403 | 429 => "refused",
            _ => "failed",
        }
    }
}

pub fn schema() -> SchemaRef {
    safelake_lake::tables::audit_schema()
}

fn batch(entries: &[Entry]) -> Result<RecordBatch> {
    let text =
        |f: &dyn Fn(&Entry) -> Option<&str>| -> ArrayRef { Arc::new(entries.iter().map(f).collect::<StringArray>()) };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            entries
                .iter()
                .map(|e| Some(e.at.timestamp_micros()))
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        ),
        text(&|e| Some(&e.who)),
        text(&|e| e.token_id.as_deref()),
        text(&|e| e.role.as_deref()),
        text(&|e| e.address.as_deref()),
        text(&|e| Some(e.via)),
        text(&|e| Some(e.kind.as_str())),
        text(&|e| Some(&e.what)),
        text(&|e| e.detail.as_deref()),
        text(&|e| e.scope.as_deref()),
        Arc::new(entries.iter().map(|e| e.rows).collect::<Int64Array>()),
        Arc::new(entries.iter().map(|e| Some(i32::from(e.status))).collect::<Int32Array>()),
        text(&|e| Some(e.outcome())),
        text(&|e| e.message.as_deref()),
        Arc::new(entries.iter().map(|e| Some(e.millis)).collect::<Int64Array>()),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// Appends `entries` as one commit, one file per month they fall in.
async fn write(table: &mut Table, entries: &[Entry]) -> Result<()> {
    let mut months: std::collections::BTreeMap<String, Vec<Entry>> = Default::default();
    for entry in entries {
        months.entry(entry.at.format("%Y-%m").to_string()).or_default().push(entry.clone());
    }
    let mut parts = Vec::new();
    for (month, entries) in months {
        parts.push((Partition::month(month), batch(&entries)?));
    }
    let adds = table.write(parts, true).await?;
    let actions = adds.into_iter().map(deltalake::kernel::Action::Add).collect();
    let operation = deltalake::protocol::DeltaOperation::Write {
        mode: deltalake::protocol::SaveMode::Append,
        partition_by: Some(vec!["month".to_string()]),
        predicate: None,
    };
    table.commit(actions, operation).await?;
    Ok(())
}

type Pending = (Entry, oneshot::Sender<Result<(), String>>);

/// The handle requests record through; clones share one writer.
#[derive(Clone)]
pub struct AuditTrail {
    sender: mpsc::Sender<Pending>,
}

/// The writer task; [`Writer::finish`] waits for the last records once every
/// [`AuditTrail`] handle is dropped.
pub struct Writer {
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    pub async fn finish(self) {
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the audit writer panicked");
        }
    }
}

impl AuditTrail {
    /// Starts the writer for `lake`'s `audit_log` table.
    pub async fn start(lake: &Lake) -> Result<(AuditTrail, Writer)> {
        let table = lake.table(&TableSpec::audit_log()).await.context("opening the audit trail")?;
        let (sender, receiver) = mpsc::channel(MAX_BATCH);
        let task = tokio::spawn(run(table, receiver));
        Ok((AuditTrail { sender }, Writer { task }))
    }

    /// Records `entry` and returns once it is durable in the lake.
    pub async fn record(&self, entry: Entry) -> Result<()> {
        let (done, written) = oneshot::channel();
        self.sender.send((entry, done)).await.ok().context("the audit writer has stopped")?;
        written.await.context("the audit writer has stopped")?.map_err(anyhow::Error::msg)
    }
}

/// An entry's `millis`: how long since the request started.
pub fn millis_since(started: std::time::Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// A request's record for the case it never finishes: a client that hangs up, or psql's
/// Ctrl-C, drops the request's future before it records its outcome, and the trail must
/// still hold every request. Dropped without [`Unfinished::finished`], it records its
/// entry (status 499, as web servers log a client gone away).
pub struct Unfinished {
    trail: AuditTrail,
    entry: Option<Entry>,
    started: std::time::Instant,
}

impl Unfinished {
    pub fn new(trail: &AuditTrail, mut entry: Entry, started: std::time::Instant) -> Unfinished {
        entry.status = 499;
        entry.message.get_or_insert_with(|| "the client went away before the answer was ready".to_string());
        Unfinished { trail: trail.clone(), entry: Some(entry), started }
    }

    /// The request recorded its own outcome.
    pub fn finished(mut self) {
        self.entry = None;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let Some(mut entry) = self.entry.take() else { return };
        entry.millis = millis_since(self.started);
        let trail = self.trail.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = trail.record(entry).await {
                        tracing::error!(error = %e, "an unfinished request not recorded in the audit trail");
                    }
                });
            }
            Err(_) => tracing::error!(what = entry.what, "an unfinished request not recorded: no runtime left"),
        }
    }
}

async fn run(mut table: Table, mut receiver: mpsc::Receiver<Pending>) {
    let mut group: Vec<Pending> = Vec::new();
    while receiver.recv_many(&mut group, MAX_BATCH).await > 0 {
        let entries: Vec<Entry> = group.iter().map(|(e, _)| e.clone()).collect();
        let written = write(&mut table, &entries).await.map_err(|e| format!("writing the audit trail: {e:#}"));
        if let Err(e) = &written {
            tracing::error!(error = %e, "audit records not written; their requests fail");
        }
        for (_, done) in group.drain(..) {
            let _ = done.send(written.as_ref().map(|_| ()).map_err(Clone::clone));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(what: &str, status: u16) -> Entry {
        Entry {
            at: Utc::now(),
            who: "Director".into(),
            token_id: Some("abc".into()),
            role: Some("director".into()),
            address: Some("127.0.0.1".into()),
            kind: Kind::Report,
            what: what.into(),
            detail: Some("year=2025-26".into()),
            scope: Some("trust".into()),
            rows: Some(3),
            status,
            message: None,
            millis: 4,
            via: "http",
        }
    }

    /// The trail as a new reader of the lake finds it.
    async fn read_all(lake: &Lake) -> Vec<RecordBatch> {
        let table = lake.table(&TableSpec::audit_log()).await.unwrap();
        let mut batches = Vec::new();
        for file in table.files() {
            batches.extend(table.read(&file.path, &[]).await.unwrap());
        }
        batches
    }

    #[tokio::test]
    async fn every_record_is_durable_when_record_returns() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::at(dir.path()).unwrap();
        let (trail, writer) = AuditTrail::start(&lake).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let trail = trail.clone();
            tasks.push(tokio::spawn(async move { trail.record(entry(&format!("r{i}"), 200)).await }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        trail.record(entry("refused", 403)).await.unwrap();
        let batches = read_all(&lake).await;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 51);
        let outcomes: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                let column = b.column_by_name("outcome").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
                column.iter().map(|v| v.unwrap().to_string()).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(outcomes.iter().filter(|o| *o == "refused").count(), 1);
        drop(trail);
        writer.finish().await;
    }
}
