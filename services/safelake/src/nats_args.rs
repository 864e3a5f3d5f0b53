//! The NATS flags shared by every subcommand that talks to NATS; each one overrides the
//! configuration's `[nats]` section.

use std::path::PathBuf;

use safelake_config::Config;

#[derive(clap::Args, Debug, Clone)]
pub struct NatsArgs {
    /// NATS server URL (default: [nats] url, or nats://127.0.0.1:4222).
    #[arg(long = "nats")]
    pub url: Option<String>,
    /// NATS credentials file (JWT and nkey).
    #[arg(long = "nats-creds")]
    pub creds: Option<PathBuf>,
    /// A file holding an nkey seed (`safelake nats-keys` writes one per school and one
    /// for the ingest).
    #[arg(long = "nats-nkey")]
    pub nkey: Option<PathBuf>,
    /// NATS user name (with --nats-password).
    #[arg(long = "nats-user", requires = "password")]
    pub user: Option<String>,
    /// NATS password (better: SAFELAKE_NATS_PASSWORD).
    #[arg(long = "nats-password")]
    pub password: Option<String>,
}

impl NatsArgs {
    pub fn apply(&self, config: &mut Config) {
        let nats = &mut config.nats;
        nats.url = self.url.clone().or(nats.url.take());
        nats.creds = self.creds.clone().or(nats.creds.take());
        nats.nkey = self.nkey.clone().or(nats.nkey.take());
        nats.user = self.user.clone().or(nats.user.take());
        nats.password = self.password.clone().or(nats.password.take());
    }
}
