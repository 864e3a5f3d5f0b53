//! `safelake publish`: event files onto the SAFEGUARDING stream, valid ones only unless
//! told otherwise.

use std::cell::Cell;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use safelake_publish::{batches, context, progress_bar, publish, Outgoing, DEFAULT_WINDOW};
use serde_json::Value;

use safelake_config::Config;

use crate::nats_args::NatsArgs;
use crate::validate::check_files;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    nats: NatsArgs,
    /// Publish invalid events too (to exercise the ingest's rejects).
    #[arg(long)]
    allow_invalid: bool,
    /// Events per message: more than 1 sends CloudEvents batches, one school's events to a
    /// batch, on `sg.<school>.batch` (each also bounded to 512 KiB).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    batch: u16,
    /// Publish acks in flight at once.
    #[arg(long, default_value_t = DEFAULT_WINDOW)]
    window: usize,
    /// JSON Lines, JSON array or CloudEvents batch files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub async fn run(args: Args, mut config: Config) -> Result<ExitCode> {
    args.nats.apply(&mut config);
    let client = safelake_bus::connect(&crate::configured::nats(&config, "safelake publish")).await?;
    let js = context(client.clone(), args.window);
    let refused = Cell::new(0u64);
    let read_error = Cell::new(None);
    let messages = check_files(&args.files)?.map_while(|checked| match checked {
        Ok(checked) => Some(checked),
        Err(error) => {
            read_error.set(Some(error));
            None
        }
    });
    let outgoing = messages.filter_map(|checked| {
        if let Some(line) = checked.report() {
            eprintln!("{line}");
            if !args.allow_invalid {
                refused.set(refused.get() + 1);
                return None;
            }
        }
        Some(match &checked.verdict {
            Ok(event) => Outgoing::single(event.subject(), Some(event.id.clone()), checked.raw),
            Err(rejection) => invalid_message(rejection.id.clone(), checked.raw),
        })
    });
    let bar = progress_bar(None, "publishing");
    let summary = publish(&js, batches(outgoing, args.batch.into()), args.window, &bar).await?;
    client.flush().await?;
    if let Some(error) = read_error.take() {
        return Err(error);
    }
    println!("{summary}, {} refused as invalid", refused.get());
    Ok(if refused.get() > 0 || summary.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The subject an invalid event would claim, kept to valid subject tokens so the server
/// takes it and the ingest can judge it.
fn invalid_message(id: Option<String>, raw: Vec<u8>) -> Outgoing {
    let value: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let token = |s: Option<&str>| {
        s.filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or("unknown")
            .to_string()
    };
    let mut parts = value["type"].as_str().unwrap_or_default().split('.').skip(2);
    let subject = safelake_bus::subject(&token(value["schoolid"].as_str()), &token(parts.next()), &token(parts.next()));
    Outgoing::single(subject, id, raw)
}
