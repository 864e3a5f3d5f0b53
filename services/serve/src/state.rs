//! What every request handler shares: the query engine, the trust, the dashboards and
//! charts defined in `dashboards/`, the page templates and the request metrics.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use datafusion::arrow::datatypes::FieldRef;
use safelake_query::reports::REPORTS;
use safelake_query::Engine;
use safelake_schemas::Trust;

use crate::catalogue::Catalogue;
use crate::dashboards::Templates;
use crate::metrics::Metrics;

pub struct AppState {
    pub engine: Engine,
    pub trust: Trust,
    pub lake: PathBuf,
    pub catalogue: Catalogue,
    /// Each report's columns, planned once: its SQL is compiled in and the lake's tables
    /// have fixed schemas.
    pub columns: HashMap<&'static str, Vec<FieldRef>>,
    pub templates: Templates,
    pub metrics: Metrics,
}

impl AppState {
    /// Plans every report and checks the dashboards against their columns, so that a
    /// typo in `dashboards/` stops the service at start, not a page later.
    pub async fn new(engine: Engine, trust: Trust, lake: PathBuf) -> Result<AppState> {
        let mut columns = HashMap::new();
        for report in REPORTS {
            let frame =
                engine.context().sql(report.sql).await.with_context(|| format!("planning report {}", report.name))?;
            columns.insert(report.name, frame.schema().fields().iter().cloned().collect());
        }
        let catalogue = Catalogue::embedded()?;
        catalogue.check_columns(&columns)?;
        Ok(AppState { engine, trust, lake, columns, catalogue, templates: Templates::new()?, metrics: Metrics::new() })
    }
}
