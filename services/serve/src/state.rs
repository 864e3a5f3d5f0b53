//! What every request handler shares: the query engine, the trust, the dashboards and
//! charts defined in `dashboards/`, the page templates, the request metrics, and who may
//! see what (tokens, the sign-in throttle, the audit trail, the suppression threshold).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::datatypes::FieldRef;
use safelake_access::{Sessions, Throttle, Tokens};
use safelake_audit::AuditTrail;
use safelake_query::adhoc::AdHoc;
use safelake_query::reports::REPORTS;
use safelake_query::Engine;
use safelake_schemas::Trust;

use crate::catalogue::Catalogue;
use crate::dashboards::Templates;
use crate::metrics::Metrics;
use crate::ServeOptions;

pub struct AppState {
    pub engine: Engine,
    /// The director's SQL, in an engine of its own with its own limits (shared with the
    /// PostgreSQL endpoint).
    pub adhoc: Arc<AdHoc>,
    pub trust: Trust,
    pub lake: safelake_lake::LakeUrl,
    pub catalogue: Catalogue,
    /// Each report's columns, planned once: its SQL is compiled in and the lake's tables
    /// have fixed schemas.
    pub columns: HashMap<&'static str, Vec<FieldRef>>,
    pub templates: Templates,
    pub metrics: Metrics,
    pub tokens: Arc<Tokens>,
    pub throttle: Arc<Throttle>,
    /// The browsers signed in at `/login`.
    pub sessions: Sessions,
    pub audit: AuditTrail,
    /// The smallest count hab members and trustees see; smaller ones are withheld.
    pub threshold: i64,
    /// What else `/readyz` asks.
    pub probes: Vec<crate::Probe>,
    /// The small tables have been read into memory (or the attempt failed, and said why
    /// in the log). Until then `/readyz` answers 503, so that a load balancer sends no
    /// page to a service that would take seconds over it.
    pub warmed: AtomicBool,
}

impl AppState {
    /// Plans every report and checks the dashboards against their columns, so that a
    /// typo in `dashboards/` stops the service at start, not a page later.
    pub async fn new(
        engine: Engine,
        adhoc: Arc<AdHoc>,
        options: &ServeOptions,
        tokens: Arc<Tokens>,
        throttle: Arc<Throttle>,
        audit: AuditTrail,
    ) -> Result<AppState> {
        let mut columns = HashMap::new();
        for report in REPORTS {
            let frame =
                engine.context().sql(report.sql).await.with_context(|| format!("planning report {}", report.name))?;
            columns.insert(report.name, frame.schema().fields().iter().cloned().collect());
        }
        let catalogue = Catalogue::embedded()?;
        catalogue.check_columns(&columns)?;
        Ok(AppState {
            engine,
            adhoc,
            trust: options.trust.clone(),
            lake: options.lake.clone(),
            columns,
            catalogue,
            templates: Templates::new()?,
            metrics: Metrics::new(),
            tokens,
            throttle,
            sessions: Sessions::new(crate::auth::SIGN_IN),
            audit,
            threshold: options.threshold,
            probes: options.probes.clone(),
            warmed: AtomicBool::new(false),
        })
    }

    /// What a withheld figure reads as: `<5`.
    pub fn marker(&self) -> String {
        safelake_query::suppress::marker(self.threshold)
    }
}
