//! `write_dir` writes what the CLI and the loaders read back.

use std::fs;

use safelake_generate::{trust, write_dir, Options};
use safelake_period::AcademicYear;
use safelake_schemas::Trust;

#[test]
fn write_dir_writes_the_trust_and_one_file_per_family() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options { schools: 4, hubs: 2, filter_events: 3_000, ..Options::default() };
    let summary = write_dir(&options, dir.path()).unwrap();
    assert_eq!(Trust::load(&dir.path().join("trust.toml")).unwrap(), trust(&options));
    let mut lines = 0;
    for family in safelake_schemas::FAMILIES {
        let text = fs::read_to_string(dir.path().join("events").join(format!("{family}.jsonl"))).unwrap();
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(value["type"].as_str().unwrap().starts_with(&format!("uk.safeguarding.{family}.")));
        }
        lines += text.lines().count() as u64;
    }
    assert_eq!(lines, summary.events);
    assert_eq!(summary.by_type["uk.safeguarding.filter.blocked.v1"], 3_000);
    assert_eq!(summary.by_type.values().sum::<u64>(), summary.events);
    assert!(summary.to_string().starts_with(&format!("{} events\n", summary.events)));
}

#[test]
fn bad_options_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let year: AcademicYear = "2024-25".parse().unwrap();
    let options = Options { academic_years: vec![year, year], ..Options::default() };
    let error = write_dir(&options, dir.path()).unwrap_err().to_string();
    assert!(error.contains("2024-25 is listed twice"), "{error}");
    // A year written otherwise is refused where it is read, saying how to write it.
    let error = "2024-26".parse::<AcademicYear>().unwrap_err().to_string();
    assert!(error.contains("2024-26") && error.contains("like 2025-26"), "{error}");
    assert!(Options { hubs: 0, ..Options::default() }.check().is_err());
}
