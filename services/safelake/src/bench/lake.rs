//! `safelake bench lake`: a lake of any size for the query benchmarks, written straight
//! from the generator through the ingest's own validation, row builder and Delta commits.
//!
//! Publishing and ingesting 100 million events through JetStream would take over half an
//! hour on two cores and measure the ingest, not the queries. The query benchmarks only
//! need the files the ingest would have written: the same validation, the same columns,
//! the same atomic commits, and stream sequences that increase as the stream's would.
//!
//! A month that outgrows one file is merged at the end, as the ingest's compactor would
//! once the month has settled, and the rollups are derived as the ingest's follower
//! derives them.
//!
//! The generator is one sequential stream, so it runs on its own thread; validation (the
//! costly part: JSON Schema and personal-data checks) runs on a pool; one thread puts the
//! validated chunks back in order and appends them to one builder per partition, and one
//! more encodes and commits the finished ones.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{Datelike, TimeDelta, Utc};
use deltalake::kernel::Action;
use deltalake::protocol::{DeltaOperation, SaveMode};
use safelake_generate::Options;
use safelake_lake::compact::{compact_lake, CompactionPolicy};
use safelake_lake::{content_hash, follow, FamilyBuilder, Lake, Partition, TableSpec};
use safelake_period::AcademicYear;
use safelake_schemas::events::CloudEvent;
use safelake_schemas::{validate_value, Family, ValidEvent};

/// Events per unit of work handed to the validators: large enough that channel hand-offs
/// cost nothing, small enough that the chunks in flight hold little memory.
const CHUNK: usize = 4_096;
/// A partition's builder is committed at this many rows, as one file of one row group.
const FILE_ROWS: usize = 1_000_000;
/// Events are shipped a little after they happen (a filter log at the end of the hour, an
/// incident recorded the next day). A partition stays open until the generator's clock is
/// this far past its month, so that late arrivals rarely make a second, tiny file.
const GRACE_DAYS: i64 = 3;
const FILTER_BLOCKED: &str = "uk.safeguarding.filter.blocked.v1";

#[derive(clap::Args)]
pub struct Args {
    /// Filter events to write (the trust's other events come on top, about 5% more).
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// Writes DIR/trust.toml and the lake in DIR/lake (which must not hold files yet).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 12)]
    schools: usize,
    #[arg(long, default_value_t = 3)]
    hubs: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Academic years, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2024-25,2025-26")]
    years: Vec<AcademicYear>,
    /// Validating threads (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
}

type Chunk = (u64, Vec<CloudEvent>);
/// Each event with its content hash, or why it was refused.
type Checked = Result<(ValidEvent, u64), String>;
type Validated = (u64, Vec<Checked>);
type File = (Family, Partition, arrow::record_batch::RecordBatch);

pub async fn run(args: Args) -> Result<()> {
    let options = Options {
        seed: args.seed,
        schools: args.schools,
        hubs: args.hubs,
        academic_years: args.years,
        filter_events: args.events,
    };
    options.check()?;
    let root = args.out.join("lake");
    if root.exists() && std::fs::read_dir(&root)?.next().is_some() {
        bail!("{} already holds a lake: writing again would store every event twice", root.display());
    }
    let lake = Lake::at(&root)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let trust_path = args.out.join("trust.toml");
    std::fs::write(&trust_path, safelake_generate::trust(&options).to_toml())
        .with_context(|| format!("writing {}", trust_path.display()))?;

    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let started = Instant::now();
    let (chunks_tx, chunks_rx) = sync_channel::<Chunk>(threads * 2);
    let (valid_tx, valid_rx) = sync_channel::<Validated>(threads * 2);
    let (files_tx, files_rx) = sync_channel::<File>(1);
    let generator = spawn("generate", move || generate(&options, chunks_tx));
    let chunks_rx = Arc::new(Mutex::new(chunks_rx));
    let validators: Vec<_> = (0..threads)
        .map(|_| {
            let (rx, tx) = (Arc::clone(&chunks_rx), valid_tx.clone());
            spawn("validate", move || validate(&rx, &tx))
        })
        .collect();
    drop(valid_tx);
    let bar = safelake_publish::progress_bar(Some(args.events), "filter events");
    let builder = spawn("build", move || build(valid_rx, &files_tx, &bar).map(|built| (built, bar)));
    // Whatever failed first is the error worth reading; the other threads then stop on
    // their closed channels.
    let committed = commit(&lake, files_rx).await;
    let (built, bar) = join(builder)?;
    let files = committed?;
    for validator in validators {
        join(validator)?;
    }
    join(generator)?;
    let (events, filter) = built;
    bar.finish_and_clear();

    let elapsed = started.elapsed().as_secs_f64();
    // The lake as the ingest's compactor leaves it once months have settled: a month
    // that outgrew one file while it was written is merged, as it would be in service.
    let compacting = Instant::now();
    let merged = compact_lake(&lake, CompactionPolicy::default()).await?;
    println!(
        "compacted: {} files into {} in {:.1} s",
        merged.iter().map(|c| c.inputs).sum::<usize>(),
        merged.len(),
        compacting.elapsed().as_secs_f64()
    );
    let following = Instant::now();
    let followed = follow::follow(&lake).await?;
    println!("rollups: {} commits in {:.1} s", followed.commits, following.elapsed().as_secs_f64());
    // The merged inputs go now rather than a day later: nobody reads this lake yet, and a
    // reader of plain Parquet (DuckDB in scripts/bench-duckdb.py) then finds the live
    // files alone.
    let deleted = safelake_lake::compact::vacuum(&lake, Some(chrono::Duration::zero())).await?;
    println!("vacuumed: {deleted} files");
    let bytes = super::dir_size(&root)?;
    println!("trust: {}", trust_path.display());
    println!("lake: {} ({files} files, {:.2} GB)", root.display(), bytes as f64 / 1e9);
    println!(
        "events: {events} ({filter} filter.blocked) in {elapsed:.0} s: {:.0} events/s, {:.1} bytes/event, {threads} validating threads",
        events as f64 / elapsed,
        bytes as f64 / events as f64
    );
    Ok(())
}

fn spawn<T: Send + 'static>(name: &str, f: impl FnOnce() -> Result<T> + Send + 'static) -> JoinHandle<Result<T>> {
    std::thread::Builder::new().name(name.to_string()).spawn(f).expect("spawning a thread")
}

fn join<T>(handle: JoinHandle<Result<T>>) -> Result<T> {
    handle.join().map_err(|_| anyhow::anyhow!("a benchmark thread panicked"))?
}

fn generate(options: &Options, out: SyncSender<Chunk>) -> Result<()> {
    let mut events = safelake_generate::events(options);
    for index in 0.. {
        let chunk: Vec<CloudEvent> = events.by_ref().take(CHUNK).collect();
        // A closed channel means the builder stopped on an error, which it reports.
        if chunk.is_empty() || out.send((index, chunk)).is_err() {
            break;
        }
    }
    Ok(())
}

/// The ingest's checks on each event, and the content hash it stores with it.
fn validate(chunks: &Mutex<Receiver<Chunk>>, out: &SyncSender<Validated>) -> Result<()> {
    loop {
        let next = chunks.lock().expect("chunk queue").recv();
        let Ok((index, chunk)) = next else { return Ok(()) };
        let checked = chunk
            .into_iter()
            .map(|event| -> Checked {
                let subject = event.subject();
                let valid = validate_value(event.to_value(), Some(&subject))
                    .map_err(|rejection| format!("{}: {rejection}", event.id))?;
                let hash = content_hash(&valid.value);
                Ok((valid, hash))
            })
            .collect();
        if out.send((index, checked)).is_err() {
            return Ok(());
        }
    }
}

/// An open partition: its rows.
struct Open {
    builder: FamilyBuilder,
}

/// Puts chunks back in generator order, numbers the events as the stream would and
/// appends each to its partition's builder, handing full or finished partitions to the
/// committer. Returns (events, filter.blocked events).
fn build(validated: Receiver<Validated>, files: &SyncSender<File>, bar: &indicatif::ProgressBar) -> Result<(u64, u64)> {
    // school -> (family, year, month) -> rows, looked up by borrowed values on the hot path.
    let mut open: HashMap<String, HashMap<(Family, i32, u32), Open>> = HashMap::new();
    let mut waiting: BTreeMap<u64, Vec<Checked>> = BTreeMap::new();
    let (mut next_chunk, mut seq, mut filter) = (0u64, 0u64, 0u64);
    let mut closed_before = (i32::MIN, 0u32);
    let send = |school: &str, (family, year, month): (Family, i32, u32), mut part: Open| -> Result<()> {
        let partition = Partition::school_month(school, format!("{year:04}-{month:02}"));
        let file = (family, partition, part.builder.finish(Utc::now()));
        files.send(file).map_err(|_| anyhow::anyhow!("the committing task stopped"))
    };
    for (index, chunk) in validated {
        waiting.insert(index, chunk);
        while let Some(chunk) = waiting.remove(&next_chunk) {
            next_chunk += 1;
            let mut blocked = 0;
            for checked in chunk {
                let (event, hash) =
                    checked.map_err(|reason| anyhow::anyhow!("a generated event is invalid: {reason}"))?;
                seq += 1;
                blocked += u64::from(event.event_type.name == FILTER_BLOCKED);
                let cutoff = event.time - TimeDelta::days(GRACE_DAYS);
                let cutoff = (cutoff.year(), cutoff.month());
                if cutoff > closed_before {
                    closed_before = cutoff;
                    for (school, partitions) in &mut open {
                        let done: Vec<_> = partitions.keys().filter(|(_, y, m)| (*y, *m) < cutoff).copied().collect();
                        for key in done {
                            let part = partitions.remove(&key).expect("listed above");
                            send(school, key, part)?;
                        }
                    }
                }
                let key = (event.event_type.family, event.business_time.year(), event.business_time.month());
                let school = match open.get_mut(event.school_id.as_str()) {
                    Some(school) => school,
                    None => open.entry(event.school_id.to_string()).or_default(),
                };
                let part = school.entry(key).or_insert_with(|| Open { builder: FamilyBuilder::new(key.0) });
                part.builder.append(&event, seq, hash);
                if part.builder.len() >= FILE_ROWS {
                    let part = school.remove(&key).expect("just appended to");
                    send(&event.school_id, key, part)?;
                }
            }
            filter += blocked;
            bar.inc(blocked);
        }
    }
    for (school, partitions) in open {
        for (key, part) in partitions {
            send(&school, key, part)?;
        }
    }
    Ok((seq, filter))
}

/// Encodes and commits each finished partition through the lake's writer, a commit per
/// file. Returns the number of files.
async fn commit(lake: &Lake, files: Receiver<File>) -> Result<u64> {
    let files = Arc::new(Mutex::new(files));
    let mut tables: HashMap<Family, safelake_lake::Table> = HashMap::new();
    let mut count = 0;
    loop {
        let receiver = Arc::clone(&files);
        let next = tokio::task::spawn_blocking(move || receiver.lock().expect("file queue").recv().ok()).await?;
        let Some((family, partition, batch)) = next else { break };
        let table = match tables.entry(family) {
            std::collections::hash_map::Entry::Occupied(open) => open.into_mut(),
            std::collections::hash_map::Entry::Vacant(new) => new.insert(lake.table(&TableSpec::family(family)).await?),
        };
        let adds = table.write(vec![(partition, batch)], true).await?;
        let operation = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
        table.commit(adds.into_iter().map(Action::Add).collect(), operation).await?;
        count += 1;
    }
    Ok(count)
}
