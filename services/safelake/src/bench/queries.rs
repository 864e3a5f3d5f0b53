//! `safelake bench queries`: how long every report and the HAB dashboard take on a lake,
//! and how much memory the query service needs for them.
//!
//! Reports run through the same library call the service makes (`reports::run`), so the
//! figures follow whatever the reports read (raw events or rollups). Each report runs
//! trust-wide and scoped to one hub (what a HAB member sees), for the same academic year.
//! Run it in a process of its own (not after writing a lake), so that its peak memory is
//! the query service's alone. `scripts/bench-duckdb.py` prints DuckDB's figures for the
//! same reports in the same layout.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use safelake_access::{NewToken, Role, Tokens};
use safelake_period::{AcademicYear, Window};
use safelake_query::{reports, Engine};
use safelake_schemas::{HubId, Trust};
use safelake_serve::{ServeOptions, Server};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct Args {
    /// The lake directory.
    #[arg(long)]
    lake: PathBuf,
    /// The trust's schools and hubs (`trust.toml`).
    #[arg(long)]
    trust: PathBuf,
    /// Timed runs of each report and of the dashboard.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The academic year every report and the dashboard is asked for.
    #[arg(long, default_value = "2025-26")]
    year: AcademicYear,
    /// The hub of the hub-scoped runs and the dashboard (default: the trust's first).
    #[arg(long)]
    hub: Option<HubId>,
    /// Only these reports, comma-separated (default: every report).
    #[arg(long, value_delimiter = ',')]
    reports: Vec<String>,
    /// Skip the dashboard.
    #[arg(long)]
    no_dashboard: bool,
    /// Also write the figures as JSON here (read by scripts/bench-duckdb.py --compare).
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The timings of one thing measured `runs` times.
struct Timed {
    runs: Vec<Duration>,
    /// Rows of a report; bytes of a page.
    rows: usize,
    /// Peak RSS while it ran, in MiB; `None` where the kernel cannot reset the peak, so
    /// that only the process's overall peak is known.
    peak_mib: Option<f64>,
}

impl Timed {
    fn median(&self) -> f64 {
        let mut secs: Vec<f64> = self.runs.iter().map(Duration::as_secs_f64).collect();
        secs.sort_by(f64::total_cmp);
        let n = secs.len();
        if n % 2 == 1 {
            secs[n / 2]
        } else {
            (secs[n / 2 - 1] + secs[n / 2]) / 2.0
        }
    }

    fn min(&self) -> f64 {
        self.runs.iter().map(Duration::as_secs_f64).fold(f64::INFINITY, f64::min)
    }
}

pub async fn run(args: Args) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let trust = Trust::load(&args.trust).with_context(|| format!("reading {}", args.trust.display()))?;
    let hub = match &args.hub {
        Some(hub) => hub.clone(),
        None => trust.hubs.first().context("the trust has no hub")?.id.clone(),
    };
    let selected: Vec<&reports::Report> = reports::REPORTS
        .iter()
        .filter(|r| args.reports.is_empty() || args.reports.iter().any(|n| n == r.name))
        .collect();
    for name in &args.reports {
        if reports::find(name).is_none() {
            bail!("no report {name:?}");
        }
    }
    let files = count_files(&args.lake)?;
    println!(
        "lake {} ({files} Parquet files), year {}, hub {hub}, {} runs each; DataFusion {}",
        args.lake.display(),
        args.year,
        args.runs,
        datafusion_version()
    );
    let mut overall_peak = 0f64;
    let mut rows_json = Vec::new();
    println!();
    println!("| report | scope | rows | median s | min s | peak MiB |");
    println!("|---|---|---:|---:|---:|---:|");
    {
        let engine = Engine::open(&safelake_lake::Lake::at(&args.lake)?, &trust).await?;
        for report in selected {
            for (scope, hub) in [("trust", None), ("hub", Some(hub.clone()))] {
                let params = reports::Params { window: Window::year(args.year), hub, ..reports::Params::default() };
                let reset = reset_peak();
                let mut timed = Timed { runs: Vec::new(), rows: 0, peak_mib: None };
                for _ in 0..args.runs {
                    let started = Instant::now();
                    let batches = reports::run(&engine.query(), report.name, &params).await?;
                    timed.runs.push(started.elapsed());
                    timed.rows = batches.iter().map(|b| b.num_rows()).sum();
                }
                let peak = peak_rss_mib();
                overall_peak = overall_peak.max(peak);
                timed.peak_mib = reset.then_some(peak);
                print_row(report.name, scope, &timed);
                rows_json.push(timed_json(report.name, scope, &timed));
            }
        }
    }

    let path = format!("/dashboards/hab/{hub}?year={}", args.year);
    let dashboard = if args.no_dashboard {
        None
    } else {
        // The engine above is gone; a fresh server opens its own and reads its small
        // tables while /readyz says it is not ready (the OS file cache is warm from the
        // reports): the time to ready, then the first request, then the rest.
        let reset = reset_peak();
        let measured = dashboard(&args, &trust, &path, &hub).await;
        let peak = peak_rss_mib();
        overall_peak = overall_peak.max(peak);
        match measured {
            Ok((ready, first, mut timed)) => {
                timed.peak_mib = reset.then_some(peak);
                let peak = timed.peak_mib.map_or("-".to_string(), |p| format!("{p:.0}"));
                let (median, min) = (timed.median(), timed.min());
                println!("| GET {path} | hub | {} bytes | {median:.3} | {min:.3} | {peak} |", timed.rows);
                println!("| (start to ready: small tables read) | | | {:.3} | | |", ready.as_secs_f64());
                println!("| (its first request once ready) | hub | | {:.3} | | |", first.as_secs_f64());
                Some(Ok((ready, first, timed)))
            }
            // The reports' figures stand on their own: say why, and keep them.
            Err(error) => {
                println!("| GET {path} | hub | failed: {error:#} | | | |");
                Some(Err(format!("{error:#}")))
            }
        }
    };
    println!();
    println!("peak RSS of this process: {overall_peak:.0} MiB (VmHWM)");

    if let Some(json_path) = &args.json {
        let mut out = json!({
            "engine": "datafusion",
            "version": datafusion_version(),
            "lake": args.lake,
            "files": files,
            "year": args.year,
            "hub": hub,
            "runs": args.runs,
            "reports": rows_json,
            "peak_mib": overall_peak,
        });
        match &dashboard {
            Some(Ok((ready, first, timed))) => {
                out["dashboard"] = timed_json(&path, "hub", timed);
                out["dashboard"]["ready_s"] = json!(ready.as_secs_f64());
                out["dashboard"]["first_s"] = json!(first.as_secs_f64());
            }
            Some(Err(error)) => out["dashboard"] = json!({ "name": path, "error": error }),
            None => {}
        }
        std::fs::write(json_path, serde_json::to_string_pretty(&out)?)
            .with_context(|| format!("writing {}", json_path.display()))?;
    }
    Ok(())
}

/// Starts the query service in this process and times the HAB dashboard over HTTP, as
/// a member of that hub sees it (suppression included): the wait until `/readyz` answers
/// 200, the first request, then `runs` more.
async fn dashboard(args: &Args, trust: &Trust, path: &str, hub: &HubId) -> Result<(Duration, Duration, Timed)> {
    let shutdown = CancellationToken::new();
    let mut options = ServeOptions::new("127.0.0.1:0".parse()?, safelake_lake::LakeUrl::dir(&args.lake), trust.clone());
    let tokens = tempfile::tempdir()?;
    options.tokens = tokens.path().join("tokens.json");
    let member =
        NewToken { name: "bench".into(), role: Role::Hab, school: None, hub: Some(hub.clone()), expires_in_days: None };
    let (_, token) = Tokens::new(&options.tokens).create(member, trust)?;
    let server = Server::start(options, shutdown.clone()).await?;
    let started = Instant::now();
    let mut waited = get(server.addr, "/readyz", &token).await;
    while let Err(error) = waited {
        if started.elapsed() > Duration::from_secs(600) {
            return Err(error.context("the service was not ready after 10 minutes"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited = get(server.addr, "/readyz", &token).await;
    }
    let ready = started.elapsed();
    let started = Instant::now();
    let (_, bytes) = get(server.addr, path, &token).await?;
    let first = started.elapsed();
    let mut timed = Timed { runs: Vec::new(), rows: bytes, peak_mib: None };
    for _ in 0..args.runs {
        let started = Instant::now();
        let (_, bytes) = get(server.addr, path, &token).await?;
        timed.runs.push(started.elapsed());
        timed.rows = bytes;
    }
    shutdown.cancel();
    server.wait().await?;
    Ok((ready, first, timed))
}

/// One HTTP/1.1 GET, read to the end; an error unless the status is 200. Returns the
/// status and the response's size in bytes. (A plain request keeps an HTTP client
/// crate out of the binary.)
async fn get(addr: SocketAddr, path: &str, token: &str) -> Result<(u16, usize)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let head = String::from_utf8_lossy(&response[..response.len().min(200)]).into_owned();
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    if status != 200 {
        let body = String::from_utf8_lossy(&response);
        bail!("GET {path}: {}", body.chars().take(2_000).collect::<String>());
    }
    Ok((status, response.len()))
}

fn print_row(name: &str, scope: &str, timed: &Timed) {
    let peak = timed.peak_mib.map_or("-".to_string(), |p| format!("{p:.0}"));
    println!("| {name} | {scope} | {} | {:.3} | {:.3} | {peak} |", timed.rows, timed.median(), timed.min());
}

fn timed_json(name: &str, scope: &str, timed: &Timed) -> serde_json::Value {
    json!({
        "name": name,
        "scope": scope,
        "rows": timed.rows,
        "median_s": timed.median(),
        "min_s": timed.min(),
        "runs_s": timed.runs.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "peak_mib": timed.peak_mib,
    })
}

/// Resets this process's peak RSS to its current RSS (Linux 4.0 and later), so the next
/// reading is the peak of what ran since. False where the kernel refuses.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_rss_mib() -> f64 {
    super::peak_rss_mb(std::process::id())
}

fn count_files(dir: &std::path::Path) -> Result<usize> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        total += if entry.file_type()?.is_dir() {
            count_files(&entry.path())?
        } else {
            usize::from(entry.file_name().to_string_lossy().ends_with(".parquet"))
        };
    }
    Ok(total)
}

fn datafusion_version() -> &'static str {
    datafusion::DATAFUSION_VERSION
}
