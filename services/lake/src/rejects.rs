//! The `rejects` table: every message the ingest refused, with the raw bytes and a reason
//! a person can act on, so that nothing sent is ever lost. A refused event of a batch is
//! a row of its own: its position in the batch and its own bytes.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BinaryBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use safelake_schemas::arrow::timestamp;

/// One refused message, or one refused event of a batch.
#[derive(Debug, Clone)]
pub struct Reject {
    pub stream_seq: u64,
    /// The event's place in its batch, from 0; `None` for the message as a whole.
    pub position: Option<u16>,
    pub subject: String,
    pub event_id: Option<String>,
    pub reason: String,
    pub raw: bytes::Bytes,
}

impl Reject {
    pub fn key(&self) -> u64 {
        key(self.stream_seq, self.position)
    }
}

/// What identifies a refusal for dedupe, in one number: the stream sequence, then the place
/// in the batch plus one (0 for a whole message) in the low 16 bits. Sequences stay below
/// 2^48, which at a million messages a second lasts nine years of one stream.
pub fn key(stream_seq: u64, position: Option<u16>) -> u64 {
    (stream_seq << 16) | position.map_or(0, |p| u64::from(p) + 1)
}

pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(vec![
            Field::new("stream_seq", DataType::Int64, false),
            Field::new("received_at", timestamp(), false),
            Field::new("subject", DataType::Utf8, false),
            Field::new("event_id", DataType::Utf8, true),
            Field::new("reason", DataType::Utf8, false),
            Field::new("raw", DataType::Binary, false),
            // Last, and nullable: added to tables made before batches (see `Lake::table`).
            Field::new("position", DataType::Int32, true),
        ]))
    }))
}

#[derive(Default)]
pub struct RejectsBuilder {
    rejects: Vec<Reject>,
}

impl RejectsBuilder {
    pub fn push(&mut self, reject: Reject) {
        self.rejects.push(reject);
    }

    pub fn len(&self) -> usize {
        self.rejects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rejects.is_empty()
    }

    /// The highest stream sequence held.
    pub fn last_seq(&self) -> u64 {
        self.rejects.iter().map(|r| r.stream_seq).max().unwrap_or(0)
    }

    /// Each refusal's [`key`].
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.rejects.iter().map(Reject::key)
    }

    pub fn finish(&mut self, received_at: DateTime<Utc>) -> RecordBatch {
        let rejects = std::mem::take(&mut self.rejects);
        let mut seq = Int64Builder::new();
        let mut received = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        let mut subject = StringBuilder::new();
        let mut id = StringBuilder::new();
        let mut reason = StringBuilder::new();
        let mut raw = BinaryBuilder::new();
        let mut position = Int32Builder::new();
        for r in &rejects {
            seq.append_value(r.stream_seq as i64);
            received.append_value(received_at.timestamp_micros());
            subject.append_value(&r.subject);
            id.append_option(r.event_id.as_deref());
            reason.append_value(&r.reason);
            raw.append_value(&r.raw);
            position.append_option(r.position.map(i32::from));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(seq.finish()),
            Arc::new(received.finish()),
            Arc::new(subject.finish()),
            Arc::new(id.finish()),
            Arc::new(reason.finish()),
            Arc::new(raw.finish()),
            Arc::new(position.finish()),
        ];
        RecordBatch::try_new(schema(), columns).expect("columns follow the rejects schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_messages_and_of_events_in_batches_never_meet() {
        let mut seen = std::collections::HashSet::new();
        for seq in [0, 1, 2, 65_535, 65_536, (1 << 48) - 1] {
            assert!(seen.insert(key(seq, None)));
            for position in [0, 1, u16::MAX - 1] {
                assert!(seen.insert(key(seq, Some(position))), "{seq} {position}");
            }
        }
    }
}
