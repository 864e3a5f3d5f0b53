//! The Arrow schema of each family's lake table, derived from the JSON Schemas.
//!
//! A family's table has the envelope columns, the ingest's own columns, and the union of
//! the data fields of every event type of the family. Because the columns are computed
//! from the schemas, a field added to the contract becomes a column with no Rust change.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::Value;

use crate::contract::{Contract, Family, FAMILIES};
pub use crate::validate::DayEdge;

/// How a data field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Free or high-cardinality text (ids, references, domains).
    Text,
    /// A closed enumeration: text (Parquet stores it dictionary-encoded).
    Enum,
    /// An RFC 3339 timestamp, stored as UTC microseconds.
    Timestamp,
    /// A calendar date.
    Date,
    /// A date-time, or a calendar date standing for the start or the end of that UK day
    /// (the edge of a period as staff write it); stored as UTC microseconds.
    DayEdge(DayEdge),
    Integer,
    Boolean,
}

impl ColumnKind {
    pub fn data_type(self) -> DataType {
        match self {
            ColumnKind::Text | ColumnKind::Enum => DataType::Utf8,
            ColumnKind::Timestamp | ColumnKind::DayEdge(_) => timestamp(),
            ColumnKind::Date => DataType::Date32,
            ColumnKind::Integer => DataType::Int32,
            ColumnKind::Boolean => DataType::Boolean,
        }
    }
}

pub fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// One data field of a family's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// The columns every family's table starts with, before the data fields.
pub const ENVELOPE_COLUMNS: &[(&str, &str)] = &[
    ("id", "the event id (unique per event for ever)"),
    ("source", "the emitting system"),
    ("type", "the CloudEvents type, e.g. uk.safeguarding.filter.blocked.v1"),
    ("time", "when the event was emitted (UTC)"),
    ("stream_seq", "the JetStream sequence it was ingested from"),
    ("ingested_at", "when the ingest committed it (UTC)"),
    ("content_hash", "a hash of the event's canonical JSON: tells a re-send from a conflicting id"),
];

/// The lake table of one family.
#[derive(Debug)]
pub struct FamilyTable {
    pub family: Family,
    pub schema: SchemaRef,
    pub data_columns: Vec<DataColumn>,
}

impl FamilyTable {
    pub fn get(family: Family) -> &'static FamilyTable {
        static TABLES: OnceLock<Vec<FamilyTable>> = OnceLock::new();
        let tables = TABLES.get_or_init(|| FAMILIES.iter().map(|f| derive(*f)).collect());
        tables.iter().find(|t| t.family == family).expect("every family has a table")
    }
}

fn derive(family: Family) -> FamilyTable {
    let contract = Contract::get();
    let mut columns: BTreeMap<String, ColumnKind> = BTreeMap::new();
    for event_type in contract.event_types().filter(|t| t.family == family) {
        let properties = event_type.data_schema["properties"].as_object().expect("data schemas have properties");
        for (name, property) in properties {
            let kind = kind_of(contract, property);
            let previous = columns.insert(name.clone(), kind);
            assert!(
                previous.is_none_or(|p| p == kind),
                "{}: field {name} has two types in family {family}",
                event_type.name
            );
        }
    }
    let data_columns: Vec<DataColumn> = columns.into_iter().map(|(name, kind)| DataColumn { name, kind }).collect();
    let mut fields = vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("time", timestamp(), false),
        // Delta Lake has signed integers only: a sequence fits, a hash keeps its bits.
        Field::new("stream_seq", DataType::Int64, false),
        Field::new("ingested_at", timestamp(), false),
        Field::new("content_hash", DataType::Int64, false),
    ];
    fields.extend(data_columns.iter().map(|c| Field::new(&c.name, c.kind.data_type(), true)));
    FamilyTable { family, schema: Arc::new(Schema::new(fields)), data_columns }
}

fn kind_of(contract: &Contract, property: &Value) -> ColumnKind {
    let schema = contract.resolve(property);
    if schema.get("enum").is_some() {
        return ColumnKind::Enum;
    }
    match schema.get("x-day-edge").and_then(Value::as_str) {
        Some("start") => return ColumnKind::DayEdge(DayEdge::Start),
        Some("end") => return ColumnKind::DayEdge(DayEdge::End),
        _ => {}
    }
    if schema.get("anyOf").is_some() {
        return ColumnKind::Text;
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("string"), Some("date-time")) => ColumnKind::Timestamp,
        (Some("string"), Some("date")) => ColumnKind::Date,
        (Some("integer"), _) => ColumnKind::Integer,
        (Some("boolean"), _) => ColumnKind::Boolean,
        _ => ColumnKind::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_table_has_the_contract_fields_with_their_types() {
        let table = FamilyTable::get(Family::Filter);
        let kind = |name: &str| table.data_columns.iter().find(|c| c.name == name).map(|c| c.kind);
        assert_eq!(kind("occurred_at"), Some(ColumnKind::Timestamp));
        assert_eq!(kind("category"), Some(ColumnKind::Enum));
        assert_eq!(kind("domain"), Some(ColumnKind::Text));
        assert_eq!(kind("year_group"), Some(ColumnKind::Integer));
        assert_eq!(kind("risk_assessed"), Some(ColumnKind::Boolean));
        assert_eq!(kind("target"), Some(ColumnKind::Text));
        assert_eq!(table.schema.field(0).name(), "id");
    }

    #[test]
    fn the_edges_of_an_unblock_period_are_timestamps_that_may_be_written_as_dates() {
        let table = FamilyTable::get(Family::Filter);
        let kind = |name: &str| table.data_columns.iter().find(|c| c.name == name).map(|c| c.kind);
        assert_eq!(kind("from"), Some(ColumnKind::DayEdge(DayEdge::Start)));
        assert_eq!(kind("until"), Some(ColumnKind::DayEdge(DayEdge::End)));
        assert_eq!(ColumnKind::DayEdge(DayEdge::End).data_type(), timestamp());
    }

    #[test]
    fn census_date_is_a_date() {
        let table = FamilyTable::get(Family::Roster);
        let names: Vec<_> = table.data_columns.iter().map(|c| (c.name.as_str(), c.kind)).collect();
        assert_eq!(
            names,
            vec![
                ("census_date", ColumnKind::Date),
                ("headcount", ColumnKind::Integer),
                ("role", ColumnKind::Enum),
                ("year_group", ColumnKind::Integer)
            ]
        );
    }
}
