//! DataFusion reads the lake through the live-file rule: after a compaction committed but
//! before its inputs are deleted (or when a crash left them), SQL counts every event once.

mod common;

use common::{event, rows, write_lake, TRUST};
use safelake_lake::compact::{compact_partition, CompactionPolicy};
use safelake_lake::{Lake, Partition};
use safelake_query::Engine;
use safelake_schemas::{Family, Trust};
use serde_json::json;

#[tokio::test]
async fn sql_never_counts_a_compacted_event_twice() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(dir.path());
    // Two small files in one partition, as two commits would leave them.
    let partition = lake.dir(&Partition::events(Family::Filter, "sch01", "2025-10"));
    for batch in 0..2 {
        write_small_file(&lake, &partition, batch);
    }

    let engine = Engine::open(dir.path(), &Trust::parse(TRUST).unwrap()).await.unwrap();
    let count =
        "SELECT count(*), count(DISTINCT id) FROM filter_events WHERE school_id = 'sch01' AND month = '2025-10'";
    assert_eq!(rows(&engine, count).await, vec![vec!["10", "10"]]);

    // A file committed while the engine runs is read by its next query.
    write_small_file(&lake, &partition, 2);
    assert_eq!(rows(&engine, count).await, vec![vec!["15", "15"]], "a new file appears without a restart");

    // Compact, then put the inputs back as a crash before their deletion would leave them.
    let inputs: Vec<_> =
        Lake::live_files(&partition).unwrap().into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
    compact_partition(&partition, CompactionPolicy { min_files: 2, ..CompactionPolicy::default() }).unwrap().unwrap();
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
    assert_eq!(rows(&engine, count).await, vec![vec!["15", "15"]], "the compacted inputs are not read");
    let fresh = Engine::open(dir.path(), &Trust::parse(TRUST).unwrap()).await.unwrap();
    assert_eq!(rows(&fresh, count).await, vec![vec!["15", "15"]], "nor by a new engine");
}

/// Five filter events in a file named for its (made-up) sequence range, as one commit
/// of the ingest would leave them.
fn write_small_file(lake: &Lake, partition: &std::path::Path, batch: usize) {
    let data = json!({
        "occurred_at": "2025-10-03T10:15:00Z", "user_ref": "s_00112233445566aa", "user_group": "staff",
        "category": "gambling", "domain": "bets.example.com", "verdict": "blocked", "rule_id": "r1", "device": "school"
    });
    let events = (0..5).map(|i| event(batch * 5 + i, "sch01", "filter.blocked", "2025-10-03T10:15:01Z", data.clone()));
    write_lake(lake, events.collect());
    // write_lake names its file 1-1.parquet; each commit has its own range.
    let name = format!("{}-{}.parquet", batch * 5 + 1, batch * 5 + 5);
    std::fs::rename(partition.join("1-1.parquet"), partition.join(name)).unwrap();
}
