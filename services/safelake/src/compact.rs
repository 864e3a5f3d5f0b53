//! `safelake compact`: one compaction pass over the lake now, the pass the ingest makes
//! every `compact_every_secs`. For a lake written with compaction off (a backfill, `safelake
//! bench lake`), or an operator who would rather not wait: a settled month becomes one
//! file, whose rollup rows are the month's own.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use safelake_config::Config;
use safelake_lake::compact::{compact_lake, CompactionPolicy};
use safelake_lake::Lake;

#[derive(clap::Args)]
pub struct Args {
    /// The lake directory (default: [lake], or <data>/lake).
    #[arg(long)]
    lake: Option<PathBuf>,
}

pub async fn run(args: Args, config: Config) -> Result<ExitCode> {
    let lake = Lake::new(args.lake.unwrap_or_else(|| config.lake_dir()));
    let started = Instant::now();
    // Beside a running ingest too: a partition its compactor holds is skipped, and files
    // committed meanwhile are left for the next pass.
    let done = tokio::task::spawn_blocking(move || compact_lake(&lake, CompactionPolicy::default())).await??;
    let inputs: usize = done.iter().map(|c| c.inputs).sum();
    let rows: usize = done.iter().map(|c| c.rows).sum();
    println!("merged {inputs} files into {} ({rows} rows) in {:.1} s", done.len(), started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
