//! `safelake import`: what a school's systems already emit (web-filter logs, spreadsheets,
//! the MIS census) onto the SAFEGUARDING stream as contract events, every person
//! pseudonymised here, at the school, under a key that never leaves it.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use safelake_config::Config;
use safelake_import::clock::SchoolClock;
use safelake_import::identities::IdentityMap;
use safelake_import::importer::{Importer, Ready};
use safelake_import::key::SchoolKey;
use safelake_import::mapping::Mapping;
use safelake_import::pseudonym::Pseudonymiser;
use safelake_import::record::{Imported, Outcome, Refusal};
use safelake_import::report::Report;
use safelake_import::sheets;
use safelake_import::vendors::{Line, Vendor};
use safelake_import::web::WebImport;
use safelake_publish::{batches, context, progress_bar, publish, Outgoing, Summary, DEFAULT_WINDOW};
use safelake_schemas::events::{ContractEnum, WebCategory};
use safelake_schemas::SchoolId;

use crate::nats_args::NatsArgs;

mod listen;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// Web-filter log files: FortiGate (key=value or CEF), Sophos, Cisco Umbrella (CSV,
    /// gzipped or not) or Smoothwall (CSV export).
    Filter(FilterArgs),
    /// Listen for a filter's logs over syslog (RFC 3164 and 5424; UDP, and TCP with either
    /// framing) and import each record as it comes; Ctrl-C stops it.
    Listen(listen::Args),
    /// Spreadsheets: an incident log, an AUP sign-off sheet or the MIS census (CSV, XLSX,
    /// XLS or ODS), read through a layout file that names its columns and words.
    Sheet(SheetArgs),
    /// Print the mapping safelake ships for a filter vendor, to edit and give as --mapping.
    Mapping {
        /// fortigate, fortigate-cef, sophos, umbrella or smoothwall.
        #[arg(value_parser = vendor)]
        vendor: Vendor,
    },
}

/// What every import needs: whose sources these are, and how to pseudonymise them.
#[derive(clap::Args)]
struct School {
    /// The school whose sources these are (its id in trust.toml).
    #[arg(long, env = "SAFELAKE_SCHOOL")]
    school: SchoolId,
    /// The school's pseudonymisation key: created, readable by its owner only, on first
    /// use; kept at the school and never sent [default: ~/.config/safelake/<school>.key].
    #[arg(long, env = "SAFELAKE_IMPORT_KEY")]
    key: Option<PathBuf>,
    /// The identity map exported from the MIS: CSV of username, upn, role, year_group
    /// (and optionally email, admission_number). Without it, pupils cannot be imported.
    #[arg(long, env = "SAFELAKE_IDENTITIES")]
    identities: Option<PathBuf>,
    /// The time zone of the local times the sources write.
    #[arg(long, default_value = "Europe/London")]
    timezone: SchoolClock,
    /// Print what would be published (events per type, every refused line, every value
    /// no mapping names) and publish nothing.
    #[arg(long)]
    dry_run: bool,
    /// Events per NATS message, sent as CloudEvents batches (1 sends each event alone).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..))]
    batch: u16,
    #[command(flatten)]
    nats: NatsArgs,
}

#[derive(clap::Args)]
struct FilterArgs {
    #[command(flatten)]
    school: School,
    #[command(flatten)]
    filter: FilterOptions,
    /// Log files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct SheetArgs {
    #[command(flatten)]
    school: School,
    /// The sheet's layout: its kind, columns and value words (examples in
    /// services/import/layouts/).
    #[arg(long)]
    layout: PathBuf,
    /// CSV files or workbooks of that layout.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// How a filter's records are read and mapped, from files or from syslog.
#[derive(clap::Args)]
struct FilterOptions {
    /// The filter: fortigate, fortigate-cef, sophos, umbrella or smoothwall.
    #[arg(long, value_parser = vendor)]
    vendor: Vendor,
    /// The trust's mapping of the vendor's actions, groups and categories [default: the one
    /// safelake ships; `safelake import mapping <vendor>` prints it].
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Also import requests the filter allowed in these categories, as `flagged`
    /// (comma-separated contract categories, e.g. ai_chatbot,self_harm).
    #[arg(long, value_delimiter = ',', value_parser = web_category)]
    flag_allowed: Vec<WebCategory>,
}

impl FilterOptions {
    fn web<'a>(&'a self, mapping: &'a Mapping, people: &'a Pseudonymiser, clock: SchoolClock) -> WebImport<'a> {
        WebImport { vendor: self.vendor.name(), mapping, people, clock, flag_allowed: &self.flag_allowed }
    }

    fn mapping(&self) -> Result<Mapping> {
        Ok(match &self.mapping {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                Mapping::parse(&path.display().to_string(), &text)?
            }
            None => Mapping::parse(self.vendor.name(), self.vendor.default_mapping())?,
        })
    }
}

fn vendor(name: &str) -> Result<Vendor, String> {
    Vendor::parse(name).ok_or_else(|| {
        let names: Vec<_> = Vendor::ALL.iter().map(|v| v.name()).collect();
        format!("give one of {}", names.join(", "))
    })
}

fn web_category(name: &str) -> Result<WebCategory, String> {
    WebCategory::named(name).ok_or_else(|| format!("give one of {}", WebCategory::names()))
}

pub async fn run(args: Args, config: Config) -> Result<ExitCode> {
    match args.source {
        Source::Filter(args) => filter(args, config).await,
        Source::Listen(args) => listen::run(args, config).await,
        Source::Sheet(args) => sheet(args, config).await,
        Source::Mapping { vendor } => {
            print!("{}", vendor.default_mapping());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn filter(args: FilterArgs, config: Config) -> Result<ExitCode> {
    let people = args.school.people()?;
    let mapping = args.filter.mapping()?;
    let vendor = args.filter.vendor;
    let web = args.filter.web(&mapping, &people, args.school.timezone);
    let importer = RefCell::new(Importer::new(args.school.school.clone(), vendor.name(), people.event_ids()));
    // Every file is opened before anything is published: a misspelt name stops the import
    // instead of publishing the other files first.
    let sources = args
        .files
        .iter()
        .map(|path| {
            let lines =
                safelake_import::source::lines(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok((path, lines))
        })
        .collect::<Result<Vec<_>>>()?;
    let read_error = RefCell::new(None);
    let events = sources.into_iter().flat_map(|(path, lines)| {
        let file = path.display().to_string();
        let mut parser = vendor.parser();
        let (importer, read_error, web) = (&importer, &read_error, &web);
        lines
            .map_while(move |line| match line {
                Ok(line) => Some(line),
                Err(error) => {
                    read_error.borrow_mut().get_or_insert(anyhow::anyhow!("reading {file}: {error}"));
                    None
                }
            })
            .flat_map(move |(number, text)| {
                let place = format!("{}:{number}", path.display());
                let record = vendor.record(&text);
                let outcome = web_outcome(web, parser.parse(&record));
                importer.borrow_mut().record(&place, &record, outcome)
            })
    });
    let summary = args.school.send(events, &config).await?;
    if let Some(error) = read_error.into_inner() {
        return Err(error);
    }
    finish(&importer.into_inner().report, summary)
}

async fn sheet(args: SheetArgs, config: Config) -> Result<ExitCode> {
    let people = args.school.people()?;
    let layout = sheets::read_layout(&args.layout)?;
    let mut importer = Importer::new(args.school.school.clone(), layout.source(), people.event_ids());
    let mut events = Vec::new();
    for file in &args.files {
        events.extend(sheets::import_sheet(file, &layout, &people, args.school.timezone, &mut importer)?);
    }
    let summary = args.school.send(events.into_iter(), &config).await?;
    finish(&importer.report, summary)
}

/// A parsed line's outcome: the request mapped, a skip, or the parser's refusal.
fn web_outcome(web: &WebImport, parsed: Result<Line, String>) -> Outcome {
    match parsed {
        Ok(Line::Request(request)) => web.import(&request),
        Ok(Line::Skip(why)) => Ok(Imported::skipped(why)),
        Err(reason) => Err(Refusal::new(reason)),
    }
}

impl School {
    /// The key (made on first use) and the identity map.
    fn people(&self) -> Result<Pseudonymiser> {
        let path = match &self.key {
            Some(path) => path.clone(),
            None => default_key_path(&self.school)?,
        };
        let (key, created) = SchoolKey::load_or_create(&path)?;
        if created {
            eprintln!(
                "created the school's pseudonymisation key at {} (readable by you only): back it up, keep it at \
                 the school, never send it; a new key would give everyone new references",
                path.display()
            );
        }
        let identities = match &self.identities {
            Some(path) => {
                let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
                IdentityMap::read(file).with_context(|| path.display().to_string())?
            }
            None => {
                eprintln!("no --identities: pupils cannot be recognised, so their lines will be refused");
                IdentityMap::default()
            }
        };
        Ok(Pseudonymiser::new(key, identities))
    }

    async fn connect(&self, config: &Config) -> Result<(async_nats::Client, async_nats::jetstream::Context)> {
        let mut config = config.clone();
        self.nats.apply(&mut config);
        let client = safelake_bus::connect(&crate::configured::nats(&config, "safelake import")).await?;
        let js = context(client.clone(), DEFAULT_WINDOW);
        Ok((client, js))
    }

    /// Publishes `events` (or, in a dry run, only counts them).
    async fn send(&self, events: impl Iterator<Item = Ready>, config: &Config) -> Result<Option<Summary>> {
        if self.dry_run {
            events.for_each(drop);
            return Ok(None);
        }
        let (client, js) = self.connect(config).await?;
        let outgoing = batches(events.map(outgoing), self.batch.into());
        let summary = publish(&js, outgoing, DEFAULT_WINDOW, &progress_bar(None, "importing")).await?;
        client.flush().await?;
        Ok(Some(summary))
    }
}

fn outgoing(event: Ready) -> Outgoing {
    Outgoing::single(event.subject, Some(event.id), event.json)
}

fn default_key_path(school: &SchoolId) -> Result<PathBuf> {
    let home = std::env::var_os("HOME").context("no HOME to keep the key under: give --key")?;
    Ok(Path::new(&home).join(".config/safelake").join(format!("{school}.key")))
}

/// The report, then the publish summary; exit 1 only when something could not be published
/// (refused lines are listed, and a real log always has some).
fn finish(report: &Report, summary: Option<Summary>) -> Result<ExitCode> {
    print!("{report}");
    match summary {
        None => {
            println!("dry run: nothing published");
            Ok(ExitCode::SUCCESS)
        }
        Some(summary) => {
            println!("{summary}");
            if summary.failed > 0 {
                bail!("{} events could not be published", summary.failed);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
