//! What every request handler shares: the query engine, the trust, the dashboards and
//! charts defined in `dashboards/`, the page templates and the request metrics.

use std::path::PathBuf;

use anyhow::Result;
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
    pub templates: Templates,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(engine: Engine, trust: Trust, lake: PathBuf) -> Result<AppState> {
        Ok(AppState {
            engine,
            trust,
            lake,
            catalogue: Catalogue::embedded()?,
            templates: Templates::new()?,
            metrics: Metrics::new(),
        })
    }
}
