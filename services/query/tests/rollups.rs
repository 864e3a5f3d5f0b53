//! The rollups hold exactly the raw events, through everything a lake goes through:
//! several commits to a partition, compaction, a rollup file lost and the rollups rebuilt.
//! Two independent paths are compared: the rollup files the lake derives in Rust, and the
//! rollup's SQL definition over the raw events (`queries/rollups/`); the blocked counts
//! are also tallied here from the generated events themselves.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use safelake_generate::Options;
use safelake_lake::compact::{compact_lake, CompactionPolicy};
use safelake_lake::rollup::ROLLUPS;
use safelake_lake::{follow, Lake, TableSpec};
use safelake_query::rollups::check;
use safelake_query::Engine;
use serde_json::Value;

use common::{dates, report, write_lake};

/// (month, school, category).
type Key = (String, String, String);
type Counted = BTreeMap<Key, (i64, i64, i64)>;

/// blocked_categories' rows for the days [from, to): (month, school, category) ->
/// (blocked, flagged, distinct users), tallied from the events.
fn tally(events: &[Value], from: &str, to: &str) -> Counted {
    let mut counts: BTreeMap<Key, (i64, i64, BTreeSet<String>)> = BTreeMap::new();
    for e in events.iter().filter(|e| e["type"] == "uk.safeguarding.filter.blocked.v1") {
        let (data, at) = (&e["data"], e["data"]["occurred_at"].as_str().unwrap());
        if !(from..to).contains(&&at[..10]) {
            continue;
        }
        let key = (
            at[..7].to_string(),
            e["schoolid"].as_str().unwrap().to_string(),
            data["category"].as_str().unwrap().to_string(),
        );
        let (blocked, flagged, users) = counts.entry(key).or_default();
        *blocked += i64::from(data["verdict"] == "blocked");
        *flagged += i64::from(data["verdict"] == "flagged");
        users.insert(data["user_ref"].as_str().unwrap().to_string());
    }
    counts.into_iter().map(|(k, (b, f, u))| (k, (b, f, u.len() as i64))).collect()
}

/// The same from the report.
async fn counted(engine: &Engine, from: &str, to: &str) -> Counted {
    let window = dates(from, to);
    let number = |s: &str| s.parse::<i64>().unwrap();
    report(engine, "blocked_categories", &window)
        .await
        .into_iter()
        .map(|r| ((r[0].clone(), r[2].clone(), r[3].clone()), (number(&r[4]), number(&r[5]), number(&r[6]))))
        .collect()
}

/// Whole months (a year) and a window whose edges cut months, from the report and from
/// the events.
async fn blocked_categories_agree(engine: &Engine, events: &[Value]) {
    for (from, to) in [("2025-09-01", "2026-09-01"), ("2025-10-15", "2026-02-10")] {
        let expected = tally(events, from, to);
        assert!(expected.len() > 50 && expected.values().any(|c| c.2 > 1), "a window worth checking");
        assert_eq!(counted(engine, from, to).await, expected, "blocked_categories from {from} to {to}");
    }
}

/// blocked_daily's (rows, missing, extra), once the other rollups are seen to agree.
async fn agrees(engine: &Engine) -> (usize, usize, usize) {
    let checked = check(&engine.query()).await.unwrap();
    let names: Vec<&str> = checked.iter().map(|c| c.rollup).collect();
    assert_eq!(
        names,
        ["blocked_daily", "blocked_monthly", "blocked_categories_monthly", "high_risk_daily", "filter_changes"]
    );
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
    let lake = Lake::at(dir.path()).unwrap();
    // Three commits per partition, each under a name the first one took.
    for part in events.chunks(events.len() / 3 + 1) {
        write_lake(&lake, part.to_vec()).await;
    }
    let engine = Engine::open(&Lake::at(dir.path()).unwrap(), &trust).await.unwrap();
    let (rows, missing, extra) = agrees(&engine).await;
    assert!(rows > 1_000, "a rollup worth checking: {rows} rows");
    assert_eq!((missing, extra), (0, 0));

    // The report, each category of a month in three files, against the events.
    blocked_categories_agree(&engine, &events).await;

    // Compaction merges the raw files; the rollups follow the merge.
    let compacted =
        compact_lake(&lake, CompactionPolicy { min_files: 2, ..CompactionPolicy::default() }).await.unwrap();
    assert!(compacted.iter().any(|c| c.table == "filter_events"));
    follow::follow(&lake).await.unwrap();
    assert_eq!(agrees(&engine).await, (rows, 0, 0));
    // ... and each category of a month now in one file: one rollup file per raw file.
    blocked_categories_agree(&engine, &events).await;
    let raw = lake.table(&TableSpec::family(safelake_schemas::Family::Filter)).await.unwrap();
    let daily = lake.table(&TableSpec::rollup(&ROLLUPS[0])).await.unwrap();
    let partitions = |files: Vec<safelake_lake::DataFile>| {
        let mut p: Vec<_> = files.into_iter().map(|f| f.partition).collect();
        p.sort();
        p
    };
    assert_eq!(partitions(daily.files()), partitions(raw.files()), "one rollup file per raw file, no more");

    // A rollup file lost (removed from its table by hand): the check sees it, a rebuild
    // derives every rollup again.
    let mut daily = daily;
    let largest = daily.files().into_iter().max_by_key(|f| f.size).unwrap();
    let removes = daily.removes(&[largest.path], true);
    let operation = deltalake::protocol::DeltaOperation::Delete { predicate: None };
    daily.commit(removes, operation).await.unwrap();
    let (_, missing, extra) = agrees(&engine).await;
    assert!(missing > 0 && extra == 0, "{missing} missing, {extra} extra");
    let rebuilt = follow::rebuild(&lake).await.unwrap();
    assert_eq!(rebuilt.commits, ROLLUPS.len());
    assert_eq!(agrees(&engine).await, (rows, 0, 0));
    blocked_categories_agree(&engine, &events).await;
}
