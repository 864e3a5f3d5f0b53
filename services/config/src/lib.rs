//! `safelake.toml`: every setting of the service in one file, each overridable by an
//! environment variable (`SAFELAKE_<SECTION>_<KEY>`, e.g. `SAFELAKE_HTTP_LISTEN`, or
//! `SAFELAKE_LAKE` for a top-level key) and by the command's own flags, in that order
//! of strength. Every key has a default that runs the whole service on one machine, so
//! the file is optional; `safelake.example.toml` documents them all.
//!
//! [`check`] says what is wrong with a configuration in plain words (a file that does not
//! exist, a port already in use, a period that is not one), for `safelake config check`.

mod check;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Result;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

pub use check::{check, sound, Finding};

/// The file read when none is named and it exists in the working directory.
pub const DEFAULT_FILE: &str = "safelake.toml";
/// The environment variable that names the file.
pub const FILE_VARIABLE: &str = "SAFELAKE_CONFIG";
const ENV_PREFIX: &str = "SAFELAKE_";

/// The file's sections; a variable `SAFELAKE_<SECTION>_<KEY>` sets `<key>` in it.
const SECTIONS: &[&str] = &["nats", "http", "pgwire", "ingest", "sql", "access", "retention", "schedule"];
/// The top-level keys; `SAFELAKE_<KEY>` sets one.
const TOP_LEVEL: &[&str] = &["data", "trust", "lake", "tokens"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where everything lives unless placed elsewhere below: `trust.toml`, `lake/`,
    /// `tokens.json`, and the local nats-server's store `nats/`.
    pub data: PathBuf,
    /// The trust's hubs and schools (default: `<data>/trust.toml`).
    pub trust: Option<PathBuf>,
    /// The lake: a directory (default: `<data>/lake`) or an object store URL
    /// (`s3://bucket/prefix`, `az://container/prefix`, `gs://bucket/prefix`).
    pub lake: Option<String>,
    /// The token file, salted hashes only (default: `<data>/tokens.json`).
    pub tokens: Option<PathBuf>,
    pub nats: Nats,
    pub http: Http,
    pub pgwire: PgWire,
    pub ingest: Ingest,
    pub sql: Sql,
    pub access: Access,
    /// How long each table is kept, in plain words (`filter_events = "2 years"`); a
    /// table not named is kept for ever.
    pub retention: BTreeMap<String, String>,
    /// Meeting packs: where they are kept, what prints them, and when they are produced.
    pub schedule: Schedule,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schedule {
    /// Where packs are written (by the schedule and by `safelake pack`) and listed from
    /// (default: `<data>/packs`).
    pub dir: Option<PathBuf>,
    /// The browser that prints them (default: chromium, chromium-browser, google-chrome or
    /// google-chrome-stable, the first on PATH).
    pub browser: Option<PathBuf>,
    /// The packs the service produces by itself: one `[[schedule.packs]]` per board.
    pub packs: Vec<ScheduledPacks>,
}

/// One board's meetings, each given its pack `days_before` it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduledPacks {
    /// `hab` (with `hub`) or `trustees`.
    pub board: String,
    pub hub: Option<String>,
    /// The meetings' dates, `2027-03-15`.
    pub meetings: Vec<String>,
    /// How many days before each meeting its pack is produced (and the lake read as at
    /// the start of that day).
    pub days_before: u32,
    /// `this_year` (the academic year to the pack's day) or `last_year`.
    pub covers: String,
}

impl Default for ScheduledPacks {
    fn default() -> ScheduledPacks {
        ScheduledPacks {
            board: String::new(),
            hub: None,
            meetings: Vec::new(),
            days_before: 7,
            covers: "this_year".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Nats {
    /// The NATS server. Unset: `safelake up` starts its own; the other commands use
    /// `nats://127.0.0.1:4222`.
    pub url: Option<String>,
    /// A `.creds` file (JWT and nkey).
    pub creds: Option<PathBuf>,
    /// A file holding an nkey seed, as `safelake nats-keys` writes for each school and
    /// the ingest.
    pub nkey: Option<PathBuf>,
    /// A user and password (a variable holding digits only is still text).
    #[serde(deserialize_with = "text")]
    pub user: Option<String>,
    #[serde(deserialize_with = "text")]
    pub password: Option<String>,
    /// The port of the nats-server `safelake up` starts.
    pub local_port: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Http {
    /// Where the dashboards, the API and `/healthz`, `/readyz`, `/metrics` listen.
    pub listen: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PgWire {
    /// Where PostgreSQL clients connect for the director's SQL; `off` for nowhere.
    pub listen: String,
    /// A certificate chain and its private key (PEM files) for TLS; both or neither.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ingest {
    /// Workers in one process; 0 for one per CPU.
    pub workers: usize,
    /// The durable consumer's name; processes with the same name share the work.
    pub consumer: String,
    /// Commit when a worker holds this many events...
    pub flush_rows: usize,
    /// ...or this many MiB of them...
    pub flush_mib: usize,
    /// ...or the oldest has waited this many milliseconds.
    pub flush_ms: u64,
    /// Seconds before an unacknowledged event is delivered again.
    pub ack_wait_secs: u64,
    /// Seconds between compaction passes; 0 turns compaction off.
    pub compact_every_secs: u64,
    /// Where `safelake ingest` serves `/metrics`, `/healthz` and `/readyz`.
    pub metrics: Option<String>,
    /// Readiness fails while more events than this wait in the stream.
    pub ready_max_lag: u64,
    /// What the dedupe ledgers may hold of the partitions being written, in MiB.
    pub ledger_mib: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sql {
    /// Memory that all ad-hoc queries together may hold.
    pub memory_mib: usize,
    /// Seconds a query may run.
    pub time_limit_secs: u64,
    /// Rows a query may return.
    pub row_limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Access {
    /// Counts below this are withheld from hab members and trustees.
    pub suppress_below: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data: PathBuf::from("data"),
            trust: None,
            lake: None,
            tokens: None,
            nats: Nats::default(),
            http: Http { listen: "127.0.0.1:8080".into() },
            pgwire: PgWire { listen: "127.0.0.1:5433".into(), tls_cert: None, tls_key: None },
            ingest: Ingest::default(),
            sql: Sql { memory_mib: 512, time_limit_secs: 60, row_limit: 100_000 },
            access: Access { suppress_below: 5 },
            retention: BTreeMap::new(),
            schedule: Schedule::default(),
        }
    }
}

impl Default for Nats {
    fn default() -> Nats {
        Nats { url: None, creds: None, nkey: None, user: None, password: None, local_port: 14222 }
    }
}

impl Default for Ingest {
    fn default() -> Ingest {
        Ingest {
            workers: 0,
            consumer: "ingest".into(),
            flush_rows: 100_000,
            flush_mib: 128,
            flush_ms: 2_000,
            ack_wait_secs: 30,
            compact_every_secs: 30,
            metrics: None,
            ready_max_lag: 100_000,
            ledger_mib: 256,
        }
    }
}

impl Default for Http {
    fn default() -> Http {
        Config::default().http
    }
}

impl Default for PgWire {
    fn default() -> PgWire {
        Config::default().pgwire
    }
}

impl Default for Sql {
    fn default() -> Sql {
        Config::default().sql
    }
}

impl Default for Access {
    fn default() -> Access {
        Config::default().access
    }
}

/// Where a configuration came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// The `SAFELAKE_*` variables that set something.
    pub variables: Vec<String>,
    /// `SAFELAKE_*` variables that name no setting (a typo, most likely).
    pub unknown_variables: Vec<String>,
}

impl Config {
    /// Reads the defaults, then `file` (or `$SAFELAKE_CONFIG`, or `./safelake.toml` when
    /// it exists), then the `SAFELAKE_*` variables. The error names the file or
    /// variable and the key.
    pub fn load(file: Option<&Path>) -> Result<(Config, Source)> {
        let named = file.map(Path::to_path_buf).or_else(|| std::env::var_os(FILE_VARIABLE).map(PathBuf::from));
        let file = match named {
            Some(path) if !path.exists() => anyhow::bail!("the configuration file {} does not exist", path.display()),
            Some(path) => Some(path),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = &file {
            figment = figment.merge(Toml::file_exact(file));
        }
        let figment = figment.merge(environment());
        let config: Config = figment.extract().map_err(|e| anyhow::anyhow!(plain(e, file.as_deref())))?;
        let (variables, unknown_variables) = variables();
        Ok((config, Source { file, variables, unknown_variables }))
    }

    /// Parses a configuration file's text alone (for tests and `config check` of a
    /// file that is not yet in place).
    pub fn parse(text: &str) -> Result<Config> {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| anyhow::anyhow!(plain(e, None)))
    }

    pub fn trust_file(&self) -> PathBuf {
        self.trust.clone().unwrap_or_else(|| self.data.join("trust.toml"))
    }

    /// Where the lake is; a location that is neither a directory nor an object store
    /// URL is an error that says what to write.
    pub fn lake_url(&self) -> Result<safelake_lake::LakeUrl> {
        match &self.lake {
            Some(text) => text.parse().map_err(|e| anyhow::anyhow!("lake = {text:?}: {e}")),
            None => Ok(safelake_lake::LakeUrl::dir(self.data.join("lake"))),
        }
    }

    pub fn tokens_file(&self) -> PathBuf {
        self.tokens.clone().unwrap_or_else(|| self.data.join("tokens.json"))
    }

    pub fn packs_dir(&self) -> PathBuf {
        self.schedule.dir.clone().unwrap_or_else(|| self.data.join("packs"))
    }

    /// The store of the nats-server `safelake up` starts.
    pub fn nats_store(&self) -> PathBuf {
        self.data.join("nats")
    }

    pub fn http_addr(&self) -> Result<SocketAddr> {
        address("[http] listen", &self.http.listen)
    }

    /// None when the endpoint is `off`.
    pub fn pgwire_addr(&self) -> Result<Option<SocketAddr>> {
        if self.pgwire.listen.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        address("[pgwire] listen", &self.pgwire.listen).map(Some)
    }

    /// The PostgreSQL endpoint's certificate and key, when both are set.
    pub fn pgwire_tls(&self) -> Result<Option<(PathBuf, PathBuf)>> {
        match (&self.pgwire.tls_cert, &self.pgwire.tls_key) {
            (Some(cert), Some(key)) => Ok(Some((cert.clone(), key.clone()))),
            (None, None) => Ok(None),
            _ => anyhow::bail!("[pgwire] tls_cert and tls_key go together: set both or neither"),
        }
    }

    pub fn ingest_metrics_addr(&self) -> Result<Option<SocketAddr>> {
        self.ingest.metrics.as_deref().map(|a| address("[ingest] metrics", a)).transpose()
    }

    /// Each table's retention period in months.
    pub fn retention_policies(&self) -> Result<Vec<safelake_lake::retention::Policy>> {
        let mut policies = Vec::new();
        for (table, period) in &self.retention {
            if let Err(e) = safelake_lake::retention::retained_table(table) {
                let tables: Vec<&str> = safelake_lake::compact::compacted_tables().iter().map(|t| t.name).collect();
                anyhow::bail!("[retention] {table}: {e}; tables: {}", tables.join(", "));
            }
            let months = safelake_lake::retention::parse_period(period)
                .map_err(|e| anyhow::anyhow!("[retention] {table}: {e}"))?;
            policies.push(safelake_lake::retention::Policy { table: table.clone(), months });
        }
        Ok(policies)
    }

    /// The configuration as a file would hold it, the password left out.
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.nats.password.is_some() {
            shown.nats.password = Some("(set)".into());
        }
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot show the configuration: {e}\n"))
    }
}

fn address(key: &str, text: &str) -> Result<SocketAddr> {
    text.parse().map_err(|e| anyhow::anyhow!("{key} = {text:?} is not an address like 127.0.0.1:8080 ({e})"))
}

/// `SAFELAKE_NATS_URL` → `nats.url`; `SAFELAKE_LAKE` → `lake`; None for a variable that
/// names no setting.
fn key_of(variable: &str) -> Option<String> {
    let variable = variable.to_ascii_uppercase();
    if OTHERS.contains(&variable.as_str()) {
        return None;
    }
    let name = variable.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
    if TOP_LEVEL.contains(&name.as_str()) {
        return Some(name);
    }
    SECTIONS.iter().find_map(|section| {
        let key = name.strip_prefix(section)?.strip_prefix('_')?;
        (!key.is_empty()).then(|| format!("{section}.{key}"))
    })
}

fn environment() -> Env {
    Env::raw().filter_map(|variable| key_of(variable.as_str()).map(Into::into))
}

/// `SAFELAKE_*` variables that are not settings: read by our scripts, tests and the
/// local nats-server's launcher, never by the configuration.
const OTHERS: &[&str] = &[
    "SAFELAKE_CONFIG",
    "SAFELAKE_TOOLS",
    "SAFELAKE_NATS_SERVER",
    "SAFELAKE_BIN",
    "SAFELAKE_TOKEN",
    "SAFELAKE_CRASH_EVENTS",
];

/// The `SAFELAKE_*` variables set: those that name a setting, and those that do not
/// (other than the ones other tools of ours read).
fn variables() -> (Vec<String>, Vec<String>) {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|n| n.starts_with(ENV_PREFIX)).map(str::to_string) else { continue };
        if key_of(&name).is_some() {
            known.push(name);
        } else if !OTHERS.contains(&name.as_str()) {
            unknown.push(name);
        }
    }
    known.sort();
    unknown.sort();
    (known, unknown)
}

/// A figment error in plain words: which file or variable, which key, what was wrong.
fn plain(error: figment::Error, file: Option<&Path>) -> String {
    let mut messages = Vec::new();
    for e in error {
        let key = e.path.join(".");
        let whence = match e.metadata.as_ref().map(|m| m.name.to_string()) {
            Some(name) if name.contains("environment") => {
                format!("the variable {ENV_PREFIX}{}", key.replace('.', "_").to_ascii_uppercase())
            }
            _ => file.map(|f| f.display().to_string()).unwrap_or_else(|| "the configuration".into()),
        };
        let what = match &e.kind {
            figment::error::Kind::UnknownField(field, expected) => {
                let section = match e.path.split_last() {
                    Some((_, [])) | None => "the top level".to_string(),
                    Some((_, section)) => format!("[{}]", section.join(".")),
                };
                format!("{field:?} is not a setting of {section}; the settings there are {}", expected.join(", "))
            }
            other => format!("{}: {other}", if key.is_empty() { "the file" } else { key.as_str() }),
        };
        messages.push(format!("{whence}: {what}"));
    }
    messages.join("\n")
}

/// Text, even when a variable's value looks like a number (`SAFELAKE_NATS_PASSWORD=12345`).
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Text(String),
        Whole(i128),
        Number(f64),
        Flag(bool),
    }
    Ok(Option::<Loose>::deserialize(deserializer)?.map(|value| match value {
        Loose::Text(s) => s,
        Loose::Whole(n) => n.to_string(),
        Loose::Number(n) => n.to_string(),
        Loose::Flag(b) => b.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_default_and_the_example_file_matches_them() {
        let defaults = Config::default();
        assert_eq!(Config::parse("").unwrap(), defaults);
        // The documented example sets each key to its default (or a commented example).
        let example = Config::parse(include_str!("../../../safelake.example.toml")).unwrap();
        assert_eq!(Config { retention: BTreeMap::new(), ..example.clone() }, defaults);
        assert!(example.retention_policies().is_ok());
    }

    #[test]
    fn a_schedule_lists_each_boards_meetings_with_defaults_for_the_rest() {
        let config = Config::parse(
            "data = \"/srv/safelake\"\n[[schedule.packs]]\nboard = \"hab\"\nhub = \"north\"\nmeetings = [\"2027-03-15\"]\n",
        )
        .unwrap();
        assert_eq!(config.packs_dir(), PathBuf::from("/srv/safelake/packs"));
        let packs = &config.schedule.packs[0];
        assert_eq!((packs.days_before, packs.covers.as_str(), packs.hub.as_deref()), (7, "this_year", Some("north")));
        let error = Config::parse("[[schedule.packs]]\nboard = \"hab\"\nmeeting = []\n").unwrap_err().to_string();
        assert!(error.contains("\"meeting\" is not a setting") && error.contains("meetings"), "{error}");
    }

    #[test]
    fn variables_name_sections_and_keys() {
        assert_eq!(key_of("SAFELAKE_NATS_URL").as_deref(), Some("nats.url"));
        assert_eq!(key_of("SAFELAKE_ACCESS_SUPPRESS_BELOW").as_deref(), Some("access.suppress_below"));
        assert_eq!(key_of("SAFELAKE_RETENTION_FILTER_EVENTS").as_deref(), Some("retention.filter_events"));
        assert_eq!(key_of("SAFELAKE_LAKE").as_deref(), Some("lake"));
        assert_eq!(key_of("SAFELAKE_SCHEDULE_BROWSER").as_deref(), Some("schedule.browser"));
        assert_eq!(key_of("SAFELAKE_LISTEN"), None);
        assert_eq!(key_of("SAFELAKE_NATS"), None);
        assert_eq!(key_of("SAFELAKE_NATS_SERVER"), None, "the local nats-server's binary is not a setting");
    }

    #[test]
    // figment's Jail takes a closure returning its own (large) error type.
    #[allow(clippy::result_large_err)]
    fn a_file_then_variables_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("safelake.toml", "data = \"/srv/safelake\"\n[http]\nlisten = \"0.0.0.0:8080\"\n")?;
            jail.set_env("SAFELAKE_HTTP_LISTEN", "127.0.0.1:9090");
            jail.set_env("SAFELAKE_ACCESS_SUPPRESS_BELOW", "10");
            jail.set_env("SAFELAKE_NATS_PASSWORD", "12345");
            jail.set_env("SAFELAKE_LSTEN", "typo");
            let (config, source) = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.data, PathBuf::from("/srv/safelake"));
            assert_eq!(config.lake_url().unwrap(), safelake_lake::LakeUrl::Dir("/srv/safelake/lake".into()));
            assert_eq!(config.http.listen, "127.0.0.1:9090");
            assert_eq!(config.access.suppress_below, 10);
            assert_eq!(config.nats.password.as_deref(), Some("12345"));
            assert_eq!(source.file, Some(PathBuf::from("safelake.toml")));
            assert_eq!(source.unknown_variables, ["SAFELAKE_LSTEN"]);
            Ok(())
        });
    }

    #[test]
    fn mistakes_are_named_with_their_key() {
        let error = Config::parse("[http]\nlsten = \"127.0.0.1:8080\"\n").unwrap_err().to_string();
        assert!(error.contains("\"lsten\" is not a setting of [http]") && error.contains("listen"), "{error}");
        let error = Config::parse("[access]\nsuppress_below = \"five\"\n").unwrap_err().to_string();
        assert!(error.contains("access.suppress_below"), "{error}");
        let config = Config::parse("[retention]\nfilter_events = \"2 weeks\"\n").unwrap();
        let error = config.retention_policies().unwrap_err().to_string();
        assert!(error.contains("[retention] filter_events") && error.contains("weeks"), "{error}");
        let config = Config::parse("[retention]\nfiltr_events = \"2 years\"\n").unwrap();
        assert!(config.retention_policies().unwrap_err().to_string().contains("not a table"));
    }
}
