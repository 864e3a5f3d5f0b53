//! `safelake ingest`: JetStream to the Parquet lake until SIGINT or SIGTERM. Each flag
//! overrides its key of the configuration's `[ingest]` section.

use std::process::ExitCode;

use anyhow::Result;
use safelake_config::Config;
use tokio_util::sync::CancellationToken;

use crate::nats_args::NatsArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    nats: NatsArgs,
    #[command(flatten)]
    lake: crate::lake_arg::LakeArg,
    /// Workers in this process (more processes may share the same consumer too); the
    /// default is one per CPU.
    #[arg(long)]
    workers: Option<usize>,
    /// The durable consumer's name.
    #[arg(long)]
    consumer: Option<String>,
    /// Commit when a worker holds this many messages.
    #[arg(long)]
    flush_rows: Option<usize>,
    /// Commit when a worker holds this many MiB of payload.
    #[arg(long)]
    flush_mib: Option<usize>,
    /// Commit when the oldest held message has waited this many milliseconds.
    #[arg(long)]
    flush_ms: Option<u64>,
    /// Seconds between compaction passes; 0 turns compaction off.
    #[arg(long)]
    compact_every: Option<u64>,
    /// Seconds before an unacked message is redelivered (set when the consumer is created).
    #[arg(long)]
    ack_wait_secs: Option<u64>,
    /// Serve /metrics, /healthz and /readyz here (e.g. 127.0.0.1:9464).
    #[arg(long)]
    metrics: Option<String>,
}

impl Args {
    fn apply(&self, config: &mut Config) {
        self.nats.apply(config);
        self.lake.apply(config);
        let ingest = &mut config.ingest;
        ingest.workers = self.workers.unwrap_or(ingest.workers);
        ingest.consumer = self.consumer.clone().unwrap_or(ingest.consumer.clone());
        ingest.flush_rows = self.flush_rows.unwrap_or(ingest.flush_rows);
        ingest.flush_mib = self.flush_mib.unwrap_or(ingest.flush_mib);
        ingest.flush_ms = self.flush_ms.unwrap_or(ingest.flush_ms);
        ingest.compact_every_secs = self.compact_every.unwrap_or(ingest.compact_every_secs);
        ingest.ack_wait_secs = self.ack_wait_secs.unwrap_or(ingest.ack_wait_secs);
        ingest.metrics = self.metrics.clone().or(ingest.metrics.take());
    }
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    args.apply(&mut config);
    let options = crate::configured::ingest(&config, crate::configured::nats(&config, "safelake ingest"))?;
    let shutdown = CancellationToken::new();
    crate::signals::cancel_on_signal(shutdown.clone())?;
    safelake_ingest::run(options, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
