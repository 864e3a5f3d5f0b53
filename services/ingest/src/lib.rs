//! `safelake ingest`: JetStream to the Parquet lake, every event exactly once.
//!
//! Workers share one durable pull consumer with explicit acks. Each worker validates what
//! it receives (an event, or each event of a CloudEvents batch: see `judge`), appends it
//! to Arrow builders per (family, school, month), and on size or age commits the batch,
//! one Delta commit per table (see `safelake_lake::append`), and only then acks the
//! messages. What is already in the lake is dropped by event id, looked up in the one
//! partition the event can be in (see `safelake_lake::ledger`), so a redelivery or a
//! re-send never becomes a second row.

mod acks;
mod batch;
pub mod consumer;
mod dedupe;
mod health;
mod judge;
pub mod metrics;
mod options;
mod service;
mod worker;

pub use health::Health;
pub use options::IngestOptions;
pub use service::{run, Ingest};
pub use worker::pull_bytes;
