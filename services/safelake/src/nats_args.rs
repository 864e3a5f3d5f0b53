//! The NATS connection flags shared by every subcommand that talks to NATS.

use std::path::PathBuf;

use safelake_bus::NatsOptions;

#[derive(clap::Args, Debug, Clone)]
pub struct NatsArgs {
    /// NATS server URL.
    #[arg(long = "nats", env = "SAFELAKE_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub url: String,
    /// NATS credentials file (JWT and nkey), for servers with per-school accounts.
    #[arg(long = "nats-creds", env = "SAFELAKE_NATS_CREDS")]
    pub creds: Option<PathBuf>,
    /// NATS user name (with --nats-password).
    #[arg(long = "nats-user", env = "SAFELAKE_NATS_USER", requires = "password")]
    pub user: Option<String>,
    /// NATS password.
    #[arg(long = "nats-password", env = "SAFELAKE_NATS_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

impl NatsArgs {
    pub fn options(&self, name: &str) -> NatsOptions {
        let mut options = NatsOptions::new(&self.url);
        options.credentials = self.creds.clone();
        options.user = self.user.clone().zip(self.password.clone());
        options.name = name.to_string();
        options
    }
}
