//! `/charts/{name}.svg` and `.png`: a report drawn as `dashboards/charts.toml` says, with
//! the period and scope in its subtitle.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use safelake_charts::Titles;
use safelake_query::reports::{self, Params};

use crate::catalogue::Chart;
use crate::error::{Error, Result};
use crate::label::with_school_names;
use crate::period;
use crate::request::{report_params, Scope};
use crate::state::AppState;

pub async fn chart(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let (name, extension) = file.rsplit_once('.').unwrap_or((&file, ""));
    let chart = state.catalogue.charts.get(name).ok_or_else(|| {
        let known: Vec<_> = state.catalogue.charts.keys().map(String::as_str).collect();
        Error::not_found(format!("no chart {name:?}; charts: {}", known.join(", ")))
    })?;
    let report = reports::find(&chart.report).expect("checked when the catalogue was loaded");
    let params = report_params(report, &query, &[], &state.trust)?;
    let batches = reports::run(state.engine.context(), report.name, &params).await.map_err(Error::internal)?;
    let batches = with_school_names(batches, &state.trust).map_err(Error::internal)?;
    let titles = titles(&state, chart, &params);
    match extension {
        "svg" => {
            let svg = safelake_charts::svg(&chart.spec, &titles, &batches).map_err(Error::internal)?;
            Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
        }
        "png" => {
            let png = safelake_charts::png(&chart.spec, &titles, &batches).map_err(Error::internal)?;
            Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
        }
        other => Err(Error::not_found(format!("charts are drawn as .svg or .png, not {other:?}"))),
    }
}

/// The chart's heading, and its period and scope as the subtitle.
pub fn titles(state: &AppState, chart: &Chart, params: &Params) -> Titles {
    let report = reports::find(&chart.report).expect("checked when the catalogue was loaded");
    let scope = Scope { school: params.school.clone(), hub: params.hub.clone() };
    let window = params.window().map(|(from, to)| period::describe(from, to)).unwrap_or_default();
    Titles {
        title: chart.title.clone().unwrap_or_else(|| report.title().to_string()),
        subtitle: format!("{window} · {}", scope.describe(&state.trust)),
    }
}
