//! Web-filter log formats, each parsed from the vendor's documented fields into a
//! [`WebRequest`] in the vendor's own words (the mapping to the contract is `web`'s job).

use std::net::IpAddr;

use crate::web::WebRequest;

pub mod cef;
pub mod fortigate;
pub mod kv;
pub mod smoothwall;
pub mod sophos;
mod times;
pub mod umbrella;

/// What a parser made of one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Request(WebRequest),
    /// Not a web-filter record (a header, another log type): counted, not refused.
    Skip(&'static str),
}

/// A parser of one vendor's lines. It may keep state between lines (a CSV header).
pub trait LineParser: Send {
    /// The line without its line ending; `Err` is the reason the line is refused.
    fn parse(&mut self, line: &str) -> Result<Line, String>;
}

/// The filters whose logs `safelake import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// FortiGate web filter logs, key=value as on the box and over syslog.
    Fortigate,
    /// FortiGate web filter logs in CEF.
    FortigateCef,
    /// Sophos Firewall content filtering, key=value.
    Sophos,
    /// Cisco Umbrella DNS logs, CSV as exported to S3 (gzipped or not).
    Umbrella,
    /// Smoothwall's web filter log, CSV export.
    Smoothwall,
}

impl Vendor {
    pub const ALL: &'static [Vendor] =
        &[Vendor::Fortigate, Vendor::FortigateCef, Vendor::Sophos, Vendor::Umbrella, Vendor::Smoothwall];

    /// The name on the command line, in reports and in event ids' source.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Fortigate => "fortigate",
            Vendor::FortigateCef => "fortigate-cef",
            Vendor::Sophos => "sophos",
            Vendor::Umbrella => "umbrella",
            Vendor::Smoothwall => "smoothwall",
        }
    }

    pub fn parse(name: &str) -> Option<Vendor> {
        Vendor::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// Whether the vendor sends its records over syslog (the CSV exports do not).
    pub fn sends_syslog(self) -> bool {
        matches!(self, Vendor::Fortigate | Vendor::FortigateCef | Vendor::Sophos)
    }

    /// The record a line of a log file holds, without the syslog header that a file
    /// written by a syslog server puts before it: the same text the listener hands on, so
    /// a record gets the same event id from a file as over syslog.
    pub fn record(self, line: &str) -> String {
        if !self.sends_syslog() {
            return line.to_string();
        }
        crate::syslog::parse(line.as_bytes()).map_or_else(|_| line.to_string(), |message| message.body)
    }

    /// A fresh parser: one per file, since a CSV header row belongs to its own file.
    pub fn parser(self) -> Box<dyn LineParser> {
        match self {
            Vendor::Fortigate => Box::new(fortigate::Fortigate),
            Vendor::FortigateCef => Box::new(cef::FortigateCef),
            Vendor::Sophos => Box::new(sophos::Sophos),
            Vendor::Umbrella => Box::new(umbrella::Umbrella),
            Vendor::Smoothwall => Box::new(smoothwall::Smoothwall::default()),
        }
    }

    /// The mapping file safelake ships for this vendor (both FortiGate formats share one).
    pub fn default_mapping(self) -> &'static str {
        match self {
            Vendor::Fortigate | Vendor::FortigateCef => include_str!("../../mappings/fortigate.toml"),
            Vendor::Sophos => include_str!("../../mappings/sophos.toml"),
            Vendor::Umbrella => include_str!("../../mappings/umbrella.toml"),
            Vendor::Smoothwall => include_str!("../../mappings/smoothwall.toml"),
        }
    }
}

// Why a line made no request, in the words the report counts such lines under.
const EMPTY: &str = "empty lines";
const NOT_WEB: &str = "records that are not web filtering";
const HEADER: &str = "header rows";

/// Blank lines between records (an editor, a concatenation of files) are nobody's mistake.
fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// A field's value, or `None` when the vendor wrote it empty or as a dash: every vendor
/// has some way of saying "no value", and none of them is a value.
fn present(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty() && *v != "-").map(str::to_string)
}

/// The client's address; a value that is not one is refused rather than dropped, since a
/// guest is known by nothing else.
fn address(field: &str, value: Option<&str>) -> Result<Option<IpAddr>, String> {
    match present(value) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| format!("{field} {text:?} is not an IP address")),
    }
}

/// What was requested: the URL when it is whole, else the host with the path the filter
/// logged apart from it (FortiGate logs `hostname` and a `url` of `/path`).
fn requested(url: Option<&str>, host: Option<&str>) -> Option<String> {
    match (present(url), present(host)) {
        (Some(url), Some(host)) if url.starts_with('/') => Some(format!("{host}{url}")),
        (Some(url), _) => Some(url),
        (None, host) => host,
    }
}

/// One CSV record, for the vendors that export CSV (a line never holds more than one).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(_) => Ok(record.iter().map(str::to_string).collect()),
        Err(error) => Err(format!("the line is not CSV: {error}")),
    }
}

/// What every vendor's tests read their samples with.
#[cfg(test)]
pub(crate) mod testing {
    use chrono::DateTime;

    use super::{Line, LineParser};
    use crate::clock::LoggedTime;
    use crate::web::WebRequest;

    /// Line `number` (from 1) of a sample file.
    pub fn line(sample: &'static str, number: usize) -> &'static str {
        sample.lines().nth(number - 1).expect("a sample line")
    }

    /// The request `line` holds, or a panic showing what it was instead.
    pub fn request(parser: &mut dyn LineParser, line: &str) -> WebRequest {
        match parser.parse(line) {
            Ok(Line::Request(request)) => request,
            other => panic!("{other:?}"),
        }
    }

    pub fn utc(text: &str) -> LoggedTime {
        LoggedTime::Utc(DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time").to_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SchoolClock;
    use crate::identities::IdentityMap;
    use crate::importer::Importer;
    use crate::key::SchoolKey;
    use crate::mapping::Mapping;
    use crate::pseudonym::Pseudonymiser;
    use crate::web::WebImport;

    #[test]
    fn every_shipped_mapping_parses() {
        for vendor in Vendor::ALL {
            let mapping = Mapping::parse(vendor.name(), vendor.default_mapping());
            assert!(mapping.is_ok(), "{}: {}", vendor.name(), mapping.err().map(|e| e.to_string()).unwrap_or_default());
        }
    }

    /// What a sample file's lines came to, as `samples/README.md` counts them.
    #[derive(Debug, Default, PartialEq)]
    struct Counts {
        events: usize,
        allowed: usize,
        skipped: usize,
        malformed: usize,
        /// Requests the mapping or the identity map refused, or values it did not name:
        /// none in a sample.
        refused: Vec<String>,
        /// The `data` of the first event.
        first: Option<serde_json::Value>,
    }

    fn counts(vendor: Vendor, file: &str) -> Counts {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let identities = std::fs::File::open(dir.join("identities.csv")).expect("the sample identity map");
        let people = Pseudonymiser::new(SchoolKey::from_bytes([7; 32]), IdentityMap::read(identities).expect("a map"));
        let mapping = Mapping::parse(vendor.name(), vendor.default_mapping()).expect("the shipped mapping");
        let web = WebImport {
            vendor: vendor.name(),
            mapping: &mapping,
            people: &people,
            clock: SchoolClock::default(),
            flag_allowed: &[],
        };
        let mut importer = Importer::new("oakfield".parse().expect("a school id"), vendor.name(), people.event_ids());
        let mut parser = vendor.parser();
        let mut counts = Counts::default();
        for line in crate::source::lines(&dir.join(file)).expect("the sample") {
            let (number, text) = line.expect("a line");
            let place = format!("{file}:{number}");
            match parser.parse(&text) {
                Err(_) => counts.malformed += 1,
                Ok(Line::Skip(_)) => counts.skipped += 1,
                Ok(Line::Request(request)) => match web.import(&request) {
                    Ok(imported) if !imported.unmapped.is_empty() => {
                        counts.refused.push(format!("{place}: unmapped {:?}", imported.unmapped))
                    }
                    Ok(imported) if imported.skipped == Some("allowed requests") => counts.allowed += 1,
                    Ok(imported) => {
                        let ready = importer.record(&place, &text, Ok(imported));
                        counts.events += ready.len();
                        if let (None, Some(event)) = (&counts.first, ready.first()) {
                            let json: serde_json::Value = serde_json::from_str(&event.json).expect("JSON");
                            counts.first = Some(json["data"].clone());
                        }
                    }
                    Err(refusal) => counts.refused.push(format!("{place}: {}", refusal.reason)),
                },
            }
        }
        assert!(importer.report.refused.is_empty(), "{:?}", importer.report.refused);
        counts
    }

    /// The figures `samples/README.md` gives, which an end-to-end test relies on.
    #[test]
    fn the_samples_come_to_what_their_readme_says() {
        for (vendor, file, events, allowed, skipped, malformed) in [
            (Vendor::Fortigate, "fortigate.log", 13, 7, 2, 2),
            (Vendor::FortigateCef, "fortigate-cef.log", 11, 5, 2, 2),
            (Vendor::Sophos, "sophos.log", 12, 6, 2, 2),
            (Vendor::Umbrella, "umbrella.csv.gz", 13, 7, 1, 2),
            (Vendor::Smoothwall, "smoothwall.csv", 11, 6, 1, 2),
        ] {
            let mut counts = counts(vendor, file);
            let first = counts.first.take().expect("an event");
            let want = Counts { events, allowed, skipped, malformed, refused: Vec::new(), first: None };
            assert_eq!(counts, want, "{file}");
            // Every sample opens with the same pupil's blocked visit to the same site.
            assert_eq!(first["occurred_at"], "2026-03-12T08:41:07Z", "{file}");
            assert_eq!(first["user_group"], "pupil", "{file}");
            assert_eq!(first["year_group"], 9, "{file}");
            assert_eq!(first["category"], "adult_content", "{file}");
            assert_eq!(first["domain"], "www.adult-videos.example", "{file}");
            assert_eq!(first["verdict"], "blocked", "{file}");
            let rule = match vendor {
                Vendor::Fortigate | Vendor::FortigateCef => "policy-12",
                Vendor::Sophos => "rule-5",
                Vendor::Umbrella | Vendor::Smoothwall => vendor.name(),
            };
            assert_eq!(first["rule_id"], rule, "{file}");
        }
    }

    /// Every cut of every sample line, and every one with a character swapped for one
    /// that means something to some format, is read or refused: none panics.
    #[test]
    fn no_sample_line_panics_however_cut_or_spoiled() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        for (vendor, file) in [
            (Vendor::Fortigate, "fortigate.log"),
            (Vendor::FortigateCef, "fortigate-cef.log"),
            (Vendor::Sophos, "sophos.log"),
            (Vendor::Umbrella, "umbrella.csv.gz"),
            (Vendor::Smoothwall, "smoothwall.csv"),
        ] {
            let lines: Vec<String> =
                crate::source::lines(&dir.join(file)).expect("the sample").map(|l| l.expect("a line").1).collect();
            let mut parser = vendor.parser();
            for line in &lines {
                for (n, (at, c)) in line.char_indices().enumerate() {
                    let _ = parser.parse(&line[..at]);
                    // Every fifth character is plenty, and keeps the test quick.
                    if n % 5 != 0 {
                        continue;
                    }
                    for spoiler in ['"', '\\', '=', '|', ',', ' ', ':', '(', 'é'] {
                        let spoiled = format!("{}{spoiler}{}", &line[..at], &line[at + c.len_utf8()..]);
                        let _ = parser.parse(&spoiled);
                    }
                }
            }
        }
    }

    #[test]
    fn a_relative_url_joins_its_host() {
        assert_eq!(requested(Some("/a?b=c"), Some("example.com")).as_deref(), Some("example.com/a?b=c"));
        assert_eq!(requested(Some("https://x.example/p"), Some("y.example")).as_deref(), Some("https://x.example/p"));
        assert_eq!(requested(Some(""), Some("y.example")).as_deref(), Some("y.example"));
        assert_eq!(requested(None, Some("-")), None);
    }

    #[test]
    fn an_address_is_an_address_or_refused() {
        assert_eq!(address("srcip", Some("10.1.2.3")), Ok(Some("10.1.2.3".parse().unwrap())));
        assert_eq!(address("srcip", Some("")), Ok(None));
        assert_eq!(address("srcip", Some("ten")), Err("srcip \"ten\" is not an IP address".into()));
    }
}
