//! Every report describes itself, and plans and runs on an empty lake with the columns
//! reports.md lists, in its order.

mod common;

use common::{open, year};
use safelake_query::reports::{run, REPORTS};

/// The columns of each report as `shared/spec/reports.md` lists them.
const COLUMNS: &[(&str, &[&str])] = &[
    ("incident_trends", &["month", "hub_id", "school_id", "category", "incidents", "pupils_on_roll", "rate_per_1000"]),
    ("repeat_pupils", &["school_id", "pupil_ref", "incidents", "categories", "first_occurred_at", "last_occurred_at"]),
    ("repeat_pupils_summary", &["hub_id", "school_id", "repeat_pupils", "incidents_involving_them"]),
    ("blocked_categories", &["month", "hub_id", "school_id", "category", "blocked", "flagged", "distinct_users"]),
    ("high_risk_users", &["school_id", "user_ref", "user_group", "days", "attempts", "categories"]),
    ("agreement_coverage", &["academic_year", "school_id", "role", "year_group", "on_roll", "signed", "coverage_pct"]),
    (
        "incident_timeliness",
        &[
            "month",
            "school_id",
            "incidents",
            "median_hours_to_record",
            "pct_recorded_same_day",
            "pct_referred_dsl",
            "open_over_30_days",
        ],
    ),
    ("escalations", &["month", "school_id", "police", "ceop", "iwf", "lado", "social_care"]),
    (
        "filtering_governance",
        &[
            "month",
            "school_id",
            "unblock_requests",
            "approved_pct",
            "median_hours_to_decision",
            "rule_changes",
            "pct_risk_assessed",
        ],
    ),
    (
        "ai_monitoring",
        &["month", "school_id", "severity", "alerts", "pct_reviewed", "median_hours_to_review", "incidents_opened"],
    ),
    // The DfE standards' evidence and training (issue 19), not in reports.md.
    (
        "assurance_checks",
        &[
            "term",
            "school_id",
            "system",
            "checks",
            "failed",
            "actions",
            "actions_closed",
            "median_days_to_close",
            "overdue_actions",
        ],
    ),
    (
        "review_status",
        &[
            "hub_id",
            "school_id",
            "last_review_on",
            "last_trigger",
            "roles_rating",
            "annual_review_rating",
            "filtering_rating",
            "monitoring_rating",
            "last_annual_review_on",
            "reviewed_within_12_months",
            "reviews_in_window",
            "open_actions",
            "overdue_actions",
            "senior_leader_named",
            "governor_named",
        ],
    ),
    (
        "assurance_checks_by_hub",
        &[
            "term",
            "hub_id",
            "system",
            "checks",
            "failed",
            "actions",
            "actions_closed",
            "median_days_to_close",
            "overdue_actions",
        ],
    ),
    ("standards", &["hub_id", "school_id", "standard", "figure", "value", "basis", "declared_on"]),
    ("training_coverage", &["hub_id", "school_id", "role", "topic", "headcount", "trained", "coverage_pct"]),
];

/// The reports across a hub's schools, which have no school to narrow to, by hand.
const ACROSS_SCHOOLS: [&str; 2] = ["incident_categories", "assurance_checks_by_hub"];

#[test]
fn every_report_of_the_spec_is_listed_and_every_report_has_a_title_and_params() {
    let listed: Vec<_> = REPORTS.iter().map(|r| r.name).collect();
    for (name, _) in COLUMNS {
        assert!(listed.contains(name), "{name} is not in REPORTS");
    }
    for report in REPORTS {
        let header: Vec<_> = report.sql.lines().take_while(|l| l.starts_with("--")).collect();
        assert!(header.iter().any(|l| l.starts_with("-- title: ")), "{}: no title line", report.name);
        assert!(header.iter().any(|l| l.starts_with("-- params: ")), "{}: no params line", report.name);
        assert_ne!(report.title(), report.name, "{}: the title is the name", report.name);
        assert!(!report.about().is_empty(), "{}: no description", report.name);
        let params = report.params();
        // Every report narrows to a hub; all but those across a hub's schools to a school.
        let scopes: &[&str] = if ACROSS_SCHOOLS.contains(&report.name) { &["hub"] } else { &["school", "hub"] };
        for scope in scopes {
            assert!(params.contains(scope), "{}: params lack {scope}", report.name);
        }
        assert_eq!(params.contains(&"school"), !ACROSS_SCHOOLS.contains(&report.name), "{}", report.name);
        for param in &params {
            assert!(["from", "to", "school", "hub", "min"].contains(param), "{}: unknown param {param}", report.name);
            // A status report takes its moment, $at, from the window's end: `to` and,
            // through `year` and `term`, `from` choose it.
            let used = report.sql.contains(&format!("${param}"))
                || (["from", "to"].contains(param) && report.sql.contains("$at"));
            assert!(used, "{}: param {param} is never used", report.name);
        }
        if report.sql.contains("$at") {
            assert!(params.contains(&"to"), "{}: uses $at but takes no window", report.name);
        }
        if report.sql.contains("$min") {
            assert!(params.contains(&"min"), "{}: uses $min but does not declare it", report.name);
        }
        // The scope predicate, the access rule: a report without it would leak across schools.
        let school_scoped = ACROSS_SCHOOLS.contains(&report.name) || report.sql.contains("$school = ''");
        assert!(school_scoped && report.sql.contains("$hub = ''"), "{}: no scope", report.name);
    }
}

#[tokio::test]
async fn every_report_runs_on_an_empty_lake_with_its_columns_in_order() {
    let (_dir, engine) = open(vec![]).await;
    for report in REPORTS {
        let name = report.name;
        let params = year("2025-26");
        let batches = run(&engine.query(), name, &params).await.unwrap_or_else(|e| panic!("{name}: {e:#}"));
        if let Some((_, columns)) = COLUMNS.iter().find(|(n, _)| *n == name) {
            let frame = engine.context().sql(report.sql).await.unwrap();
            let got: Vec<_> = frame.schema().fields().iter().map(|f| f.name().clone()).collect();
            assert_eq!(&got, columns, "{name}: columns");
        }
        // repeat_pupils_summary and review_status have a row for each school in scope
        // (standards 18 figures each), even with no events; the others have none.
        // (Reports not listed are only required to run.)
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if ["repeat_pupils_summary", "review_status"].contains(&name) {
            assert_eq!(rows, 2, "{name}: rows on an empty lake");
        } else if name == "standards" {
            assert_eq!(rows, 2 * 18, "{name}: rows on an empty lake");
        } else if COLUMNS.iter().any(|(n, _)| *n == name) {
            assert_eq!(rows, 0, "{name}: rows on an empty lake");
        }
    }
}
