//! `safelake up --demo` as a new user runs it: a real process on free ports in a
//! temporary data directory, with its own nats-server. It becomes ready, ingests every
//! event of the demo trust, serves the HAB dashboard and a report; stopped with SIGINT and
//! started again on the same directory it holds the same events, none twice.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use safelake_bus::local::free_port;
use safelake_generate::Options;
use safelake_tests::eventually;
use serde_json::Value;

mod common;
use common::{ready, Up, FILTER_EVENTS};

/// The lake's events and distinct event ids, by the director's SQL.
async fn counts(http: &reqwest::Client, base: &str, token: &str) -> Result<(i64, i64)> {
    let union = safelake_schemas::FAMILIES
        .iter()
        .map(|f| format!("SELECT id FROM {}", f.table()))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let sql = format!("SELECT count(*) AS events, count(DISTINCT id) AS ids FROM ({union})");
    let answer: Value = http
        .post(format!("{base}/api/sql"))
        .bearer_auth(token)
        .body(sql)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let row = &answer["rows"][0];
    Ok((row["events"].as_i64().context("events")?, row["ids"].as_i64().context("ids")?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_demo_serves_the_trust_and_restarts_on_the_same_data_without_duplicates() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (port, nats_port) = (free_port()?, free_port()?);
    let http = reqwest::Client::new();
    let options = Options { filter_events: FILTER_EVENTS, ..Options::default() };
    let published = safelake_generate::events(&options).count() as i64;
    let hub = safelake_generate::trust(&options).hubs[0].id.clone();

    let mut up = Up::start(data.path(), port, nats_port)?;
    let line = up.printed("the director's token")?;
    let token = line.rsplit(' ').next().context("the token")?.to_string();
    ready(&http, &up.base).await?;
    eventually(Duration::from_secs(180), "every demo event in the lake", || async {
        Ok(counts(&http, &up.base, &token).await.is_ok_and(|(events, _)| events == published))
    })
    .await?;
    assert_eq!(counts(&http, &up.base, &token).await?, (published, published));

    let page = http.get(format!("{}/dashboards/hab/{hub}", up.base)).bearer_auth(&token).send().await?;
    assert_eq!(page.status(), 200);
    let page = page.text().await?;
    assert!(page.matches("class=\"chart\"").count() >= 4, "the HAB dashboard draws its charts");
    assert!(page.matches("<svg").count() >= 4, "each chart inline, loading nothing");
    let report = http
        .get(format!("{}/api/reports/incident_trends?year=2025-26&format=csv", up.base))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(report.status(), 200);
    let csv = report.text().await?;
    assert!(csv.starts_with("month,") && csv.lines().next().is_some_and(|h| h.contains("incidents")), "{csv}");
    assert!(csv.lines().count() > 12, "a year of months, schools and categories: {csv}");
    up.interrupt()?;

    // Again on the same directory: the same events, none twice, no second token printed.
    let mut up = Up::start(data.path(), port, nats_port)?;
    up.printed("safelake is up")?;
    ready(&http, &up.base).await?;
    assert_eq!(counts(&http, &up.base, &token).await?, (published, published));
    up.interrupt()?;
    assert!(data.path().join("nats/keys/ingest.nk").exists(), "the ingest connected with its own key");
    Ok(())
}

/// The command the README gives under "Run it", as written there.
fn readme_run_command() -> Result<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))?;
    let section = readme.split("\n## Run it").nth(1).context("a \"Run it\" section")?;
    let block = section.split("```sh\n").nth(1).context("a command block")?;
    let command = block.split("```").next().context("the block's end")?.trim();
    if command.lines().count() != 1 {
        bail!("the README's run command is one line, not {command:?}");
    }
    Ok(command.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_run_command_starts_the_service() -> Result<()> {
    let command = readme_run_command()?;
    assert_eq!(command, "scripts/demo");
    let data = tempfile::tempdir()?;
    let (port, nats_port) = (free_port()?, free_port()?);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{command} --listen 127.0.0.1:{port} --pg-listen off --nats-port {nats_port} --filter-events 2000"
        ))
        .current_dir(root)
        .env("SAFELAKE_BIN", env!("CARGO_BIN_EXE_safelake"))
        .env("SAFELAKE_DATA", data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let started = ready(&reqwest::Client::new(), &base).await;
    // SAFETY: kill(2) on our own child's pid (bash execs the script, which execs safelake).
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = child.wait()?;
    started?;
    assert!(status.success(), "{status}");
    assert!(data.path().join("lake").is_dir() && data.path().join("trust.toml").is_file());
    Ok(())
}
