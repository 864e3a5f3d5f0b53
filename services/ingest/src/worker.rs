//! One worker: pull, judge, hold, commit, ack, until told to stop.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_nats::jetstream::{consumer::PullConsumer, Message};
use chrono::Utc;
use futures::StreamExt;
use safelake_lake::{content_hash, id_hash, Lake, Reject};
use safelake_schemas::validate;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::batch::Batch;
use crate::dedupe::{Admission, Dedupe};
use crate::metrics::Metrics;
use crate::IngestOptions;

pub struct Worker {
    pub client: async_nats::Client,
    pub consumer: PullConsumer,
    pub dedupe: Arc<Mutex<Dedupe>>,
    pub lake: Lake,
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
        let (seq, redelivered) = match message.info() {
            Ok(info) => (info.stream_sequence, info.delivered > 1),
            Err(error) => {
                tracing::warn!(%error, "a message without JetStream metadata; ignored");
                return Ok(());
            }
        };
        let Some(reply) = message.reply.as_deref() else { return Ok(()) };
        batch.note_arrival(message.payload.len());
        let subject = message.subject.as_str();
        let verdict = validate(&message.payload, Some(subject));
        if redelivered && self.dedupe.lock().expect("dedupe lock").refresh_due() {
            self.refresh().await?;
        }
        let reject = |event_id: Option<String>, reason: String| Reject {
            stream_seq: seq,
            subject: subject.to_string(),
            event_id,
            reason,
            raw: message.payload.clone(),
        };
        let event = match &verdict {
            Ok(event) => event,
            Err(rejection) => {
                self.refuse(batch, reject(rejection.id.clone(), rejection.reason()), reply);
                return Ok(());
            }
        };
        let (id, content) = (id_hash(&event.id), content_hash(&event.value));
        let admission = self.dedupe.lock().expect("dedupe lock").admit_event(id, content, reply);
        match admission {
            Admission::New => {
                batch.add_event(event, seq, id, content);
                batch.acks.push(reply);
            }
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
            Admission::Conflict => self.refuse(batch, reject(Some(event.id.clone()), conflict(&event.id)), reply),
        }
        Ok(())
    }

    fn refuse(&self, batch: &mut Batch, reject: Reject, reply: &str) {
        match self.dedupe.lock().expect("dedupe lock").admit_reject(reject.stream_seq, reply) {
            Admission::New => {
                tracing::debug!(seq = reject.stream_seq, reason = %reject.reason, "refused");
                batch.add_reject(reject);
                batch.acks.push(reply);
            }
            Admission::Duplicate | Admission::Conflict => batch.acks.push(reply),
            Admission::Held => {}
        }
    }

    async fn refresh(&self) -> Result<()> {
        let dedupe = Arc::clone(&self.dedupe);
        let lake = self.lake.clone();
        let read = tokio::task::spawn_blocking(move || dedupe.lock().expect("dedupe lock").refresh(&lake)).await??;
        if read > 0 {
            tracing::info!(files = read, "read files committed by another process");
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
            lake: self.lake.clone(),
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
    dedupe: Arc<Mutex<Dedupe>>,
    lake: Lake,
    metrics: Metrics,
}

impl Committer {
    /// Writes the batch, then acks every message it holds. Nothing is acked unless its
    /// file is durably in the lake; a failure leaves everything unacked (it comes back)
    /// and stops the worker, since a lake that cannot be written must not be papered over.
    async fn commit(self, mut batch: Batch) -> Result<()> {
        let started = Instant::now();
        let reject_seqs = batch.reject_seqs();
        let lake = self.lake.clone();
        let (batch, written) = tokio::task::spawn_blocking(move || {
            let written = batch.write(&lake, Utc::now());
            (batch, written)
        })
        .await
        .context("the commit task failed")?;
        let written = match written {
            Ok(written) => written,
            Err(error) => {
                self.dedupe.lock().expect("dedupe lock").abandoned(&batch.ids, &reject_seqs);
                return Err(error.context("committing a batch to the lake"));
            }
        };
        let files = written.files.len();
        let waiting = self.dedupe.lock().expect("dedupe lock").committed(&batch.ids, &reject_seqs, written.files);
        batch.acks.send(&self.client).await;
        waiting.send(&self.client).await;
        self.metrics.committed.inc_by(written.events as u64);
        self.metrics.rejected.inc_by(written.rejects as u64);
        self.metrics.files_written.inc_by(files as u64);
        self.metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
        tracing::debug!(
            events = written.events,
            rejects = written.rejects,
            duplicates = batch.duplicates,
            files,
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
