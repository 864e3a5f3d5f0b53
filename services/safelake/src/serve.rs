//! `safelake serve`: the reports, charts and dashboards over HTTP, and the director's SQL
//! over the PostgreSQL protocol, until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use safelake_config::Config;
use safelake_serve::Server;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: crate::lake_arg::LakeArg,
    /// The trust's schools and hubs (default: [trust], or <data>/trust.toml).
    #[arg(long)]
    trust: Option<PathBuf>,
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    access: AccessArgs,
}

/// Where the service listens.
#[derive(clap::Args)]
pub struct ListenArgs {
    /// Where the dashboards and the API listen (default: [http] listen, 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<String>,
    /// Where PostgreSQL clients (psql, DBeaver, Metabase, Power BI) connect for the
    /// director's SQL, or `off` (default: [pgwire] listen, 127.0.0.1:5433).
    #[arg(long)]
    pub pg_listen: Option<String>,
}

impl ListenArgs {
    pub fn apply(&self, config: &mut Config) {
        if let Some(listen) = &self.listen {
            config.http.listen = listen.clone();
        }
        if let Some(listen) = &self.pg_listen {
            config.pgwire.listen = listen.clone();
        }
    }
}

/// Who may see what: where the tokens are, and the suppression threshold.
#[derive(clap::Args)]
pub struct AccessArgs {
    /// The token file (default: [tokens], or <data>/tokens.json).
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    /// Counts below this are withheld from hab members and trustees (default: [access]
    /// suppress_below, 5).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub suppress_below: Option<i64>,
}

impl AccessArgs {
    pub fn apply(&self, config: &mut Config) {
        if let Some(tokens) = &self.tokens {
            config.tokens = Some(tokens.clone());
        }
        if let Some(threshold) = self.suppress_below {
            config.access.suppress_below = threshold;
        }
    }
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    args.lake.apply(&mut config);
    config.trust = args.trust.or(config.trust);
    args.listen.apply(&mut config);
    args.access.apply(&mut config);
    let shutdown = CancellationToken::new();
    crate::signals::cancel_on_signal(shutdown.clone())?;
    let options = crate::configured::serve(&config, crate::configured::trust(&config)?)?;
    let server = Server::start(options, shutdown).await?;
    print_addresses(&server);
    server.wait().await?;
    Ok(ExitCode::SUCCESS)
}

/// Where people and tools reach the service.
pub fn print_addresses(server: &Server) {
    println!("dashboards at http://{}/", server.addr);
    if let Some(addr) = server.pg_addr {
        println!(
            "PostgreSQL clients connect to {} port {} (user: the token's name, password: the token)",
            addr.ip(),
            addr.port()
        );
    }
}
