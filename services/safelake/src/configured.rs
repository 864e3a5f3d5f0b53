//! The configuration ([`safelake_config::Config`], after each command's flags) turned into
//! the options of each service, so that every subcommand reads a setting the same way.

use std::time::Duration;

use anyhow::{Context, Result};
use safelake_bus::NatsOptions;
use safelake_config::Config;
use safelake_ingest::IngestOptions;
use safelake_schemas::Trust;
use safelake_serve::ServeOptions;

/// Where the commands other than `safelake up` find NATS when none is configured.
const DEFAULT_NATS: &str = "nats://127.0.0.1:4222";

pub fn nats(config: &Config, name: &str) -> NatsOptions {
    let mut options = NatsOptions::new(config.nats.url.clone().unwrap_or_else(|| DEFAULT_NATS.to_string()));
    options.credentials = config.nats.creds.clone();
    options.nkey = config.nats.nkey.clone();
    options.user = config.nats.user.clone().zip(config.nats.password.clone());
    options.name = name.to_string();
    options
}

pub fn trust(config: &Config) -> Result<Trust> {
    let path = config.trust_file();
    if !path.exists() {
        anyhow::bail!(
            "no trust at {}: write one (README, \"For the operator\"), or run `safelake up --demo` for a synthetic trust",
            path.display()
        );
    }
    Trust::load(&path).with_context(|| format!("reading the trust from {}", path.display()))
}

pub fn ingest(config: &Config, nats: NatsOptions) -> Result<IngestOptions> {
    safelake_config::sound(config)?;
    let settings = &config.ingest;
    let mut options = IngestOptions::new(nats, config.lake_url()?);
    options.workers = match settings.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    options.consumer = settings.consumer.clone();
    options.flush_rows = settings.flush_rows;
    options.flush_bytes = settings.flush_mib << 20;
    options.flush_age = Duration::from_millis(settings.flush_ms);
    options.ack_wait = Duration::from_secs(settings.ack_wait_secs);
    options.compaction_interval =
        (settings.compact_every_secs > 0).then(|| Duration::from_secs(settings.compact_every_secs));
    options.metrics_addr = config.ingest_metrics_addr()?;
    options.ready_max_lag = settings.ready_max_lag;
    options.ledger_bytes = settings.ledger_mib << 20;
    Ok(options)
}

pub fn serve(config: &Config, trust: Trust) -> Result<ServeOptions> {
    safelake_config::sound(config)?;
    let mut options = ServeOptions::new(config.http_addr()?, config.lake_url()?, trust);
    options.tokens = config.tokens_file();
    options.threshold = config.access.suppress_below;
    options.pg_addr = config.pgwire_addr()?;
    options.pg_tls = config.pgwire_tls()?;
    options.sql_limits = safelake_query::adhoc::Limits {
        memory_bytes: config.sql.memory_mib << 20,
        time: Duration::from_secs(config.sql.time_limit_secs),
        rows: config.sql.row_limit,
    };
    Ok(options)
}
