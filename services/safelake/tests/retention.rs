//! `safelake retention apply` on a hand-made lake: whole months past a table's period
//! leave it in one commit (and their rollup rows with them), the rest stays, tables
//! without a period are untouched, and each removal is in the audit trail; a rollup
//! cannot be given a period of its own.

use std::process::Command;

use chrono::{Datelike, Months, Utc};
use safelake_lake::rollup::ROLLUPS;
use safelake_lake::{Lake, TableSpec};
use safelake_tests::lake::{event, rows, write_events};
use serde_json::json;

fn blocked(n: usize, school: &str, at: &str) -> serde_json::Value {
    let data = json!({"occurred_at": at, "user_ref": format!("p_{n:016x}"), "user_group": "pupil", "year_group": 8,
        "category": "gambling", "domain": "bet.example", "verdict": "blocked", "rule_id": "r1", "device": "school"});
    event(n, school, "filter.blocked", at, data)
}

#[tokio::test]
async fn expired_months_are_removed_with_their_rollups_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = Lake::at(&lake_dir).unwrap();
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
    )
    .await;
    let safelake = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_safelake")).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let lake_arg = lake_dir.to_str().unwrap();
    let old_month = format!("month={}", old.format("%Y-%m"));
    let rollup_months = || async {
        let daily = lake.table(&TableSpec::rollup(&ROLLUPS[0])).await.unwrap();
        let mut months: Vec<String> = daily.files().into_iter().map(|f| f.partition.month).collect();
        months.sort();
        months
    };
    assert!(rollup_months().await.contains(&old.format("%Y-%m").to_string()), "the rollup rows of the old month");

    let config = dir.path().join("safelake.toml");
    std::fs::write(&config, format!("lake = {lake_arg:?}\n[retention]\nfilter_events = \"2 years\"\n")).unwrap();
    let config = config.to_str().unwrap();
    let listed = safelake(&["--config", config, "retention", "apply", "--dry-run"]);
    assert!(
        listed.contains(&format!("would remove filter_events/school_id=sch01/{old_month}: 1 files, 2 rows")),
        "{listed}"
    );
    assert_eq!(rows(&lake, "filter_events").await.unwrap().len(), 4, "a dry run removes nothing");

    let applied = safelake(&["--config", config, "retention", "apply"]);
    assert!(applied.contains("2 partitions removed"), "{applied}");
    let kept: Vec<String> =
        rows(&lake, "filter_events").await.unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(kept, ["ev-4"], "only this month's block is left");
    assert_eq!(rollup_months().await, [today.format("%Y-%m").to_string()], "the rollups went with their raw months");
    assert_eq!(rows(&lake, "roster_events").await.unwrap().len(), 1, "a table without a period is kept");

    let mut trail: Vec<(String, i64)> = rows(&lake, "audit_log")
        .await
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

#[test]
fn a_rollup_cannot_be_given_a_period_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("safelake.toml");
    std::fs::write(&config, "[retention]\nblocked_daily = \"1 year\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args(["--config", config.to_str().unwrap(), "retention", "apply", "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("blocked_daily is a rollup") && stderr.contains("filter_events"), "{stderr}");
}
