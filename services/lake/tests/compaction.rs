//! Compaction merges small files while readers keep reading: a reader that opens the
//! table's latest version, as any Delta reader does, never sees an event twice or misses
//! one, whatever moment it reads at; a settled month becomes one file.

use std::collections::BTreeSet;

use arrow::array::AsArray;
use deltalake::kernel::Action;
use deltalake::protocol::{DeltaOperation, SaveMode};
use safelake_lake::compact::{compact_table, CompactionPolicy};
use safelake_lake::{FamilyBuilder, Lake, Partition, Table, TableSpec};
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

/// Commits `files` files of `rows` events each to one partition, a commit per file, as
/// the ingest's batches would.
async fn small_files(table: &mut Table, partition: &Partition, files: u64, rows: u64) {
    small_files_from(table, partition, 0, files, rows).await
}

/// [`small_files`] with ids from `e<offset + 1>`.
async fn small_files_from(table: &mut Table, partition: &Partition, offset: u64, files: u64, rows: u64) {
    for f in 0..files {
        let mut builder = FamilyBuilder::new(Family::Filter);
        let first = offset + f * rows + 1;
        for seq in first..first + rows {
            builder.append(&event(seq), seq, seq);
        }
        let adds = table.write(vec![(partition.clone(), builder.finish(chrono::Utc::now()))], true).await.unwrap();
        let operation = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
        table.commit(adds.into_iter().map(Action::Add).collect(), operation).await.unwrap();
    }
}

/// The ids a new reader of the table's latest version sees, and how many files it read.
async fn read_ids(lake: &Lake) -> (Vec<String>, usize) {
    let table = lake.table(&TableSpec::family(Family::Filter)).await.unwrap();
    let mut ids = Vec::new();
    let files = table.files();
    for file in &files {
        for batch in table.read(&file.path, &["id"]).await.unwrap() {
            ids.extend(batch.column(0).as_string::<i32>().iter().map(|v| v.unwrap().to_string()));
        }
    }
    (ids, files.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_see_a_row_twice_or_miss_one_while_compaction_runs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    let partition = Partition::school_month("sch01", "2025-10");
    let mut table = lake.table(&TableSpec::family(Family::Filter)).await.unwrap();
    small_files(&mut table, &partition, 24, 50).await;
    let expected: BTreeSet<String> = (1..=24 * 50).map(|n| format!("e{n}")).collect();

    let reading = lake.clone();
    let reader = tokio::spawn(async move {
        let mut reads = 0;
        loop {
            let (ids, files) = read_ids(&reading).await;
            assert_eq!(ids.len(), 24 * 50, "a reader saw a row twice or missed one ({files} files)");
            assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
            reads += 1;
            if reads >= 10 && files == 1 {
                return reads;
            }
        }
    });
    // Merge about four files at a time, so that outputs are merged again later.
    let size = table.files()[0].size as u64;
    let rounds = CompactionPolicy { min_files: 2, max_input_bytes: 4 * size + size / 2, ..CompactionPolicy::default() };
    let today = chrono::Utc::now().date_naive();
    let mut passes = 0;
    while table.files().len() > 1 {
        let merged = compact_table(&mut table, rounds, today).await.unwrap();
        assert!(!merged.is_empty());
        passes += 1;
    }
    assert!(passes > 1, "outputs were merged again");
    let reads = reader.await.unwrap();
    assert!(reads >= 10);
    let (ids, _) = read_ids(&lake).await;
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test]
async fn a_settled_month_is_merged_into_one_file_and_the_current_one_waits_for_more() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    let mut table = lake.table(&TableSpec::family(Family::Filter)).await.unwrap();
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    let past = Partition::school_month("sch01", "2025-10");
    let current = Partition::school_month("sch01", this_month);
    small_files(&mut table, &past, 2, 10).await;
    small_files(&mut table, &current, 2, 10).await;
    let policy = CompactionPolicy::default();
    assert_eq!(policy.min_files, 8);

    // Two files of a month long past are merged; two of this month are left for now.
    let today = chrono::Utc::now().date_naive();
    let merged = compact_table(&mut table, policy, today).await.unwrap();
    let done: Vec<_> = merged.iter().map(|c| (c.partition.clone(), c.inputs, c.rows)).collect();
    assert_eq!(done, vec![(past.clone(), 2, 20)]);
    assert_eq!(table.files_in(&past).len(), 1);
    assert_eq!(table.files_in(&current).len(), 2);
    // A single file has nothing to merge with, settled or not.
    assert!(compact_table(&mut table, policy, today).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_compacting_one_partition_at_once_store_each_row_once() {
    // Two handles on one lake, as two ingest processes have: each reads the same small
    // files and races the other to replace them.
    let dir = tempfile::tempdir().unwrap();
    let partition = Partition::school_month("sch01", "2025-10");
    let lake = Lake::at(dir.path()).unwrap();
    let mut table = lake.table(&TableSpec::family(Family::Filter)).await.unwrap();
    let policy = CompactionPolicy { min_files: 2, ..CompactionPolicy::default() };
    let today = chrono::Utc::now().date_naive();
    let mut rounds_both_merged = 0;
    for round in 0..8u64 {
        small_files_from(&mut table, &partition, round * 1_000, 3, 20).await;
        let mut first = Lake::at(dir.path()).unwrap().table(&TableSpec::family(Family::Filter)).await.unwrap();
        let mut second = Lake::at(dir.path()).unwrap().table(&TableSpec::family(Family::Filter)).await.unwrap();
        let (a, b) = tokio::join!(compact_table(&mut first, policy, today), compact_table(&mut second, policy, today));
        let (a, b) = (a.unwrap(), b.unwrap());
        if !a.is_empty() && !b.is_empty() {
            rounds_both_merged += 1;
        }
        let (ids, files) = read_ids(&lake).await;
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "round {round}: a row stored twice ({files} files)");
        assert_eq!(ids.len() as u64, (round + 1) * 60, "round {round}: a row lost");
        table.update().await.unwrap();
    }
    // Each round one of them merged and the other found its inputs gone.
    assert_eq!(rounds_both_merged, 0);
}
