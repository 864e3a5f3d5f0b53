//! Requests counted by route and status, and their latency, in Prometheus' text format
//! on `/metrics`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOnly {
    route: String,
}

pub struct Metrics {
    requests: Family<Route, Counter>,
    seconds: Family<RouteOnly, Histogram>,
    registry: Registry,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("safelake_query");
        let requests = Family::<Route, Counter>::default();
        let seconds = Family::<RouteOnly, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register("requests", "HTTP requests by route and status", requests.clone());
        registry.register("request_seconds", "Time to answer a request, by route", seconds.clone());
        Metrics { requests, seconds, registry }
    }
}

/// Counts and times every request under its route pattern (never the raw path, which
/// would make a series per school or report parameter).
pub async fn track(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics.seconds.get_or_create(&RouteOnly { route: route.clone() }).observe(started.elapsed().as_secs_f64());
    metrics.requests.get_or_create(&Route { route, status: response.status().as_u16() }).inc();
    response
}

pub async fn page(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let mut text = String::new();
    encode(&mut text, &state.metrics.registry).expect("writing to a String cannot fail");
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
}
