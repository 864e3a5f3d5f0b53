//! DataFusion reads the lake through the live-file rule: after a compaction committed but
//! before its inputs are deleted (or when a crash left them), SQL counts every event once;
//! a new file is read by the next query. The same for a table read from files (the web
//! filter's) and one held in memory (incidents), whose cache also lets go of what
//! compaction or retention removed, and falls back to the files when it is too small.

mod common;

use std::sync::Arc;

use common::{event, rows, write_lake, TRUST};
use safelake_lake::compact::{compact_partition, CompactionPolicy};
use safelake_lake::{Lake, Partition};
use safelake_query::cached::FileCache;
use safelake_query::Engine;
use safelake_schemas::{Family, Trust};
use serde_json::json;

#[tokio::test]
async fn sql_never_counts_a_compacted_event_twice() {
    for (family, table) in [(Family::Filter, "filter_events"), (Family::Incident, "incident_events")] {
        for cache in [safelake_query::CACHE_BYTES, 1] {
            let what = format!("{table} (cache of {cache} bytes)");
            let dir = tempfile::tempdir().unwrap();
            let lake = Lake::new(dir.path());
            // Two small files in one partition, as two commits would leave them.
            let partition = lake.dir(&Partition::events(family, "sch01", "2025-10"));
            for batch in 0..2 {
                write_small_file(&lake, family, &partition, batch);
            }

            let trust = Trust::parse(TRUST).unwrap();
            let files = FileCache::new(cache);
            let engine = Engine::open_with(dir.path(), &trust, None, Arc::clone(&files)).await.unwrap();
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

            // A file committed while the engine runs is read by its next query.
            write_small_file(&lake, family, &partition, 2);
            assert_eq!(
                rows(&engine, &count).await,
                vec![vec!["15", "15"]],
                "{what}: a new file appears without a restart"
            );

            // Compact, then put the inputs back as a crash before their deletion would leave them.
            let inputs: Vec<_> = Lake::live_files(&partition)
                .unwrap()
                .into_iter()
                .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
                .collect();
            compact_partition(&partition, CompactionPolicy { min_files: 2, ..CompactionPolicy::default() })
                .unwrap()
                .unwrap();
            for (path, bytes) in &inputs {
                std::fs::write(path, bytes).unwrap();
            }
            assert_eq!(
                std::fs::read_dir(&partition)
                    .unwrap()
                    .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".parquet"))
                    .count(),
                4
            );
            assert_eq!(
                rows(&engine, &count).await,
                vec![vec!["15", "15"]],
                "{what}: the compacted inputs are not read"
            );
            let fresh = Engine::open(dir.path(), &trust).await.unwrap();
            assert_eq!(rows(&fresh, &count).await, vec![vec!["15", "15"]], "{what}: nor by a new engine");

            // The whole partition removed (as retention does): nothing is left of it.
            std::fs::remove_dir_all(&partition).unwrap();
            assert_eq!(rows(&engine, &count).await, vec![vec!["0", "0"]], "{what}: a removed partition is gone");
        }
    }
}

/// Five events of `family` in a file named for its (made-up) sequence range, as one
/// commit of the ingest would leave them.
fn write_small_file(lake: &Lake, family: Family, partition: &std::path::Path, batch: usize) {
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
    write_lake(lake, events.collect());
    // write_lake names its file 1-1.parquet; each commit has its own range.
    let name = format!("{}-{}.parquet", batch * 5 + 1, batch * 5 + 5);
    std::fs::rename(partition.join("1-1.parquet"), partition.join(name)).unwrap();
}
