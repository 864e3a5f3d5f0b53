//! `safelake compact` on a hand-made lake: a settled month in two files becomes one with
//! every row kept, and the current month, still taking events, waits for more files.

use std::process::Command;

use chrono::{Datelike, Utc};
use safelake_lake::{Lake, Partition, TableSpec};
use safelake_schemas::Family;
use safelake_tests::lake::{event, rows, write_commit};
use serde_json::json;

fn blocked(n: usize, at: &str) -> serde_json::Value {
    let data = json!({"occurred_at": at, "user_ref": format!("p_{n:016x}"), "user_group": "pupil", "year_group": 8,
        "category": "gambling", "domain": "bet.example", "verdict": "blocked", "rule_id": "r1", "device": "school"});
    event(n, "sch01", "filter.blocked", at, data)
}

#[tokio::test]
async fn a_settled_month_in_two_files_becomes_one_and_the_current_month_waits() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path().join("lake")).unwrap();
    let this_month = Utc::now().date_naive().with_day(1).unwrap();
    let now_at = |day: u32| format!("{}T10:00:00Z", this_month.with_day(day).unwrap().format("%Y-%m-%d"));
    write_commit(&lake, 1, vec![blocked(1, "2025-10-01T10:00:00Z"), blocked(2, &now_at(1))]).await;
    write_commit(&lake, 3, vec![blocked(3, "2025-10-02T10:00:00Z"), blocked(4, &now_at(2))]).await;
    let sorted = |mut rows: Vec<safelake_tests::lake::Row>| {
        rows.sort_by_key(|r| r["id"].to_string());
        rows
    };
    let before = sorted(rows(&lake, "filter_events").await.unwrap());
    assert_eq!(before.len(), 4);

    let out = Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args(["compact", "--lake"])
        .arg(dir.path().join("lake"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("merged 2 files into 1 (2 rows)"), "{stdout}");

    let table = lake.table(&TableSpec::family(Family::Filter)).await.unwrap();
    let files = |month: &str| table.files_in(&Partition::school_month("sch01", month));
    assert_eq!(files("2025-10").len(), 1, "October 2025 is settled: one file");
    assert_eq!(files(&this_month.format("%Y-%m").to_string()).len(), 2, "this month waits for more files");
    assert_eq!(sorted(rows(&lake, "filter_events").await.unwrap()), before, "every row is kept");
}
