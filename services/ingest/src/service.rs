//! Starting and stopping the ingest: recover what the lake holds (and any rollup it
//! lacks), start the workers,
//! the compactor and the metrics, and on shutdown let every worker commit and ack.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use safelake_lake::commit::remove_stale_temporaries;
use safelake_lake::compact::compact_lake;
use safelake_lake::rollup;
use safelake_lake::{CommittedIndex, Lake};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::consumer::durable;
use crate::dedupe::Dedupe;
use crate::health::Health;
use crate::metrics::{self, Metrics};
use crate::worker::Worker;
use crate::IngestOptions;

/// A running ingest.
pub struct Ingest {
    pub metrics: Metrics,
    pub health: Health,
    pub metrics_addr: Option<SocketAddr>,
    tasks: JoinSet<Result<()>>,
    shutdown: CancellationToken,
}

impl Ingest {
    /// Recovers the lake's state, connects and starts the workers.
    pub async fn start(options: IngestOptions, shutdown: CancellationToken) -> Result<Ingest> {
        let lake = Lake::new(&options.lake);
        std::fs::create_dir_all(lake.root())
            .with_context(|| format!("creating the lake directory {}", lake.root().display()))?;
        let recovery_lake = lake.clone();
        let index = tokio::task::spawn_blocking(move || -> Result<CommittedIndex> {
            let rollups = rollup::ROLLUPS.iter().map(|r| r.table);
            for table in Lake::tables().chain(rollups) {
                for dir in recovery_lake.partitions(table)? {
                    remove_stale_temporaries(&dir)?;
                }
            }
            // A lake written before a rollup existed gets it now (a no-op once it has).
            let derived = rollup::repair(&recovery_lake)?;
            if derived.files > 0 {
                tracing::info!(files = derived.files, "derived the rollups of files that lacked them");
            }
            CommittedIndex::load(&recovery_lake)
        })
        .await??;
        tracing::info!(lake = %lake.root().display(), events = index.events(), "recovered what the lake holds");
        let dedupe = Arc::new(Mutex::new(Dedupe::new(index)));

        let client = safelake_bus::connect(&options.nats).await?;
        let js = async_nats::jetstream::new(client.clone());
        let consumer = durable(&js, &options).await?;
        let metrics = Metrics::new();
        let mut tasks = JoinSet::new();
        for _ in 0..options.workers.max(1) {
            let worker = Worker {
                client: client.clone(),
                consumer: consumer.clone(),
                dedupe: Arc::clone(&dedupe),
                lake: lake.clone(),
                options: options.clone(),
                metrics: metrics.clone(),
                shutdown: shutdown.clone(),
            };
            tasks.spawn(worker.run());
        }
        tasks.spawn(watch_lag(consumer, metrics.clone(), shutdown.clone()));
        if let Some(every) = options.compaction_interval {
            tasks.spawn(compact_periodically(lake, options.compaction, every, metrics.clone(), shutdown.clone()));
        }
        let health = Health {
            client: client.clone(),
            url: options.nats.url.clone(),
            metrics: metrics.clone(),
            lake: options.lake.clone(),
            max_lag: options.ready_max_lag,
        };
        let metrics_addr = match options.metrics_addr {
            Some(addr) => Some(metrics::serve(addr, metrics.clone(), health.clone(), shutdown.clone()).await?),
            None => None,
        };
        tracing::info!(workers = options.workers, consumer = %options.consumer, "ingesting");
        Ok(Ingest { metrics, health, metrics_addr, tasks, shutdown })
    }

    /// Runs until shutdown (or the first failure, which stops the others too).
    pub async fn wait(mut self) -> Result<()> {
        let mut outcome = Ok(());
        while let Some(finished) = self.tasks.join_next().await {
            let result = finished.context("an ingest task panicked").and_then(|r| r);
            if let Err(error) = result {
                tracing::error!("{error:#}");
                self.shutdown.cancel();
                if outcome.is_ok() {
                    outcome = Err(error);
                }
            }
        }
        outcome
    }
}

/// Runs the ingest until `shutdown` is cancelled.
pub async fn run(options: IngestOptions, shutdown: CancellationToken) -> Result<()> {
    Ingest::start(options, shutdown).await?.wait().await
}

async fn watch_lag(
    mut consumer: async_nats::jetstream::consumer::PullConsumer,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
    while !shutdown.is_cancelled() {
        if let Ok(info) = consumer.info().await {
            metrics.consumer_lag.set(info.num_pending as i64);
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
    Ok(())
}

async fn compact_periodically(
    lake: Lake,
    policy: safelake_lake::compact::CompactionPolicy,
    every: Duration,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
        let lake = lake.clone();
        match tokio::task::spawn_blocking(move || compact_lake(&lake, policy)).await? {
            Ok(done) => {
                for c in &done {
                    tracing::info!(output = %c.output.display(), inputs = c.inputs, rows = c.rows, "compacted");
                }
                metrics.compactions.inc_by(done.len() as u64);
            }
            // Compaction is an optimisation: a failure is reported, not fatal.
            Err(error) => tracing::warn!("compaction failed: {error:#}"),
        }
    }
}
