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
