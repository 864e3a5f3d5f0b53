//! `safelake bench`: measurements. `bench ingest` (here): how close the full ingest comes
//! to what NATS itself allows; `bench lake` and `bench queries` ([`lake`], [`queries`]):
//! the query service on a large lake (`scripts/bench-queries` runs them with DuckDB).
//!
//! On one nats-server of our own and the same events (one to a message, or in batches),
//! it measures (a) the bare ceiling, a consumer that only receives and acks each message,
//! and (b) the full ingest (decode, validate, dedupe, Arrow, Parquet, commit, ack), and
//! prints rates in events, their ratio, the ingest's peak memory and the Parquet bytes per
//! event.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use safelake_bus::local::{nats_server_binary, LocalServer};
use safelake_generate::Options;
use safelake_ingest::consumer::caught_up;
use safelake_publish::{batches, context, progress_bar, publish, Outgoing, DEFAULT_WINDOW};

mod lake;
mod queries;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Bare consume-and-ack ceiling against the full ingest, on the same events.
    Ingest {
        /// Filter events to load (the trust's other events come on top).
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Ingest workers.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Commit when a worker holds this many messages (the ingest's --flush-rows).
        #[arg(long)]
        flush_rows: Option<usize>,
        /// Events per message: more than 1 publishes CloudEvents batches.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        batch: u16,
        /// Keep the lake and the server's store here instead of a temporary directory.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Write a lake of N filter events straight from the generator (no NATS), through the
    /// ingest's validation and writer, for `bench queries`.
    Lake(lake::Args),
    /// Time every report and the HAB dashboard on a lake; print peak memory.
    Queries(queries::Args),
}

pub async fn run(args: Args) -> Result<ExitCode> {
    match args.what {
        What::Ingest { events, workers, flush_rows, batch, dir } => {
            ingest(events, workers, flush_rows, batch.into(), dir).await
        }
        What::Lake(args) => {
            lake::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        What::Queries(args) => {
            queries::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn ingest(
    events: u64,
    workers: usize,
    flush_rows: Option<usize>,
    batch: usize,
    dir: Option<std::path::PathBuf>,
) -> Result<ExitCode> {
    let temporary = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| temporary.path().to_path_buf());
    let server = LocalServer::start(&dir.join("nats"), 0)?;
    let version = std::process::Command::new(nats_server_binary()).arg("--version").output()?;
    println!("server: {}", String::from_utf8_lossy(&version.stdout).trim());

    let client = safelake_bus::connect(&safelake_bus::NatsOptions::new(server.url())).await?;
    let js = context(client.clone(), DEFAULT_WINDOW);
    let options = Options { filter_events: events, ..Options::default() };
    let mut json_bytes = 0u64;
    let messages = safelake_generate::events(&options).map(|e| {
        let payload = e.to_json();
        json_bytes += payload.len() as u64;
        Outgoing::single(e.subject(), Some(e.id.clone()), payload)
    });
    let bar = progress_bar(None, "publishing");
    let published = publish(&js, batches(messages, batch), DEFAULT_WINDOW, &bar).await?;
    client.flush().await?;
    let total = published.published;
    let mb = json_bytes as f64 / 1e6;
    println!(
        "events: {total} ({events} filter) in {} messages, {mb:.0} MB of JSON, {:.0} bytes/event",
        published.messages,
        json_bytes as f64 / total as f64
    );
    println!("publish (pipelined, {DEFAULT_WINDOW} acks in flight): {:.0} events/s", published.rate());

    let bare = bare_ceiling(&js, published.messages).await?;
    let bare_rate = total as f64 / bare.as_secs_f64();
    println!(
        "(a) bare ceiling, consume + ack each: {:.2} s, {bare_rate:.0} events/s, {:.1} MB/s",
        bare.as_secs_f64(),
        mb / bare.as_secs_f64()
    );

    let lake = dir.join("lake");
    let (full, peak) = full_ingest(&server.url(), &lake, workers, flush_rows, &js).await?;
    let full_rate = total as f64 / full.as_secs_f64();
    println!(
        "(b) full ingest, {workers} worker(s): {:.2} s, {full_rate:.0} events/s, {:.1} MB/s, peak RSS {peak:.0} MB",
        full.as_secs_f64(),
        mb / full.as_secs_f64()
    );
    println!("ratio (b)/(a): {:.2}", full_rate / bare_rate);
    let parquet = dir_size(&lake)?;
    println!(
        "parquet: {:.1} MB, {:.1} bytes/event ({:.1}x smaller than the JSON)",
        parquet as f64 / 1e6,
        parquet as f64 / total as f64,
        json_bytes as f64 / parquet as f64
    );
    Ok(ExitCode::SUCCESS)
}

/// A durable consumer that only receives and acks `total` messages, as the ingest's
/// consumer does.
async fn bare_ceiling(js: &jetstream::Context, total: u64) -> Result<Duration> {
    let stream = js.get_stream(safelake_bus::STREAM).await?;
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("bench-bare".into()),
            ack_policy: consumer::AckPolicy::Explicit,
            max_ack_pending: 100_000,
            ..Default::default()
        })
        .await?;
    let started = Instant::now();
    let max_payload = js.client().server_info().max_payload;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(2_000)
        .max_bytes_per_batch(safelake_ingest::pull_bytes(max_payload))
        .messages()
        .await?;
    let mut received = 0;
    while received < total {
        let message = messages.next().await.context("the stream ended")?.map_err(|e| anyhow::anyhow!("{e}"))?;
        message.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        received += 1;
    }
    js.get_stream(safelake_bus::STREAM).await?; // a round trip: every ack has reached the server
    Ok(started.elapsed())
}

/// The ingest, as its own process (so that its memory is its own), from start until every
/// message is committed and acked. Returns the time and the process's peak RSS in MB.
async fn full_ingest(
    url: &str,
    lake: &Path,
    workers: usize,
    flush_rows: Option<usize>,
    js: &jetstream::Context,
) -> Result<(Duration, f64)> {
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command.args(["ingest", "--nats", url, "--compact-every", "0", "--workers", &workers.to_string(), "--lake"]);
    command.arg(lake).env("RUST_LOG", "warn");
    if let Some(rows) = flush_rows {
        command.args(["--flush-rows", &rows.to_string()]);
    }
    let started = Instant::now();
    let mut child = command.spawn().context("starting safelake ingest")?;
    let mut peak = 0.0f64;
    loop {
        peak = peak.max(peak_rss_mb(child.id()));
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the ingest exited early: {status}");
        }
        if caught_up(js, "ingest").await? {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    peak = peak.max(peak_rss_mb(child.id()));
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?;
    child.wait()?;
    Ok((elapsed, peak))
}

/// A process's peak resident memory (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        total += if entry.file_type()?.is_dir() { dir_size(&entry.path())? } else { entry.metadata()?.len() };
    }
    Ok(total)
}
