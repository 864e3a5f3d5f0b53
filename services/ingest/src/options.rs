//! The ingest's settings and their defaults.

use std::net::SocketAddr;
use std::time::Duration;

use safelake_bus::NatsOptions;
use safelake_lake::compact::CompactionPolicy;
use safelake_lake::LakeUrl;

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub nats: NatsOptions,
    pub lake: LakeUrl,
    /// The durable consumer's name; every process with the same name shares the work.
    pub consumer: String,
    pub workers: usize,
    /// Commit when a worker holds this many messages...
    pub flush_rows: usize,
    /// ...or this many bytes of payload...
    pub flush_bytes: usize,
    /// ...or its oldest message has waited this long.
    pub flush_age: Duration,
    /// Unacked messages are redelivered after this; must exceed the time to fill and
    /// commit a batch.
    pub ack_wait: Duration,
    /// Messages per pull request.
    pub pull_batch: usize,
    pub compaction: CompactionPolicy,
    /// How often to look for partitions to compact; `None` turns compaction off.
    pub compaction_interval: Option<Duration>,
    /// Where to serve `/metrics`, `/healthz` and `/readyz`; `None` for no endpoint.
    pub metrics_addr: Option<SocketAddr>,
    /// Not ready while more events than this wait in the stream.
    pub ready_max_lag: u64,
    /// What the dedupe ledgers may hold of the partitions being written (see
    /// `safelake_lake::ledger`), in bytes: about 32 bytes an event.
    pub ledger_bytes: usize,
}

impl IngestOptions {
    /// Defaults that keep data fresh within seconds under light load (age) and files large
    /// under heavy load (rows, bytes).
    pub fn new(nats: NatsOptions, lake: LakeUrl) -> IngestOptions {
        IngestOptions {
            nats,
            lake,
            consumer: "ingest".to_string(),
            workers: 1,
            flush_rows: 100_000,
            flush_bytes: 128 << 20,
            flush_age: Duration::from_secs(2),
            ack_wait: Duration::from_secs(30),
            pull_batch: 2_000,
            compaction: CompactionPolicy::default(),
            compaction_interval: Some(Duration::from_secs(30)),
            metrics_addr: None,
            ready_max_lag: 100_000,
            ledger_bytes: 256 << 20,
        }
    }

    /// The consumer must let each worker hold a full batch, with room to spare.
    pub fn max_ack_pending(&self) -> i64 {
        (self.workers.max(1) * (self.flush_rows + self.pull_batch) * 2) as i64
    }
}
