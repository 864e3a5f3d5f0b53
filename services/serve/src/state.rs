//! What every request handler shares: the query engine, the trust, the dashboards and
//! charts defined in `dashboards/`, the page templates, the request metrics, and who may
//! see what (tokens, the sign-in throttle, the audit trail, the suppression threshold).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::datatypes::FieldRef;
use safelake_access::{Principal, Scope, Sessions, Throttle, Tokens};
use safelake_audit::AuditTrail;
use safelake_query::adhoc::AdHoc;
use safelake_query::cached::FileCache;
use safelake_query::reports::REPORTS;
use safelake_query::snapshots::Snapshots;
use safelake_query::Engine;
use safelake_schemas::Trust;

use crate::catalogue::Catalogue;
use crate::metrics::Metrics;
use crate::templates::Templates;
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
    /// Where meeting packs are kept and what prints them.
    pub packs: crate::packs::schedule::PackOptions,
    /// The small tables have been read into memory (or the attempt failed, and said why
    /// in the log). Until then `/readyz` answers 503, so that a load balancer sends no
    /// page to a service that would take seconds over it.
    pub warmed: AtomicBool,
}

impl AppState {
    /// Opens the lake as `options` say: the engines of the reports and of the director's
    /// SQL, the audit trail (and its writer, to finish when the state is dropped), the
    /// tokens. Nothing listens yet.
    pub async fn open(options: &ServeOptions) -> Result<(Arc<AppState>, safelake_audit::Writer)> {
        if let Some(dir) = options.lake.as_dir() {
            if safelake_lake::migrate::needs_migration(dir) {
                anyhow::bail!(
                    "the lake at {} is in the layout safelake used before Delta Lake; convert it first with `safelake lake migrate`",
                    dir.display()
                );
            }
        }
        let lake = safelake_lake::Lake::open(options.lake.clone())?;
        let snapshots = Snapshots::open(&lake).await.context("opening the lake for queries")?;
        let cache = FileCache::new(safelake_query::CACHE_BYTES);
        let engine = Engine::open_with(&snapshots, &options.trust, None, Arc::clone(&cache))
            .await
            .context("opening the lake for queries")?;
        let (audit, writer) = AuditTrail::start(&lake).await?;
        let adhoc = Arc::new(AdHoc::open(&snapshots, &options.trust, options.sql_limits, cache).await?);
        let tokens = Arc::new(Tokens::new(&options.tokens));
        let throttle = Arc::new(Throttle::new());
        let state = AppState::new(engine, adhoc, options, tokens, throttle, audit).await?;
        Ok((Arc::new(state), writer))
    }

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
            packs: options.packs.clone(),
            warmed: AtomicBool::new(false),
        })
    }

    /// Whether `who` opens dashboard `page` over all of `scope`: its role is one the page
    /// is for, and its own scope holds `scope` whole. The index lists, and a board's pack
    /// is sent, by this rule.
    pub fn opens(&self, who: &Principal, page: &str, scope: &Scope) -> bool {
        self.catalogue.dashboard(page).roles.contains(&who.role)
            && who.scope(scope, &self.trust).is_ok_and(|s| s == *scope)
    }

    /// What a withheld figure reads as: `<5`.
    pub fn marker(&self) -> String {
        safelake_query::suppress::marker(self.threshold)
    }
}
