//! `safelake token create|list|revoke`: the bearer tokens people and tools sign in with.
//! A token is printed once, when it is created; the file keeps only its salted hash.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;
use safelake_access::{NewToken, Role, Tokens};
use safelake_config::Config;
use safelake_schemas::{HubId, SchoolId};

#[derive(clap::Args)]
pub struct Args {
    /// The token file the query service reads (default: [tokens], or <data>/tokens.json).
    #[arg(long, global = true)]
    tokens: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Create a token and print it (once).
    Create {
        /// director, dsl, hab or trustee.
        #[arg(long)]
        role: Role,
        /// The school of a dsl.
        #[arg(long)]
        school: Option<SchoolId>,
        /// The hub of a hab member.
        #[arg(long)]
        hub: Option<HubId>,
        /// Whose it is, as the audit trail will name them (or the tool: "metabase").
        #[arg(long)]
        name: Option<String>,
        /// Days until it expires (none: until revoked).
        #[arg(long)]
        expires: Option<u32>,
        /// The trust's schools and hubs, to check --school and --hub (default: [trust], or
        /// <data>/trust.toml).
        #[arg(long)]
        trust: Option<PathBuf>,
    },
    /// List tokens: id, name, role, scope, state, created, expires.
    List,
    /// Revoke a token by its id; the service refuses it from the next request.
    Revoke { id: String },
}

pub fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    config.tokens = args.tokens.or(config.tokens);
    let tokens = Tokens::new(config.tokens_file());
    match args.command {
        Command::Create { role, school, hub, name, expires, trust } => {
            config.trust = trust.or(config.trust);
            let trust = crate::configured::trust(&config)?;
            let name = name.unwrap_or_else(|| {
                let scope = school.as_deref().or(hub.as_deref()).map(|s| format!(" {s}")).unwrap_or_default();
                format!("{role}{scope}")
            });
            let (record, token) =
                tokens.create(NewToken { name, role, school, hub, expires_in_days: expires }, &trust)?;
            eprintln!("created token {} for {} ({}); it is shown only now:", record.id, record.name, record.role);
            println!("{token}");
        }
        Command::List => {
            let now = Utc::now();
            println!(
                "{:<10} {:<8} {:<10} {:<8} {:<20} {:<20} name",
                "id", "role", "scope", "state", "created", "expires"
            );
            for t in tokens.list()? {
                let scope = t.school.as_deref().or(t.hub.as_deref()).unwrap_or("trust");
                let date = |d: Option<chrono::DateTime<Utc>>| {
                    d.map_or("-".to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
                };
                println!(
                    "{:<10} {:<8} {:<10} {:<8} {:<20} {:<20} {}",
                    t.id,
                    t.role.as_str(),
                    scope,
                    t.state(now),
                    date(Some(t.created)),
                    date(t.expires),
                    t.name
                );
            }
        }
        Command::Revoke { id } => {
            let record = tokens.revoke(&id)?;
            println!("revoked token {} of {} ({})", record.id, record.name, record.role);
        }
    }
    Ok(ExitCode::SUCCESS)
}
