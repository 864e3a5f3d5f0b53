//! Another engine reads the lake while the ingest loads it and compacts it: Python's
//! `deltalake` (delta-rs's own binding, from PyPI, as a trust's analyst would use it) reads
//! every table's latest version over and over. Each read must be a consistent snapshot:
//! no id twice, never fewer rows than the read before, never an error; and the last read
//! must hold exactly what was published.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use indicatif::ProgressBar;
use safelake_generate::Options;
use safelake_ingest::consumer::caught_up;
use safelake_ingest::{Ingest, IngestOptions};
use safelake_lake::{Lake, LakeUrl};
use safelake_publish::{context, publish, Outgoing};
use safelake_tests::lake::rows;
use safelake_tests::{eventually, NatsServer};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The Python that `scripts/setup` installs `deltalake` into.
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("SAFELAKE_PYTHON") {
        return python.into();
    }
    let tools = std::env::var_os("SAFELAKE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/safelake-tools"));
    tools.join("venv/bin/python")
}

/// The tables read, with the column that must be unique in each.
const TABLES: &[(&str, &str)] = &[
    ("filter_events", "id"),
    ("incident_events", "id"),
    ("agreement_events", "id"),
    ("monitor_events", "id"),
    ("roster_events", "id"),
    ("assurance_events", "id"),
    ("training_events", "id"),
    ("rejects", "stream_seq"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_deltalake_reads_consistent_snapshots_while_the_ingest_loads_and_compacts() -> Result<()> {
    let nats = NatsServer::start()?;
    let lake_dir = tempfile::tempdir()?;
    let stop_file = lake_dir.path().join(".stop-reading");
    let reader_script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("readers/delta_reader.py");
    let mut reader = Command::new(python())
        .arg(&reader_script)
        .args(["--stop-file", stop_file.to_str().unwrap(), "--interval-ms", "20"])
        .args(TABLES.iter().map(|(t, k)| format!("{}:{k}", lake_dir.path().join(t).display())))
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {} (run scripts/setup)", python().display()))?;
    let stdout = reader.stdout.take().unwrap();
    let lines = std::thread::spawn(move || BufReader::new(stdout).lines().map_while(|l| l.ok()).collect::<Vec<_>>());

    let mut ingest = IngestOptions::new(safelake_bus::NatsOptions::new(nats.url()), LakeUrl::dir(lake_dir.path()));
    ingest.flush_age = Duration::from_millis(100);
    ingest.flush_rows = 3_000;
    // Compaction every second: settled months of two files or more are merged while the
    // reader reads them.
    ingest.compaction_interval = Some(Duration::from_secs(1));
    let stop = CancellationToken::new();
    let running = Ingest::start(ingest, stop.clone()).await?;

    let options = Options { schools: 3, hubs: 1, filter_events: 40_000, ..Options::default() };
    let client = async_nats::connect(nats.url()).await?;
    let js = context(client.clone(), 2_000);
    // In slices, so that months get several files and compaction has work to do.
    let events: Vec<_> = safelake_generate::events(&options).collect();
    let mut published = 0;
    for slice in events.chunks(events.len() / 8 + 1) {
        let mut messages: Vec<Outgoing> = slice.iter().map(Outgoing::event).collect();
        // And one the ingest refuses, for the rejects table.
        messages.push(Outgoing::single("sg.sch01.incident.recorded", None, Bytes::from_static(b"{not json")));
        published += publish(&js, messages, 2_000, &ProgressBar::hidden()).await?.published;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let jetstream = async_nats::jetstream::new(client);
    eventually(Duration::from_secs(180), "the ingest to drain the stream", || {
        let js = jetstream.clone();
        async move { caught_up(&js, "ingest").await }
    })
    .await?;
    // A couple more compaction passes under the reader's eyes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.cancel();
    running.wait().await?;
    std::fs::write(&stop_file, b"")?;
    assert!(reader.wait()?.success());
    let lines = lines.join().unwrap();

    let lake = Lake::at(lake_dir.path())?;
    let mut last: HashMap<String, (i64, u64)> = HashMap::new();
    let mut reads = 0;
    for line in &lines {
        let read: Value = serde_json::from_str(line).with_context(|| format!("reader said {line}"))?;
        let table = read["table"].as_str().unwrap().to_string();
        assert!(read.get("error").is_none(), "a read failed: {line}");
        if read.get("missing").is_some() {
            assert!(!last.contains_key(&table), "{table} went missing after it was read: {line}");
            continue;
        }
        let (version, rows, distinct) =
            (read["version"].as_i64().unwrap(), read["rows"].as_u64().unwrap(), read["distinct"].as_u64().unwrap());
        assert_eq!(rows, distinct, "a read saw a row twice: {line}");
        if let Some((before_version, before_rows)) = last.get(&table) {
            assert!(version >= *before_version && rows >= *before_rows, "a read went back in time: {line}");
        }
        last.insert(table, (version, rows));
        reads += 1;
    }
    assert!(reads > 50, "{reads} reads: the reader did not read during the load");
    // The last reads hold exactly what the lake holds, and that is what was published.
    let mut stored = 0;
    for (table, _) in TABLES {
        let ours = rows(&lake, table).await?.len() as u64;
        assert_eq!(last.get(*table).map(|l| l.1), Some(ours), "{table}");
        if table.ends_with("_events") || *table == "rejects" {
            stored += ours;
        }
    }
    assert_eq!(stored, published, "everything published is stored, once");
    Ok(())
}
