//! The reports as data: `GET /api/reports` says what there is, `GET /api/reports/{name}`
//! runs one and answers in JSON, CSV or Parquet.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use safelake_query::reports::{self, REPORTS};
use serde_json::{json, Value};

use crate::encode::{self, Format};
use crate::error::{Error, Result};
use crate::request::report_params;
use crate::state::AppState;

/// Every report with its title, meaning, parameters and columns (name and type).
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Value>> {
    let mut list = Vec::new();
    for report in REPORTS {
        let columns: Vec<Value> = state.columns[report.name]
            .iter()
            .map(|f| json!({"name": f.name(), "type": f.data_type().to_string()}))
            .collect();
        let mut params = report.params();
        if params.contains(&"from") {
            params.push("year");
        }
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
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let report = reports::find(&name).ok_or_else(|| {
        let known: Vec<_> = REPORTS.iter().map(|r| r.name).collect();
        Error::not_found(format!("no report {name:?}; reports: {}", known.join(", ")))
    })?;
    let format = Format::parse(query.get("format").map(String::as_str))?;
    let params = report_params(report, &query, &["format"], &state.trust)?;
    let frame = reports::plan(state.engine.context(), report.name, &params).await.map_err(Error::internal)?;
    let schema = frame.schema().as_arrow().clone();
    let batches = frame.collect().await.map_err(|e| Error::internal(e.into()))?;
    encode::response(report.name, format, &schema, &batches).map_err(Error::internal)
}

/// Alive and able to read the lake.
pub async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match std::fs::read_dir(&state.lake) {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("the lake at {} is not readable: {e}\n", state.lake.display()))
                .into_response()
        }
    }
}
