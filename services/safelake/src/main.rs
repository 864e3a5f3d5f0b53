//! `safelake`: every service of safelake as a subcommand of one binary.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use safelake_config::Config;

mod bench;
mod compact;
mod config;
mod configured;
mod generate;
mod import;
mod ingest;
mod lake;
mod lake_arg;
mod nats_args;
mod nats_keys;
mod pack;
mod publish;
mod retention;
mod rollups;
mod serve;
mod signals;
mod token;
mod up;
mod validate;

#[derive(Parser)]
#[command(name = "safelake", version, about = "Trust-wide safeguarding analytics: events in, reports out")]
struct Cli {
    /// The configuration file (default: $SAFELAKE_CONFIG, or ./safelake.toml when there
    /// is one; see safelake.example.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check event files against the contract; exit 1 if any event is invalid.
    Validate(validate::Args),
    /// Publish event files to the SAFEGUARDING stream.
    Publish(publish::Args),
    /// Import what a school's systems already emit (filter logs, spreadsheets, the
    /// census), pseudonymised at the school.
    Import(import::Args),
    /// Generate a synthetic trust (trust.toml and events) for demos, tests and benchmarks.
    Generate(generate::Args),
    /// Ingest events from JetStream into the lake's Delta tables, exactly once.
    Ingest(ingest::Args),
    /// Run everything on this machine: a local nats-server, the ingest and the dashboards.
    Up(up::Args),
    /// Serve the reports, charts and dashboards over HTTP.
    Serve(serve::Args),
    /// Derive, rebuild or check the rollups that reports read instead of raw events.
    Rollups(rollups::Args),
    /// Produce a meeting pack (PDF): a HAB's or the trustees' dashboard, as the board's
    /// members see it, as the lake stood at the start of a day.
    Pack(pack::Args),
    /// Create, list or revoke the tokens people and tools sign in with.
    Token(token::Args),
    /// Remove what is past its retention period, recording it in the audit trail.
    Retention(retention::Args),
    /// Merge small files now, as the ingest does every `compact_every_secs`.
    Compact(compact::Args),
    /// The lake's tables: their versions and files (`status`), or convert a lake written
    /// before safelake used Delta Lake (`migrate`).
    Lake(lake::Args),
    /// Write the nats-server configuration and keys: each school publishes only its own events.
    NatsKeys(nats_keys::Args),
    /// Check the configuration (safelake.toml and SAFELAKE_* variables), or show it.
    Config(config::Args),
    /// Measure: `safelake bench ingest` compares the full ingest with a bare consumer.
    Bench(bench::Args),
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    init_logging(cli.log_json);
    let result = run(cli);
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// glibc gives each thread its own heap arena and rarely returns their free memory: with
/// the ingest's commit threads that kept the peak RSS at ~400 MB for ~250 MB of live data.
/// Two arenas (as `MALLOC_ARENA_MAX=2` would) measured at under 300 MB, same throughput.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable; called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let file = cli.config.as_deref();
    let config = || Config::load(file).map(|(config, _)| config);
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Config(args) => config::run(args, file),
        Command::Publish(args) => runtime().block_on(publish::run(args, config()?)),
        Command::Import(args) => runtime().block_on(import::run(args, config()?)),
        Command::Generate(args) => runtime().block_on(generate::run(args, config()?)),
        Command::Ingest(args) => runtime().block_on(ingest::run(args, config()?)),
        Command::Up(args) => runtime().block_on(up::run(args, config()?)),
        Command::Serve(args) => runtime().block_on(serve::run(args, config()?)),
        Command::Pack(args) => runtime().block_on(pack::run(args, config()?)),
        Command::Rollups(args) => runtime().block_on(rollups::run(args, config()?)),
        Command::Retention(args) => runtime().block_on(retention::run(args, config()?)),
        Command::Compact(args) => runtime().block_on(compact::run(args, config()?)),
        Command::Lake(args) => runtime().block_on(lake::run(args, config()?)),
        Command::Bench(args) => runtime().block_on(bench::run(args)),
        Command::Token(args) => token::run(args, config()?),
        Command::NatsKeys(args) => nats_keys::run(args, config()?),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // delta-rs and its kernel narrate every commit and checkpoint at info: an operator
        // reads safelake's own lines unless RUST_LOG asks for theirs.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,deltalake_core=warn,buoyant_kernel=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
