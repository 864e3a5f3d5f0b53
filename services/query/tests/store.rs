//! DataFusion reads each Delta table at one version: a commit appears whole in the next
//! query, a compaction never shows an event twice (its inputs stay on disk until a vacuum
//! and are never read), and removed months are gone. The same for a table read through
//! its Delta scan (the web filter's) and one held in memory (incidents), whose cache also
//! lets go of what compaction or retention removed, and falls back to the scan when it is
//! too small. The web filter's rollups are read at the raw version they reflect.

mod common;

use std::sync::Arc;

use common::{event, rows, write_lake, TRUST};
use safelake_lake::compact::{compact_lake, CompactionPolicy};
use safelake_lake::retention::{self, Policy};
use safelake_lake::{Lake, TableSpec};
use safelake_query::cached::FileCache;
use safelake_query::snapshots::Snapshots;
use safelake_query::Engine;
use safelake_schemas::{Family, Trust};
use serde_json::json;

#[tokio::test]
async fn sql_reads_whole_commits_and_never_a_compacted_event_twice() {
    for (family, table) in [(Family::Filter, "filter_events"), (Family::Incident, "incident_events")] {
        for cache in [safelake_query::CACHE_BYTES, 1] {
            let what = format!("{table} (cache of {cache} bytes)");
            let dir = tempfile::tempdir().unwrap();
            let lake = Lake::at(dir.path()).unwrap();
            // Two commits of one partition, as two batches of the ingest would leave them.
            for batch in 0..2 {
                write_small_commit(&lake, family, batch).await;
            }

            let trust = Trust::parse(TRUST).unwrap();
            let files = FileCache::new(cache);
            let snapshots = Snapshots::open(&lake).await.unwrap();
            let engine = Engine::open_with(&snapshots, &trust, None, Arc::clone(&files)).await.unwrap();
            let count = format!(
                "SELECT count(*), count(DISTINCT id) FROM {table} WHERE school_id = 'sch01' AND month = '2025-10'"
            );
            assert_eq!(rows(&engine, &count).await, vec![vec!["10", "10"]], "{what}");
            // The small tables are held in memory when they fit, and never past the budget.
            let held = files.bytes();
            assert!(held <= cache, "{what}: {held} bytes held");
            if table == "incident_events" && cache > 1 {
                assert!(held > 0, "{what}: the incidents were not held in memory");
            }

            // A commit made while the engine runs is read by its next query.
            write_small_commit(&lake, family, 2).await;
            assert_eq!(
                rows(&engine, &count).await,
                vec![vec!["15", "15"]],
                "{what}: a new commit appears without a restart"
            );

            // Compaction: one commit removes the three files and adds their merge; the
            // inputs stay on disk for readers of older versions, and are never read again.
            let merged =
                compact_lake(&lake, CompactionPolicy { min_files: 2, ..CompactionPolicy::default() }).await.unwrap();
            assert_eq!(
                merged.iter().map(|c| (c.table, c.inputs, c.rows)).collect::<Vec<_>>(),
                vec![(table, 3, 15)],
                "{what}"
            );
            safelake_lake::follow::follow(&lake).await.unwrap();
            let on_disk = count_parquet(&dir.path().join(table));
            assert_eq!(on_disk, 4, "{what}: the inputs are still on disk");
            assert_eq!(
                rows(&engine, &count).await,
                vec![vec!["15", "15"]],
                "{what}: the compacted inputs are not read"
            );
            let fresh = Engine::open(&lake, &trust).await.unwrap();
            assert_eq!(rows(&fresh, &count).await, vec![vec!["15", "15"]], "{what}: nor by a new engine");
            if family == Family::Filter {
                let blocked = "SELECT CAST(sum(requests) AS BIGINT) FROM blocked_daily WHERE school_id = 'sch01'";
                assert_eq!(rows(&engine, blocked).await, vec![vec!["15"]], "{what}: the rollup follows the merge");
            }

            // The partition removed, as retention removes a month: nothing is left of it.
            let policy = Policy { table: table.to_string(), months: 1 };
            let expired = retention::expired(&lake, &policy, chrono::Utc::now().date_naive()).await.unwrap();
            assert_eq!(expired.len(), 1, "{what}");
            retention::remove(&lake, table, &expired).await.unwrap();
            safelake_lake::follow::follow(&lake).await.unwrap();
            assert_eq!(rows(&engine, &count).await, vec![vec!["0", "0"]], "{what}: a removed partition is gone");
        }
    }
}

#[tokio::test]
async fn raw_filter_events_are_read_at_the_version_their_rollups_reflect() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    write_small_commit(&lake, Family::Filter, 0).await;
    let engine = Engine::open(&lake, &Trust::parse(TRUST).unwrap()).await.unwrap();
    let both = "SELECT (SELECT count(*) FROM filter_events), \
                (SELECT CAST(sum(requests) AS BIGINT) FROM blocked_daily)";
    assert_eq!(rows(&engine, both).await, vec![vec!["5", "5"]]);

    // Five more events committed by hand, the rollups not yet stepped (the moment between
    // a raw commit and its rollup commits): queries keep reading the raw version the
    // rollups reflect, so the two never disagree.
    let mut table = lake.table(&TableSpec::family(Family::Filter)).await.unwrap();
    let before = table.version();
    commit_raw(&mut table, 1).await;
    assert_eq!(rows(&engine, both).await, vec![vec!["5", "5"]], "raw and rollup read at one cut");

    // Once the rollups follow, both move together.
    let followed = safelake_lake::follow::follow(&lake).await.unwrap();
    assert_eq!(followed.version, before + 1);
    assert_eq!(rows(&engine, both).await, vec![vec!["10", "10"]]);
}

/// The files of a table directory, every version's.
fn count_parquet(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            n += count_parquet(&entry.path());
        } else if entry.file_name().to_string_lossy().ends_with(".parquet")
            && !entry.path().to_string_lossy().contains("_delta_log")
        {
            n += 1;
        }
    }
    n
}

/// Commits five filter events of batch `batch` straight to the raw table, without the
/// rollups following.
async fn commit_raw(table: &mut safelake_lake::Table, batch: usize) {
    use deltalake::kernel::Action;
    use deltalake::protocol::{DeltaOperation, SaveMode};
    let mut builder = safelake_lake::FamilyBuilder::new(Family::Filter);
    for (seq, value) in (100..).zip(small_events(Family::Filter, batch)) {
        let event = safelake_schemas::validate_value(value, None).unwrap();
        builder.append(&event, seq, 0);
    }
    let partition = safelake_lake::Partition::school_month("sch01", "2025-10");
    let adds = table.write(vec![(partition, builder.finish(chrono::Utc::now()))], true).await.unwrap();
    let operation = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
    table.commit(adds.into_iter().map(Action::Add).collect(), operation).await.unwrap();
}

/// Five events of `family`, committed as one batch of the ingest would commit them.
async fn write_small_commit(lake: &Lake, family: Family, batch: usize) {
    write_lake(lake, small_events(family, batch)).await;
}

/// Five events of `family` in sch01, October 2025, numbered from `batch * 5`.
fn small_events(family: Family, batch: usize) -> Vec<serde_json::Value> {
    let events = (0..5).map(|i| {
        let n = batch * 5 + i;
        match family {
            Family::Filter => event(
                n,
                "sch01",
                "filter.blocked",
                "2025-10-03T10:15:01Z",
                json!({
                    "occurred_at": "2025-10-03T10:15:00Z", "user_ref": "s_00112233445566aa", "user_group": "staff",
                    "category": "gambling", "domain": "bets.example.com", "verdict": "blocked", "rule_id": "r1",
                    "device": "school"
                }),
            ),
            _ => event(
                n,
                "sch01",
                "incident.recorded",
                "2025-10-03T10:15:01Z",
                json!({
                    "incident_id": format!("INC-{n}"), "occurred_at": "2025-10-03T10:15:00Z", "subject_role": "pupil",
                    "pupil_ref": "p_00112233445566aa", "year_group": 7, "category": "cyberbullying",
                    "location": "in_school", "severity": "B", "illegal": false, "reported_by_role": "staff"
                }),
            ),
        }
    });
    events.collect()
}
