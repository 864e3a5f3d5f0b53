//! A lake table as DataFusion sees it: a Delta scan of the version the query reads.
//!
//! The provider itself holds no version: each scan asks the query's [`QuerySnapshot`]
//! (carried in the session configuration, see [`crate::Engine::query`]) which version the
//! query reads, and plans delta-rs's scan of it, which prunes files by partition values
//! and statistics. A query run without one (a catalogue query of a PostgreSQL client)
//! reads each table as it is when scanned.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use deltalake::delta_datafusion::{DeltaScanConfig, DeltaScanNext};
use safelake_lake::Table;

use crate::snapshots::{QuerySnapshot, Snapshots};

/// How the lake's tables are scanned: partition columns as plain text (as the cached
/// tables give them), strings as views (DataFusion's own default for Parquet).
pub fn scan_config() -> DeltaScanConfig {
    DeltaScanConfig { wrap_partition_values: false, ..DeltaScanConfig::new() }
}

/// A delta-rs scan of one version of a table.
pub fn delta_scan(table: &Table) -> Result<DeltaScanNext> {
    DeltaScanNext::new(table.state().snapshot().clone(), scan_config())
}

/// The version of `name` that the query of `state` reads.
pub async fn version_for(state: &dyn Session, snapshots: &Arc<Snapshots>, name: &str) -> Result<Table> {
    let pinned = match state.config().get_extension::<QuerySnapshot>() {
        Some(query) => query.table(name).await,
        None => QuerySnapshot::new(Arc::clone(snapshots)).table(name).await,
    };
    pinned.map_err(|e| DataFusionError::External(e.into()))
}

#[derive(Debug)]
pub struct LakeTable {
    name: &'static str,
    schema: SchemaRef,
    snapshots: Arc<Snapshots>,
    /// The scan of the first version, for what does not depend on the version.
    first: Arc<DeltaScanNext>,
}

impl LakeTable {
    pub async fn new(name: &'static str, snapshots: Arc<Snapshots>) -> anyhow::Result<LakeTable> {
        let first = delta_scan(&snapshots.first(name).await?)?;
        Ok(LakeTable { name, schema: first.schema(), snapshots, first: Arc::new(first) })
    }
}

#[async_trait]
impl TableProvider for LakeTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.first.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table = version_for(state, &self.snapshots, self.name).await?;
        delta_scan(&table)?.scan(state, projection, filters, limit).await
    }
}
