//! `safelake validate`: the contract's verdict on event files, one line per invalid event.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use safelake_schemas::{input, validate, Rejection, ValidEvent};

#[derive(clap::Args)]
pub struct Args {
    /// JSON Lines, JSON array or CloudEvents batch files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// One event of an input with the contract's verdict on it.
pub struct Checked {
    pub file: String,
    pub line: usize,
    pub raw: Vec<u8>,
    pub verdict: Result<ValidEvent, Rejection>,
}

impl Checked {
    /// `FILE:LINE: <id or ->: <reason>`, the line a publisher reads to fix an event.
    pub fn report(&self) -> Option<String> {
        let rejection = self.verdict.as_ref().err()?;
        let id = rejection.id.as_deref().unwrap_or("-");
        Some(format!("{}:{}: {id}: {}", self.file, self.line, rejection.reason()))
    }
}

/// Reads and judges every event of `files`, in order.
pub fn check_files(files: &[PathBuf]) -> Result<impl Iterator<Item = Result<Checked>> + use<>> {
    let mut readers = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let items = input::open(&name).with_context(|| format!("cannot read {name}"))?;
        readers.push((name, items));
    }
    Ok(readers.into_iter().flat_map(|(file, items)| {
        items.map(move |item| {
            let item = item.with_context(|| format!("reading {file}"))?;
            let verdict = validate(&item.raw, None);
            Ok(Checked { file: file.clone(), line: item.line, raw: item.raw, verdict })
        })
    }))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (mut valid, mut invalid) = (0u64, 0u64);
    for checked in check_files(&args.files)? {
        let checked = checked?;
        match checked.report() {
            Some(line) => {
                invalid += 1;
                println!("{line}");
            }
            None => valid += 1,
        }
    }
    println!("{valid} valid, {invalid} invalid");
    Ok(if invalid == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
