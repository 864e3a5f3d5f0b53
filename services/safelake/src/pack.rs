//! `safelake pack`: a meeting pack produced now, by hand (the schedule of `[schedule]`
//! produces them by itself): a HAB's or the trustees' dashboard as a PDF, as a member of
//! that board sees it, read as the lake stood at the start of a day. Given the same board,
//! year and day, it produces the same figures, whenever it is run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use safelake_config::Config;
use safelake_period::AcademicYear;
use safelake_serve::packs::{self, Board, PackName};

#[derive(clap::Args)]
pub struct Args {
    /// The board: `hab` (with --hub) or `trustees`.
    board: String,
    /// The hub whose Hub Advisory Board the pack is for.
    #[arg(long)]
    hub: Option<String>,
    /// The academic year it covers, like 2025-26 (default: the year of --as-at's day).
    #[arg(long)]
    year: Option<AcademicYear>,
    /// The day at whose start (00:00 UTC) the lake is read, like 2026-12-07 (default: today).
    #[arg(long)]
    as_at: Option<NaiveDate>,
    /// The file to write (default: the pack's name in the packs directory, [schedule] dir).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    lake: crate::lake_arg::LakeArg,
    /// The trust's schools and hubs (default: [trust], or <data>/trust.toml).
    #[arg(long)]
    trust: Option<PathBuf>,
    #[command(flatten)]
    access: crate::serve::AccessArgs,
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    args.lake.apply(&mut config);
    config.trust = args.trust.or(config.trust);
    args.access.apply(&mut config);
    let board = Board::parse(&args.board, args.hub.as_deref()).map_err(anyhow::Error::msg)?;
    let today = chrono::Utc::now().date_naive();
    let day = args.as_at.unwrap_or(today);
    if day > today {
        anyhow::bail!(
            "--as-at {day} is to come: a pack reads the lake as it stood, at the start of today at the latest"
        );
    }
    let name = PackName { board, year: args.year.unwrap_or_else(|| AcademicYear::of(day)), day };
    let options = crate::configured::serve(&config, crate::configured::trust(&config)?)?;
    let who = format!("safelake pack ({})", std::env::var("USER").unwrap_or_else(|_| "operator".into()));
    let out =
        packs::produce_once(&options, &name, args.out, &who).await.with_context(|| format!("producing {name}"))?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}
