//! Meeting packs: the HAB dashboard of a hub and the trustees' review as PDF files, A4, to
//! circulate before a meeting and to keep as the record of what the board was given.
//!
//! A pack is its board's dashboard composed for one of its members ([`Board::reader`]),
//! so it withholds what their page withholds, read as the lake stood at the start of its
//! day ([`PackName`]): produced again from its name, later, it holds the same figures.
//! It is printed by a headless Chromium ([`print`]), written into the packs directory,
//! listed on `/` for those who may open the board's dashboard, and every production and
//! download is in the audit trail. [`clerk`] produces them on the days [`schedule`]
//! works out from the configuration (a week before each meeting, say).

pub mod clerk;
mod name;
pub mod print;
pub mod schedule;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, SecondsFormat, Utc};
use minijinja::context;
use safelake_access::Principal;
use safelake_audit::{Entry, Kind};

pub use name::{Board, PackName};
pub use schedule::{Covers, PackOptions, Scheduled};

use crate::audited::Audited;
use crate::compose::compose;
use crate::error::Error;
use crate::state::AppState;

/// The stylesheet a pack carries inside it: the pages' own (their print rules included)
/// and the pack's cover and page furniture.
const STYLE: &str = concat!(include_str!("../../static/style.css"), include_str!("../../static/pack.css"));

/// A pack as printed.
pub struct Produced {
    pub pdf: Vec<u8>,
    /// The rows of the reports in it, for the trail.
    pub rows: usize,
}

/// Composes and prints `name`, stating that it was produced at `produced`. A pack any of
/// whose reports failed is not produced: a board is given the whole pack or none.
pub async fn produce(state: &AppState, name: &PackName, produced: DateTime<Utc>) -> Result<Produced> {
    let board = &name.board;
    let reader = board.reader();
    let composed = compose(state, &reader, board.dashboard(), &board.scope(), Some(&name.query()), name.year)
        .await
        .map_err(|e| anyhow::anyhow!("composing {name}: {}", e.trail()))?;
    if !composed.failed.is_empty() {
        anyhow::bail!("{name} would miss reports that failed: {}", composed.failed.join("; "));
    }
    let contents: Vec<String> =
        state.catalogue.dashboard(board.dashboard()).sections.iter().map(|s| s.heading.clone()).collect();
    let html = state
        .templates
        .render(
            "pack.html",
            context! {
                style => STYLE,
                trust => state.trust.trust.name,
                readers => board.readers(&state.trust),
                as_at_words => name.as_at_words(),
                produced => produced.to_rfc3339_opts(SecondsFormat::Secs, true),
                command => name.command(),
                footer => footer(&state.trust.trust.name, name),
                contents,
                printed => true,
                ..composed.context(state)
            },
        )
        .map_err(|e| anyhow::anyhow!("rendering {name}: {}", e.trail()))?;
    let browser = print::browser(state.packs.browser.as_deref())?;
    let pdf = print::pdf(&browser, &html.0).await.with_context(|| format!("printing {name}"))?;
    Ok(Produced { pdf, rows: composed.rows })
}

/// The line at the foot of every page, as CSS text (no quote or backslash to escape).
fn footer(trust: &str, name: &PackName) -> String {
    let text = format!("{trust} · {} · as at {}", name.year, name.day.format("%-d %B %Y"));
    text.chars().filter(|c| !matches!(c, '"' | '\\' | '\n' | '\r')).collect()
}

/// Produces `name` into `out` and records it in the audit trail as done by `who` through
/// `via` (`schedule`, `cli`), failures included. The pack is written beside `out` first
/// and moved into place only once the trail holds it: no pack is listed or sent that the
/// trail does not hold, and none half-written.
pub async fn produce_into(state: &AppState, name: &PackName, out: &Path, who: &str, via: &'static str) -> Result<()> {
    let (at, started) = (Utc::now(), Instant::now());
    let partial = out.with_extension("pdf.partial");
    let produced = produce(state, name, at).await;
    let written = match &produced {
        Ok(pack) => write(&partial, &pack.pdf).await,
        Err(_) => Ok(()),
    };
    let failure =
        produced.as_ref().err().map(|e| format!("{e:#}")).or_else(|| written.as_ref().err().map(|e| format!("{e:#}")));
    let entry = Entry {
        at,
        who: who.to_string(),
        token_id: None,
        role: Some(name.board.reader().role.to_string()),
        address: None,
        via,
        kind: Kind::Pack,
        what: name.to_string(),
        detail: Some(name.query()),
        scope: Some(name.board.scope().label()),
        rows: produced.as_ref().ok().and_then(|p| i64::try_from(p.rows).ok()),
        status: if failure.is_some() { 500 } else { 200 },
        message: failure,
        millis: safelake_audit::millis_since(started),
    };
    let recorded = state.audit.record(entry).await.with_context(|| format!("recording {name} in the audit trail"));
    if recorded.is_err() || produced.is_err() || written.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    recorded?;
    produced?;
    written?;
    tokio::fs::rename(&partial, out).await.with_context(|| format!("moving the pack into {}", out.display()))
}

/// Writes `bytes` to `path`, making its directory.
async fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir).await.with_context(|| format!("creating {}", dir.display()))?;
    }
    tokio::fs::write(path, bytes).await.with_context(|| format!("writing {}", path.display()))
}

/// The packs in the directory that `who` may open, newest first.
pub async fn listed(state: &AppState, who: &Principal) -> Vec<minijinja::Value> {
    let mut names = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(&state.packs.dir).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            let Some(name) = entry.file_name().to_str().and_then(|n| n.parse::<PackName>().ok()) else { continue };
            if may_open(state, who, &name) {
                let bytes = entry.metadata().await.map(|m| m.len()).unwrap_or(0);
                names.push((name, bytes));
            }
        }
    }
    names.sort_by(|(a, _), (b, _)| b.day.cmp(&a.day).then_with(|| a.board.cmp(&b.board)));
    names
        .into_iter()
        .map(|(name, bytes)| {
            context! {
                href => format!("/packs/{name}"),
                readers => name.board.readers(&state.trust),
                year => name.year.to_string(),
                as_at => name.day.format("%-d %B %Y").to_string(),
                size => format!("{} KB", bytes.div_ceil(1024)),
            }
        })
        .collect()
}

/// Whether `who` may open the pack: whoever opens its board's dashboard for its scope.
fn may_open(state: &AppState, who: &Principal, name: &PackName) -> bool {
    state.opens(who, name.board.dashboard(), &name.board.scope())
}

/// `/packs/{file}`: a pack, to those who may open its board's dashboard.
pub async fn download(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    UrlPath(file): UrlPath<String>,
) -> crate::error::Result<Response> {
    let name: PackName = file.parse().map_err(|e: String| Error::not_found(e).page())?;
    if !may_open(&state, &who, &name) {
        return Err(Error::forbidden(format!(
            "this pack is for {}, which the {} role in its scope does not open; the packs you may open are listed on /",
            name.board.readers(&state.trust),
            who.role
        ))
        .page());
    }
    let path = state.packs.dir.join(name.to_string());
    let pdf = match tokio::fs::read(&path).await {
        Ok(pdf) => pdf,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::not_found(format!("there is no pack {name}; the packs there are listed on /")).page())
        }
        Err(e) => {
            return Err(Error::internal(anyhow::Error::from(e).context(format!("reading {}", path.display()))).page())
        }
    };
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_string()),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
    ];
    Ok(Audited::new(&name.board.scope(), 0).on((headers, pdf).into_response()))
}

/// Produces one pack outside the service (`safelake pack`): opens the lake as the service
/// does, writes the pack to `out` (default: its name in the packs directory) and records
/// it in the audit trail as done by `who`.
pub async fn produce_once(
    options: &crate::ServeOptions,
    name: &PackName,
    out: Option<PathBuf>,
    who: &str,
) -> Result<PathBuf> {
    let (state, writer) = AppState::open(options).await?;
    let out = out.unwrap_or_else(|| state.packs.dir.join(name.to_string()));
    let result = produce_into(&state, name, &out, who, "cli").await;
    drop(state);
    writer.finish().await;
    result.map(|()| out)
}
