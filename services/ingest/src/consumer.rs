//! The durable pull consumer the workers share.

use anyhow::{Context, Result};
use async_nats::jetstream::{self, consumer};

use crate::IngestOptions;

pub async fn durable(js: &jetstream::Context, options: &IngestOptions) -> Result<consumer::PullConsumer> {
    let stream = safelake_bus::ensure_stream(js).await?;
    let config = consumer::pull::Config {
        durable_name: Some(options.consumer.clone()),
        description: Some("safelake ingest: JetStream to the Parquet lake".into()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: options.ack_wait,
        max_ack_pending: options.max_ack_pending(),
        deliver_policy: consumer::DeliverPolicy::All,
        ..Default::default()
    };
    stream
        .get_or_create_consumer(&options.consumer, config)
        .await
        .with_context(|| format!("opening the durable consumer {:?}", options.consumer))
}

/// Whether the consumer `name` has had every message of the stream acked: since the
/// ingest acks only after committing, everything published so far is then in the lake.
/// `false` while the consumer does not exist yet.
pub async fn caught_up(js: &jetstream::Context, name: &str) -> Result<bool> {
    let mut stream = js.get_stream(safelake_bus::STREAM).await.context("opening the stream")?;
    let last = stream.info().await.context("reading the stream's state")?.state.last_sequence;
    let Ok(mut consumer) = stream.get_consumer::<consumer::pull::Config>(name).await else {
        return Ok(false);
    };
    let info = consumer.info().await.context("reading the consumer's state")?;
    Ok(info.num_ack_pending == 0 && info.ack_floor.stream_sequence >= last)
}
