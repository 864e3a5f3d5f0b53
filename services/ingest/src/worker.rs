//! One worker: pull, judge, hold, commit, ack, until told to stop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_nats::jetstream::{consumer::PullConsumer, Message};
use chrono::Utc;
use futures::StreamExt;
use safelake_lake::{content_hash, id_hash, Partition, Reject};
use safelake_schemas::validate;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::batch::Batch;
use crate::dedupe::{Admission, Dedupe};
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
                            if batch.messages() >= self.options.flush_rows || batch.bytes >= self.options.flush_bytes {
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
        let subject = message.subject.as_str();
        let verdict = validate(&message.payload, Some(subject));
        let reject = |event_id: Option<String>, reason: String| Reject {
            stream_seq: seq,
            subject: subject.to_string(),
            event_id,
            reason,
            raw: message.payload.clone(),
        };
        // A refusal is filed under the month the message was published in, which every
        // redelivery of it shares.
        let published_month = format!("{:04}-{:02}", published.year(), u8::from(published.month()));
        let event = match &verdict {
            Ok(event) => event,
            Err(rejection) => {
                let refused = reject(rejection.id.clone(), rejection.reason());
                return self.refuse(batch, refused, published_month, reply).await;
            }
        };
        let (id, content) = (id_hash(&event.id), content_hash(&event.value));
        let table = event.event_type.family.table();
        let partition = Partition::school_month(event.school_id.to_string(), event.month());
        match self.dedupe.admit_event(table, &partition, id, content, reply).await? {
            Admission::New => batch.add_event(event, seq, id, content, reply),
            Admission::Duplicate => {
                self.metrics.duplicates.inc();
                batch.duplicates += 1;
                batch.acks.push(reply);
            }
            // Another batch holds it; the ack goes with that batch's commit.
            Admission::Held => {
                self.metrics.duplicates.inc();
                batch.duplicates += 1;
            }
            Admission::Conflict => {
                let refused = reject(Some(event.id.clone()), conflict(&event.id));
                return self.refuse(batch, refused, published_month, reply).await;
            }
        }
        Ok(())
    }

    async fn refuse(&self, batch: &mut Batch, reject: Reject, month: String, reply: &str) -> Result<()> {
        let partition = Partition::month(month.clone());
        match self.dedupe.admit_reject(&partition, reject.stream_seq, reply).await? {
            Admission::New => {
                tracing::debug!(seq = reject.stream_seq, reason = %reject.reason, "refused");
                batch.add_reject(reject, month, reply);
            }
            Admission::Duplicate | Admission::Conflict => batch.acks.push(reply),
            Admission::Held => {}
        }
        Ok(())
    }

    /// Hands the batch to a commit task and goes on receiving: writing files and acking
    /// overlap with the next batch. At most one commit per worker is in flight, so memory
    /// stays bounded to two batches.
    async fn commit(&self, batch: &mut Batch, in_flight: &mut Option<JoinHandle<Result<()>>>) -> Result<()> {
        finish(in_flight).await?;
        if batch.messages() == 0 {
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
        let (ids, reject_seqs) = batch.keys();
        let committed = match batch.commit(&self.dedupe, &self.app_id, Utc::now()).await {
            Ok(committed) => committed,
            Err(error) => {
                self.dedupe.abandoned(&ids, &reject_seqs);
                return Err(error.context("committing a batch to the lake"));
            }
        };
        let waiting = self.dedupe.settled(&ids, &reject_seqs);
        committed.acks.send(&self.client).await;
        waiting.send(&self.client).await;
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

fn conflict(id: &str) -> String {
    format!(
        "id: event id {id:?} is already stored with different content; an id must never be re-used (send a correction as an amended event, with a new id)"
    )
}
