//! `safelake rollups`: derive the rollups a lake lacks (`repair`), all of them again after
//! a rollup's definition changed (`rebuild`), or check that they hold exactly the raw
//! events (`check`, exit 1 if not).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use safelake_config::Config;
use safelake_lake::{rollup, Lake};
use safelake_query::Engine;
use safelake_schemas::trust::TrustInfo;
use safelake_schemas::Trust;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
    /// The lake directory (default: [lake], or <data>/lake).
    #[arg(long, global = true)]
    lake: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum What {
    /// Derive the rollup files that live raw files lack (the ingest does this at start).
    Repair,
    /// Derive every rollup file again from the raw files.
    Rebuild,
    /// Compare each rollup with its SQL definition over the raw events.
    Check,
}

pub async fn run(args: Args, config: Config) -> Result<ExitCode> {
    let lake_dir = args.lake.clone().unwrap_or_else(|| config.lake_dir());
    let lake = Lake::new(&lake_dir);
    let started = Instant::now();
    match args.what {
        What::Repair | What::Rebuild => {
            let rebuild = matches!(args.what, What::Rebuild);
            let derived =
                tokio::task::spawn_blocking(
                    move || if rebuild { rollup::rebuild(&lake) } else { rollup::repair(&lake) },
                )
                .await??;
            println!("derived {} rollup files in {:.1} s", derived.files, started.elapsed().as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
        What::Check => {
            // The check reads only the lake's own tables: no school list is needed.
            let trust = Trust {
                trust: TrustInfo { id: "check".into(), name: "rollup check".into() },
                hubs: Vec::new(),
                schools: Vec::new(),
            };
            let engine = Engine::open(&lake_dir, &trust).await?;
            let mut agree = true;
            for c in safelake_query::rollups::check(engine.context()).await? {
                agree &= c.agrees();
                let verdict = if c.agrees() { "agrees" } else { "DISAGREES" };
                println!("{}: {verdict} ({} rows; {} missing, {} extra)", c.rollup, c.rows, c.missing, c.extra);
            }
            println!("checked in {:.1} s", started.elapsed().as_secs_f64());
            Ok(if agree { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
