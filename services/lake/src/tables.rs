//! Every table of the lake, in one place: its name, the columns of its files and the
//! columns it is partitioned by. Each is a Delta table in `<lake>/<name>/`, so any engine
//! that reads Delta (DuckDB, Spark, Python's `deltalake` and polars, Power BI through
//! Fabric) reads the same snapshot safelake reads.

use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use safelake_schemas::arrow::FamilyTable;
use safelake_schemas::{Family, FAMILIES};

use crate::rollup::{Rollup, ROLLUPS};

/// Partitioned by school and month: the raw events and the rollups.
pub const BY_SCHOOL: &[&str] = &["school_id", "month"];
/// Partitioned by month only: `rejects` and `audit_log`.
pub const BY_MONTH: &[&str] = &["month"];

pub const REJECTS: &str = "rejects";
pub const AUDIT_LOG: &str = "audit_log";

/// One table: its name (and directory), the columns its files hold, and its partition
/// columns (text, stored in the log and the directory names, not in the files).
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: &'static str,
    pub schema: SchemaRef,
    pub partitions: &'static [&'static str],
}

impl TableSpec {
    pub fn family(family: Family) -> TableSpec {
        TableSpec { name: family.table(), schema: Arc::clone(&FamilyTable::get(family).schema), partitions: BY_SCHOOL }
    }

    pub fn rejects() -> TableSpec {
        TableSpec { name: REJECTS, schema: crate::rejects::schema(), partitions: BY_MONTH }
    }

    pub fn rollup(rollup: &Rollup) -> TableSpec {
        TableSpec { name: rollup.table, schema: (rollup.schema)(), partitions: BY_SCHOOL }
    }

    pub fn audit_log() -> TableSpec {
        TableSpec { name: AUDIT_LOG, schema: audit_schema(), partitions: BY_MONTH }
    }

    /// Every table of the lake: the raw event families, `rejects`, the rollups and
    /// `audit_log`.
    pub fn all() -> Vec<TableSpec> {
        let mut all: Vec<TableSpec> = FAMILIES.iter().map(|f| TableSpec::family(*f)).collect();
        all.push(TableSpec::rejects());
        all.extend(ROLLUPS.iter().map(TableSpec::rollup));
        all.push(TableSpec::audit_log());
        all
    }

    /// The table named `name`, if the lake has one.
    pub fn named(name: &str) -> Option<TableSpec> {
        TableSpec::all().into_iter().find(|t| t.name == name)
    }

    /// The schema a reader sees: the file columns, then the partition columns.
    pub fn table_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self.schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(self.partitions.iter().map(|p| Field::new(*p, DataType::Utf8, false)));
        Arc::new(Schema::new(fields))
    }
}

/// The audit trail's columns (`safelake_audit` writes it; only the director reads it).
pub fn audit_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
        Arc::new(Schema::new(vec![
            Field::new("at", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
            text("who", false),
            text("token_id", true),
            text("role", true),
            text("address", true),
            text("via", false),
            text("kind", false),
            text("what", false),
            text("detail", true),
            text("scope", true),
            Field::new("rows", DataType::Int64, true),
            Field::new("status", DataType::Int32, false),
            text("outcome", false),
            text("message", true),
            Field::new("millis", DataType::Int64, false),
        ]))
    }))
}
