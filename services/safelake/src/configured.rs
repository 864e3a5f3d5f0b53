//! The configuration ([`safelake_config::Config`], after each command's flags) turned into
//! the options of each service, so that every subcommand reads a setting the same way.

use std::time::Duration;

use anyhow::{Context, Result};
use safelake_bus::NatsOptions;
use safelake_config::Config;
use safelake_ingest::IngestOptions;
use safelake_schemas::Trust;
use safelake_serve::packs::{Board, PackOptions, Scheduled};
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
    options.packs = packs(config, &options.trust)?;
    Ok(options)
}

/// `[schedule]` as the service takes it: each board's meetings parsed, once, into the
/// packs they ask for.
pub fn packs(config: &Config, trust: &Trust) -> Result<PackOptions> {
    let mut schedule = Vec::new();
    for (n, entry) in config.schedule.packs.iter().enumerate() {
        let place = format!("[[schedule.packs]] number {}", n + 1);
        let board = Board::parse(&entry.board, entry.hub.as_deref()).map_err(|e| anyhow::anyhow!("{place}: {e}"))?;
        if let Board::Hab(hub) = &board {
            if trust.hub(hub).is_none() {
                let hubs: Vec<&str> = trust.hubs.iter().map(|h| h.id.as_str()).collect();
                anyhow::bail!("{place}: hub {hub:?} is not in the trust; hubs: {}", hubs.join(", "));
            }
        }
        let meetings = entry
            .meetings
            .iter()
            .map(|m| m.parse().map_err(|_| anyhow::anyhow!("{place}: meetings: {m:?} is not a date like 2027-03-15")))
            .collect::<Result<Vec<_>>>()?;
        let covers = entry.covers.parse().map_err(|e: String| anyhow::anyhow!("{place}: {e}"))?;
        schedule.push(Scheduled { board, meetings, days_before: entry.days_before, covers });
    }
    Ok(PackOptions { dir: config.packs_dir(), browser: config.schedule.browser.clone(), schedule })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_checked_against_the_trust_and_each_mistake_named_with_its_place() {
        let trust = Trust::parse(safelake_tests::lake::TRUST).unwrap();
        let schedule = |entry: &str| Config::parse(&format!("[[schedule.packs]]\n{entry}\n")).unwrap();
        let north = packs(&schedule("board = \"hab\"\nhub = \"north\"\nmeetings = [\"2027-03-15\"]"), &trust).unwrap();
        let names: Vec<String> = north.schedule[0].packs().map(|p| p.to_string()).collect();
        assert_eq!(names, ["hab-north-2026-27-as-at-2027-03-08.pdf"]);
        for (entry, says) in [
            ("board = \"hab\"\nhub = \"east\"", "hub \"east\" is not in the trust"),
            ("board = \"hab\"\nhub = \"north\"\nmeetings = [\"15/03/2027\"]", "not a date like 2027-03-15"),
            ("board = \"trustees\"\ncovers = \"next_year\"", "this_year"),
            ("board = \"governors\"", "not a board"),
        ] {
            let error = packs(&schedule(entry), &trust).unwrap_err().to_string();
            assert!(error.contains("[[schedule.packs]] number 1") && error.contains(says), "{entry}: {error}");
        }
    }
}
