//! The reports as data: `GET /api/reports` says what there is, `GET /api/reports/{name}`
//! runs one and answers in JSON, CSV or Parquet.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use safelake_access::Principal;
use safelake_query::reports::{self, REPORTS};
use serde_json::{json, Value};

use crate::audited::Audited;
use crate::encode;
use crate::error::{Error, Result};
use crate::request::{self, Door};
use crate::results;
use crate::state::AppState;

/// Every report the caller may run, with its title, meaning, parameters and columns
/// (name and type).
pub async fn list(State(state): State<Arc<AppState>>, Extension(who): Extension<Principal>) -> Result<Json<Value>> {
    let mut list = Vec::new();
    for report in REPORTS.iter().filter(|r| !r.pupil_level() || who.role.sees_pupil_rows()) {
        let columns: Vec<Value> = state.columns[report.name]
            .iter()
            .map(|f| json!({"name": f.name(), "type": f.data_type().to_string()}))
            .collect();
        let params = report.keys();
        list.push(json!({
            "name": report.name,
            "title": report.title(),
            "about": report.about(),
            "params": params,
            "columns": columns,
        }));
    }
    Ok(Json(json!({"reports": list})))
}

pub async fn report(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let report = reports::find(&name).ok_or_else(|| {
        let known: Vec<_> = REPORTS.iter().map(|r| r.name).collect();
        Error::not_found(format!("no report {name:?}; reports: {}", known.join(", ")))
    })?;
    let asked = request::ask(Door::Api(report), query.as_deref(), &state.trust, &who)?;
    let result = results::run(&state, &who, report, &asked).await?;
    let response = encode::response(report.name, asked.format(), &result, &state.marker()).map_err(Error::internal)?;
    Ok(Audited::new(&asked.scope(), result.batch.num_rows()).on(response))
}

/// `/readyz`: 200 `{"ready": true, "problems": []}` when the service can answer
/// promptly (its small tables read into memory) and audit (the lake readable and
/// writable) and every other part in this process is ready (the ingest, under `safelake
/// up`); otherwise 503 with each problem in words.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let state = Arc::clone(&state);
    let problems = tokio::task::spawn_blocking(move || {
        let mut problems = Vec::new();
        if !state.warmed.load(std::sync::atomic::Ordering::Acquire) {
            problems.push("reading the lake's small tables into memory; pages would be slow until then".to_string());
        }
        // A lake on this machine is probed; an object store answers for itself on the
        // next query or audit commit, which fails with its own error.
        if let Some(lake) = state.lake.as_dir() {
            if let Err(e) = std::fs::read_dir(lake) {
                problems.push(format!("the lake at {} is not readable: {e}", lake.display()));
            } else {
                let probe = lake.join(format!(".ready-serve-{}", std::process::id()));
                match std::fs::write(&probe, b"") {
                    Ok(()) => {
                        let _ = std::fs::remove_file(&probe);
                    }
                    Err(e) => problems.push(format!(
                        "the lake at {} is not writable ({e}): requests cannot be audited, so they fail",
                        lake.display()
                    )),
                }
            }
        }
        for probe in &state.probes {
            problems.extend((probe.0)());
        }
        problems
    })
    .await
    .unwrap_or_else(|e| vec![format!("the readiness check failed: {e}")]);
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(serde_json::json!({"ready": problems.is_empty(), "problems": problems}))).into_response()
}

/// `/healthz`: alive and able to read the lake.
pub async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let Some(lake) = state.lake.as_dir() else { return (StatusCode::OK, "ok\n").into_response() };
    match std::fs::read_dir(lake) {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("the lake at {} is not readable: {e}\n", lake.display()))
            .into_response(),
    }
}
