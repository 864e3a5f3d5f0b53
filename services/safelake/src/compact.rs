//! `safelake compact`: one compaction pass over the lake now, the pass the ingest makes
//! every `compact_every_secs`. For a lake written with compaction off (a backfill, `safelake
//! bench lake`), or an operator who would rather not wait: a settled month becomes one
//! file, whose rollup rows are the month's own.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use safelake_config::Config;
use safelake_lake::compact::{compact_lake, CompactionPolicy};
use safelake_lake::Lake;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: crate::lake_arg::LakeArg,
}

pub async fn run(args: Args, config: Config) -> Result<ExitCode> {
    let mut config = config;
    args.lake.apply(&mut config);
    let lake = Lake::open(config.lake_url()?)?;
    let started = Instant::now();
    // Beside a running ingest too: each merge is one commit, and a partition another
    // compactor merged first is left as it made it.
    let done = compact_lake(&lake, CompactionPolicy::default()).await?;
    // The rollups of the merged months become one file's answer again.
    safelake_lake::follow::follow(&lake).await?;
    let inputs: usize = done.iter().map(|c| c.inputs).sum();
    let rows: usize = done.iter().map(|c| c.rows).sum();
    println!("merged {inputs} files into {} ({rows} rows) in {:.1} s", done.len(), started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
