//! `safelake config check|show`: what is wrong with the configuration, in plain words, or
//! what is in force (the file, then the SAFELAKE_* variables, over the defaults).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use safelake_config::{check, Config, Finding};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Say what is wrong (exit 1 if anything stops the service).
    Check,
    /// Print the configuration in force, as a file would hold it.
    Show,
}

pub fn run(args: Args, file: Option<&Path>) -> Result<ExitCode> {
    let (config, source) = match Config::load(file) {
        Ok(loaded) => loaded,
        Err(error) => {
            for line in error.to_string().lines() {
                println!("problem  {line}");
            }
            println!("the configuration cannot be read: nothing else was checked");
            return Ok(ExitCode::FAILURE);
        }
    };
    match args.command {
        Command::Show => {
            print!("{}", config.to_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let mut findings = check(&config, &source);
            findings.extend(packs(&config));
            for finding in &findings {
                println!("{finding}");
            }
            let problems = findings.iter().filter(|f| f.is_problem()).count();
            if problems == 0 {
                println!("the configuration is good");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("{problems} problem{} to fix", if problems == 1 { "" } else { "s" });
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// `[schedule]`: each board's meetings as the service would take them, and the browser
/// that prints the packs. Only a schedule needs the browser: without one, `safelake pack`
/// says so when it is run.
fn packs(config: &Config) -> Vec<Finding> {
    if config.schedule.packs.is_empty() {
        return vec![Finding::Ok("schedule: no packs produced by the service (`safelake pack` makes one)".into())];
    }
    // A trust file that cannot be read is already a problem of its own.
    let Ok(trust) = crate::configured::trust(config) else { return Vec::new() };
    let mut found = Vec::new();
    match crate::configured::packs(config, &trust) {
        Ok(packs) => {
            let meetings: usize = packs.schedule.iter().map(|s| s.meetings.len()).sum();
            let plural = if meetings == 1 { "" } else { "s" };
            found.push(Finding::Ok(format!(
                "schedule: packs for {meetings} meeting{plural}, into {}",
                packs.dir.display()
            )));
        }
        Err(e) => found.push(Finding::Problem(format!("{e:#}"))),
    }
    match safelake_serve::packs::print::browser(config.schedule.browser.as_deref()) {
        Ok(browser) if browser.is_file() => {
            found.push(Finding::Ok(format!("packs are printed by {}", browser.display())))
        }
        Ok(browser) => found.push(Finding::Problem(format!("[schedule] browser {} is not a file", browser.display()))),
        Err(e) => found.push(Finding::Problem(format!("{e:#}"))),
    }
    found
}
