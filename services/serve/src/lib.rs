//! The query service: the lake's reports over HTTP as JSON, CSV and Parquet, drawn as
//! charts, and arranged into the dashboards HAB members, trustees and DSLs read.
//!
//! A thin server over [`safelake_query`] (in the manner of ROAPI): every number comes from
//! a report's SQL file; this crate only checks requests, binds parameters and encodes.
//! Which report a page shows, and as which chart, is data in `dashboards/`.

mod api;
mod catalogue;
mod charts;
mod dashboards;
mod encode;
mod error;
mod label;
mod metrics;
mod period;
mod request;
mod state;
mod table;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::routing::get;
use axum::Router;
use safelake_query::Engine;
use safelake_schemas::Trust;
use tokio_util::sync::CancellationToken;

pub use catalogue::Catalogue;
pub use state::AppState;

/// Where the service listens and what it serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub lake: PathBuf,
    pub trust: Trust,
}

/// The service's routes over its state.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(dashboards::index))
        .route("/api/reports", get(api::list))
        .route("/api/reports/{name}", get(api::report))
        .route("/charts/{file}", get(charts::chart))
        .route("/dashboards/hab/{hub}", get(dashboards::hab))
        .route("/dashboards/trustees", get(dashboards::trustees))
        .route("/dashboards/school/{school}", get(dashboards::school))
        .route("/static/style.css", get(dashboards::stylesheet))
        .route("/static/favicon.svg", get(dashboards::icon))
        .route("/favicon.ico", get(dashboards::icon))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::page))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), metrics::track))
        .with_state(state)
}

/// A running query service.
pub struct Server {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Server {
    /// Opens the lake and starts listening; the server stops (finishing the requests in
    /// flight) when `shutdown` is cancelled.
    pub async fn start(options: ServeOptions, shutdown: CancellationToken) -> Result<Server> {
        let engine = Engine::open(&options.lake, &options.trust).await.context("opening the lake for queries")?;
        let state = Arc::new(AppState::new(engine, options.trust, options.lake).await?);
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .with_context(|| format!("listening on {} for the query service", options.addr))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "query service listening");
        let app = router(state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await
                .context("serving HTTP")
        });
        Ok(Server { addr, task })
    }

    /// Waits until the server has stopped.
    pub async fn wait(self) -> Result<()> {
        self.task.await.context("the query service task panicked")?
    }
}
