//! The NATS side of safelake: how to connect, and the one JetStream stream that carries
//! every event, `SAFEGUARDING` on subjects `sg.<school>.<family>.<action>`.
//!
//! Publishers and the ingest both call [`ensure_stream`], so whichever starts first
//! creates the stream with the same settings.

pub mod cluster;
pub mod keys;
pub mod local;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use async_nats::jetstream::{self, stream};

pub const STREAM: &str = "SAFEGUARDING";
pub const SUBJECTS: &str = "sg.>";

/// Re-sends with the same `Nats-Msg-Id` inside this window are dropped by the server.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The stream is a replay buffer, not the record: the lake is. A month lets an ingest that
/// was down for weeks catch up.
pub const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// Where and how to reach NATS.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// A server's URL, or the URLs of a cluster's servers separated by commas.
    pub url: String,
    /// A `.creds` file (JWT + nkey) for deployments with per-school credentials.
    pub credentials: Option<PathBuf>,
    /// A file holding an nkey seed, as `safelake nats-keys` writes for each school and
    /// the ingest.
    pub nkey: Option<PathBuf>,
    /// A user and password.
    pub user: Option<(String, String)>,
    /// Shown in the server's connection list.
    pub name: String,
}

impl NatsOptions {
    pub fn new(url: impl Into<String>) -> NatsOptions {
        NatsOptions { url: url.into(), credentials: None, nkey: None, user: None, name: "safelake".into() }
    }
}

/// Connects, retrying the first connection for a while (a server started alongside us may
/// still be coming up) and reconnecting for ever afterwards.
pub async fn connect(options: &NatsOptions) -> Result<async_nats::Client> {
    let mut connect = async_nats::ConnectOptions::new()
        .name(&options.name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(10)));
    if let Some(path) = &options.credentials {
        connect = connect
            .credentials_file(path)
            .await
            .with_context(|| format!("reading NATS credentials {}", path.display()))?;
    }
    if let Some(path) = &options.nkey {
        let seed = std::fs::read_to_string(path).with_context(|| format!("reading the NATS key {}", path.display()))?;
        let inbox =
            keys::inbox_prefix_of_seed(&seed).with_context(|| format!("reading the NATS key {}", path.display()))?;
        connect = connect.nkey(seed.trim().to_string()).custom_inbox_prefix(inbox);
    }
    if let Some((user, password)) = &options.user {
        connect = connect.user_and_password(user.clone(), password.clone());
    }
    // A cluster's servers, any of which will do: the client moves to another when one
    // goes away.
    let servers: Vec<String> =
        options.url.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    let client = tokio::time::timeout(Duration::from_secs(30), connect.connect(servers))
        .await
        .with_context(|| format!("no NATS server answered at {} within 30 s", options.url))?
        .with_context(|| format!("connecting to NATS at {}", options.url))?;
    Ok(client)
}

pub fn stream_config() -> stream::Config {
    stream::Config {
        name: STREAM.to_string(),
        subjects: vec![SUBJECTS.to_string()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: MAX_AGE,
        ..Default::default()
    }
}

/// The `SAFEGUARDING` stream, created when missing.
pub async fn ensure_stream(js: &jetstream::Context) -> Result<stream::Stream> {
    js.get_or_create_stream(stream_config()).await.with_context(|| {
        format!("creating or opening the JetStream stream {STREAM} (is JetStream enabled: nats-server -js?)")
    })
}

/// `sg.<school>.<family>.<action>`.
pub fn subject(school_id: &str, family: &str, action: &str) -> String {
    format!("sg.{school_id}.{family}.{action}")
}
