//! `safelake ingest`: JetStream to the Parquet lake until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use safelake_ingest::IngestOptions;
use tokio_util::sync::CancellationToken;

use crate::nats_args::NatsArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    nats: NatsArgs,
    /// The lake directory.
    #[arg(long, env = "SAFELAKE_LAKE", default_value = "data/lake")]
    lake: PathBuf,
    /// Workers in this process (more processes may share the same consumer too); the
    /// default is one per CPU.
    #[arg(long)]
    workers: Option<usize>,
    /// The durable consumer's name.
    #[arg(long, default_value = "ingest")]
    consumer: String,
    /// Commit when a worker holds this many messages.
    #[arg(long, default_value_t = 100_000)]
    flush_rows: usize,
    /// Commit when a worker holds this many MiB of payload.
    #[arg(long, default_value_t = 128)]
    flush_mib: usize,
    /// Commit when the oldest held message has waited this many milliseconds.
    #[arg(long, default_value_t = 2_000)]
    flush_ms: u64,
    /// Seconds between compaction passes; 0 turns compaction off.
    #[arg(long, default_value_t = 30)]
    compact_every: u64,
    /// Seconds before an unacked message is redelivered (set when the consumer is created).
    #[arg(long, default_value_t = 30)]
    ack_wait_secs: u64,
    /// Serve Prometheus metrics here (e.g. 127.0.0.1:9464).
    #[arg(long, env = "SAFELAKE_INGEST_METRICS")]
    metrics: Option<SocketAddr>,
}

impl Args {
    pub fn options(&self) -> IngestOptions {
        let mut options = IngestOptions::new(self.nats.options("safelake ingest"), &self.lake);
        options.workers = self.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        options.consumer = self.consumer.clone();
        options.flush_rows = self.flush_rows;
        options.flush_bytes = self.flush_mib << 20;
        options.flush_age = Duration::from_millis(self.flush_ms);
        options.compaction_interval = (self.compact_every > 0).then(|| Duration::from_secs(self.compact_every));
        options.metrics_addr = self.metrics;
        options.ack_wait = Duration::from_secs(self.ack_wait_secs);
        options
    }
}

pub async fn run(args: Args) -> Result<ExitCode> {
    let shutdown = CancellationToken::new();
    crate::signals::cancel_on_signal(shutdown.clone())?;
    safelake_ingest::run(args.options(), shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
