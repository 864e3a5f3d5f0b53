//! `safelake retention apply [--dry-run]`: removes the whole partitions (a school's
//! month) that are past their table's retention period in `[retention]`, and records each
//! removal in the audit trail (who ran it, what was removed, how many rows).

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
    #[command(flatten)]
    lake: crate::lake_arg::LakeArg,
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
    args.lake.apply(&mut config);
    let Command::Apply { dry_run } = args.command;
    let policies = config.retention_policies()?;
    if policies.is_empty() {
        println!("no [retention] periods are set: every table is kept for ever");
        return Ok(ExitCode::SUCCESS);
    }
    let lake = Lake::open(config.lake_url()?)?;
    let today = Utc::now().date_naive();
    let mut expired = Vec::new();
    for policy in &policies {
        let found = retention::expired(&lake, policy, today).await?;
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
    let (audit, writer) = AuditTrail::start(&lake).await?;
    let who = format!("safelake retention ({})", std::env::var("USER").unwrap_or_else(|_| "operator".into()));
    let mut removed = 0;
    // Each table's expired months leave it in one commit.
    for policy in &policies {
        let started = Instant::now();
        let gone: Vec<Expired> =
            expired.iter().filter(|(_, e)| e.table == policy.table).map(|(_, e)| e.clone()).collect();
        let Some(version) = retention::remove(&lake, &policy.table, &gone).await? else { continue };
        for e in &gone {
            removed += 1;
            println!("removed {}/{}: {} files, {} rows (version {version})", e.table, e.partition, e.files, e.rows);
            audit.record(entry(&who, policy.months, e, started)).await.with_context(|| {
                format!("{}/{} was removed, but recording it in the audit trail failed", e.table, e.partition)
            })?;
        }
    }
    drop(audit);
    writer.finish().await;
    // The rollups of removed months go with them; their files are deleted by the
    // vacuum after the tables' retention (the ingest vacuums hourly).
    safelake_lake::follow::follow(&lake).await?;
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
