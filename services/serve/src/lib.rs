//! The query service: the lake's reports over HTTP as JSON, CSV and Parquet, drawn as
//! charts, and arranged into the dashboards HAB members, trustees and DSLs read.
//!
//! A thin server over [`safelake_query`] (in the manner of ROAPI): every number comes from
//! a report's SQL file; this crate only checks requests, binds parameters and encodes.
//! Which report a page shows, and as which chart, is data in `dashboards/`.

mod api;
mod audited;
mod auth;
mod catalogue;
mod charts;
mod compose;
mod dashboards;
mod encode;
mod error;
mod label;
mod metrics;
pub mod packs;
mod period;
mod request;
mod results;
mod sql;
mod state;
mod table;
mod templates;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use safelake_lake::LakeUrl;
use safelake_schemas::Trust;
use tokio_util::sync::CancellationToken;

pub use catalogue::Catalogue;
pub use state::AppState;

/// Where the service listens and what it serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub lake: LakeUrl,
    pub trust: Trust,
    /// The token file (`safelake token create` writes it).
    pub tokens: PathBuf,
    /// Counts below this are withheld from hab members and trustees.
    pub threshold: i64,
    /// The bounds on the director's own SQL.
    pub sql_limits: safelake_query::adhoc::Limits,
    /// Where PostgreSQL clients connect for the director's SQL; None: nowhere.
    pub pg_addr: Option<SocketAddr>,
    /// The endpoint's TLS certificate and key (PEM files).
    pub pg_tls: Option<(PathBuf, PathBuf)>,
    /// What else `/readyz` asks (the ingest, when it runs in the same process).
    pub probes: Vec<Probe>,
    /// Where meeting packs are kept, what prints them, and the schedule that produces them.
    pub packs: packs::schedule::PackOptions,
}

/// A part of the process that can say what stops it, in words (none: ready).
#[derive(Clone)]
pub struct Probe(pub Arc<dyn Fn() -> Vec<String> + Send + Sync>);

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

impl ServeOptions {
    /// The defaults: tokens in `tokens.json` beside the lake, counts under 5 withheld.
    pub fn new(addr: SocketAddr, lake: LakeUrl, trust: Trust) -> ServeOptions {
        let tokens = default_tokens(&lake);
        let packs = packs::schedule::PackOptions::beside(&lake);
        ServeOptions {
            addr,
            lake,
            trust,
            tokens,
            threshold: 5,
            sql_limits: Default::default(),
            pg_addr: None,
            pg_tls: None,
            probes: Vec::new(),
            packs,
        }
    }
}

/// `tokens.json` in the directory that holds the lake (in the working directory for a
/// lake on an object store: tokens are never kept in the lake).
pub fn default_tokens(lake: &LakeUrl) -> PathBuf {
    let dir = lake.as_dir().and_then(std::path::Path::parent).unwrap_or(std::path::Path::new("."));
    dir.join("tokens.json")
}

/// The service's routes over its state: everything but health, the sign-in page and
/// its assets needs a token; everything a person asks for is audited.
pub fn router(state: Arc<AppState>) -> Router {
    let signed_in = Router::new()
        .route("/", get(dashboards::index))
        .route("/api/reports", get(api::list))
        .route("/api/reports/{name}", get(api::report))
        .route("/charts/{file}", get(charts::chart))
        .route("/dashboards/hab/{hub}", get(dashboards::hab))
        .route("/dashboards/trustees", get(dashboards::trustees))
        .route("/dashboards/school/{school}", get(dashboards::school))
        .route("/packs/{file}", get(packs::download))
        .route("/metrics", get(metrics::page))
        .route("/api/sql", post(sql::run))
        .route("/sql", get(sql::console))
        .route_layer(from_fn_with_state(Arc::clone(&state), auth::require));
    Router::new()
        .merge(signed_in)
        .route("/login", get(auth::sign_in_page).post(auth::sign_in))
        .route("/logout", post(auth::sign_out))
        .route("/static/style.css", get(dashboards::stylesheet))
        .route("/static/favicon.svg", get(dashboards::icon))
        .route("/static/console.js", get(sql::script))
        .route("/favicon.ico", get(dashboards::icon))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .layer(from_fn_with_state(Arc::clone(&state), audited::record))
        .layer(from_fn_with_state(Arc::clone(&state), metrics::track))
        .with_state(state)
}

/// A running query service.
pub struct Server {
    pub addr: SocketAddr,
    /// Where the PostgreSQL endpoint listens, if it was asked for.
    pub pg_addr: Option<SocketAddr>,
    task: tokio::task::JoinHandle<Result<()>>,
    wire: Option<safelake_pgwire::Wire>,
    audit: safelake_audit::Writer,
}

impl Server {
    /// Opens the lake and starts listening; the server stops (finishing the requests in
    /// flight) when `shutdown` is cancelled.
    pub async fn start(options: ServeOptions, shutdown: CancellationToken) -> Result<Server> {
        let (state, writer) = AppState::open(&options).await?;
        let wire = match options.pg_addr {
            Some(addr) => {
                let shared = safelake_pgwire::Shared {
                    adhoc: Arc::clone(&state.adhoc),
                    tokens: Arc::clone(&state.tokens),
                    throttle: Arc::clone(&state.throttle),
                    audit: state.audit.clone(),
                };
                let wire = safelake_pgwire::WireOptions { addr, tls: options.pg_tls.clone() };
                Some(safelake_pgwire::Wire::start(wire, shared, shutdown.clone()).await?)
            }
            None => None,
        };
        if !state.packs.schedule.is_empty() {
            tokio::spawn(packs::clerk::run(Arc::clone(&state), shutdown.clone()));
        }
        let warming = Arc::clone(&state);
        tokio::spawn(async move {
            if let Err(error) = warming.engine.warm().await {
                tracing::warn!("reading the small tables into memory: {error:#}");
            }
            warming.warmed.store(true, std::sync::atomic::Ordering::Release);
        });
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .with_context(|| format!("listening on {} for the query service", options.addr))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "query service listening");
        let app = router(state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await
                .context("serving HTTP")
        });
        let pg_addr = wire.as_ref().map(|w| w.addr);
        Ok(Server { addr, pg_addr, task, wire, audit: writer })
    }

    /// Waits until the server has stopped and its last audit records are written.
    pub async fn wait(self) -> Result<()> {
        let served = self.task.await.context("the query service task panicked")?;
        if let Some(wire) = self.wire {
            wire.wait().await?;
        }
        self.audit.finish().await;
        served
    }
}
