//! `safelake import listen`: a filter's records as its syslog sends them, imported as they
//! come, in small batches, so a block reaches the lake seconds after it happened.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

use anyhow::{bail, Result};
use safelake_config::Config;
use safelake_import::importer::{Importer, Ready};
use safelake_import::record::Refusal;
use safelake_import::syslog::{self, ListenConfig, Received};
use safelake_publish::{batches, publish, DEFAULT_WINDOW};
use tokio_util::sync::CancellationToken;

use super::{outgoing, web_outcome, FilterOptions, School};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    school: School,
    #[command(flatten)]
    filter: FilterOptions,
    /// Listen for syslog over UDP here (e.g. 0.0.0.0:5514).
    #[arg(long)]
    udp: Option<SocketAddr>,
    /// Listen for syslog over TCP here (octet-counted or newline-framed).
    #[arg(long)]
    tcp: Option<SocketAddr>,
}

/// Records are published once this many wait, or this long after the first of them.
const BATCH: usize = 1_000;
const BATCH_AGE: Duration = Duration::from_secs(1);

pub async fn run(args: Args, config: Config) -> Result<ExitCode> {
    let vendor = args.filter.vendor;
    if !vendor.sends_syslog() {
        bail!("{} logs come as exported files, not over syslog: use `safelake import filter`", vendor.name());
    }
    let people = args.school.people()?;
    let mapping = args.filter.mapping()?;
    let web = args.filter.web(&mapping, &people, args.school.timezone);
    let bound = syslog::bind(&ListenConfig { udp: args.udp, tcp: args.tcp, ..ListenConfig::default() }).await?;
    let nats = match args.school.dry_run {
        true => None,
        false => Some(args.school.connect(&config).await?),
    };
    let shown = |a: Option<SocketAddr>| a.map_or("-".to_string(), |a| a.to_string());
    println!(
        "listening for {} syslog on UDP {} and TCP {}",
        vendor.name(),
        shown(bound.udp_addr()),
        shown(bound.tcp_addr())
    );
    let stop = CancellationToken::new();
    crate::signals::cancel_on_signal(stop.clone())?;
    let (sink, mut received) = tokio::sync::mpsc::channel::<Received>(10_000);
    let stats = bound.stats();
    let server = tokio::spawn(bound.serve(sink, stop.clone().cancelled_owned()));

    let mut importer = Importer::new(args.school.school.clone(), vendor.name(), people.event_ids());
    let mut parser = vendor.parser();
    let mut pending: Vec<Ready> = Vec::new();
    let mut oldest = Instant::now();
    let mut failed = 0;
    loop {
        // `None`: the listener has stopped and every message it took is here.
        let next = if pending.is_empty() {
            received.recv().await.map(Some)
        } else {
            tokio::select! {
                message = received.recv() => message.map(Some),
                _ = tokio::time::sleep_until((oldest + BATCH_AGE).into()) => Some(None),
            }
        };
        let closed = next.is_none();
        if let Some(Some(message)) = next {
            if pending.is_empty() {
                oldest = Instant::now();
            }
            let place = format!("{} from {}", message.transport, message.peer);
            match message.result {
                Ok(syslog) => {
                    let outcome = web_outcome(&web, parser.parse(&syslog.body));
                    pending.extend(importer.record(&place, &syslog.body, outcome));
                }
                Err(reason) => {
                    importer.record(&place, "", Err(Refusal::new(format!("not a syslog message: {reason}"))));
                }
            }
            if pending.len() < BATCH {
                continue;
            }
        }
        // A long-running listener lists refusals as it goes rather than keeping them.
        for line in std::mem::take(&mut importer.report.refused) {
            tracing::warn!("refused {line}");
        }
        match &nats {
            Some((_, js)) if !pending.is_empty() => {
                let held = std::mem::take(&mut pending).into_iter().map(outgoing);
                let summary =
                    publish(js, batches(held, args.school.batch.into()), DEFAULT_WINDOW, &ProgressBar::hidden())
                        .await?;
                failed += summary.failed;
                if let Some(error) = summary.first_error {
                    tracing::error!(failed = summary.failed, "could not publish: {error}");
                }
            }
            _ => pending.clear(),
        }
        if closed {
            break;
        }
    }
    server.await?;
    print!("{}", importer.report);
    println!(
        "syslog: {} messages received, {} malformed, {} dropped (UDP, while the import was busy)",
        stats.received(),
        stats.malformed(),
        stats.dropped()
    );
    if failed > 0 {
        bail!("{failed} events could not be published");
    }
    Ok(ExitCode::SUCCESS)
}
