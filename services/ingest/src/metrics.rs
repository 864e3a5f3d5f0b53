//! The ingest's counters, in Prometheus' text format on `/metrics`, beside `/healthz` and
//! `/readyz`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::http::{header, StatusCode};
use axum::{extract::State, response::IntoResponse, routing::get, Router};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::health::Health;

#[derive(Clone)]
pub struct Metrics {
    pub received: Counter,
    pub committed: Counter,
    pub rejected: Counter,
    pub duplicates: Counter,
    pub sent_back: Counter,
    pub files_written: Counter,
    pub commit_seconds: Histogram,
    pub consumer_lag: Gauge,
    pub compactions: Counter,
    registry: Arc<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("safelake_ingest");
        let received = Counter::default();
        let committed = Counter::default();
        let rejected = Counter::default();
        let duplicates = Counter::default();
        let sent_back = Counter::default();
        let files_written = Counter::default();
        let commit_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        let consumer_lag = Gauge::default();
        let compactions = Counter::default();
        registry.register(
            "events_received",
            "Messages received from JetStream (an event, or a batch)",
            received.clone(),
        );
        registry.register("events_committed", "Events committed to the lake", committed.clone());
        registry.register("events_rejected", "Events (or whole messages) refused into rejects", rejected.clone());
        registry.register("duplicates_dropped", "Events dropped as already in the lake", duplicates.clone());
        registry.register(
            "messages_sent_back",
            "Messages sent back to JetStream because another batch held one of their events",
            sent_back.clone(),
        );
        registry.register("files_written", "Parquet files committed", files_written.clone());
        registry.register("commit_seconds", "Time to write, sync and ack a batch", commit_seconds.clone());
        registry.register("consumer_lag", "Messages in the stream not yet delivered", consumer_lag.clone());
        registry.register("compactions", "Partitions compacted", compactions.clone());
        Metrics {
            received,
            committed,
            rejected,
            duplicates,
            sent_back,
            files_written,
            commit_seconds,
            consumer_lag,
            compactions,
            registry: Arc::new(registry),
        }
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

async fn metrics_page(State(metrics): State<Metrics>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.render())
}

/// `/readyz`: 200 when ready, 503 with each problem on a line of its own.
async fn ready_page(State((_, health)): State<(Metrics, Health)>) -> impl IntoResponse {
    let problems = tokio::task::spawn_blocking(move || health.problems()).await.unwrap_or_default();
    if problems.is_empty() {
        (StatusCode::OK, "ready\n".to_string())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, format!("not ready:\n{}\n", problems.join("\n")))
    }
}

/// Serves `/metrics`, `/healthz` (the process answers) and `/readyz` (it keeps the lake
/// current) until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
) -> Result<SocketAddr> {
    let app = Router::new()
        .route("/metrics", get(|State((metrics, _)): State<(Metrics, Health)>| metrics_page(State(metrics))))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready_page))
        .with_state((metrics, health));
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await;
        if let Err(error) = served {
            tracing::error!(%error, "metrics endpoint stopped");
        }
    });
    Ok(bound)
}
