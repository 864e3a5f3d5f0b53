//! The filtering reports (blocked_categories, high_risk_users, filtering_governance) on a
//! small hand-made trust, against answers worked out by hand.

mod common;

use common::{dates, event, hub, open, report, school, table, write_lake, year};
use safelake_lake::Lake;
use safelake_query::reports::Params;
use serde_json::{json, Value};

/// Pupils 1 and 2 and a member of staff of sch01; sch02 has its own pupil under the same
/// reference as sch01's pupil 1.
const P1: &str = "p_0000000000000001";
const P2: &str = "p_0000000000000002";
const S1: &str = "s_0000000000000003";
const GUEST: &str = "v_0000000000000004";
const DSL: &str = "s_00000000000000d5";

fn web(n: usize, school: &str, user: &str, at: &str, category: &str, verdict: &str) -> Value {
    let mut data = json!({"occurred_at": at, "user_ref": user, "category": category, "domain": "www.example.com",
        "verdict": verdict, "rule_id": "R-1", "device": "school"});
    let group = match &user[..2] {
        "p_" => "pupil",
        "s_" => "staff",
        _ => "guest",
    };
    data["user_group"] = json!(group);
    if group == "pupil" {
        data["year_group"] = json!(9);
    }
    event(n, school, "filter.blocked", at, data)
}

/// The filter's log, by month (high-risk categories marked *):
///
/// | when                 | school | user  | category         | verdict |
/// |----------------------|--------|-------|------------------|---------|
/// | 2025-09-30 23:59:59  | sch01  | P1    | adult_content *  | blocked |
/// | 2025-10-01 00:00:00  | sch01  | P1    | adult_content *  | blocked |
/// | 2025-10-01 20:00     | sch01  | P1    | adult_content *  | blocked |
/// | 2025-10-03 09:00     | sch01  | P2    | adult_content *  | flagged |
/// | 2025-10-05, 10-06    | sch01  | S1    | social_media     | flagged |
/// | 2025-10-07, 08, 09   | sch01  | S1    | weapons *        | blocked |
/// | 2025-10-01 10:00     | sch02  | P1'   | adult_content *  | blocked |
/// | 2025-11-03 23:30     | sch01  | P1    | self_harm *      | blocked |
/// | 2025-11-04 00:30     | sch01  | P1    | extremism *      | blocked |
/// | 2025-11-10, 11-11    | sch01  | P2    | violence *, hate *| blocked |
/// | 2025-11-12           | sch01  | P2    | social_media     | blocked |
/// | 2025-11-13           | sch01  | P2    | weapons *        | flagged |
/// | 2025-11-15           | sch01  | guest | gambling         | blocked |
/// | 2025-11-20 10:00     | sch02  | P1'   | adult_content *  | blocked |
/// | 2025-12-01 00:00:00  | sch01  | P1    | adult_content *  | blocked |
fn filter_log() -> Vec<Value> {
    vec![
        web(1, "sch01", P1, "2025-09-30T23:59:59Z", "adult_content", "blocked"),
        web(2, "sch01", P1, "2025-10-01T00:00:00Z", "adult_content", "blocked"),
        web(3, "sch01", P1, "2025-10-01T20:00:00Z", "adult_content", "blocked"),
        web(4, "sch01", P2, "2025-10-03T09:00:00Z", "adult_content", "flagged"),
        web(5, "sch01", S1, "2025-10-05T09:00:00Z", "social_media", "flagged"),
        web(6, "sch01", S1, "2025-10-06T09:00:00Z", "social_media", "flagged"),
        web(7, "sch01", S1, "2025-10-07T09:00:00Z", "weapons", "blocked"),
        web(8, "sch01", S1, "2025-10-08T09:00:00Z", "weapons", "blocked"),
        web(9, "sch01", S1, "2025-10-09T09:00:00Z", "weapons", "blocked"),
        web(10, "sch02", P1, "2025-10-01T10:00:00Z", "adult_content", "blocked"),
        web(11, "sch01", P1, "2025-11-03T23:30:00Z", "self_harm", "blocked"),
        web(12, "sch01", P1, "2025-11-04T00:30:00Z", "extremism", "blocked"),
        web(13, "sch01", P2, "2025-11-10T10:00:00Z", "violence", "blocked"),
        web(14, "sch01", P2, "2025-11-11T10:00:00Z", "hate", "blocked"),
        web(15, "sch01", P2, "2025-11-12T10:00:00Z", "social_media", "blocked"),
        web(16, "sch01", P2, "2025-11-13T10:00:00Z", "weapons", "flagged"),
        web(17, "sch01", GUEST, "2025-11-15T10:00:00Z", "gambling", "blocked"),
        web(18, "sch02", P1, "2025-11-20T10:00:00Z", "adult_content", "blocked"),
        web(19, "sch01", P1, "2025-12-01T00:00:00Z", "adult_content", "blocked"),
    ]
}

fn window(from: &str, to: &str) -> Params {
    dates(from, to)
}

#[tokio::test]
async fn blocked_categories_per_month_with_the_window_edges() {
    let (_dir, engine) = open(filter_log()).await;
    let autumn = window("2025-10-01", "2025-12-01");
    assert_eq!(
        report(&engine, "blocked_categories", &autumn).await,
        table(&[
            &["2025-10", "north", "sch01", "adult_content", "2", "1", "2"],
            &["2025-10", "north", "sch01", "social_media", "0", "2", "1"],
            &["2025-10", "north", "sch01", "weapons", "3", "0", "1"],
            &["2025-10", "south", "sch02", "adult_content", "1", "0", "1"],
            &["2025-11", "north", "sch01", "extremism", "1", "0", "1"],
            &["2025-11", "north", "sch01", "gambling", "1", "0", "1"],
            &["2025-11", "north", "sch01", "hate", "1", "0", "1"],
            &["2025-11", "north", "sch01", "self_harm", "1", "0", "1"],
            &["2025-11", "north", "sch01", "social_media", "1", "0", "1"],
            &["2025-11", "north", "sch01", "violence", "1", "0", "1"],
            &["2025-11", "north", "sch01", "weapons", "0", "1", "1"],
            &["2025-11", "south", "sch02", "adult_content", "1", "0", "1"],
        ])
    );
    let south = Params { hub: hub("south"), ..autumn.clone() };
    assert_eq!(
        report(&engine, "blocked_categories", &south).await,
        table(&[
            &["2025-10", "south", "sch02", "adult_content", "1", "0", "1"],
            &["2025-11", "south", "sch02", "adult_content", "1", "0", "1"],
        ])
    );
    // A window of one day at each edge: the last second of September is outside it.
    assert_eq!(
        report(&engine, "blocked_categories", &window("2025-09-30", "2025-10-01")).await,
        table(&[&["2025-09", "north", "sch01", "adult_content", "1", "0", "1"]])
    );
    assert_eq!(
        report(&engine, "blocked_categories", &window("2025-12-01", "2025-12-02")).await,
        table(&[&["2025-12", "north", "sch01", "adult_content", "1", "0", "1"]])
    );
    assert!(report(&engine, "blocked_categories", &window("2026-01-01", "2026-02-01")).await.is_empty());
}

#[tokio::test]
async fn high_risk_users_on_distinct_days_at_the_threshold_and_per_school() {
    let (_dir, engine) = open(filter_log()).await;
    let autumn = window("2025-10-01", "2025-12-01");
    // P1: 1 October (twice), 3 and 4 November (either side of midnight): exactly 3 days.
    // S1: 3 days of weapons. P2: 2 days (violence, hate); the flagged and the
    // social_media requests do not count. sch02's P1 is another pupil, with 2 days.
    assert_eq!(
        report(&engine, "high_risk_users", &autumn).await,
        table(&[
            &["sch01", P1, "pupil", "3", "4", "adult_content, extremism, self_harm"],
            &["sch01", S1, "staff", "3", "3", "weapons"],
        ])
    );
    let two = Params { min: Some(2), ..autumn.clone() };
    assert_eq!(
        report(&engine, "high_risk_users", &two).await,
        table(&[
            &["sch01", P1, "pupil", "3", "4", "adult_content, extremism, self_harm"],
            &["sch01", S1, "staff", "3", "3", "weapons"],
            &["sch01", P2, "pupil", "2", "2", "hate, violence"],
            &["sch02", P1, "pupil", "2", "2", "adult_content"],
        ])
    );
    // The academic year (from 1 September) adds 30 September and 1 December.
    let year = Params { min: Some(4), ..year("2025-26") };
    assert_eq!(
        report(&engine, "high_risk_users", &year).await,
        table(&[&["sch01", P1, "pupil", "5", "6", "adult_content, extremism, self_harm"]])
    );
    let south = Params { hub: hub("south"), ..two };
    assert_eq!(
        report(&engine, "high_risk_users", &south).await,
        table(&[&["sch02", P1, "pupil", "2", "2", "adult_content"]])
    );
}

fn requested(n: usize, school: &str, id: &str, at: &str) -> Value {
    let data = json!({"request_id": id, "requested_at": at, "requested_by": S1, "domain": "www.example.org",
        "category": "streaming", "reason": "A video for a lesson", "from": at, "until": "2026-07-31T00:00:00Z"});
    event(n, school, "filter.unblock_requested", at, data)
}

fn decided(n: usize, school: &str, id: &str, at: &str, decision: &str) -> Value {
    let data = json!({"request_id": id, "decided_at": at, "decision": decision, "decided_by": DSL});
    event(n, school, "filter.unblock_decided", at, data)
}

fn rule_changed(n: usize, school: &str, id: &str, at: &str, risk_assessed: bool) -> Value {
    let data = json!({"change_id": id, "changed_at": at, "rule_id": "R-9", "change": "block_removed",
        "target": "www.example.org", "risk_assessed": risk_assessed, "authorised_by": DSL, "reason": "Approved request"});
    event(n, school, "filter.rule_changed", at, data)
}

/// Unblock requests:
///
/// | id | school | requested        | decisions (hours after)                     |
/// |----|--------|------------------|---------------------------------------------|
/// | R1 | sch01  | 2025-10-02 09:00 | approved (6)                                |
/// | R2 | sch01  | 2025-10-06 09:00 | denied (24), then approved (48): approved    |
/// | R3 | sch01  | 2025-10-20 09:00 | -                                           |
/// | R6 | sch01  | 2025-10-30 09:00 | denied on 2 November (72)                   |
/// | R4 | sch01  | 2025-11-03 10:00 | denied (2)                                  |
/// | R5 | sch02  | 2025-10-10 09:00 | -                                           |
///
/// Rule changes: sch01 C1, C2, C3 in October (C1 and C3 risk-assessed; C3 sent twice),
/// C4 in December (risk-assessed); sch02 C5 in November (not).
fn governance() -> Vec<Value> {
    vec![
        requested(1, "sch01", "R1", "2025-10-02T09:00:00Z"),
        decided(2, "sch01", "R1", "2025-10-02T15:00:00Z", "approved"),
        requested(3, "sch01", "R2", "2025-10-06T09:00:00Z"),
        decided(4, "sch01", "R2", "2025-10-07T09:00:00Z", "denied"),
        decided(5, "sch01", "R2", "2025-10-08T09:00:00Z", "approved"),
        requested(6, "sch01", "R3", "2025-10-20T09:00:00Z"),
        requested(7, "sch01", "R6", "2025-10-30T09:00:00Z"),
        decided(8, "sch01", "R6", "2025-11-02T09:00:00Z", "denied"),
        requested(9, "sch01", "R4", "2025-11-03T10:00:00Z"),
        decided(10, "sch01", "R4", "2025-11-03T12:00:00Z", "denied"),
        requested(11, "sch02", "R5", "2025-10-10T09:00:00Z"),
        rule_changed(12, "sch01", "C1", "2025-10-15T09:00:00Z", true),
        rule_changed(13, "sch01", "C2", "2025-10-16T09:00:00Z", false),
        rule_changed(14, "sch01", "C3", "2025-10-17T09:00:00Z", true),
        rule_changed(15, "sch01", "C3", "2025-10-17T09:00:00Z", true),
        rule_changed(16, "sch01", "C4", "2025-12-01T10:00:00Z", true),
        rule_changed(17, "sch02", "C5", "2025-11-05T09:00:00Z", false),
    ]
}

#[tokio::test]
async fn filtering_governance_counts_decisions_and_risk_assessed_changes_per_month() {
    let (_dir, engine) = open(governance()).await;
    let year = year("2025-26");
    // sch01 October: 4 requests, 3 decided (R1, R2 approved; R6 denied): 66.7%, hours
    // 6, 48, 72 (median 48). sch02's undecided R5 has no approval rate nor median.
    // November sch02 and December sch01 have rule changes and no request.
    assert_eq!(
        report(&engine, "filtering_governance", &year).await,
        table(&[
            &["2025-10", "sch01", "4", "66.7", "48.0", "3", "66.7"],
            &["2025-10", "sch02", "1", "NULL", "NULL", "0", "NULL"],
            &["2025-11", "sch01", "1", "0.0", "2.0", "0", "NULL"],
            &["2025-11", "sch02", "0", "NULL", "NULL", "1", "0.0"],
            &["2025-12", "sch01", "0", "NULL", "NULL", "1", "100.0"],
        ])
    );
    let sch02 = Params { school: school("sch02"), ..year.clone() };
    assert_eq!(
        report(&engine, "filtering_governance", &sch02).await,
        table(&[
            &["2025-10", "sch02", "1", "NULL", "NULL", "0", "NULL"],
            &["2025-11", "sch02", "0", "NULL", "NULL", "1", "0.0"],
        ])
    );
    assert_eq!(
        report(&engine, "filtering_governance", &window("2025-12-01", "2026-01-01")).await,
        table(&[&["2025-12", "sch01", "0", "NULL", "NULL", "1", "100.0"]])
    );
    assert!(report(&engine, "filtering_governance", &window("2026-01-01", "2026-03-01")).await.is_empty());
}

/// The physical plan of a report with the window [from, to) bound (UTC midnights, as
/// microseconds).
async fn plan(engine: &safelake_query::Engine, name: &str, from: i64, to: i64) -> String {
    plan_of(engine, name, from, to, false).await
}

/// The plan, or with `analyze` the plan run, with each operator's metrics.
async fn plan_of(engine: &safelake_query::Engine, name: &str, from: i64, to: i64, analyze: bool) -> String {
    use datafusion::common::metadata::ScalarAndMetadata;
    use datafusion::common::{ParamValues, ScalarValue};
    let at = |micros: i64| ScalarValue::TimestampMicrosecond(Some(micros), Some("UTC".into()));
    let values: std::collections::HashMap<String, ScalarAndMetadata> = [
        ("from", at(from)),
        ("to", at(to)),
        ("school", ScalarValue::Utf8(Some(String::new()))),
        ("hub", ScalarValue::Utf8(Some(String::new()))),
        ("min", ScalarValue::Int64(Some(3))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    let sql = safelake_query::reports::find(name).unwrap().sql;
    let frame = engine.context().sql(sql).await.unwrap().with_param_values(ParamValues::Map(values)).unwrap();
    let batches = frame.explain(false, analyze).unwrap().collect().await.unwrap();
    datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string()
}

const OCT_1: i64 = 1_759_276_800_000_000;
const OCT_5: i64 = OCT_1 + 4 * 86_400_000_000;
const DEC_1: i64 = 1_764_547_200_000_000;

/// The files of `table` a plan reads, as `school_id=.../month=...` of their paths.
fn opened(plan: &str, table: &str) -> Vec<String> {
    let mut months: Vec<String> = plan
        .split(&format!("{table}/"))
        .skip(1)
        .filter_map(|rest| rest.split('/').take(2).collect::<Vec<_>>().join("/").into())
        .collect();
    months.sort();
    months.dedup();
    months
}

#[tokio::test]
async fn filter_reports_open_only_the_months_of_their_window() {
    let (_dir, engine) = open(filter_log()).await;
    // Whole months: October and November from the monthly rollups (the per-user one only
    // where a month is in several files), nothing from the daily.
    let whole = plan(&engine, "blocked_categories", OCT_1, DEC_1).await;
    assert_eq!(
        opened(&whole, "blocked_monthly"),
        [
            "school_id=sch01/month=2025-10",
            "school_id=sch01/month=2025-11",
            "school_id=sch02/month=2025-10",
            "school_id=sch02/month=2025-11"
        ],
        "{whole}"
    );
    assert!(opened(&whole, "blocked_daily").is_empty(), "{whole}");
    // From 5 October: October's days from the daily rollup, November whole. sch02's
    // October has blocks only on the 1st: the day statistics in the table's log leave its
    // file out as well.
    let part = plan(&engine, "blocked_categories", OCT_5, DEC_1).await;
    assert_eq!(opened(&part, "blocked_monthly"), ["school_id=sch01/month=2025-11", "school_id=sch02/month=2025-11"]);
    assert_eq!(opened(&part, "blocked_daily"), ["school_id=sch01/month=2025-10"], "{part}");
    // The high-risk reports read their rollup from memory: no file is opened.
    let high_risk = plan(&engine, "high_risk_users", OCT_1, DEC_1).await;
    assert!(opened(&high_risk, "high_risk_daily").is_empty(), "{high_risk}");
    assert!(high_risk.contains("DataSourceExec: partitions="), "{high_risk}");
}

/// How many files of `table` a run of the report over [from, to) read: those its scan
/// started on and did not prune by their partition (by a join's filter found as it ran).
async fn files_read(engine: &safelake_query::Engine, name: &str, from: i64, to: i64, table: &str) -> usize {
    let analyzed = plan_of(engine, name, from, to, true).await;
    let scan = analyzed
        .lines()
        .find(|line| line.contains("DataSourceExec") && line.contains(&format!("/{table}/")))
        .unwrap_or_else(|| panic!("no scan of {table}: {analyzed}"));
    let Some(metric) = scan.split("files_ranges_pruned_statistics=").nth(1) else {
        // A scan that never started (its join had nothing to look for) reports no pruning.
        assert!(scan.contains("files_opened=0,"), "{scan}");
        return 0;
    };
    let matched = metric.split(" matched").next().unwrap().rsplit(' ').next().unwrap();
    matched.parse().unwrap_or_else(|_| panic!("files matched in {metric}"))
}

#[tokio::test]
async fn distinct_users_of_a_month_in_one_file_come_from_its_rollup_row() {
    let (dir, engine) = open(filter_log()).await;
    // Every month is one file: blocked_by_category needs no per-user rows.
    assert_eq!(files_read(&engine, "blocked_categories", OCT_1, DEC_1, "blocked_monthly").await, 0);

    // Late events make sch01's November two files: its users are counted again from the
    // per-user rows. Weapons there: P2 (flagged in the first file, blocked in the second)
    // and P1: two users, where adding the files' counts gives three and the larger one
    // gives one. (Which partitions that count reads is no longer pruned as the query runs:
    // a Delta scan plans its files before the join learns them; see the README.)
    let late = vec![
        web(20, "sch01", P2, "2025-11-20T10:00:00Z", "weapons", "blocked"),
        web(21, "sch01", P1, "2025-11-21T10:00:00Z", "weapons", "blocked"),
    ];
    write_lake(&Lake::at(dir.path()).unwrap(), late).await;
    assert!(files_read(&engine, "blocked_categories", OCT_1, DEC_1, "blocked_monthly").await > 0);
    let november = report(&engine, "blocked_categories", &window("2025-11-01", "2025-12-01")).await;
    let weapons: Vec<_> = november.iter().filter(|r| r[3] == "weapons").collect();
    assert_eq!(weapons, [&["2025-11", "north", "sch01", "weapons", "2", "1", "2"].map(String::from).to_vec()]);
}
