//! `safelake lake`: what the lake's tables hold (`status`: each table's version, files and
//! rows, how far each ingest worker got and which raw version the rollups reflect), and
//! the conversion of a lake written before safelake used Delta Lake (`migrate`).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use safelake_config::Config;
use safelake_lake::{follow, Lake, TableSpec};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
    #[command(flatten)]
    lake: crate::lake_arg::LakeArg,
}

#[derive(clap::Subcommand)]
enum What {
    /// Each table's version, files and rows, and which raw version the rollups reflect.
    Status,
    /// Convert a lake in the layout before Delta Lake, in place: every id is counted
    /// before and after, and the old files are deleted only when they agree.
    Migrate,
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    args.lake.apply(&mut config);
    let url = config.lake_url()?;
    match args.what {
        What::Migrate => {
            let Some(dir) = url.as_dir() else {
                bail!("{url} is an object store: only a lake on this machine can be in the layout before Delta Lake");
            };
            if !safelake_lake::migrate::needs_migration(dir) {
                println!("{}: every table is a Delta table already", dir.display());
                return Ok(ExitCode::SUCCESS);
            }
            let started = Instant::now();
            for m in safelake_lake::migrate::migrate(dir).await? {
                println!(
                    "{}: {} files, {} rows converted; {} ids before and after (fingerprint {:016x})",
                    m.table, m.files, m.rows, m.fingerprint.0, m.fingerprint.1
                );
            }
            let followed = follow::follow(&Lake::at(dir)?).await?;
            println!(
                "rollups derived again ({} commits); converted in {:.1} s",
                followed.commits,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        What::Status => {
            if url.as_dir().is_some_and(safelake_lake::migrate::needs_migration) {
                println!("the lake is in the layout before Delta Lake: run `safelake lake migrate`");
                return Ok(ExitCode::FAILURE);
            }
            let lake = Lake::open(url)?;
            println!("| table | version | files | rows | notes |");
            println!("|---|---:|---:|---:|---|");
            for spec in TableSpec::all() {
                let table = lake.table(&spec).await?;
                let files = table.files();
                let rows: usize = files.iter().filter_map(|f| f.rows).sum();
                let mut notes = Vec::new();
                for (source, rollups) in follow::sources() {
                    if rollups.iter().any(|r| r.table == spec.name) {
                        notes.push(format!(
                            "reflects {} version {}",
                            source.name,
                            follow::reflects(&table, source.name).await?
                        ));
                    }
                }
                println!("| {} | {} | {} | {rows} | {} |", spec.name, table.version(), files.len(), notes.join("; "));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
