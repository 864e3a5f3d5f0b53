//! `POST /api/sql`: the director's own read-only SQL over the lake, the audit trail
//! included, answered in JSON, CSV, Arrow IPC or Parquet. The body is the SQL itself
//! (whatever its content type says, as curl labels it a form), `{"sql": "..."}`, or a
//! form field `sql`; `?format=` picks the output, and `?as_at=` reads the lake as it stood
//! at a moment, as the reports do.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use safelake_access::{Principal, Scope};
use safelake_period::AsAt;
use safelake_query::adhoc::Failure;
use safelake_query::suppress::Masked;
use serde::Deserialize;

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
    } else if content_type.starts_with("application/x-www-form-urlencoded") && is_form(text) {
        let fields: HashMap<String, String> = serde_urlencoded::from_str(text)
            .map_err(|e| Error::bad_request(format!("the form does not decode: {e}")))?;
        fields.get("sql").cloned().ok_or_else(|| {
            Error::bad_request(
                "the form has no field `sql`: send sql=<the query>, or the SQL itself as the body \
                 (curl --data-binary \"SELECT ...\" with -H \"Content-Type: text/plain\", or without it)",
            )
        })?
    } else {
        text.to_string()
    };
    if sql.trim().is_empty() {
        return Err(Error::bad_request("there is no SQL in the request; send a SELECT"));
    }
    Ok(sql)
}

/// Whether a body sent as a form is one: `key=value` pairs joined by `&`, whose keys a
/// browser would have encoded (no spaces, no brackets). `curl --data-binary "SELECT ..."`
/// labels its body a form too; that body is SQL, and is taken as such.
fn is_form(text: &str) -> bool {
    text.split('&').all(|pair| {
        pair.split_once('=').is_some_and(|(key, _)| {
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"%+-_.*".contains(&b))
        })
    })
}

/// What `/api/sql` takes in its query string.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlParams {
    /// json (the default), csv, arrow or parquet.
    format: Option<String>,
    /// The lake as it stood at this moment, as the reports take it.
    as_at: Option<AsAt>,
}

impl SqlParams {
    fn parse(query: Option<&str>) -> Result<SqlParams> {
        let asked: SqlParams = serde_urlencoded::from_str(query.unwrap_or("")).map_err(|e| {
            Error::bad_request(format!("/api/sql takes format (json, csv, arrow, parquet) and as_at: {e}"))
        })?;
        if let Some(at) = asked.as_at.filter(|at| at.instant() > chrono::Utc::now()) {
            return Err(Error::bad_request(format!(
                "as_at ({at}) is in the future: the lake can be read as it stood, not as it will; leave out as_at for now"
            )));
        }
        Ok(asked)
    }
}

pub async fn run(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sql = match sql_of(&headers, &body) {
        Ok(sql) => sql,
        Err(error) => return error.into_response(),
    };
    let asked = match SqlParams::parse(query.as_deref()) {
        Ok(asked) => asked,
        Err(error) => return error.into_response(),
    };
    // The trail keeps the moment with the SQL, as a comment that leaves it runnable.
    let detail = match asked.as_at {
        Some(at) => format!("-- as_at {at}\n{sql}"),
        None => sql.clone(),
    };
    let audited = |rows: usize| Audited { detail: Some(detail.clone()), ..Audited::new(&Scope::default(), rows) };
    let answered = answer(&state, &who, &asked, &sql).await;
    match answered {
        Ok((response, rows)) => audited(rows).on(response),
        Err(error) => Audited { rows: None, ..audited(0) }.on(error.into_response()),
    }
}

async fn answer(state: &AppState, who: &Principal, asked: &SqlParams, sql: &str) -> Result<(Response, usize)> {
    who.may_run_sql()?;
    let format = asked.format.as_deref().unwrap_or("json");
    let answer = state.adhoc.run_at(sql, asked.as_at).await.map_err(|failure| match failure {
        Failure::Refused(m) => Error::forbidden(m),
        Failure::Invalid(m) => Error::bad_request(m),
        Failure::Limit(_, m) => Error::new(StatusCode::UNPROCESSABLE_ENTITY, m),
    })?;
    let result = Masked::open(answer.schema, &answer.batches).map_err(Error::internal)?;
    let response = if format == "arrow" {
        let body = encode::arrow_ipc(&result).map_err(Error::internal)?;
        ([(header::CONTENT_TYPE, "application/vnd.apache.arrow.stream")], body).into_response()
    } else {
        let format = format
            .parse::<Format>()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(content_type: &str, body: &str) -> Result<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        sql_of(&headers, &Bytes::from(body.to_string()))
    }

    #[test]
    fn a_body_is_sql_unless_it_is_a_form_or_json_that_carries_it() {
        let form = "application/x-www-form-urlencoded";
        // curl --data-binary labels raw SQL a form.
        let raw = "SELECT school_id, count(*) FROM incidents WHERE a = 1 GROUP BY 1";
        assert_eq!(sql(form, raw).unwrap(), raw);
        assert_eq!(sql(form, "SELECT 1").unwrap(), "SELECT 1");
        assert_eq!(sql(form, "sql=SELECT+1%3B&format=csv").unwrap(), "SELECT 1;");
        assert_eq!(sql("text/plain", "SELECT 2").unwrap(), "SELECT 2");
        assert_eq!(sql("application/json", r#"{"sql": "SELECT 3"}"#).unwrap(), "SELECT 3");
        let missing = sql(form, "query=SELECT+1").unwrap_err().message;
        assert!(missing.contains("no field `sql`") && missing.contains("text/plain"), "{missing}");
        assert!(sql(form, "").is_err());
    }
}
