//! The lake as SQL tables: each Delta table of the lake (`incident_events`, ...,
//! `rejects`, `audit_log` and each rollup such as `blocked_daily`), with its partition
//! columns `school_id` and `month`, `schools` from `trust.toml`, and the event-sourced
//! projections (`incidents`, ...) as views whose SQL lives in `queries/views/`.

use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::prelude::SessionContext;
use safelake_lake::TableSpec;
use safelake_schemas::Trust;

use crate::cached::{CachedTable, FileCache};
use crate::snapshots::Snapshots;
use crate::table::LakeTable;

/// The projections, in dependency order: each is `CREATE VIEW <name> AS <file>`.
pub const VIEWS: &[(&str, &str)] = &[
    ("incidents", include_str!("../../../queries/views/incidents.sql")),
    ("on_roll", include_str!("../../../queries/views/on_roll.sql")),
    ("unblock_requests", include_str!("../../../queries/views/unblock_requests.sql")),
    ("alerts", include_str!("../../../queries/views/alerts.sql")),
    ("high_risk_blocked", include_str!("../../../queries/views/high_risk_blocked.sql")),
    ("blocked_by_category", include_str!("../../../queries/views/blocked_by_category.sql")),
];

/// The SQL definition of each rollup over the raw tables, and the table or view that
/// reads the rollup as reports do, whose rows must equal it.
pub const ROLLUP_DEFINITIONS: &[RollupDefinition] = &[
    RollupDefinition::of("blocked_daily", include_str!("../../../queries/rollups/blocked_daily.sql")),
    RollupDefinition::of("blocked_monthly", include_str!("../../../queries/rollups/blocked_monthly.sql")),
    RollupDefinition {
        rollup: "blocked_categories_monthly",
        sql: include_str!("../../../queries/rollups/blocked_categories_monthly.sql"),
        read_as: "blocked_by_category",
    },
    RollupDefinition::of("high_risk_daily", include_str!("../../../queries/rollups/high_risk_daily.sql")),
    RollupDefinition::of("filter_changes", include_str!("../../../queries/rollups/filter_changes.sql")),
];

pub struct RollupDefinition {
    pub rollup: &'static str,
    /// Its definition over the raw tables (`queries/rollups/`).
    pub sql: &'static str,
    /// What reports read it through: the rollup itself, or a view that combines its
    /// files' rows where they do not simply add up.
    pub read_as: &'static str,
}

impl RollupDefinition {
    const fn of(rollup: &'static str, sql: &'static str) -> RollupDefinition {
        RollupDefinition { rollup, sql, read_as: rollup }
    }
}

/// The tables small enough to hold in memory ([`crate::cached`]): every family but the
/// web filter's, the filter's governance events, its high-risk blocks (a few
/// thousandths of its rows) and its blocks per category (a ten-thousandth).
pub const CACHED: &[&str] = &[
    "incident_events",
    "monitor_events",
    "agreement_events",
    "roster_events",
    "filter_changes",
    "high_risk_daily",
    "blocked_categories_monthly",
];

/// Registers every table and view of the lake in `ctx`, the small tables read through
/// `cache`.
pub async fn register(
    ctx: &SessionContext,
    snapshots: &Arc<Snapshots>,
    trust: &Trust,
    cache: &Arc<FileCache>,
) -> Result<()> {
    for spec in TableSpec::all() {
        let table = LakeTable::new(spec.name, Arc::clone(snapshots)).await?;
        if CACHED.contains(&spec.name) {
            let cached = CachedTable::new(spec.name, table.schema(), Arc::clone(snapshots), Arc::clone(cache));
            ctx.register_table(spec.name, Arc::new(cached))?;
        } else {
            ctx.register_table(spec.name, Arc::new(table))?;
        }
    }
    ctx.register_table("schools", Arc::new(schools(trust)?))?;
    for (name, sql) in VIEWS {
        let create = format!("CREATE VIEW {name} AS {sql}");
        ctx.sql(&create).await.with_context(|| format!("creating the view {name} (queries/views/{name}.sql)"))?;
    }
    Ok(())
}

/// `schools`: one row per school of `trust.toml`, with its hub.
fn schools(trust: &Trust) -> Result<MemTable> {
    let schema = Arc::new(Schema::new(
        ["school_id", "school_name", "hub_id", "hub_name", "phase", "urn"]
            .iter()
            .map(|name| Field::new(*name, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let hub_name = |id: &str| trust.hub(id).map_or(id.to_string(), |h| h.name.clone());
    let column = |values: Vec<String>| Arc::new(StringArray::from(values)) as ArrayRef;
    let s = &trust.schools;
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            column(s.iter().map(|s| s.id.to_string()).collect()),
            column(s.iter().map(|s| s.name.clone()).collect()),
            column(s.iter().map(|s| s.hub.to_string()).collect()),
            column(s.iter().map(|s| hub_name(&s.hub)).collect()),
            column(s.iter().map(|s| phase_name(s.phase)).collect()),
            column(s.iter().map(|s| s.urn.clone()).collect()),
        ],
    )?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}

/// The phase as `trust.toml` writes it (`primary`, `all_through`, ...).
fn phase_name(phase: safelake_schemas::trust::Phase) -> String {
    serde_json::to_value(phase).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}
