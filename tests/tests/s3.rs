//! The lake on an object store: two ingests (as two processes would, each with its own
//! view of the lake) commit to the same tables on a real S3 server (SeaweedFS, started on
//! a free port), and the query service reads them back. Every event is stored once, the
//! rollups agree with the raw events, and the reports see it all.

use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use indicatif::ProgressBar;
use safelake_generate::Options;
use safelake_ingest::consumer::caught_up;
use safelake_ingest::{Ingest, IngestOptions};
use safelake_lake::{Lake, LakeUrl};
use safelake_publish::{context, publish, Outgoing};
use safelake_query::Engine;
use safelake_tests::lake::{assert_each_event_once, rows};
use safelake_tests::s3::S3Server;
use safelake_tests::{eventually, NatsServer};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingests_and_the_query_service_share_a_lake_on_s3() -> Result<()> {
    let s3 = S3Server::start()?;
    // The standard variables, as a deployment would set them (each test is a process of
    // its own under nextest).
    for (key, value) in s3.env() {
        std::env::set_var(key, value);
    }
    let url: LakeUrl = s3.url("trust/lake").parse()?;
    let nats = NatsServer::start()?;
    let stop = CancellationToken::new();
    let mut ingests = Vec::new();
    for _ in 0..2 {
        let mut options = IngestOptions::new(safelake_bus::NatsOptions::new(nats.url()), url.clone());
        options.flush_age = Duration::from_millis(200);
        options.flush_rows = 2_000;
        options.compaction_interval = Some(Duration::from_secs(2));
        ingests.push(Ingest::start(options, stop.clone()).await?);
    }

    let options = Options { schools: 3, hubs: 1, filter_events: 15_000, ..Options::default() };
    let trust = safelake_generate::trust(&options);
    let client = async_nats::connect(nats.url()).await?;
    let mut messages: Vec<Outgoing> = safelake_generate::events(&options).map(|e| Outgoing::event(&e)).collect();
    messages.push(Outgoing::single("sg.sch01.incident.recorded", None, Bytes::from_static(b"{")));
    let published = publish(&context(client.clone(), 2_000), messages, 2_000, &ProgressBar::hidden()).await?;
    assert_eq!(published.failed, 0);
    let js = async_nats::jetstream::new(client);
    eventually(Duration::from_secs(300), "the ingests to drain the stream", || {
        let js = js.clone();
        async move { caught_up(&js, "ingest").await }
    })
    .await?;
    stop.cancel();
    for ingest in ingests {
        ingest.wait().await?;
    }

    let lake = Lake::open(url)?;
    // Every message but the refused one is an event.
    assert_each_event_once(&lake, published.published as usize - 1).await?;
    assert_eq!(rows(&lake, "rejects").await?.len(), 1, "the refused message is kept");

    // The query service reads the same lake from the store.
    let engine = Engine::open(&lake, &trust).await?;
    let counted = engine.sql("SELECT count(*) AS n FROM filter_events").await?;
    let n = arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(counted[0].column(0)).value(0);
    let filter = rows(&lake, "filter_events").await?.len() as i64;
    assert_eq!(n, filter);
    for comparison in safelake_query::rollups::check(&engine.query()).await? {
        assert!(comparison.agrees() && comparison.rows > 0, "{comparison:?}");
    }
    Ok(())
}
