//! `safelake up`: the whole service on one machine, for a first look or a small trust: a
//! local nats-server with its store and keys under the data directory (unless `--nats`
//! or `[nats] url` names a server), the ingest and the query service in one process;
//! `--demo` also publishes a synthetic trust on first start. Ctrl-C stops everything in
//! order: the query service and the ingest (which commits and acks what it holds), then
//! nats-server (which flushes its store), so nothing is lost.
//!
//! The local nats-server runs the repo's configuration (`deploy/nats/nats.conf`): the
//! ingest connects with its own key, which may only consume, and the demo with one that
//! may publish the schools' events.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use safelake_access::{NewToken, Role, Tokens};
use safelake_bus::keys;
use safelake_bus::local::LocalServer;
use safelake_bus::NatsOptions;
use safelake_config::Config;
use safelake_generate::Options;
use safelake_ingest::Ingest;
use safelake_publish::{context, progress_bar, publish, Outgoing, DEFAULT_WINDOW};
use safelake_schemas::Trust;
use safelake_serve::{Probe, ServeOptions, Server};
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct Args {
    /// Where everything lives: trust.toml, lake/, tokens.json, nats/ (default: [data], data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// An existing NATS server to use instead of starting one (default: [nats] url).
    #[arg(long)]
    nats: Option<String>,
    /// The port of the local nats-server (default: [nats] local_port, 14222: not 4222, so
    /// it never meets another server).
    #[arg(long)]
    nats_port: Option<u16>,
    #[command(flatten)]
    listen: crate::serve::ListenArgs,
    /// Generate and publish a synthetic trust on first start (when there is no trust.toml).
    #[arg(long)]
    demo: bool,
    /// The demo's size in filter events (the other families scale with the schools).
    #[arg(long, default_value_t = 200_000)]
    filter_events: u64,
    #[command(flatten)]
    access: crate::serve::AccessArgs,
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    if let Some(data) = &args.data {
        config.data = data.clone();
    }
    config.nats.url = args.nats.clone().or(config.nats.url.take());
    config.nats.local_port = args.nats_port.unwrap_or(config.nats.local_port);
    args.listen.apply(&mut config);
    args.access.apply(&mut config);

    let shutdown = CancellationToken::new();
    crate::signals::cancel_on_signal(shutdown.clone())?;
    std::fs::create_dir_all(&config.data).with_context(|| format!("creating {}", config.data.display()))?;
    let trust_path = config.trust_file();
    let demo = (args.demo && !trust_path.exists())
        .then(|| Options { filter_events: args.filter_events, ..Options::default() });
    if let Some(options) = &demo {
        std::fs::write(&trust_path, safelake_generate::trust(options).to_toml())
            .with_context(|| format!("writing {}", trust_path.display()))?;
    }
    let trust = crate::configured::trust(&config)?;

    let mut local = None;
    let (ingest_nats, demo_nats) = match &config.nats.url {
        Some(_) => (crate::configured::nats(&config, "safelake up"), crate::configured::nats(&config, "safelake demo")),
        None => {
            let dir = config.nats_store();
            let schools: Vec<(String, String)> =
                trust.schools.iter().map(|s| (s.id.to_string(), s.name.clone())).collect();
            keys::write(&dir, &schools, demo.is_some()).context("writing the local nats-server's keys")?;
            let server = LocalServer::start_with_config(&dir, config.nats.local_port, Some(&dir.join("nats.conf")))
                .context("starting the local nats-server (scripts/setup installs it)")?;
            let with_key = |name: &str, key: &str| {
                let mut options = NatsOptions::new(server.url());
                options.nkey = Some(keys::seed_file(&dir, key));
                options.name = name.to_string();
                options
            };
            let pair = (with_key("safelake up", keys::INGEST), with_key("safelake demo", keys::DEMO));
            local = Some(server);
            pair
        }
    };
    let result = serve(&config, ingest_nats, demo_nats, trust, demo, shutdown).await;
    if let Some(mut server) = local {
        server.stop(Duration::from_secs(10));
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    config: &Config,
    nats: NatsOptions,
    demo_nats: NatsOptions,
    trust: Trust,
    demo: Option<Options>,
    shutdown: CancellationToken,
) -> Result<()> {
    let url = nats.url.clone();
    let ingest = Ingest::start(crate::configured::ingest(config, nats)?, shutdown.clone()).await?;
    let mut options = crate::configured::serve(config, trust)?;
    let health = ingest.health.clone();
    options.probes.push(Probe(Arc::new(move || health.problems())));
    // Printed as soon as it is stored: were the service then to fail to start (a port
    // taken), the next start would find it stored and could not show it again.
    if let Some(token) = first_director_token(&options)? {
        println!("the director's token (shown only now; `safelake token create` makes more): {token}");
    }
    let server = Server::start(options, shutdown.clone()).await?;
    println!("safelake is up (NATS at {url}); Ctrl-C stops it");
    crate::serve::print_addresses(&server);
    let mut published = Ok(());
    if let Some(options) = demo {
        tokio::select! {
            result = publish_demo(&demo_nats, &options) => published = result,
            _ = shutdown.cancelled() => {}
        }
    }
    // A demo that could not be published still stops the rest in order, committing
    // what the ingest holds, before saying why.
    if published.is_err() {
        shutdown.cancel();
    }
    let (ingested, served) = tokio::join!(ingest.wait(), server.wait());
    published.context("publishing the demo trust")?;
    ingested.context("the ingest")?;
    served.context("the query service")
}

/// On first start (no token file yet), a director token, so someone can sign in.
fn first_director_token(options: &ServeOptions) -> Result<Option<String>> {
    if options.tokens.exists() {
        return Ok(None);
    }
    let tokens = Tokens::new(&options.tokens);
    let new = NewToken {
        name: "Director of Inclusion".to_string(),
        role: Role::Director,
        school: None,
        hub: None,
        expires_in_days: None,
    };
    let (_, token) = tokens.create(new, &options.trust)?;
    Ok(Some(token))
}

/// Publishes the synthetic trust's events, with a progress bar on a terminal.
async fn publish_demo(nats: &NatsOptions, options: &Options) -> Result<()> {
    let client = safelake_bus::connect(nats).await?;
    let js = context(client.clone(), DEFAULT_WINDOW);
    let messages = safelake_generate::events(options).map(|event| Outgoing::event(&event));
    let bar = progress_bar(None, "publishing the demo trust");
    let summary = publish(&js, messages, DEFAULT_WINDOW, &bar).await?;
    client.flush().await?;
    println!("demo trust published: {summary}");
    Ok(())
}
