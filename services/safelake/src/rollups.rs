//! `safelake rollups`: bring the rollups up to the raw events' latest version (`repair`;
//! the ingest does this as it runs), derive all of them again after a rollup's
//! definition changed (`rebuild`), or check that they hold exactly the raw events
//! (`check`, exit 1 if not).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use safelake_config::Config;
use safelake_lake::{follow, Lake};
use safelake_query::Engine;
use safelake_schemas::trust::TrustInfo;
use safelake_schemas::Trust;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
    #[command(flatten)]
    lake: crate::lake_arg::LakeArg,
}

#[derive(clap::Subcommand)]
enum What {
    /// Bring every rollup up to the raw events' latest version (the ingest does this as it runs).
    Repair,
    /// Derive every rollup again from the raw events.
    Rebuild,
    /// Compare each rollup with its SQL definition over the raw events.
    Check,
}

pub async fn run(args: Args, config: Config) -> Result<ExitCode> {
    let mut config = config;
    args.lake.apply(&mut config);
    let lake = Lake::open(config.lake_url()?)?;
    let started = Instant::now();
    match args.what {
        What::Repair | What::Rebuild => {
            let done = match args.what {
                What::Rebuild => follow::rebuild(&lake).await?,
                _ => follow::follow(&lake).await?,
            };
            println!(
                "{} rollup commits; every rollup reflects raw version {} ({:.1} s)",
                done.commits,
                done.version,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        What::Check => {
            // The check reads only the lake's own tables: no school list is needed.
            let trust = Trust {
                trust: TrustInfo { id: "check".into(), name: "rollup check".into(), trustees: None },
                hubs: Vec::new(),
                schools: Vec::new(),
            };
            let engine = Engine::open(&lake, &trust).await?;
            let mut agree = true;
            for c in safelake_query::rollups::check(&engine.query()).await? {
                agree &= c.agrees();
                let verdict = if c.agrees() { "agrees" } else { "DISAGREES" };
                println!("{}: {verdict} ({} rows; {} missing, {} extra)", c.rollup, c.rows, c.missing, c.extra);
            }
            println!("checked in {:.1} s", started.elapsed().as_secs_f64());
            Ok(if agree { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
