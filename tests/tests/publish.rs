//! Generate, publish to a real nats-server, read the stream back: every event intact, on
//! its own subject, with its id as `Nats-Msg-Id`, in order.

use anyhow::Result;
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use indicatif::ProgressBar;
use safelake_generate::Options;
use safelake_publish::{context, publish, Outgoing};
use safelake_tests::NatsServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_publish_and_read_back_every_event_intact() -> Result<()> {
    let server = NatsServer::start()?;
    let options = Options { schools: 3, hubs: 1, filter_events: 5_000, ..Options::default() };
    let sent: Vec<(String, String, String)> =
        safelake_generate::events(&options).map(|e| (e.subject(), e.id.clone(), e.to_json())).collect();
    let client = async_nats::connect(server.url()).await?;
    let js = context(client.clone(), 1_000);
    let messages =
        sent.iter().map(|(subject, id, json)| Outgoing::single(subject.clone(), Some(id.clone()), json.clone()));
    let summary = publish(&js, messages, 1_000, &ProgressBar::hidden()).await?;
    assert_eq!((summary.published as usize, summary.duplicates, summary.failed), (sent.len(), 0, 0));

    let stream = jetstream::new(client).get_stream(safelake_bus::STREAM).await?;
    let reader = stream
        .create_consumer(consumer::pull::OrderedConfig { filter_subject: "sg.>".into(), ..Default::default() })
        .await?;
    let mut messages = reader.messages().await?;
    for (subject, id, json) in &sent {
        let message = messages.next().await.expect("the stream holds every event")?;
        assert_eq!(message.subject.as_str(), subject);
        assert_eq!(message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id")).map(|v| v.as_str()), Some(id.as_str()));
        assert_eq!(std::str::from_utf8(&message.payload)?, json, "{id}");
    }
    Ok(())
}
