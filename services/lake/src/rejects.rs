//! The `rejects` table: every message the ingest refused, with the raw bytes and a reason
//! a person can act on, so that nothing sent is ever lost.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BinaryBuilder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use safelake_schemas::arrow::timestamp;

/// One refused message.
#[derive(Debug, Clone)]
pub struct Reject {
    pub stream_seq: u64,
    pub subject: String,
    pub event_id: Option<String>,
    pub reason: String,
    pub raw: bytes::Bytes,
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

    pub fn seqs(&self) -> impl Iterator<Item = u64> + '_ {
        self.rejects.iter().map(|r| r.stream_seq)
    }

    pub fn finish(&mut self, received_at: DateTime<Utc>) -> RecordBatch {
        let rejects = std::mem::take(&mut self.rejects);
        let mut seq = Int64Builder::new();
        let mut received = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        let mut subject = StringBuilder::new();
        let mut id = StringBuilder::new();
        let mut reason = StringBuilder::new();
        let mut raw = BinaryBuilder::new();
        for r in &rejects {
            seq.append_value(r.stream_seq as i64);
            received.append_value(received_at.timestamp_micros());
            subject.append_value(&r.subject);
            id.append_option(r.event_id.as_deref());
            reason.append_value(&r.reason);
            raw.append_value(&r.raw);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(seq.finish()),
            Arc::new(received.finish()),
            Arc::new(subject.finish()),
            Arc::new(id.finish()),
            Arc::new(reason.finish()),
            Arc::new(raw.finish()),
        ];
        RecordBatch::try_new(schema(), columns).expect("columns follow the rejects schema")
    }
}
