//! `safelake`: every service of safelake as a subcommand of one binary.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod generate;
mod ingest;
mod nats_args;
mod publish;
mod signals;
mod validate;

#[derive(Parser)]
#[command(name = "safelake", version, about = "Trust-wide safeguarding analytics: events in, reports out")]
struct Cli {
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
    /// Generate a synthetic trust (trust.toml and events) for demos, tests and benchmarks.
    Generate(generate::Args),
    /// Ingest events from JetStream into the Parquet lake, exactly once.
    Ingest(ingest::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Publish(args) => runtime().block_on(publish::run(args)),
        Command::Generate(args) => runtime().block_on(generate::run(args)),
        Command::Ingest(args) => runtime().block_on(ingest::run(args)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
