//! `POST /api/sql`: the director's own read-only SQL over the lake, the audit trail
//! included, answered in JSON, CSV, Arrow IPC or Parquet. The body is the SQL itself,
//! `{"sql": "..."}`, or a form field `sql`; `?format=` picks the output.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use safelake_access::{Principal, Scope};
use safelake_query::adhoc::Failure;
use safelake_query::suppress::Masked;

use crate::audited::Audited;
use crate::encode::{self, Format};
use crate::error::{Error, Result};
use crate::state::AppState;

/// The SQL of a request body, whichever way it was sent.
fn sql_of(headers: &HeaderMap, body: &Bytes) -> Result<String> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let text = std::str::from_utf8(body).map_err(|_| Error::bad_request("the body is not UTF-8 text"))?;
    let sql = if content_type.starts_with("application/json") {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::bad_request(format!("the body is not JSON: {e}")))?;
        value
            .get("sql")
            .and_then(|s| s.as_str())
            .map(str::to_string)
            .ok_or_else(|| Error::bad_request("send {\"sql\": \"SELECT ...\"}"))?
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let fields: HashMap<String, String> = serde_urlencoded::from_str(text)
            .map_err(|e| Error::bad_request(format!("the form does not decode: {e}")))?;
        fields.get("sql").cloned().ok_or_else(|| Error::bad_request("the form sends its query as the field `sql`"))?
    } else {
        text.to_string()
    };
    if sql.trim().is_empty() {
        return Err(Error::bad_request("there is no SQL in the request; send a SELECT"));
    }
    Ok(sql)
}

pub async fn run(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sql = match sql_of(&headers, &body) {
        Ok(sql) => sql,
        Err(error) => return error.into_response(),
    };
    let audited = |rows: usize| Audited { detail: Some(sql.clone()), ..Audited::new(&Scope::default(), rows) };
    let answered = answer(&state, &who, &query, &sql).await;
    match answered {
        Ok((response, rows)) => audited(rows).on(response),
        Err(error) => Audited { rows: None, ..audited(0) }.on(error.into_response()),
    }
}

async fn answer(
    state: &AppState,
    who: &Principal,
    query: &HashMap<String, String>,
    sql: &str,
) -> Result<(Response, usize)> {
    who.may_run_sql()?;
    let format = query.get("format").map(String::as_str).unwrap_or("json");
    let answer = state.adhoc.run(sql).await.map_err(|failure| match failure {
        Failure::Refused(m) => Error::forbidden(m),
        Failure::Invalid(m) => Error::bad_request(m),
        Failure::Limit(_, m) => Error::new(StatusCode::UNPROCESSABLE_ENTITY, m),
    })?;
    let result = Masked::open(answer.schema, &answer.batches).map_err(Error::internal)?;
    let response = if format == "arrow" {
        let body = encode::arrow_ipc(&result).map_err(Error::internal)?;
        ([(header::CONTENT_TYPE, "application/vnd.apache.arrow.stream")], body).into_response()
    } else {
        let format = format.parse::<Format>()
            .map_err(|_| Error::bad_request(format!("format {format:?} is not one of json, csv, arrow, parquet")))?;
        encode::response("query", format, &result, &state.marker()).map_err(Error::internal)?
    };
    Ok((response, answer.rows))
}

/// `GET /sql`: the console page, for the director: an editor, the result as a table,
/// downloads, and the tables and columns there are to query.
pub async fn console(State(state): State<Arc<AppState>>, Extension(who): Extension<Principal>) -> Result<Response> {
    who.may_run_sql().map_err(|r| Error::from(r).page())?;
    let columns = state
        .adhoc
        .context()
        .sql(include_str!("../../../queries/console/columns.sql"))
        .await
        .map_err(|e| Error::internal(e.into()).page())?
        .collect()
        .await
        .map_err(|e| Error::internal(e.into()).page())?;
    let mut tables: Vec<(String, Vec<minijinja::Value>)> = Vec::new();
    for batch in &columns {
        let text = |i: usize| arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8);
        let (table, column, kind) = (text(0), text(1), text(2));
        let (Ok(table), Ok(column), Ok(kind)) = (table, column, kind) else { continue };
        let as_str = |a: &arrow::array::ArrayRef, r: usize| {
            a.as_any().downcast_ref::<arrow::array::StringArray>().map_or(String::new(), |s| s.value(r).to_string())
        };
        for r in 0..batch.num_rows() {
            let name = as_str(&table, r);
            if tables.last().is_none_or(|(t, _)| *t != name) {
                tables.push((name, Vec::new()));
            }
            let entry = minijinja::context! {name => as_str(&column, r), type => as_str(&kind, r)};
            tables.last_mut().expect("just pushed").1.push(entry);
        }
    }
    let tables: Vec<_> = tables.into_iter().map(|(name, columns)| minijinja::context! {name, columns}).collect();
    let limits = state.adhoc.limits();
    let limits = minijinja::context! {
        memory_mib => limits.memory_bytes >> 20, seconds => limits.time.as_secs(), rows => limits.rows
    };
    let user = minijinja::context! {name => who.name, role => who.role.as_str()};
    let page =
        state.templates.render("sql.html", minijinja::context! {title => "SQL console", tables, limits, user})?;
    Ok(Audited::new(&Scope::default(), 0).on(page.into_response()))
}

pub async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../static/console.js"))
}
