//! A report's rows in the format a caller asked for: JSON for programs, CSV for
//! spreadsheets, Parquet for analysts' own tools.

use anyhow::{Context, Result};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use safelake_query::suppress::Masked;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Json,
    Csv,
    Parquet,
}

impl std::str::FromStr for Format {
    type Err = Error;

    fn from_str(text: &str) -> Result<Format, Error> {
        match text {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "parquet" => Ok(Format::Parquet),
            other => Err(Error::bad_request(format!("format {other:?} is not one of json, csv, parquet"))),
        }
    }
}

/// `{"report": name, "columns": [...], "rows": [{column: value, ...}]}`, nulls written
/// out; a row with withheld figures has them null and lists them in `"suppressed"`.
pub fn json(name: &str, result: &Masked) -> Result<Vec<u8>> {
    let mut rows = Vec::new();
    {
        let mut writer = arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow::json::writer::JsonArray>(&mut rows);
        writer.write(&result.batch).context("encoding rows as JSON")?;
        writer.finish().context("encoding rows as JSON")?;
    }
    if rows.is_empty() {
        rows.extend_from_slice(b"[]");
    }
    let columns: Vec<&str> = result.batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
    if !result.any() {
        let rows: &RawValue = serde_json::from_slice(&rows).context("the JSON writer's output")?;
        return Ok(serde_json::to_vec(&serde_json::json!({"report": name, "columns": columns, "rows": rows}))?);
    }
    let mut rows: Vec<serde_json::Map<String, Value>> =
        serde_json::from_slice(&rows).context("the JSON writer's output")?;
    for (i, row) in rows.iter_mut().enumerate() {
        let withheld = result.withheld_in(i);
        if !withheld.is_empty() {
            row.insert("suppressed".to_string(), withheld.into());
        }
    }
    Ok(serde_json::to_vec(&serde_json::json!({"report": name, "columns": columns, "rows": rows}))?)
}

/// CSV with a header row; times in RFC 3339; withheld figures read `marker`.
pub fn csv(result: &Masked, marker: &str) -> Result<Vec<u8>> {
    let batch = result.as_text(marker)?;
    let mut out = Vec::new();
    {
        let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(&mut out);
        writer.write(&batch).context("encoding CSV")?;
    }
    Ok(out)
}

/// Parquet, withheld figures null; the file's metadata says so.
pub fn parquet(result: &Masked, marker: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let note = result.any().then(|| {
        vec![KeyValue::new("safelake.suppressed".to_string(), format!("figures {marker} are withheld as null"))]
    });
    let properties = WriterProperties::builder().set_key_value_metadata(note).build();
    let mut writer = ArrowWriter::try_new(&mut out, result.batch.schema(), Some(properties))?;
    writer.write(&result.batch)?;
    writer.close()?;
    Ok(out)
}

/// An Arrow IPC stream, for tools that read Arrow (pandas, polars, DuckDB).
pub fn arrow_ipc(result: &Masked) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut out, result.batch.schema_ref())?;
    writer.write(&result.batch)?;
    writer.finish()?;
    drop(writer);
    Ok(out)
}

/// The HTTP response for a report's result, offered as a download for CSV and Parquet.
pub fn response(name: &str, format: Format, result: &Masked, marker: &str) -> Result<Response> {
    let (body, content_type, extension) = match format {
        Format::Json => (json(name, result)?, "application/json", None),
        Format::Csv => (csv(result, marker)?, "text/csv; charset=utf-8", Some("csv")),
        Format::Parquet => (parquet(result, marker)?, "application/vnd.apache.parquet", Some("parquet")),
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some(extension) = extension {
        let disposition = format!("attachment; filename=\"{name}.{extension}\"");
        response.headers_mut().insert(header::CONTENT_DISPOSITION, disposition.parse()?);
    }
    Ok(response)
}
