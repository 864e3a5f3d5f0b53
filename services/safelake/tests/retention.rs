//! `safelake retention apply` on a hand-made lake: whole months past a table's period go
//! (with their rollup twins), the rest stays, tables without a period are untouched, and
//! each removal is in the audit trail; what a crashed run left half-removed is finished.

use std::process::Command;

use chrono::{Datelike, Months, Utc};
use safelake_lake::Lake;
use safelake_tests::lake::{event, rows, write_events};
use serde_json::json;

fn blocked(n: usize, school: &str, at: &str) -> serde_json::Value {
    let data = json!({"occurred_at": at, "user_ref": format!("p_{n:016x}"), "user_group": "pupil", "year_group": 8,
        "category": "gambling", "domain": "bet.example", "verdict": "blocked", "rule_id": "r1", "device": "school"});
    event(n, school, "filter.blocked", at, data)
}

#[test]
fn expired_months_are_removed_with_their_twins_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = Lake::new(&lake_dir);
    // Three years ago (past a 2-year period) and this month (within it).
    let today = Utc::now().date_naive();
    let old = today.checked_sub_months(Months::new(36)).unwrap().with_day(10).unwrap();
    let old_at = format!("{}T10:00:00Z", old.format("%Y-%m-%d"));
    let now_at = format!("{}T10:00:00Z", today.with_day(1).unwrap().format("%Y-%m-%d"));
    let census =
        json!({"census_date": old.format("%Y-%m-%d").to_string(), "role": "pupil", "year_group": 8, "headcount": 30});
    write_events(
        &lake,
        vec![
            blocked(1, "sch01", &old_at),
            blocked(2, "sch01", &old_at),
            blocked(3, "sch02", &old_at),
            blocked(4, "sch01", &now_at),
            event(5, "sch01", "roster.census", &old_at, census),
        ],
    );
    let safelake = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_safelake")).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let lake_arg = lake_dir.to_str().unwrap();
    safelake(&["rollups", "repair", "--lake", lake_arg]);
    let old_month = format!("month={}", old.format("%Y-%m"));
    let twin = lake_dir.join("blocked_daily/school_id=sch01").join(&old_month);
    assert!(twin.exists(), "the rollup twin of the old month");

    let config = dir.path().join("safelake.toml");
    std::fs::write(&config, format!("lake = {lake_arg:?}\n[retention]\nfilter_events = \"2 years\"\n")).unwrap();
    let config = config.to_str().unwrap();
    let listed = safelake(&["--config", config, "retention", "apply", "--dry-run"]);
    assert!(
        listed.contains(&format!("would remove filter_events/school_id=sch01/{old_month}: 1 files, 2 rows")),
        "{listed}"
    );
    assert!(lake_dir.join("filter_events/school_id=sch01").join(&old_month).exists(), "a dry run removes nothing");

    // A partition an earlier run had taken out of its table when it crashed.
    let leftover = lake_dir.join(".removing/filter_events~school_id=sch09~month=2020-01");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("1-1.parquet"), b"taken out, not yet deleted").unwrap();

    let applied = safelake(&["--config", config, "retention", "apply"]);
    assert!(applied.contains("2 partitions removed"), "{applied}");
    let waiting: Vec<_> = std::fs::read_dir(lake_dir.join(".removing")).unwrap().collect();
    assert!(waiting.is_empty(), "nothing is left waiting to be deleted: {waiting:?}");
    let kept: Vec<String> =
        rows(&lake, "filter_events").unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(kept, ["ev-4"], "only this month's block is left");
    assert!(!twin.exists(), "the twin went with its raw partition");
    assert_eq!(rows(&lake, "roster_events").unwrap().len(), 1, "a table without a period is kept");

    let mut trail: Vec<(String, i64)> = rows(&lake, "audit_log")
        .unwrap()
        .iter()
        .map(|r| (r["what"].as_str().unwrap().to_string(), r["rows"].as_i64().unwrap()))
        .collect();
    trail.sort();
    assert_eq!(
        trail,
        [
            (format!("filter_events/school_id=sch01/{old_month}"), 2),
            (format!("filter_events/school_id=sch02/{old_month}"), 1)
        ]
    );
}
