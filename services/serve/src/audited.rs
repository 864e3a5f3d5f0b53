//! Records every report, chart, page, pack, SQL query and sign-in in the audit trail, refusals
//! included, after the handler has answered and before the answer leaves: if the record
//! cannot be written, the caller gets a 500 instead of the answer.
//!
//! Handlers say what the trail cannot see from the request by putting an [`Audited`] in
//! the response's extensions (the scope they applied, the rows they returned, the SQL);
//! the sign-in check puts the [`Principal`] there; an error puts its [`Message`].

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use safelake_access::{Principal, Scope};
use safelake_audit::{millis_since, Entry, Kind, Unfinished};

use crate::error::{Error, Message};
use crate::state::AppState;

/// What a handler tells the trail.
#[derive(Debug, Clone, Default)]
pub struct Audited {
    pub scope: Option<String>,
    pub rows: Option<i64>,
    /// Replaces the query string as the record's detail (the SQL of a query).
    pub detail: Option<String>,
}

impl Audited {
    pub fn new(scope: &Scope, rows: usize) -> Audited {
        Audited { scope: Some(scope.label()), rows: i64::try_from(rows).ok(), detail: None }
    }

    /// Puts it on `response`.
    pub fn on(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// What a path is, for the trail; None for what is not recorded (health, metrics,
/// static files, the sign-in form itself).
fn classify(method: &Method, path: &str) -> Option<(Kind, String)> {
    let tail = |prefix: &str| path.strip_prefix(prefix).map(str::to_string);
    if let Some(name) = tail("/api/reports/") {
        return Some((Kind::Report, name));
    }
    if let Some(file) = tail("/charts/") {
        return Some((Kind::Chart, file));
    }
    if let Some(file) = tail("/packs/") {
        return Some((Kind::Pack, file));
    }
    if path == "/" || path.starts_with("/dashboards/") || path == "/sql" {
        return Some((Kind::Page, path.to_string()));
    }
    match (method, path) {
        (_, "/api/sql") => Some((Kind::Sql, "sql".to_string())),
        (&Method::POST, "/login") => Some((Kind::SignIn, "sign in".to_string())),
        (&Method::POST, "/logout") => Some((Kind::SignIn, "sign out".to_string())),
        (_, "/healthz" | "/readyz" | "/metrics" | "/login" | "/favicon.ico") => None,
        (_, p) if p.starts_with("/static/") => None,
        _ => Some((Kind::Api, path.to_string())),
    }
}

pub async fn record(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some((kind, what)) = classify(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let started = Instant::now();
    let address = crate::auth::address(request.extensions());
    let query = request.uri().query().map(str::to_string);
    let asked = Entry {
        at: Utc::now(),
        who: String::new(),
        token_id: None,
        role: None,
        address: Some(address.to_string()),
        via: "http",
        kind,
        what,
        detail: query,
        scope: None,
        rows: None,
        status: 0,
        message: None,
        millis: 0,
    };
    let unfinished = Unfinished::new(&state.audit, asked.clone(), started);
    let response = next.run(request).await;
    unfinished.finished();
    let who = response.extensions().get::<Principal>();
    let audited = response.extensions().get::<Audited>().cloned().unwrap_or_default();
    let entry = Entry {
        who: who.map(|p| p.name.clone()).unwrap_or_default(),
        token_id: who.map(|p| p.token_id.clone()),
        role: who.map(|p| p.role.to_string()),
        detail: audited.detail.or(asked.detail),
        scope: audited.scope,
        rows: audited.rows,
        status: response.status().as_u16(),
        message: response.extensions().get::<Message>().map(|m| m.0.clone()),
        millis: millis_since(started),
        ..asked
    };
    match state.audit.record(entry).await {
        Ok(()) => response,
        Err(error) => Error::internal(error.context("recording the request in the audit trail")).into_response(),
    }
}
