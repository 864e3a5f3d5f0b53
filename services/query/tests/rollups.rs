//! The rollups hold exactly the raw events, through everything a lake goes through: files
//! committed under names already taken, compaction, a twin lost and repaired, a twin left
//! behind by a crash before its raw file was committed. Two independent paths are
//! compared: the rollup files the lake derives in Rust, and the rollup's SQL definition
//! over the raw events (`queries/rollups/`); the blocked counts are also tallied here from
//! the generated events themselves.

mod common;

use std::collections::BTreeMap;

use safelake_generate::Options;
use safelake_lake::compact::{compact_lake, CompactionPolicy};
use safelake_lake::rollup::{self, ROLLUPS};
use safelake_lake::{write_parquet, Lake};
use safelake_query::rollups::check;
use safelake_query::Engine;
use serde_json::Value;

use common::{report, write_lake};
use safelake_query::reports::Params;

/// blocked_categories' (month, school) -> blocked requests, tallied from the events.
fn tally(events: &[Value]) -> BTreeMap<(String, String), i64> {
    let mut blocked = BTreeMap::new();
    for e in events.iter().filter(|e| e["type"] == "uk.safeguarding.filter.blocked.v1") {
        let (data, at) = (&e["data"], e["data"]["occurred_at"].as_str().unwrap());
        if data["verdict"] == "blocked" && ("2025-09-01".."2026-09-01").contains(&&at[..10]) {
            *blocked.entry((at[..7].to_string(), e["schoolid"].as_str().unwrap().to_string())).or_default() += 1;
        }
    }
    blocked
}

/// blocked_daily's (rows, missing, extra), once the other rollups are seen to agree.
async fn agrees(engine: &Engine) -> (usize, usize, usize) {
    let checked = check(engine.context()).await.unwrap();
    let names: Vec<&str> = checked.iter().map(|c| c.rollup).collect();
    assert_eq!(names, ["blocked_daily", "blocked_monthly", "high_risk_daily", "filter_changes"]);
    for other in &checked[1..] {
        assert!(other.agrees() && other.rows > 10, "{other:?}");
    }
    (checked[0].rows, checked[0].missing, checked[0].extra)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_hold_exactly_the_raw_events() {
    let options = Options { schools: 3, hubs: 1, filter_events: 20_000, ..Options::default() };
    let trust = safelake_generate::trust(&options);
    let events: Vec<Value> = safelake_generate::events(&options).map(|e| e.to_value()).collect();
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    // Three commits per partition, each under a name the first one took.
    for part in events.chunks(events.len() / 3 + 1) {
        write_lake(&lake, part.to_vec());
    }
    let engine = Engine::open(dir.path(), &trust).await.unwrap();
    let (rows, missing, extra) = agrees(&engine).await;
    assert!(rows > 1_000, "a rollup worth checking: {rows} rows");
    assert_eq!((missing, extra), (0, 0));

    // Blocked counts per month and school, from the rollup, against the events.
    let year = Params { year: Some("2025-26".into()), ..Params::default() };
    let report = report(&engine, "blocked_categories", &year).await;
    let mut from_report: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in &report {
        *from_report.entry((row[0].clone(), row[2].clone())).or_default() += row[4].parse::<i64>().unwrap();
    }
    assert_eq!(from_report, tally(&events));

    // Compaction merges the raw files and their twins go with them.
    let compacted = compact_lake(&lake, CompactionPolicy { min_files: 2, ..CompactionPolicy::default() }).unwrap();
    assert!(compacted.iter().any(|c| c.output.to_string_lossy().contains("filter_events")));
    assert_eq!(agrees(&engine).await, (rows, 0, 0));
    let raw_dir = &lake.partitions("filter_events").unwrap()[0];
    let twins = rollup::twin_dir(&ROLLUPS[0], raw_dir);
    let names = |dir: &std::path::Path| {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| safelake_lake::layout::is_data_file(n))
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&twins), names(raw_dir), "one twin per raw file, no more");

    // A twin lost: the check sees it, repair derives it again.
    let largest = |dir: &std::path::Path| {
        Lake::live_files(dir).unwrap().into_iter().max_by_key(|p| std::fs::metadata(p).unwrap().len()).unwrap()
    };
    let lost = largest(&twins);
    std::fs::remove_file(&lost).unwrap();
    let (_, missing, extra) = agrees(&engine).await;
    assert!(missing > 0 && extra == 0, "{missing} missing, {extra} extra");
    assert_eq!(rollup::repair(&lake).unwrap().files, 1);
    assert_eq!(agrees(&engine).await, (rows, 0, 0));

    // A crash after a twin was written but before its raw file: the twin is not read.
    let orphan = largest(&twins);
    std::fs::copy(&orphan, twins.join("999999-999999.parquet")).unwrap();
    assert_eq!(agrees(&engine).await, (rows, 0, 0));
    // ... and the next commit of that name replaces it with its own.
    let batch = safelake_lake::FamilyBuilder::new(safelake_schemas::Family::Filter).finish(chrono::Utc::now());
    let written = write_parquet(raw_dir, "999999-999999.parquet", &[batch], vec![]).unwrap();
    assert!(written.ends_with("999999-999999.parquet"));
    assert_eq!(agrees(&engine).await, (rows, 0, 0));

    // Rebuilding derives every twin again, to the same rollup.
    let raw_files: usize =
        lake.partitions("filter_events").unwrap().iter().map(|d| Lake::live_files(d).unwrap().len()).sum();
    assert_eq!(rollup::rebuild(&lake).unwrap().files, ROLLUPS.len() * raw_files);
    assert_eq!(agrees(&engine).await, (rows, 0, 0));
}
