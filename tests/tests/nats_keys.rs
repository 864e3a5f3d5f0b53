//! The publisher side, against a real nats-server started with the repo's configuration
//! and keys written by `safelake_bus::keys`: nobody gets in without a key, a school's key
//! publishes only that school's events and cannot listen in on the ingest's, the ingest's
//! key consumes but publishes no event.

use std::time::Duration;

use anyhow::Result;
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use safelake_bus::keys::{inbox_prefix_of_seed, seed_file, write, INGEST};
use safelake_bus::local::LocalServer;
use safelake_bus::NatsOptions;

fn schools() -> Vec<(String, String)> {
    vec![("sch01".into(), "Ash Primary".into()), ("sch02".into(), "Birch Academy".into())]
}

/// A client holding `name`'s key, quick to give up on a request the server never answers.
async fn client(url: &str, dir: &std::path::Path, name: &str) -> Result<async_nats::Client> {
    let seed = std::fs::read_to_string(seed_file(dir, name))?;
    let client = async_nats::ConnectOptions::new()
        .nkey(seed.trim().to_string())
        .custom_inbox_prefix(inbox_prefix_of_seed(&seed)?)
        .request_timeout(Some(Duration::from_secs(2)))
        .connect(url)
        .await?;
    Ok(client)
}

async fn publish(js: &jetstream::Context, subject: &str) -> Result<()> {
    js.publish(subject.to_string(), "{}".into()).await?.await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schools_key_publishes_only_its_own_events_and_the_ingests_only_consumes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let made = write(dir.path(), &schools(), false)?;
    assert_eq!(made, ["sch01", "sch02", "ingest"]);
    let auth = std::fs::read_to_string(dir.path().join("auth.conf"))?;
    for name in ["sch01", "sch02", "ingest"] {
        let seed = std::fs::read_to_string(seed_file(dir.path(), name))?;
        assert!(!auth.contains(seed.trim()), "auth.conf holds public keys only");
    }
    // Written again, the keys stay the same.
    assert!(write(dir.path(), &schools(), false)?.is_empty());
    assert_eq!(std::fs::read_to_string(dir.path().join("auth.conf"))?, auth);

    let server = LocalServer::start_with_config(&dir.path().join("store"), 0, Some(&dir.path().join("nats.conf")))?;
    let url = server.url();

    // Without a key: refused.
    let anonymous = tokio::time::timeout(Duration::from_secs(10), async_nats::connect(&url)).await?;
    assert!(anonymous.is_err(), "a client without a key was let in");

    // The ingest, connecting as the service does, creates the stream and its consumer.
    let mut ingest_options = NatsOptions::new(&url);
    ingest_options.nkey = Some(seed_file(dir.path(), INGEST));
    let ingest = safelake_bus::connect(&ingest_options).await?;
    let ingest_js = jetstream::new(ingest.clone());
    let stream = safelake_bus::ensure_stream(&ingest_js).await?;
    let config = consumer::pull::Config { durable_name: Some("ingest".into()), ..Default::default() };
    let events = stream.get_or_create_consumer("ingest", config).await?;

    // sch01 publishes its own events, and nobody else's.
    let sch01 = jetstream::new(client(&url, dir.path(), "sch01").await?);
    publish(&sch01, "sg.sch01.incident.recorded").await?;
    assert!(publish(&sch01, "sg.sch02.incident.recorded").await.is_err(), "sch01 published as sch02");
    // Nor can it read the stream.
    let sch01_stream = sch01.get_stream(safelake_bus::STREAM).await?;
    let reading = sch01_stream.create_consumer(consumer::pull::Config::default()).await;
    assert!(reading.is_err(), "a school's key read the stream");
    // Nor listen in on what the ingest pulls: another key's inbox, or the usual shared
    // one, is refused when subscribed to (the server says so on the connection).
    let ingest_seed = std::fs::read_to_string(seed_file(dir.path(), INGEST))?;
    for subject in [format!("{}.>", inbox_prefix_of_seed(&ingest_seed)?), "_INBOX.>".to_string()] {
        let (said, mut heard) = tokio::sync::mpsc::unbounded_channel();
        let seed = std::fs::read_to_string(seed_file(dir.path(), "sch02"))?;
        let listener = async_nats::ConnectOptions::new()
            .nkey(seed.trim().to_string())
            .event_callback(move |event| {
                let said = said.clone();
                async move {
                    let _ = said.send(event.to_string());
                }
            })
            .connect(&url)
            .await?;
        let _subscription = listener.subscribe(subject.clone()).await?;
        listener.flush().await?;
        let refusal = loop {
            let event = tokio::time::timeout(Duration::from_secs(10), heard.recv()).await?.unwrap_or_default();
            if event.contains("Permissions Violation") {
                break event;
            }
        };
        assert!(refusal.contains(&subject), "{refusal}");
    }
    // The ingest publishes no event.
    assert!(publish(&ingest_js, "sg.sch01.incident.recorded").await.is_err(), "the ingest published an event");

    // Exactly the one allowed event is in the stream, and the ingest reads it.
    let mut messages = events.fetch().max_messages(10).expires(Duration::from_secs(1)).messages().await?;
    let mut subjects = Vec::new();
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| anyhow::anyhow!(e))?;
        subjects.push(message.subject.to_string());
        message.ack().await.map_err(|e| anyhow::anyhow!(e))?;
    }
    assert_eq!(subjects, ["sg.sch01.incident.recorded"]);
    Ok(())
}
