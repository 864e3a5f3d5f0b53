//! Compaction merges small files while readers keep reading: a reader going through the
//! lake's listing never sees an event twice or misses one, and an interrupted compaction
//! is finished by the next one.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::AsArray;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use safelake_lake::compact::{compact_partition, replaced_by, CompactionPolicy};
use safelake_lake::layout::file_name;
use safelake_lake::{write_parquet, FamilyBuilder, Lake, Partition};
use safelake_schemas::{validate_value, Family};
use serde_json::json;

fn event(n: u64) -> safelake_schemas::ValidEvent {
    validate_value(
        json!({
            "specversion": "1.0", "id": format!("e{n}"), "source": "urn:test", "type": "uk.safeguarding.filter.blocked.v1",
            "time": "2025-10-03T10:15:01Z", "schoolid": "sch01",
            "data": {"occurred_at": "2025-10-03T10:15:00Z", "user_ref": "s_00112233445566aa", "user_group": "staff",
                     "category": "gambling", "domain": "bets.example.com", "verdict": "blocked", "rule_id": "r1", "device": "school"}
        }),
        None,
    )
    .unwrap()
}

/// Writes `files` files of `rows` events each into one partition, as the ingest would.
fn small_files(dir: &Path, files: u64, rows: u64) {
    for f in 0..files {
        let mut builder = FamilyBuilder::new(Family::Filter);
        let first = f * rows + 1;
        for seq in first..first + rows {
            builder.append(&event(seq), seq, seq);
        }
        write_parquet(dir, &file_name(first, first + rows - 1, false), &[builder.finish(chrono::Utc::now())], vec![])
            .unwrap();
    }
}

/// The ids a reader sees through the lake's listing of live files.
fn read_ids(dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for path in Lake::live_files(dir).unwrap() {
        // A file listed a moment ago may be gone (a finished compaction): a reader that
        // lists again sees the compacted file instead.
        let Ok(file) = File::open(&path) else { return read_ids(dir) };
        for batch in ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap() {
            let batch = batch.unwrap();
            let column = batch.column_by_name("id").unwrap().as_string::<i32>();
            ids.extend(column.iter().map(|v| v.unwrap().to_string()));
        }
    }
    ids
}

#[test]
fn readers_never_see_a_row_twice_or_miss_one_while_compaction_runs() {
    let lake_dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(lake_dir.path());
    let dir = lake.dir(&Partition::events(Family::Filter, "sch01", "2025-10"));
    let expected: BTreeSet<String> = (1..=40 * 50).map(|n| format!("e{n}")).collect();
    small_files(&dir, 40, 50);

    let policy = CompactionPolicy { min_files: 2, ..CompactionPolicy::default() };
    let done = AtomicBool::new(false);
    let reads = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) || reads < 10 {
                let ids = read_ids(&dir);
                assert_eq!(ids.len(), expected.len(), "a reader saw a row twice or missed one");
                assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected);
                reads += 1;
            }
            reads
        });
        // Compact in rounds of eight files, so that outputs are merged again later.
        let rounds = CompactionPolicy {
            max_input_bytes: 8 * std::fs::metadata(&Lake::live_files(&dir).unwrap()[0]).unwrap().len(),
            ..policy
        };
        while Lake::live_files(&dir).unwrap().len() > 1 {
            compact_partition(&dir, rounds).unwrap();
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert!(reads >= 10);
    let files = Lake::live_files(&dir).unwrap();
    assert_eq!(files.len(), 1, "one file after compaction: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("1-2000") && name.ends_with(".compacted.parquet"), "{name}");
    assert_eq!(safelake_lake::compact::seq_range(&name), Some((1, 2000)));
}

#[test]
fn an_interrupted_compaction_hides_its_inputs_and_is_finished_next_time() {
    let lake_dir = tempfile::tempdir().unwrap();
    let dir = lake_dir.path().join("filter_events/school_id=sch01/month=2025-10");
    small_files(&dir, 4, 10);
    let inputs: Vec<_> = Lake::live_files(&dir).unwrap();

    // Simulate a crash after the output's commit and before the inputs' deletion: commit
    // an output, then put the inputs back as they were.
    let saved: Vec<(std::path::PathBuf, Vec<u8>)> =
        inputs.iter().map(|p| (p.clone(), std::fs::read(p).unwrap())).collect();
    let policy = CompactionPolicy { min_files: 2, ..CompactionPolicy::default() };
    let compacted = compact_partition(&dir, policy).unwrap().unwrap();
    for (path, bytes) in &saved {
        std::fs::write(path, bytes).unwrap();
    }
    assert_eq!(replaced_by(&compacted.output).unwrap().len(), 4);
    assert_eq!(Lake::live_files(&dir).unwrap(), vec![compacted.output.clone()], "inputs are hidden");
    assert_eq!(read_ids(&dir).len(), 40);

    // The next pass removes the leftovers (and has nothing to merge).
    assert!(compact_partition(&dir, policy).unwrap().is_none());
    for (path, _) in &saved {
        assert!(!path.exists(), "{} should be gone", path.display());
    }
    assert_eq!(read_ids(&dir).len(), 40);
}

#[test]
fn temporaries_are_never_read() {
    let lake_dir = tempfile::tempdir().unwrap();
    let dir = lake_dir.path().join("filter_events/school_id=sch01/month=2025-10");
    small_files(&dir, 2, 5);
    std::fs::write(dir.join(".9-9.parquet.123.tmp"), b"half a file").unwrap();
    assert_eq!(read_ids(&dir).len(), 10);
    assert_eq!(safelake_lake::commit::remove_stale_temporaries(&dir).unwrap(), 1, "pid 123 is not ours and not alive");
}

#[test]
fn a_settled_month_is_merged_into_one_file_and_the_current_one_waits_for_more() {
    let lake_dir = tempfile::tempdir().unwrap();
    let lake = Lake::new(lake_dir.path());
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    let past = lake.dir(&Partition::events(Family::Filter, "sch01", "2025-10"));
    let current = lake.dir(&Partition::events(Family::Filter, "sch01", &this_month));
    small_files(&past, 2, 10);
    small_files(&current, 2, 10);
    let policy = CompactionPolicy::default();
    assert_eq!(policy.min_files, 8);

    // Two files of a month long past are merged; two of this month are left for now.
    let merged = compact_partition(&past, policy).unwrap().expect("the settled month is compacted");
    assert_eq!((merged.inputs, merged.rows), (2, 20));
    assert_eq!(Lake::live_files(&past).unwrap(), vec![merged.output]);
    assert!(compact_partition(&current, policy).unwrap().is_none());
    assert_eq!(Lake::live_files(&current).unwrap().len(), 2);
    // A single file has nothing to merge with, settled or not.
    assert!(compact_partition(&past, policy).unwrap().is_none());
}
