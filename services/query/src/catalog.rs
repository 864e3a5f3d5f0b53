//! The lake as SQL tables: each Delta table of the lake (`incident_events`, ...,
//! `rejects`, `audit_log` and each rollup such as `blocked_daily`), with its partition
//! columns `school_id` and `month`, `schools` and `boards` from `trust.toml`, and the event-sourced
//! projections (`incidents`, ...) as views whose SQL lives in `queries/views/`.

use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::datasource::{provider_as_source, MemTable, TableProvider, ViewTable};
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::{col, lit, SessionContext};
use safelake_lake::TableSpec;
use safelake_period::AsAt;
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
    ("checks", include_str!("../../../queries/views/checks.sql")),
    ("reviews", include_str!("../../../queries/views/reviews.sql")),
    ("assurance_actions", include_str!("../../../queries/views/assurance_actions.sql")),
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
    "assurance_events",
    "training_events",
    "filter_changes",
    "high_risk_daily",
    "blocked_categories_monthly",
];

/// Registers every table and view of the lake in `ctx`, the small tables read through
/// `cache`. With `as_at`, the lake as it stood then ([`as_ingested_by`]).
pub async fn register(
    ctx: &SessionContext,
    snapshots: &Arc<Snapshots>,
    trust: &Trust,
    cache: &Arc<FileCache>,
    as_at: Option<AsAt>,
) -> Result<()> {
    let rollup = |name: &str| ROLLUP_DEFINITIONS.iter().any(|d| d.rollup == name);
    for spec in TableSpec::all() {
        if as_at.is_some() && rollup(spec.name) {
            continue;
        }
        let table = LakeTable::new(spec.name, Arc::clone(snapshots)).await?;
        let table: Arc<dyn TableProvider> = if CACHED.contains(&spec.name) {
            Arc::new(CachedTable::new(spec.name, table.schema(), Arc::clone(snapshots), Arc::clone(cache)))
        } else {
            Arc::new(table)
        };
        let table = match as_at {
            Some(at) => as_ingested_by(spec.name, table, at)?,
            None => table,
        };
        ctx.register_table(spec.name, table)?;
    }
    ctx.register_table("schools", Arc::new(schools(trust)?))?;
    ctx.register_table("boards", Arc::new(boards(trust)?))?;
    // As at a moment, each rollup is its definition over the raw events ingested by
    // then: a rollup's rows sum events of many commits, so they cannot be cut at a moment.
    if as_at.is_some() {
        for definition in ROLLUP_DEFINITIONS {
            let create = format!("CREATE VIEW {} AS {}", definition.read_as, definition.sql);
            ctx.sql(&create).await.with_context(|| format!("defining {} as at a moment", definition.rollup))?;
        }
    }
    for (name, sql) in VIEWS {
        if as_at.is_some() && ROLLUP_DEFINITIONS.iter().any(|d| d.read_as == *name) {
            continue;
        }
        let create = format!("CREATE VIEW {name} AS {sql}");
        ctx.sql(&create).await.with_context(|| format!("creating the view {name} (queries/views/{name}.sql)"))?;
    }
    Ok(())
}

/// `table` as it stood at `at`: its rows ingested (a reject's received, the audit trail's
/// written) by then.
/// Compaction keeps each row's `ingested_at`, so the answer does not depend on how the
/// files were laid out since, only on what retention has removed.
fn as_ingested_by(name: &str, table: Arc<dyn TableProvider>, at: AsAt) -> Result<Arc<dyn TableProvider>> {
    let column = ["ingested_at", "received_at", "at"]
        .into_iter()
        .find(|c| table.schema().column_with_name(c).is_some())
        .with_context(|| format!("{name} has no column that says when a row was written"))?;
    let moment = ScalarValue::TimestampMicrosecond(Some(at.instant().timestamp_micros()), Some("UTC".into()));
    let plan = LogicalPlanBuilder::scan(name, provider_as_source(table), None)?
        .filter(col(column).lt_eq(lit(moment)))?
        .build()?;
    Ok(Arc::new(ViewTable::new(plan, None)))
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

/// `boards`: the trust's governance, one row per board with its declared membership:
/// each hub's advisory board (`role` governor, as training records name its members)
/// and the trustees (`role` trustee, no hub).
fn boards(trust: &Trust) -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("role", DataType::Utf8, false),
        Field::new("hub_id", DataType::Utf8, true),
        Field::new("board_name", DataType::Utf8, false),
        Field::new("members", DataType::Int64, true),
    ]));
    let mut rows: Vec<(&str, Option<String>, String, Option<u32>)> = trust
        .hubs
        .iter()
        .map(|h| ("governor", Some(h.id.to_string()), format!("{} advisory board", h.name), h.hab_members))
        .collect();
    rows.push(("trustee", None, "Trustees".to_string(), trust.trust.trustees));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
            Arc::new(rows.iter().map(|r| r.1.clone()).collect::<StringArray>()),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2.as_str()))),
            Arc::new(rows.iter().map(|r| r.3.map(i64::from)).collect::<Int64Array>()),
        ],
    )?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}

/// The phase as `trust.toml` writes it (`primary`, `all_through`, ...).
fn phase_name(phase: safelake_schemas::trust::Phase) -> String {
    serde_json::to_value(phase).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}
