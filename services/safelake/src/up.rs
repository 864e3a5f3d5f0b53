//! `safelake up`: the whole service on one machine, for a first look or a small trust: a
//! local nats-server with its store under the data directory (unless `--nats` names a
//! server), the ingest and the query service in one process; `--demo` also publishes a
//! synthetic trust on first start. Ctrl-C stops everything in order: the query service
//! and the ingest (which commits and acks what it holds), then nats-server (which flushes
//! its store), so nothing is lost.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use safelake_bus::local::LocalServer;
use safelake_bus::NatsOptions;
use safelake_generate::Options;
use safelake_ingest::{Ingest, IngestOptions};
use safelake_publish::{context, progress_bar, publish, Outgoing, DEFAULT_WINDOW};
use safelake_schemas::Trust;
use safelake_serve::{ServeOptions, Server};
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct Args {
    /// Where everything lives: trust.toml, lake/, nats/ (the local server's store).
    #[arg(long, env = "SAFELAKE_DATA", default_value = "data")]
    data: PathBuf,
    /// An existing NATS server to use instead of starting one.
    #[arg(long, env = "SAFELAKE_NATS_URL")]
    nats: Option<String>,
    /// The port of the local nats-server (not 4222, so it never meets another server).
    #[arg(long, default_value_t = 14222)]
    nats_port: u16,
    /// Where the dashboards and the API listen.
    #[arg(long, env = "SAFELAKE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Generate and publish a synthetic trust on first start (when there is no trust.toml).
    #[arg(long)]
    demo: bool,
    /// The demo's size in filter events (the other families scale with the schools).
    #[arg(long, default_value_t = 200_000)]
    filter_events: u64,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    let shutdown = CancellationToken::new();
    crate::signals::cancel_on_signal(shutdown.clone())?;
    std::fs::create_dir_all(&args.data).with_context(|| format!("creating {}", args.data.display()))?;
    let trust_path = args.data.join("trust.toml");
    let demo = (args.demo && !trust_path.exists())
        .then(|| Options { filter_events: args.filter_events, ..Options::default() });
    if let Some(options) = &demo {
        std::fs::write(&trust_path, safelake_generate::trust(options).to_toml())?;
    }
    if !trust_path.exists() {
        bail!(
            "no trust at {}: write one (see README, \"Operator\") or run `safelake up --demo` for a synthetic trust",
            trust_path.display()
        );
    }
    let trust = Trust::load(&trust_path).with_context(|| format!("reading {}", trust_path.display()))?;

    let mut local = None;
    let url = match &args.nats {
        Some(url) => url.clone(),
        None => {
            let server = LocalServer::start(&args.data.join("nats"), args.nats_port)
                .context("starting the local nats-server (scripts/setup installs it)")?;
            let url = server.url();
            local = Some(server);
            url
        }
    };
    let result = serve(&args, url.clone(), trust, demo, shutdown).await;
    if let Some(mut server) = local {
        server.stop(Duration::from_secs(10));
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    args: &Args,
    url: String,
    trust: Trust,
    demo: Option<Options>,
    shutdown: CancellationToken,
) -> Result<()> {
    let lake = args.data.join("lake");
    let mut ingest = IngestOptions::new(NatsOptions::new(&url), &lake);
    ingest.workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ingest = Ingest::start(ingest, shutdown.clone()).await?;
    let server = Server::start(ServeOptions { addr: args.listen, lake, trust }, shutdown.clone()).await?;
    println!("safelake is up: dashboards at http://{}/ (NATS at {url}); Ctrl-C stops it", server.addr);
    if let Some(options) = demo {
        tokio::select! {
            published = publish_demo(&url, &options) => published?,
            _ = shutdown.cancelled() => {}
        }
    }
    let (ingested, served) = tokio::join!(ingest.wait(), server.wait());
    ingested.context("the ingest")?;
    served.context("the query service")
}

/// Publishes the synthetic trust's events, with a progress bar on a terminal.
async fn publish_demo(url: &str, options: &Options) -> Result<()> {
    let client = safelake_bus::connect(&NatsOptions::new(url)).await?;
    let js = context(client.clone(), DEFAULT_WINDOW);
    let messages = safelake_generate::events(options).map(|event| Outgoing {
        subject: event.subject(),
        id: Some(event.id.clone()),
        payload: event.to_json().into(),
    });
    let bar = progress_bar(None, "publishing the demo trust");
    let summary = publish(&js, messages, DEFAULT_WINDOW, &bar).await?;
    client.flush().await?;
    println!("demo trust published: {summary}");
    Ok(())
}
