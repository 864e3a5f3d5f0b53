//! The dashboards in a real headless Chromium (Debian's, driven by `tests/browser/`): every
//! page of a generated trust loads with no failed request, no console error and nothing
//! from another host; every chart its definition in `dashboards/` lists is drawn; every
//! download link answers; no table is wider than its page, on screen at 1280 px or
//! printed on A4. The browser signs in on the sign-in page first, as the director, and
//! again as a trustee and as a HAB member, whose every chart must still show figures
//! after small numbers are withheld (on a trust of the demo's size: four schools a hub). Screenshots
//! (screen and print) are kept in `target/screenshots/` to look at.
//!
//! Needs `scripts/setup` (it installs chromium and the node packages).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use safelake_access::{NewToken, Role, Tokens};
use safelake_generate::Options;
use safelake_lake::Lake;
use safelake_schemas::HubId;
use safelake_serve::{ServeOptions, Server};
use safelake_tests::lake::write_events;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_path_buf()
}

/// How many charts and tables a dashboard definition lists, read from its TOML here
/// rather than from the service.
fn listed(dashboard: &str) -> Result<(usize, usize)> {
    let path = workspace().join("dashboards").join(format!("{dashboard}.toml"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let definition: toml::Value = toml::from_str(&text)?;
    let (mut charts, mut tables) = (0, 0);
    for section in definition["sections"].as_array().context("sections")? {
        for item in section["items"].as_array().context("items")? {
            charts += usize::from(item.get("chart").is_some());
            tables += usize::from(item.get("table").is_some());
        }
    }
    Ok((charts, tables))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_loads_cleanly_in_headless_chromium() -> Result<()> {
    let script = workspace().join("tests/browser/dashboards.mjs");
    if !workspace().join("tests/browser/node_modules/playwright-core").exists() {
        bail!("tests/browser/node_modules is missing: run `. scripts/setup` (it runs npm ci there)");
    }
    let options = Options { filter_events: 20_000, ..Options::default() };
    let trust = safelake_generate::trust(&options);
    let dir = tempfile::tempdir()?;
    write_events(&Lake::at(dir.path()).unwrap(), safelake_generate::events(&options).map(|e| e.to_value()).collect())
        .await;

    let stop = CancellationToken::new();
    let mut serve = ServeOptions::new("127.0.0.1:0".parse()?, safelake_lake::LakeUrl::dir(dir.path()), trust.clone());
    serve.tokens = dir.path().join("tokens.json");
    let hub = trust.hubs[0].id.clone();
    let school = &trust.schools[0].id;
    let token = |role: Role, hub: Option<&HubId>| -> Result<String> {
        let new = NewToken { name: role.to_string(), role, school: None, hub: hub.cloned(), expires_in_days: None };
        Ok(Tokens::new(&serve.tokens).create(new, &trust)?.1)
    };
    let (director, hab, trustee) =
        (token(Role::Director, None)?, token(Role::Hab, Some(&hub))?, token(Role::Trustee, None)?);
    let server = Server::start(serve, stop.clone()).await?;
    let base = format!("http://{}", server.addr);
    let pages = [
        ("/".to_string(), None),
        (format!("/dashboards/hab/{hub}"), Some("hab")),
        (format!("/dashboards/hab/{hub}?year=2024-25"), Some("hab")),
        ("/dashboards/trustees".to_string(), Some("trustees")),
        (format!("/dashboards/school/{school}"), Some("school")),
        ("/sql".to_string(), None),
    ];
    let shots = workspace().join("target/screenshots");
    let paths: Vec<&str> = pages.iter().map(|(path, _)| path.as_str()).collect();
    let visits = browse(&script, &base, &director, &shots, &paths).await?;
    assert_eq!(visits.len(), pages.len(), "one report per page");
    let host = server.addr.to_string();
    for visit in &visits {
        let path = &visit["path"];
        assert_eq!(visit["overflow_screen"], serde_json::json!([]), "{path}: tables wider than the page at 1280 px");
        assert_eq!(visit["overflow_print"], serde_json::json!([]), "{path}: tables wider than A4");
    }
    for ((path, dashboard), visit) in pages.iter().zip(&visits) {
        assert_eq!(visit["path"], path.as_str());
        assert_eq!(visit["status"], 200, "{path}");
        assert_eq!(visit["failed"], serde_json::json!([]), "{path}: failed requests");
        assert_eq!(visit["errors"], serde_json::json!([]), "{path}: console errors");
        assert_eq!(visit["hosts"], serde_json::json!([host]), "{path}: only the service itself is asked");
        for download in visit["downloads"].as_array().context("downloads")? {
            assert_eq!(download["status"], 200, "{path}: {download}");
            let want = match download["name"].as_str() {
                Some("Chart (SVG)") => "image/svg+xml",
                Some("Chart (PNG)") => "image/png",
                Some("Table (CSV)") => "text/csv; charset=utf-8",
                other => panic!("{path}: an unexpected download {other:?}"),
            };
            assert_eq!(download["type"], want, "{path}: {download}");
        }
        assert!(Path::new(visit["screenshot"].as_str().unwrap()).exists());
        if path == "/sql" {
            assert_eq!(visit["console_rows"], trust.schools.len(), "the console's example: a row per school");
        }
        let Some(dashboard) = dashboard else { continue };
        let (charts, tables) = listed(dashboard)?;
        let drawn = visit["charts"].as_array().context("charts")?;
        assert_eq!(drawn.len(), charts, "{path}: every chart of dashboards/{dashboard}.toml");
        for chart in drawn {
            assert!(chart["width"].as_u64() > Some(200) && chart["height"].as_u64() > Some(150), "{path}: {chart}");
            // Axes, a legend or labels, and at least one bar or line.
            assert!(chart["marks"].as_u64() >= Some(4) && chart["texts"].as_u64() >= Some(4), "{path}: {chart}");
        }
        assert!(visit["tables"].as_u64() >= Some(tables as u64), "{path}: every table");
        let downloads = visit["downloads"].as_array().unwrap().len();
        assert_eq!(downloads, 3 * charts + tables, "{path}: SVG, PNG and CSV per chart, CSV per table");
    }

    // The governance roles: every chart of the HAB's page shows figures (the trustees'
    // review still has charts split by school whose every sum holds a withheld figure).
    // That no count from 1 to 4 reaches them is checked figure by figure, against the
    // truth, in governance.rs: a page cannot tell a count from a year group.
    let governance =
        [(&hab, format!("/dashboards/hab/{hub}"), true), (&trustee, "/dashboards/trustees".to_string(), false)];
    for (token, path, every_chart) in governance {
        let shots = shots.join("governance");
        let visit = browse(&script, &base, token, &shots, &[path.as_str()]).await?.remove(0);
        assert_eq!(visit["status"], 200, "{path}");
        assert_eq!(visit["failed"], serde_json::json!([]), "{path}: failed requests");
        assert_eq!(visit["overflow_screen"], serde_json::json!([]), "{path}: tables wider than the page");
        assert_eq!(visit["overflow_print"], serde_json::json!([]), "{path}: tables wider than A4");
        let charts = visit["charts"].as_array().context("charts")?;
        assert!(!charts.is_empty(), "{path}: charts");
        for chart in charts {
            if every_chart {
                assert_eq!(chart["empty"], false, "{path}: a chart with every figure withheld: {chart}");
                assert!(chart["shown"].as_u64() > Some(0), "{path}: a chart with no figure shown: {chart}");
            }
        }
    }
    stop.cancel();
    server.wait().await
}

/// Visits `paths` in Chromium signed in with `token`: one report per page.
async fn browse(script: &Path, base: &str, token: &str, shots: &Path, paths: &[&str]) -> Result<Vec<Value>> {
    let mut command = Command::new("node");
    command.env("SAFELAKE_TOKEN", token).arg(script).arg(base).arg(shots).args(paths);
    // The browser runs on a blocking thread so the service keeps answering it.
    let output = tokio::task::spawn_blocking(move || command.output()).await?.context("running node")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the browser run failed: {stderr}");
    let visits: Vec<Value> =
        String::from_utf8(output.stdout)?.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    assert_eq!(visits.len(), paths.len(), "one report per page: {stderr}");
    Ok(visits)
}
