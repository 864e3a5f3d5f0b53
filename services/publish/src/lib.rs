//! Publishes events to JetStream the way a school system should: on the event's own
//! subject, with `Nats-Msg-Id` set to the event id (so the server drops re-sends inside
//! its duplicate window), and pipelined, with many publish acks in flight instead of one
//! round trip per event; or many events to a message, as CloudEvents batches (see
//! [`batches`]), which spares the server a message per event.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_nats::jetstream::{self, context::PublishAckFuture};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use safelake_schemas::events::CloudEvent;

mod batches;

pub use batches::batches;

/// How many publish acks may be outstanding at once. Measured: throughput is flat from 1k
/// to 20k; more only costs memory.
pub const DEFAULT_WINDOW: usize = 10_000;

/// A failed publish is retried this often; the message id makes a retry safe.
const RETRIES: u32 = 3;

/// One message to publish.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub subject: String,
    /// Sent as `Nats-Msg-Id`: the event id, or a batch's (see [`batches`]); `None` for an
    /// event too broken to have one.
    pub id: Option<String>,
    pub payload: Bytes,
    /// The events in `payload` when it is a CloudEvents batch (sent with its
    /// `Content-Type`); `None` for a single event.
    pub batch: Option<usize>,
}

impl Outgoing {
    /// A single event, as it is, on `subject`.
    pub fn single(subject: impl Into<String>, id: Option<String>, payload: impl Into<Bytes>) -> Outgoing {
        Outgoing { subject: subject.into(), id, payload: payload.into(), batch: None }
    }

    /// A contract event on its own subject, with its id.
    pub fn event(event: &CloudEvent) -> Outgoing {
        Outgoing::single(event.subject(), Some(event.id.clone()), event.to_json())
    }

    /// How many events the message carries.
    pub fn events(&self) -> u64 {
        self.batch.unwrap_or(1) as u64
    }
}

/// What happened to what was published, counted in events (a batch counts its events).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Stored by the server.
    pub published: u64,
    /// Dropped by the server as a re-send inside the duplicate window.
    pub duplicates: u64,
    /// Not stored after every retry.
    pub failed: u64,
    /// Messages stored (fewer than events when they carry batches).
    pub messages: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn rate(&self) -> f64 {
        (self.published + self.duplicates) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} published, {} duplicates dropped by the server, {} failed in {:.1} s ({:.0} events/s",
            self.published,
            self.duplicates,
            self.failed,
            self.elapsed.as_secs_f64(),
            self.rate()
        )?;
        if self.messages != self.published {
            write!(f, ", in {} messages", self.messages)?;
        }
        f.write_str(")")?;
        if let Some(error) = &self.first_error {
            write!(f, "; first failure: {error}")?;
        }
        Ok(())
    }
}

/// A JetStream context whose in-flight publish acks wait for room instead of failing.
pub fn context(client: async_nats::Client, window: usize) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .max_ack_inflight(window)
        .backpressure_on_inflight(true)
        .ack_timeout(Duration::from_secs(30))
        .build(client)
}

/// A progress bar on standard error when it is a terminal, hidden otherwise.
pub fn progress_bar(total: Option<u64>, what: &str) -> ProgressBar {
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    let template = if total.is_some() {
        "{msg} {wide_bar} {pos}/{len} ({per_sec}, {eta} left)"
    } else {
        "{msg} {spinner} {pos} ({per_sec})"
    };
    bar.set_style(ProgressStyle::with_template(template).expect("template parses"));
    bar.set_message(what.to_string());
    bar
}

/// Publishes everything `messages` yields, keeping up to `window` acks in flight.
pub async fn publish<I>(js: &jetstream::Context, messages: I, window: usize, bar: &ProgressBar) -> Result<Summary>
where
    I: IntoIterator<Item = Outgoing>,
{
    safelake_bus::ensure_stream(js).await?;
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut in_flight = FuturesUnordered::new();
    for message in messages {
        while in_flight.len() >= window {
            settle(js, &mut in_flight, &mut summary, bar).await?;
        }
        let ack = send(js, &message).await?;
        in_flight.push(wait(ack, message, 0));
    }
    while !in_flight.is_empty() {
        settle(js, &mut in_flight, &mut summary, bar).await?;
    }
    summary.elapsed = started.elapsed();
    bar.finish_and_clear();
    Ok(summary)
}

type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = Settled> + Send>>;

struct Settled {
    result: Result<jetstream::publish::PublishAck, String>,
    message: Outgoing,
    attempt: u32,
}

fn wait(ack: PublishAckFuture, message: Outgoing, attempt: u32) -> Pending {
    Box::pin(async move {
        let result = ack.await.map_err(|e| e.to_string());
        Settled { result, message, attempt }
    })
}

async fn send(js: &jetstream::Context, message: &Outgoing) -> Result<PublishAckFuture> {
    let mut headers = HeaderMap::new();
    if let Some(id) = &message.id {
        headers.insert("Nats-Msg-Id", id.as_str());
    }
    if message.batch.is_some() {
        headers.insert("Content-Type", safelake_schemas::batch::CONTENT_TYPE);
    }
    js.publish_with_headers(message.subject.clone(), headers, message.payload.clone())
        .await
        .with_context(|| format!("publishing to {}", message.subject))
}

/// Waits for one ack; a failure is sent again until it has been tried [`RETRIES`] times.
async fn settle(
    js: &jetstream::Context,
    in_flight: &mut FuturesUnordered<Pending>,
    summary: &mut Summary,
    bar: &ProgressBar,
) -> Result<()> {
    let Some(settled) = in_flight.next().await else { return Ok(()) };
    let events = settled.message.events();
    match settled.result {
        Ok(ack) if ack.duplicate => summary.duplicates += events,
        Ok(_) => {
            summary.published += events;
            summary.messages += 1;
        }
        Err(error) if settled.attempt < RETRIES => {
            tracing::debug!(subject = %settled.message.subject, %error, "publish failed, retrying");
            tokio::time::sleep(Duration::from_millis(100 << settled.attempt)).await;
            let ack = send(js, &settled.message).await?;
            in_flight.push(wait(ack, settled.message, settled.attempt + 1));
            return Ok(());
        }
        Err(error) => {
            summary.failed += events;
            summary.first_error.get_or_insert(format!("{}: {error}", settled.message.subject));
        }
    }
    bar.inc(events);
    Ok(())
}
