//! `safelake serve`: the reports, charts and dashboards over HTTP until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use safelake_schemas::Trust;
use safelake_serve::{ServeOptions, Server};
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct Args {
    /// The lake directory.
    #[arg(long, env = "SAFELAKE_LAKE", default_value = "data/lake")]
    lake: PathBuf,
    /// The trust's schools and hubs.
    #[arg(long, env = "SAFELAKE_TRUST", default_value = "data/trust.toml")]
    trust: PathBuf,
    /// Where to listen.
    #[arg(long, env = "SAFELAKE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    let shutdown = CancellationToken::new();
    crate::signals::cancel_on_signal(shutdown.clone())?;
    let trust = Trust::load(&args.trust).with_context(|| format!("reading the trust from {}", args.trust.display()))?;
    let options = ServeOptions { addr: args.listen, lake: args.lake, trust };
    let server = Server::start(options, shutdown).await?;
    println!("dashboards at http://{}/", server.addr);
    server.wait().await?;
    Ok(ExitCode::SUCCESS)
}
