//! `safelake generate`: a synthetic trust, written as files or published straight to NATS.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use safelake_generate::Options;
use safelake_period::AcademicYear;
use safelake_publish::{context, progress_bar, publish, Outgoing, DEFAULT_WINDOW};

use safelake_config::Config;

use crate::nats_args::NatsArgs;

#[derive(clap::Args)]
pub struct Args {
    /// Directory for trust.toml and events/<family>.jsonl.
    #[arg(long, default_value = "demo")]
    out: PathBuf,
    /// Publish the events to NATS instead of writing event files (trust.toml is still written).
    #[arg(long)]
    publish: bool,
    #[command(flatten)]
    nats: NatsArgs,
    /// The seed: the same seed and options give the same trust, byte for byte.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 12)]
    schools: usize,
    #[arg(long, default_value_t = 3)]
    hubs: usize,
    /// Academic years, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2024-25,2025-26")]
    years: Vec<AcademicYear>,
    /// Filter (blocked or flagged) events across the trust and years.
    #[arg(long, default_value_t = 200_000)]
    filter_events: u64,
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    args.nats.apply(&mut config);
    let options = Options {
        seed: args.seed,
        schools: args.schools,
        hubs: args.hubs,
        academic_years: args.years.clone(),
        filter_events: args.filter_events,
    };
    if !args.publish {
        let summary = safelake_generate::write_dir(&options, &args.out)?;
        println!("wrote {} to {}", summary, args.out.display());
        return Ok(ExitCode::SUCCESS);
    }
    options.check()?;
    std::fs::create_dir_all(&args.out)?;
    let trust = safelake_generate::trust(&options);
    std::fs::write(args.out.join("trust.toml"), trust.to_toml())?;
    let client = safelake_bus::connect(&crate::configured::nats(&config, "safelake generate")).await?;
    let js = context(client.clone(), DEFAULT_WINDOW);
    let messages = safelake_generate::events(&options).map(|event| Outgoing::event(&event));
    let bar = progress_bar(None, "generating and publishing");
    let summary = publish(&js, messages, DEFAULT_WINDOW, &bar).await?;
    client.flush().await?;
    println!("{summary}; trust.toml in {}", args.out.display());
    Ok(if summary.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
