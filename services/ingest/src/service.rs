//! Starting and stopping the ingest: open the lake's tables (nothing is read from them
//! until a message asks), bring the rollups up to date, start the workers, the rollup
//! follower, the compactor and the metrics, and on shutdown let every worker commit and
//! ack.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use safelake_lake::compact::{compact_lake, vacuum};
use safelake_lake::{follow, Lake};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::consumer::durable;
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
    /// Opens the lake, connects and starts the workers.
    pub async fn start(options: IngestOptions, shutdown: CancellationToken) -> Result<Ingest> {
        if let Some(dir) = options.lake.as_dir() {
            if safelake_lake::migrate::needs_migration(dir) {
                bail!(
                    "the lake at {} is in the layout safelake used before Delta Lake; convert it first with `safelake lake migrate --lake {}`",
                    dir.display(),
                    dir.display()
                );
            }
        }
        let lake = Lake::open(options.lake.clone())?;
        let opened = Instant::now();
        let dedupe = Arc::new(crate::dedupe::Dedupe::open(&lake, options.ledger_bytes).await?);
        let followed = follow::follow(&lake).await.context("bringing the rollups up to date")?;
        tracing::info!(lake = %lake.url(), ms = opened.elapsed().as_millis() as u64, rollup_commits = followed.commits, "opened the lake");
        let committed = Arc::new(Notify::new());
        let host = hostname();

        let client = safelake_bus::connect(&options.nats).await?;
        let js = async_nats::jetstream::new(client.clone());
        let consumer = durable(&js, &options).await?;
        let metrics = Metrics::new();
        let mut tasks = JoinSet::new();
        for index in 0..options.workers.max(1) {
            let worker = Worker {
                client: client.clone(),
                consumer: consumer.clone(),
                dedupe: Arc::clone(&dedupe),
                app_id: format!("safelake-ingest/{}/{host}/{index}", options.consumer),
                committed: Arc::clone(&committed),
                options: options.clone(),
                metrics: metrics.clone(),
                shutdown: shutdown.clone(),
            };
            tasks.spawn(worker.run());
        }
        tasks.spawn(watch_lag(consumer, metrics.clone(), shutdown.clone()));
        tasks.spawn(follow_rollups(lake.clone(), committed, shutdown.clone()));
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

/// Keeps the rollups in step with the raw events: after each commit (and every few
/// seconds, for commits of other processes), until shutdown, then once more.
async fn follow_rollups(lake: Lake, committed: Arc<Notify>, shutdown: CancellationToken) -> Result<()> {
    let mut follower = follow::Follower::open(&lake).await?;
    loop {
        let stopping = tokio::select! {
            _ = shutdown.cancelled() => true,
            _ = committed.notified() => false,
            _ = tokio::time::sleep(Duration::from_secs(5)) => false,
        };
        if stopping {
            // The workers commit what they hold as they stop; follow once they have.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if let Err(error) = follower.follow().await {
            // The rollups lag until the next try; reports stay consistent meanwhile.
            tracing::warn!("the rollups could not follow the raw events: {error:#}");
        }
        if stopping {
            return Ok(());
        }
    }
}

/// How often compaction also vacuums: deletes the files that left the tables more than
/// their retention ago.
const VACUUM_EVERY: Duration = Duration::from_secs(3600);

async fn compact_periodically(
    lake: Lake,
    policy: safelake_lake::compact::CompactionPolicy,
    every: Duration,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
    let mut vacuumed = Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
        // A pass over a large lake can take minutes; shutdown does not wait for it. Dropped
        // midway, it leaves at most files no commit names (a commit lands whole or not at
        // all), which the next vacuum deletes.
        let compacted = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            compacted = compact_lake(&lake, policy) => compacted,
        };
        match compacted {
            Ok(done) => {
                for c in &done {
                    tracing::info!(table = c.table, partition = %c.partition.path(), inputs = c.inputs, rows = c.rows, "compacted");
                }
                metrics.compactions.inc_by(done.len() as u64);
            }
            // Compaction is an optimisation: a failure is reported, not fatal.
            Err(error) => tracing::warn!("compaction failed: {error:#}"),
        }
        if vacuumed.elapsed() >= VACUUM_EVERY {
            vacuumed = Instant::now();
            let vacuumed_files = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                files = vacuum(&lake, None) => files,
            };
            match vacuumed_files {
                Ok(files) => tracing::info!(files, "vacuumed"),
                Err(error) => tracing::warn!("vacuum failed: {error:#}"),
            }
        }
    }
}

/// This machine's name, for the application ids of its workers' commits.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
