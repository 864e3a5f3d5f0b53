//! One worker: pull, judge, hold, commit, ack, until told to stop.
//!
//! A message carries one event, or a CloudEvents batch of them (see [`crate::judge`]);
//! either way it is acked once, when everything it brought is committed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_nats::jetstream::{consumer::PullConsumer, AckKind, Message};
use chrono::Utc;
use futures::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::batch::Batch;
use crate::dedupe::Dedupe;
use crate::judge::{self, Arrived};
use crate::metrics::Metrics;
use crate::IngestOptions;

pub struct Worker {
    pub client: async_nats::Client,
    pub consumer: PullConsumer,
    pub dedupe: Arc<Dedupe>,
    /// Names this worker in its commits' application transactions.
    pub app_id: String,
    /// Told after each commit, for the rollups to follow.
    pub committed: Arc<Notify>,
    pub options: IngestOptions,
    pub metrics: Metrics,
    pub shutdown: CancellationToken,
}

impl Worker {
    pub async fn run(self) -> Result<()> {
        let mut batch = Batch::default();
        let mut in_flight = None;
        let mut backoff = Duration::from_millis(100);
        while !self.shutdown.is_cancelled() {
            let messages = self
                .consumer
                .stream()
                .max_messages_per_batch(self.options.pull_batch)
                .max_bytes_per_batch(pull_bytes(self.client.server_info().max_payload))
                .heartbeat(Duration::from_secs(5))
                .expires(Duration::from_secs(30))
                .messages()
                .await;
            let mut messages = match messages {
                Ok(m) => {
                    backoff = Duration::from_millis(100);
                    m
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot pull from JetStream; retrying");
                    self.wait_or_commit(&mut batch, &mut in_flight, backoff).await?;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            loop {
                let deadline = batch
                    .started
                    .map(|s| s + self.options.flush_age)
                    .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
                tokio::select! {
                    _ = self.shutdown.cancelled() => break,
                    _ = tokio::time::sleep_until(deadline.into()) => self.commit(&mut batch, &mut in_flight).await?,
                    next = messages.next() => match next {
                        Some(Ok(message)) => {
                            self.handle(message, &mut batch).await?;
                            if batch.len() >= self.options.flush_rows || batch.bytes >= self.options.flush_bytes {
                                self.commit(&mut batch, &mut in_flight).await?;
                            }
                        }
                        Some(Err(error)) => {
                            // Missed heartbeats and pull errors during a server restart:
                            // start a fresh pull once the connection is back.
                            tracing::warn!(%error, "pull interrupted; resuming");
                            break;
                        }
                        None => break,
                    },
                }
            }
        }
        self.commit(&mut batch, &mut in_flight).await?;
        finish(&mut in_flight).await
    }

    async fn wait_or_commit(
        &self,
        batch: &mut Batch,
        in_flight: &mut Option<JoinHandle<Result<()>>>,
        pause: Duration,
    ) -> Result<()> {
        tokio::select! {
            _ = self.shutdown.cancelled() => Ok(()),
            _ = tokio::time::sleep(pause) => self.commit(batch, in_flight).await,
        }
    }

    /// Judges every event of a message (one, or each of a CloudEvents batch), then holds
    /// what is new and takes on the message's ack, or, when another batch holds one of its
    /// events, sends the message back to be judged again after that batch's commit.
    async fn handle(&self, message: Message, batch: &mut Batch) -> Result<()> {
        self.metrics.received.inc();
        let (seq, published) = match message.info() {
            Ok(info) => (info.stream_sequence, info.published),
            Err(error) => {
                tracing::warn!(%error, "a message without JetStream metadata; ignored");
                return Ok(());
            }
        };
        let Some(reply) = message.reply.as_deref() else { return Ok(()) };
        batch.note_arrival(message.payload.len());
        // A refusal is filed under the month the message was published in, which every
        // redelivery of it shares.
        let month = format!("{:04}-{:02}", published.year(), u8::from(published.month()));
        let arrived = Arrived { seq, subject: message.subject.as_str(), month: &month };
        let judged = judge::message(&self.dedupe, batch.holder, &message, &arrived).await?;
        if judged.send_back {
            // It leaves no trace: what it brought is judged afresh when it comes back.
            let (ids, keys) = judged.keys();
            self.dedupe.release(&ids, &keys);
            self.metrics.sent_back.inc();
            send_back(&self.client, reply).await;
            return Ok(());
        }
        self.metrics.duplicates.inc_by(judged.duplicates);
        batch.duplicates += judged.duplicates;
        let ack = batch.owe_ack(reply);
        for (event, id, content) in judged.events {
            batch.add_event(&event, seq, id, content, ack);
        }
        for reject in judged.refusals {
            tracing::debug!(seq, position = ?reject.position, reason = %reject.reason, "refused");
            batch.add_reject(reject, month.clone(), ack);
        }
        Ok(())
    }

    /// Hands the batch to a commit task and goes on receiving: writing files and acking
    /// overlap with the next batch. At most one commit per worker is in flight, so memory
    /// stays bounded to two batches.
    async fn commit(&self, batch: &mut Batch, in_flight: &mut Option<JoinHandle<Result<()>>>) -> Result<()> {
        finish(in_flight).await?;
        if batch.is_empty() {
            batch.started = None;
            return Ok(());
        }
        let committer = Committer {
            client: self.client.clone(),
            dedupe: Arc::clone(&self.dedupe),
            app_id: self.app_id.clone(),
            committed: Arc::clone(&self.committed),
            metrics: self.metrics.clone(),
        };
        *in_flight = Some(tokio::spawn(committer.commit(std::mem::take(batch))));
        Ok(())
    }
}

/// Waits for the commit in flight, if any.
async fn finish(in_flight: &mut Option<JoinHandle<Result<()>>>) -> Result<()> {
    match in_flight.take() {
        Some(task) => task.await.context("the commit task panicked")?,
        None => Ok(()),
    }
}

struct Committer {
    client: async_nats::Client,
    dedupe: Arc<Dedupe>,
    app_id: String,
    committed: Arc<Notify>,
    metrics: Metrics,
}

impl Committer {
    /// Commits the batch, then acks every message it holds. Nothing is acked unless its
    /// rows are durably in the lake; a failure leaves everything unacked (it comes back)
    /// and stops the worker, since a lake that cannot be written must not be papered over.
    async fn commit(self, mut batch: Batch) -> Result<()> {
        let started = Instant::now();
        let (ids, reject_keys) = batch.keys();
        let committed = batch.commit(&self.dedupe, &self.app_id, Utc::now()).await;
        self.dedupe.release(&ids, &reject_keys);
        let committed = committed.map_err(|error| error.context("committing a batch to the lake"))?;
        committed.acks.send(&self.client).await;
        self.committed.notify_one();
        self.metrics.committed.inc_by(committed.events as u64);
        self.metrics.rejected.inc_by(committed.rejects as u64);
        self.metrics.files_written.inc_by(committed.files as u64);
        self.metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
        tracing::debug!(
            events = committed.events,
            rejects = committed.rejects,
            duplicates = batch.duplicates,
            files = committed.files,
            ms = started.elapsed().as_millis() as u64,
            "committed"
        );
        Ok(())
    }
}

/// The bytes of messages one pull may bring. 2,000 single events are about 1 MB, but 2,000
/// batches of a thousand would be a gigabyte: measured, such a pull overran the client's
/// buffer, which dropped messages until their ack wait brought them back. The server never
/// delivers a message larger than a pull's bound (it answers 409), so the bound is at
/// least twice the largest message the server takes.
pub fn pull_bytes(max_payload: usize) -> usize {
    (16 << 20).max(2 * max_payload)
}

/// How long a message sent back waits before JetStream delivers it again: about the time
/// the batch holding its event takes to commit.
const SEND_BACK_DELAY: Duration = Duration::from_secs(1);

/// Asks JetStream to deliver the message again after [`SEND_BACK_DELAY`]. A lost request
/// only means the redelivery comes after the ack wait instead.
async fn send_back(client: &async_nats::Client, reply: &str) {
    let nak: bytes::Bytes = AckKind::Nak(Some(SEND_BACK_DELAY)).into();
    if let Err(error) = client.publish(reply.to_string(), nak).await {
        tracing::warn!(%error, "sending a message back failed; it comes back after the ack wait");
    }
}
