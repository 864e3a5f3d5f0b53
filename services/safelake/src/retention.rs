//! `safelake retention apply [--dry-run]`: removes the whole partitions (a school's
//! month) that are past their table's retention period in `[retention]`, and records each
//! removal in the audit trail (who ran it, what was removed, how many rows).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Utc;
use safelake_audit::{AuditTrail, Entry, Kind};
use safelake_config::Config;
use safelake_lake::retention::{self, Expired};
use safelake_lake::Lake;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// The lake directory (default: [lake], or <data>/lake).
    #[arg(long, global = true)]
    lake: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Remove what is past its period.
    Apply {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    config.lake = args.lake.or(config.lake);
    let Command::Apply { dry_run } = args.command;
    let policies = config.retention_policies()?;
    if policies.is_empty() {
        println!("no [retention] periods are set: every table is kept for ever");
        return Ok(ExitCode::SUCCESS);
    }
    let lake = Lake::new(config.lake_dir());
    let today = Utc::now().date_naive();
    let mut expired = Vec::new();
    for policy in &policies {
        let found = retention::expired(&lake, policy, today)?;
        println!(
            "{}: kept {} months (from {}); {} partitions older",
            policy.table,
            policy.months,
            retention::first_kept_month(today, policy.months),
            found.len()
        );
        expired.extend(found.into_iter().map(|e| (policy.months, e)));
    }
    if dry_run {
        for (_, e) in &expired {
            println!("would remove {}/{}: {} files, {} rows, {} bytes", e.table, e.partition, e.files, e.rows, e.bytes);
        }
        return Ok(ExitCode::SUCCESS);
    }
    // What a run that crashed had taken out of its tables but not yet deleted.
    retention::finish_removals(&lake)?;
    let (audit, writer) = AuditTrail::start(lake.root());
    let who = format!("safelake retention ({})", std::env::var("USER").unwrap_or_else(|_| "operator".into()));
    let mut removed = 0;
    for (months, e) in &expired {
        let started = Instant::now();
        retention::remove(&lake, e)?;
        removed += 1;
        println!("removed {}/{}: {} files, {} rows", e.table, e.partition, e.files, e.rows);
        audit.record(entry(&who, *months, e, started)).await.with_context(|| {
            format!("{}/{} was removed, but recording it in the audit trail failed", e.table, e.partition)
        })?;
    }
    drop(audit);
    writer.finish().await;
    println!("{removed} partitions removed");
    Ok(ExitCode::SUCCESS)
}

fn entry(who: &str, months: u32, expired: &Expired, started: Instant) -> Entry {
    Entry {
        at: Utc::now(),
        who: who.to_string(),
        token_id: None,
        role: None,
        address: None,
        via: "cli",
        kind: Kind::Retention,
        what: format!("{}/{}", expired.table, expired.partition),
        detail: Some(format!(
            "past its retention period of {months} months: {} files, {} bytes",
            expired.files, expired.bytes
        )),
        scope: None,
        rows: Some(expired.rows),
        status: 200,
        message: None,
        millis: safelake_audit::millis_since(started),
    }
}
