//! `/charts/{name}.svg` and `.png`: a report drawn as `dashboards/charts.toml` says, with
//! the period and scope in its subtitle.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use safelake_access::Principal;
use safelake_charts::Titles;
use safelake_query::reports;

use crate::audited::Audited;
use crate::catalogue::Chart;
use crate::error::{Error, Result};
use crate::label::with_school_names;
use crate::request::{self, Asked, Door};
use crate::results;
use crate::state::AppState;

pub async fn chart(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let (name, extension) = file.rsplit_once('.').unwrap_or((&file, ""));
    let chart = state.catalogue.charts.get(name).ok_or_else(|| {
        let known: Vec<_> = state.catalogue.charts.keys().map(String::as_str).collect();
        Error::not_found(format!("no chart {name:?}; charts: {}", known.join(", ")))
    })?;
    let report = reports::find(&chart.report).expect("checked when the catalogue was loaded");
    if !matches!(extension, "svg" | "png") {
        return Err(Error::not_found(format!("charts are drawn as .svg or .png, not {extension:?}")));
    }
    let asked = request::ask(Door::Chart(report), query.as_deref(), &state.trust, &who)?;
    let result = results::run(&state, &who, report, &asked).await?;
    let result = result.map_batch(|b| with_school_names(b, &state.trust)).map_err(Error::internal)?;
    let titles = titles(&state, chart, &asked, result.any());
    let batches = std::slice::from_ref(&result.batch);
    let response = if extension == "svg" {
        let svg = safelake_charts::svg(&chart.spec, &titles, batches).map_err(Error::internal)?;
        ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
    } else {
        let png = safelake_charts::png(&chart.spec, &titles, batches).map_err(Error::internal)?;
        ([(header::CONTENT_TYPE, "image/png")], png).into_response()
    };
    Ok(Audited::new(&asked.scope(), result.batch.num_rows()).on(response))
}

/// The chart's heading, and its period and scope as the subtitle, which also says when
/// small figures were withheld (so a missing bar is not read as none).
pub fn titles(state: &AppState, chart: &Chart, asked: &Asked, withheld: bool) -> Titles {
    let report = reports::find(&chart.report).expect("checked when the catalogue was loaded");
    let mut subtitle = format!("{} · {}", asked.window().describe(), asked.scope().describe(&state.trust));
    if let Some(at) = asked.params().as_at {
        subtitle.push_str(&format!(" · as at {at}"));
    }
    if withheld {
        subtitle.push_str(&format!(" · figures under {} withheld", state.threshold));
    }
    Titles { title: chart.title.clone().unwrap_or_else(|| report.title().to_string()), subtitle }
}
