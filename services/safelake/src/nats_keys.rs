//! `safelake nats-keys`: the nats-server configuration of a deployment and the keys that
//! go with it: one per school, which may publish only that school's events, and one for
//! the ingest, which may only consume. Run again after a school joins: existing keys are
//! kept, the new school's is added.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use safelake_bus::keys;
use safelake_config::Config;

#[derive(clap::Args)]
pub struct Args {
    /// The trust's schools (default: [trust], or <data>/trust.toml).
    #[arg(long)]
    trust: Option<PathBuf>,
    /// Where to write nats.conf, auth.conf and keys/ (default: <data>/nats).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    config.trust = args.trust.or(config.trust);
    let trust = crate::configured::trust(&config)?;
    let out = args.out.unwrap_or_else(|| config.nats_store());
    let schools: Vec<(String, String)> = trust.schools.iter().map(|s| (s.id.to_string(), s.name.clone())).collect();
    let made = keys::write(&out, &schools, false)?;
    println!("wrote {} and {}", out.join("nats.conf").display(), out.join("auth.conf").display());
    if made.is_empty() {
        println!("every key was already there; none changed");
    } else {
        println!("new keys: {}", made.join(", "));
    }
    println!(
        "give each school its {}/<school>.nk (its systems publish with it: --nats-nkey), the ingest {}; \
         start the server with nats-server -c {}",
        out.join("keys").display(),
        keys::seed_file(&out, keys::INGEST).display(),
        out.join("nats.conf").display()
    );
    Ok(ExitCode::SUCCESS)
}
