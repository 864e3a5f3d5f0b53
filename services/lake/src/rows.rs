//! Builds a family's Arrow batch from validated events, column by column, following the
//! table that the contract derives (see `safelake_schemas::arrow`).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondArray,
    TimestampMicrosecondBuilder,
};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, NaiveDate, Utc};
use safelake_schemas::arrow::{ColumnKind, DayEdge, FamilyTable};
use safelake_schemas::validate::{parse_day_edge, parse_time};
use safelake_schemas::{Family, ValidEvent};
use serde_json::Value;

enum Column {
    Text(StringBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    DayEdge(DayEdge, TimestampMicrosecondBuilder),
    Date(Date32Builder),
    Integer(Int32Builder),
    Boolean(BooleanBuilder),
}

impl Column {
    fn new(kind: ColumnKind) -> Column {
        match kind {
            // Closed lists are plain text in the table (Delta has no dictionary type);
            // Parquet still stores them dictionary-encoded.
            ColumnKind::Text | ColumnKind::Enum => Column::Text(StringBuilder::new()),
            ColumnKind::Timestamp => Column::Timestamp(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
            ColumnKind::DayEdge(edge) => Column::DayEdge(edge, TimestampMicrosecondBuilder::new().with_timezone("UTC")),
            ColumnKind::Date => Column::Date(Date32Builder::new()),
            ColumnKind::Integer => Column::Integer(Int32Builder::new()),
            ColumnKind::Boolean => Column::Boolean(BooleanBuilder::new()),
        }
    }

    /// Appends a field's value; absent fields (and, defensively, ill-typed ones, which the
    /// validator has already refused) become nulls.
    fn append(&mut self, value: Option<&Value>) {
        match self {
            Column::Text(b) => b.append_option(value.and_then(Value::as_str)),
            Column::Timestamp(b) => b.append_option(value.and_then(parse_time).map(|t| t.timestamp_micros())),
            Column::DayEdge(edge, b) => {
                b.append_option(value.and_then(|v| parse_day_edge(v, *edge)).map(|t| t.timestamp_micros()))
            }
            Column::Date(b) => b.append_option(value.and_then(Value::as_str).and_then(days_since_epoch)),
            Column::Integer(b) => b.append_option(value.and_then(Value::as_i64).and_then(|i| i32::try_from(i).ok())),
            Column::Boolean(b) => b.append_option(value.and_then(Value::as_bool)),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Timestamp(b) | Column::DayEdge(_, b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Integer(b) => Arc::new(b.finish()),
            Column::Boolean(b) => Arc::new(b.finish()),
        }
    }
}

fn days_since_epoch(s: &str) -> Option<i32> {
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some((date - NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days() as i32)
}

/// The rows of one family waiting to be written.
pub struct FamilyBuilder {
    table: &'static FamilyTable,
    id: StringBuilder,
    source: StringBuilder,
    event_type: StringBuilder,
    time: TimestampMicrosecondBuilder,
    stream_seq: Int64Builder,
    content_hash: Int64Builder,
    data: Vec<Column>,
    rows: usize,
}

impl FamilyBuilder {
    pub fn new(family: Family) -> FamilyBuilder {
        let table = FamilyTable::get(family);
        FamilyBuilder {
            table,
            id: StringBuilder::new(),
            source: StringBuilder::new(),
            event_type: StringBuilder::new(),
            time: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            stream_seq: Int64Builder::new(),
            content_hash: Int64Builder::new(),
            data: table.data_columns.iter().map(|c| Column::new(c.kind)).collect(),
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn append(&mut self, event: &ValidEvent, stream_seq: u64, content_hash: u64) {
        debug_assert_eq!(event.event_type.family, self.table.family);
        self.id.append_value(&event.id);
        self.source.append_value(event.value["source"].as_str().unwrap_or_default());
        self.event_type.append_value(&event.event_type.name);
        self.time.append_value(event.time.timestamp_micros());
        // Delta has no unsigned integers: sequences fit, hashes keep their bits.
        self.stream_seq.append_value(stream_seq as i64);
        self.content_hash.append_value(content_hash as i64);
        let data = event.data();
        for (column, def) in self.data.iter_mut().zip(&self.table.data_columns) {
            column.append(data.get(&def.name));
        }
        self.rows += 1;
    }

    /// The batch of every row appended so far; the builder is empty afterwards.
    pub fn finish(&mut self, ingested_at: DateTime<Utc>) -> RecordBatch {
        let rows = self.rows;
        self.rows = 0;
        let ingested: TimestampMicrosecondArray =
            std::iter::repeat_n(Some(ingested_at.timestamp_micros()), rows).collect();
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.time.finish()),
            Arc::new(self.stream_seq.finish()),
            Arc::new(ingested.with_timezone("UTC")),
            Arc::new(self.content_hash.finish()),
        ];
        columns.extend(self.data.iter_mut().map(Column::finish));
        RecordBatch::try_new(Arc::clone(&self.table.schema), columns).expect("columns follow the family schema")
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;
    use arrow::datatypes::TimestampMicrosecondType;

    use super::*;

    fn request(from: &str, until: &str) -> ValidEvent {
        let event = serde_json::json!({
            "specversion": "1.0", "id": format!("ub-{}", from.len()), "source": "urn:test", "time": "2026-07-01T08:00:00Z",
            "type": "uk.safeguarding.filter.unblock_requested.v1", "schoolid": "sch01",
            "data": {"request_id": "UB-1", "requested_at": "2026-07-01T08:00:00Z", "requested_by": "s_aa11bb22cc33dd44",
                     "domain": "video.example.org", "category": "streaming", "reason": "A documentary for a lesson",
                     "from": from, "until": until}
        });
        safelake_schemas::validate(event.to_string().as_bytes(), None).expect("a valid request")
    }

    #[test]
    fn a_period_written_as_dates_covers_whole_uk_days() {
        let mut builder = FamilyBuilder::new(Family::Filter);
        // Summer time (the UK day starts at 23:00 UTC), winter time, and date-times as written.
        builder.append(&request("2026-07-06", "2026-07-10"), 1, 1);
        builder.append(&request("2026-01-05", "2026-01-09"), 2, 2);
        builder.append(&request("2026-07-06T08:00:00+01:00", "2026-07-10T16:00:00Z"), 3, 3);
        let batch = builder.finish(Utc::now());
        let column = |name: &str| -> Vec<String> {
            let array = batch.column_by_name(name).unwrap().as_primitive::<TimestampMicrosecondType>();
            (0..array.len()).map(|i| DateTime::from_timestamp_micros(array.value(i)).unwrap().to_rfc3339()).collect()
        };
        assert_eq!(
            column("from"),
            ["2026-07-05T23:00:00+00:00", "2026-01-05T00:00:00+00:00", "2026-07-06T07:00:00+00:00"]
        );
        assert_eq!(
            column("until"),
            ["2026-07-10T23:00:00+00:00", "2026-01-10T00:00:00+00:00", "2026-07-10T16:00:00+00:00"]
        );
    }

    #[test]
    fn a_period_edge_that_is_neither_a_date_nor_a_date_time_is_refused() {
        let event = serde_json::to_string(&request("2026-07-06", "2026-07-10").value)
            .unwrap()
            .replace("2026-07-10", "10/07/2026");
        let rejection = safelake_schemas::validate(event.as_bytes(), None).unwrap_err();
        assert!(rejection.reason().contains("until"), "{}", rejection.reason());
    }
}
