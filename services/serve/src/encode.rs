//! A report's rows in the format a caller asked for: JSON for programs, CSV for
//! spreadsheets, Parquet for analysts' own tools.

use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parquet::arrow::ArrowWriter;
use serde_json::value::RawValue;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Json,
    Csv,
    Parquet,
}

impl Format {
    pub fn parse(text: Option<&str>) -> Result<Format, Error> {
        match text.unwrap_or("json") {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "parquet" => Ok(Format::Parquet),
            other => Err(Error::bad_request(format!("format {other:?} is not one of json, csv, parquet"))),
        }
    }
}

/// `{"report": name, "columns": [...], "rows": [{column: value, ...}]}`, nulls written out.
pub fn json(name: &str, schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let mut rows = Vec::new();
    {
        let mut writer = arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow::json::writer::JsonArray>(&mut rows);
        for batch in batches {
            writer.write(batch).context("encoding rows as JSON")?;
        }
        writer.finish().context("encoding rows as JSON")?;
    }
    if rows.is_empty() {
        rows.extend_from_slice(b"[]");
    }
    let rows: &RawValue = serde_json::from_slice(&rows).context("the JSON writer's output")?;
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    Ok(serde_json::to_vec(&serde_json::json!({"report": name, "columns": columns, "rows": rows}))?)
}

/// CSV with a header row; times in RFC 3339.
pub fn csv(schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(&mut out);
        if batches.is_empty() {
            writer.write(&RecordBatch::new_empty(Arc::new(schema.clone()))).context("encoding CSV")?;
        }
        for batch in batches {
            writer.write(batch).context("encoding CSV")?;
        }
    }
    Ok(out)
}

pub fn parquet(schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, Arc::new(schema.clone()), None)?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(out)
}

/// The HTTP response for a report's result, offered as a download for CSV and Parquet.
pub fn response(name: &str, format: Format, schema: &Schema, batches: &[RecordBatch]) -> Result<Response> {
    let (body, content_type, extension) = match format {
        Format::Json => (json(name, schema, batches)?, "application/json", None),
        Format::Csv => (csv(schema, batches)?, "text/csv; charset=utf-8", Some("csv")),
        Format::Parquet => (parquet(schema, batches)?, "application/vnd.apache.parquet", Some("parquet")),
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some(extension) = extension {
        let disposition = format!("attachment; filename=\"{name}.{extension}\"");
        response.headers_mut().insert(header::CONTENT_DISPOSITION, disposition.parse()?);
    }
    Ok(response)
}
