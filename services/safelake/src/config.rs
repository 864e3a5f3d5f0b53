//! `safelake config check|show`: what is wrong with the configuration, in plain words, or
//! what is in force (the file, then the SAFELAKE_* variables, over the defaults).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use safelake_config::{check, Config};

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
            let findings = check(&config, &source);
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
