//! Every report as the lake stood at a moment equals the same report on a lake that holds
//! only what had been ingested by then: a second lake, written with just those events, is
//! the independent answer. The events after the moment (new ones, corrections of old ones,
//! closures of actions) arrive in a later commit, as they would from the ingest.

mod common;

use common::to_rows;
use safelake_generate::Options;
use safelake_lake::Lake;
use safelake_period::AsAt;
use safelake_query::reports::{run, Params, REPORTS};
use safelake_query::Engine;
use safelake_tests::lake::write_commit;
use serde_json::Value;

fn options() -> Options {
    Options { schools: 3, hubs: 2, filter_events: 4_000, ..Options::default() }
}

/// The synthetic trust's events, split where they were emitted: before 1 February 2026
/// and from then on.
fn events() -> (Vec<Value>, Vec<Value>) {
    let split = chrono::DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z").unwrap();
    safelake_generate::events(&options()).map(|e| (e.time < split, e.to_value())).fold(
        (Vec::new(), Vec::new()),
        |(mut before, mut after), (early, value)| {
            if early {
                before.push(value);
            } else {
                after.push(value);
            }
            (before, after)
        },
    )
}

async fn engine(lake: &Lake) -> Engine {
    Engine::open(lake, &safelake_generate::trust(&options())).await.unwrap()
}

#[tokio::test]
async fn every_report_as_at_a_moment_equals_the_lake_that_held_only_what_was_ingested_by_then() {
    let (before, after) = events();
    assert!(!before.is_empty() && !after.is_empty());
    let (whole_dir, oracle_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (whole, oracle) = (Lake::at(whole_dir.path()).unwrap(), Lake::at(oracle_dir.path()).unwrap());
    write_commit(&oracle, 1, before.clone()).await;
    let n = before.len() as u64;
    write_commit(&whole, 1, before).await;
    let moment = AsAt::new(chrono::Utc::now());
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    write_commit(&whole, n + 1, after).await;

    let (whole, oracle) = (engine(&whole).await, engine(&oracle).await);
    let mut changed = Vec::new();
    for year in ["2024-25", "2025-26"] {
        // $at is the moment for the year still open at it, the year's end for the other.
        let params = common::year(year);
        let at = Params { as_at: Some(moment), ..params.clone() };
        for report in REPORTS {
            let name = report.name;
            let expected = to_rows(run(&oracle.query(), name, &at).await.unwrap());
            let then = to_rows(run(&whole.query_at(Some(moment)).await.unwrap(), name, &at).await.unwrap());
            assert_eq!(then, expected, "{name} {year} as at {moment}");
            let now = to_rows(run(&whole.query(), name, &params).await.unwrap());
            if now != then {
                changed.push(format!("{name} {year}"));
            }
        }
    }
    // The later commit changed what most reports say now, so the moment is what held them.
    for name in
        ["incident_trends 2025-26", "blocked_categories 2025-26", "assurance_checks 2025-26", "standards 2025-26"]
    {
        assert!(changed.iter().any(|c| c == name), "{name} did not change after the moment: {changed:?}");
    }
}
