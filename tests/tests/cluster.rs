//! A NATS cluster fails over without losing or duplicating an event: three nats-server
//! processes on loopback hold the stream with three replicas; the leader of the ingest's
//! consumer is killed in the middle of a load. JetStream redelivers the batch in flight,
//! and acks sent during the election are lost even where the client saw no error, so only
//! the lake can tell what it already holds: every event must be there exactly once.

use std::time::Duration;

use anyhow::Result;
use async_nats::jetstream::{self, stream};
use indicatif::ProgressBar;
use safelake_bus::cluster::LocalCluster;
use safelake_generate::Options;
use safelake_ingest::consumer::caught_up;
use safelake_ingest::{Ingest, IngestOptions};
use safelake_lake::{Lake, LakeUrl};
use safelake_publish::{context, publish, Outgoing};
use safelake_tests::eventually;
use safelake_tests::lake::{assert_each_event_once, rows};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_consumers_leader_mid_load_loses_and_duplicates_nothing() -> Result<()> {
    let root = tempfile::tempdir()?;
    let mut cluster = LocalCluster::start(root.path(), 3)?;
    let client = async_nats::ConnectOptions::new().connect(cluster.server_urls()).await?;
    let js = jetstream::new(client.clone());
    js.create_stream(stream::Config { num_replicas: 3, ..safelake_bus::stream_config() }).await?;

    let options = Options { schools: 4, hubs: 2, filter_events: 60_000, ..Options::default() };
    let messages = safelake_generate::events(&options).map(|e| Outgoing::event(&e));
    let published = publish(&context(client.clone(), 5_000), messages, 5_000, &ProgressBar::hidden()).await?;
    assert_eq!(published.failed, 0);
    let expected = published.published as usize;

    let lake_dir = tempfile::tempdir()?;
    let mut ingest = IngestOptions::new(safelake_bus::NatsOptions::new(cluster.urls()), LakeUrl::dir(lake_dir.path()));
    ingest.flush_age = Duration::from_millis(200);
    ingest.flush_rows = 2_000;
    ingest.pull_batch = 500;
    ingest.compaction_interval = None;
    // What was in flight when the leader died comes back after this.
    ingest.ack_wait = Duration::from_secs(5);
    let stop = CancellationToken::new();
    let running = Ingest::start(ingest, stop.clone()).await?;
    let metrics = running.metrics.clone();
    eventually(Duration::from_secs(120), "a third of the load committed", || {
        let committed = metrics.committed.get();
        async move { Ok(committed as usize >= expected / 3) }
    })
    .await?;
    let leader = cluster.consumer_leader(safelake_bus::STREAM, "ingest").await?;
    cluster.kill(leader);
    eprintln!("killed n{leader}, the consumer's leader, after {} events", metrics.committed.get());

    eventually(Duration::from_secs(300), "the ingest to drain the stream through the new leader", || {
        let js = js.clone();
        async move { Ok(caught_up(&js, "ingest").await.unwrap_or(false)) }
    })
    .await?;
    stop.cancel();
    running.wait().await?;

    let lake = Lake::at(lake_dir.path())?;
    assert_each_event_once(&lake, expected).await?;
    assert!(rows(&lake, "rejects").await?.is_empty());
    assert!(metrics.duplicates.get() > 0, "the failover redelivered nothing: the test did not test it");
    Ok(())
}
