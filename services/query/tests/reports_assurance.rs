//! The evidence of the DfE filtering and monitoring standards (assurance_checks,
//! review_status) and training_coverage on a small hand-made trust, against answers
//! worked out by hand, at the end of a year and at moments within it.

mod common;

use common::{dates, event, hub, open_on, report, school, table, year, TRUST};
use safelake_query::reports::Params;
use serde_json::{json, Value};

const S1: &str = "s_0000000000000001";
const S2: &str = "s_0000000000000002";
const S3: &str = "s_0000000000000003";
const S4: &str = "s_0000000000000004";
const S5: &str = "s_0000000000000005";
const S6: &str = "s_0000000000000006";
const V1: &str = "v_0000000000000001";
const B1: &str = "b_0000000000000001";
const B2: &str = "b_0000000000000002";
const B3: &str = "b_0000000000000003";
const B4: &str = "b_0000000000000004";
const T1: &str = "b_00000000000000f1";
const T2: &str = "b_00000000000000f2";

/// The test trust with the north hub's board declaring 5 members (the south's declares
/// none) and 4 trustees.
fn trust() -> String {
    TRUST
        .replace("name = \"West Trust\"", "name = \"West Trust\"\ntrustees = 4")
        .replace("name = \"North Hub\"", "name = \"North Hub\"\nhab_members = 5")
}

struct Log {
    events: Vec<Value>,
}

impl Log {
    fn push(&mut self, school: &str, kind: &str, at: &str, data: Value) {
        let n = self.events.len() + 1;
        self.events.push(event(n, school, kind, at, data));
    }

    /// A check; `failed` gives its action's id and due date.
    #[allow(clippy::too_many_arguments)]
    fn check(&mut self, school: &str, id: &str, at: &str, system: &str, tested: &str, failed: Option<(&str, &str)>) {
        let (expected, observed) = match (system, failed) {
            ("filtering", None) => ("blocked", "blocked"),
            ("filtering", Some(_)) => ("blocked", "allowed"),
            (_, None) => ("alerted", "alerted"),
            (_, Some(_)) => ("alerted", "not_alerted"),
        };
        let mut data = json!({"check_id": id, "checked_at": at, "checked_by": S2, "system": system, "tested": tested,
            "device_type": "laptop", "site": "on_site", "user_group": "pupil", "expected": expected,
            "observed": observed, "passed": failed.is_none()});
        match tested {
            "ai_tool" => data["target"] = json!("chatgpt"),
            "web_category" => data["target"] = json!("gambling"),
            _ => {}
        }
        if let Some((action, due)) = failed {
            data["action_id"] = json!(action);
            data["action"] = json!("Correct the policy and re-test");
            data["action_owner"] = json!(S3);
            data["action_due_by"] = json!(due);
        }
        self.push(school, "assurance.check_performed", at, data);
    }

    fn close(&mut self, school: &str, action: &str, at: &str) {
        self.push(
            school,
            "assurance.action_closed",
            at,
            json!({"action_id": action, "closed_at": at, "closed_by": S3}),
        );
    }

    fn review(&mut self, school: &str, id: &str, at: &str, trigger: &str, ratings: [&str; 4]) {
        let mut data = json!({"review_id": id, "completed_at": at, "trigger": trigger, "with_senior_leader": true,
            "with_dsl": true, "with_it_provider": true, "with_governor": false, "roles_rating": ratings[0],
            "annual_review_rating": ratings[1], "filtering_rating": ratings[2], "monitoring_rating": ratings[3]});
        if trigger != "annual" {
            data["trigger_detail"] = json!("A generative-AI tool adopted");
        }
        self.push(school, "assurance.review_completed", at, data);
    }

    fn agree(&mut self, school: &str, review: &str, action: &str, standard: &str, at: &str, due: &str) {
        let data = json!({"action_id": action, "review_id": review, "standard": standard, "action": "Bring it to green",
            "action_owner": S1, "action_due_by": due, "agreed_at": at});
        self.push(school, "assurance.action_agreed", at, data);
    }

    fn assign(&mut self, school: &str, responsibility: &str, person: &str, at: &str) {
        let data = json!({"responsibility": responsibility, "person_ref": person, "assigned_at": at});
        self.push(school, "assurance.responsibility_assigned", at, data);
    }

    fn train(&mut self, school: &str, person: &str, role: &str, topic: &str, at: &str) {
        let data = json!({"person_ref": person, "role": role, "topic": topic, "completed_at": at});
        self.push(school, "training.completed", at, data);
    }

    fn alert(&mut self, school: &str, id: &str, at: &str, reviewed: Option<&str>) {
        let data = json!({"alert_id": id, "raised_at": at, "user_ref": "p_0000000000000009", "user_group": "pupil",
            "year_group": 8, "channel": "web", "category": "self_harm", "severity": "high"});
        self.push(school, "monitor.alert_raised", at, data);
        if let Some(reviewed) = reviewed {
            let data = json!({"alert_id": id, "reviewed_at": reviewed, "reviewed_by": S1, "outcome": "no_action"});
            self.push(school, "monitor.alert_reviewed", reviewed, data);
        }
    }

    fn census(&mut self, school: &str, date: &str, headcount: u32) {
        let data = json!({"census_date": date, "role": "staff", "headcount": headcount});
        self.push(school, "roster.census", &format!("{date}T12:00:00Z"), data);
    }
}

/// The log, by school:
///
/// sch01 (north). Checks in 2025-26: C1 15 Sep filtering passed; C2 1 Oct 10:00 AI tool
/// failed (A1, due 15 Oct, closed 11 Oct 10:00: 10 days), C2 again under a new event id;
/// C3 5 Nov 09:00 monitoring failed (A2, due 19 Nov, closed 10 Dec 09:00: 35 days);
/// C4 1 Dec 10:00 adult content failed (A3, due 15 Dec, never closed); C5 20 Jan passed;
/// C6 3 Feb 12:00 a category failed (A4, due 17 Feb, closed 10 Feb 12:00: 7 days).
/// Reviews: R1 annual 10 Nov 2024, all green; R2 annual 20 Oct 2025 (amber, green,
/// amber, green) agreeing RA1 (roles, due 31 Dec, closed 25 Nov) and RA2 (filtering, due
/// 31 Jan, open); R3 on a new technology 2 Mar 2026 (green, green, red, green) agreeing
/// RA3 (filtering, due 30 Apr, open). Senior leader named 2 Sep 2025, governor 20 Nov.
///
/// Monitoring alerts at sch01 in 2025-26: AL-1 and AL-3 reviewed, AL-2 not.
///
/// sch02 (south). Checks: C7 7 Oct filtering passed, C8 8 Oct monitoring passed. One
/// review, R4 annual 15 Oct 2024 (green, amber, green, green) agreeing RA4 (due 31 Dec
/// 2024, open). Senior leader named 3 Sep 2025, no governor.
fn evidence() -> Log {
    let mut log = Log { events: Vec::new() };
    log.assign("sch01", "senior_leader", S1, "2025-09-02T08:00:00Z");
    log.assign("sch01", "governor", B1, "2025-11-20T18:00:00Z");
    log.check("sch01", "C1", "2025-09-15T10:00:00Z", "filtering", "iwf_list", None);
    log.check("sch01", "C2", "2025-10-01T10:00:00Z", "filtering", "ai_tool", Some(("A1", "2025-10-15")));
    log.check("sch01", "C2", "2025-10-01T10:00:00Z", "filtering", "ai_tool", Some(("A1", "2025-10-15")));
    log.close("sch01", "A1", "2025-10-11T10:00:00Z");
    log.check("sch01", "C3", "2025-11-05T09:00:00Z", "monitoring", "monitoring_alert", Some(("A2", "2025-11-19")));
    log.close("sch01", "A2", "2025-12-10T09:00:00Z");
    log.check("sch01", "C4", "2025-12-01T10:00:00Z", "filtering", "adult_content", Some(("A3", "2025-12-15")));
    log.check("sch01", "C5", "2026-01-20T10:00:00Z", "filtering", "counter_terrorism_list", None);
    log.check("sch01", "C6", "2026-02-03T12:00:00Z", "filtering", "web_category", Some(("A4", "2026-02-17")));
    log.close("sch01", "A4", "2026-02-10T12:00:00Z");
    log.review("sch01", "R1", "2024-11-10T16:00:00Z", "annual", ["green"; 4]);
    log.review("sch01", "R2", "2025-10-20T16:00:00Z", "annual", ["amber", "green", "amber", "green"]);
    log.agree("sch01", "R2", "RA1", "roles", "2025-10-20T16:00:00Z", "2025-12-31");
    log.agree("sch01", "R2", "RA2", "filtering", "2025-10-20T16:00:00Z", "2026-01-31");
    log.close("sch01", "RA1", "2025-11-25T12:00:00Z");
    log.review("sch01", "R3", "2026-03-02T16:00:00Z", "new_technology", ["green", "green", "red", "green"]);
    log.agree("sch01", "R3", "RA3", "filtering", "2026-03-02T16:00:00Z", "2026-04-30");

    log.alert("sch01", "AL-1", "2025-10-08T13:00:00Z", Some("2025-10-08T14:00:00Z"));
    log.alert("sch01", "AL-2", "2026-01-10T13:00:00Z", None);
    log.alert("sch01", "AL-3", "2026-02-01T13:00:00Z", Some("2026-02-02T09:00:00Z"));

    log.assign("sch02", "senior_leader", S2, "2025-09-03T08:00:00Z");
    log.check("sch02", "C7", "2025-10-07T10:00:00Z", "filtering", "iwf_list", None);
    log.check("sch02", "C8", "2025-10-08T10:00:00Z", "monitoring", "monitoring_alert", None);
    log.review("sch02", "R4", "2024-10-15T16:00:00Z", "annual", ["green", "amber", "green", "green"]);
    log.agree("sch02", "R4", "RA4", "annual_review", "2024-10-15T16:00:00Z", "2024-12-31");
    log
}

#[tokio::test]
async fn checks_per_term_with_their_failures_and_actions_at_the_end_of_the_window() {
    let (_dir, engine) = open_on(&trust(), evidence().events).await;
    // The year, at 1 September 2026: A3 is overdue; C2 counts once.
    assert_eq!(
        report(&engine, "assurance_checks", &year("2025-26")).await,
        table(&[
            &["2025-26 autumn", "sch01", "filtering", "3", "2", "2", "1", "10.0", "1"],
            &["2025-26 autumn", "sch01", "monitoring", "1", "1", "1", "1", "35.0", "0"],
            &["2025-26 autumn", "sch02", "filtering", "1", "0", "0", "0", "NULL", "0"],
            &["2025-26 autumn", "sch02", "monitoring", "1", "0", "0", "0", "NULL", "0"],
            &["2025-26 spring", "sch01", "filtering", "2", "1", "1", "1", "7.0", "0"],
        ])
    );
    // September to November, at 1 December: C4 (1 December) is outside, and A2, closed on
    // 10 December, was still open then and past its due date.
    assert_eq!(
        report(&engine, "assurance_checks", &dates("2025-09-01", "2025-12-01")).await,
        table(&[
            &["2025-26 autumn", "sch01", "filtering", "2", "1", "1", "1", "10.0", "0"],
            &["2025-26 autumn", "sch01", "monitoring", "1", "1", "1", "0", "NULL", "1"],
            &["2025-26 autumn", "sch02", "filtering", "1", "0", "0", "0", "NULL", "0"],
            &["2025-26 autumn", "sch02", "monitoring", "1", "0", "0", "0", "NULL", "0"],
        ])
    );
    let south = Params { hub: hub("south"), ..year("2025-26") };
    assert_eq!(
        report(&engine, "assurance_checks", &south).await,
        table(&[
            &["2025-26 autumn", "sch02", "filtering", "1", "0", "0", "0", "NULL", "0"],
            &["2025-26 autumn", "sch02", "monitoring", "1", "0", "0", "0", "NULL", "0"],
        ])
    );
}

#[tokio::test]
async fn review_status_at_the_end_of_a_year_and_before_the_governor_was_named() {
    let (_dir, engine) = open_on(&trust(), evidence().events).await;
    // hub, school, last review, trigger, its four ratings, last annual review, within 12
    // months, reviews in the window, open and overdue actions, senior leader, governor.
    assert_eq!(
        report(&engine, "review_status", &year("2025-26")).await,
        table(&[
            &[
                "north",
                "sch01",
                "2026-03-02",
                "new_technology",
                "green",
                "green",
                "red",
                "green",
                "2025-10-20",
                "true",
                "2",
                "2",
                "2",
                "true",
                "true",
            ],
            &[
                "south",
                "sch02",
                "2024-10-15",
                "annual",
                "green",
                "amber",
                "green",
                "green",
                "2024-10-15",
                "false",
                "0",
                "1",
                "1",
                "true",
                "false",
            ],
        ])
    );
    // At 1 November 2025, sch01's latest review is R2; RA1 is still open, nothing is
    // overdue, and no governor is named yet.
    let october = Params { school: school("sch01"), ..dates("2025-10-01", "2025-11-01") };
    assert_eq!(
        report(&engine, "review_status", &october).await,
        table(&[&[
            "north",
            "sch01",
            "2025-10-20",
            "annual",
            "amber",
            "green",
            "amber",
            "green",
            "2025-10-20",
            "true",
            "1",
            "2",
            "0",
            "true",
            "false",
        ]])
    );
    // A school with no evidence at all still has its row, with nothing done.
    let early = dates("2024-09-01", "2024-10-01");
    assert_eq!(
        report(&engine, "review_status", &early).await,
        table(&[
            &[
                "north", "sch01", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "false", "0", "0", "0",
                "false", "false"
            ],
            &[
                "south", "sch02", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "false", "0", "0", "0",
                "false", "false"
            ],
        ])
    );
}

#[tokio::test]
async fn each_standard_with_its_declared_rating_and_measured_evidence() {
    let (_dir, engine) = open_on(&trust(), evidence().events).await;
    let declared = |standard, value, on| [standard, "rating", value, "declared", on];
    let m = |standard, figure, value| [standard, figure, value, "measured", "NULL"];
    let rows = |school: &str, hub: &str, rows: Vec<[&str; 5]>| -> Vec<Vec<String>> {
        rows.into_iter().map(|r| [hub, school].into_iter().chain(r).map(str::to_string).collect()).collect()
    };
    let mut expected = rows(
        "sch01",
        "north",
        vec![
            declared("roles", "green", "2026-03-02"),
            m("roles", "senior leader responsible named", "yes"),
            m("roles", "governor responsible named", "yes"),
            declared("annual_review", "green", "2026-03-02"),
            m("annual_review", "last annual review", "2025-10-20"),
            m("annual_review", "reviewed within 12 months", "yes"),
            // RA2 and RA3 are open past their due dates.
            m("annual_review", "review actions past their due date", "yes"),
            declared("filtering", "red", "2026-03-02"),
            m("filtering", "last check", "2026-02-03"),
            m("filtering", "checked in the period", "yes"),
            m("filtering", "a check in the period failed", "yes"),
            m("filtering", "actions past their due date", "yes"),
            declared("monitoring", "green", "2026-03-02"),
            m("monitoring", "last check", "2025-11-05"),
            m("monitoring", "checked in the period", "yes"),
            m("monitoring", "a check in the period failed", "yes"),
            // A2 was closed late, but closed.
            m("monitoring", "actions past their due date", "no"),
            // AL-2 was never reviewed.
            m("monitoring", "every alert in the period reviewed", "no"),
        ],
    );
    expected.extend(rows(
        "sch02",
        "south",
        vec![
            declared("roles", "green", "2024-10-15"),
            m("roles", "senior leader responsible named", "yes"),
            m("roles", "governor responsible named", "no"),
            declared("annual_review", "amber", "2024-10-15"),
            m("annual_review", "last annual review", "2024-10-15"),
            m("annual_review", "reviewed within 12 months", "no"),
            m("annual_review", "review actions past their due date", "yes"),
            declared("filtering", "green", "2024-10-15"),
            m("filtering", "last check", "2025-10-07"),
            m("filtering", "checked in the period", "yes"),
            m("filtering", "a check in the period failed", "no"),
            m("filtering", "actions past their due date", "no"),
            declared("monitoring", "green", "2024-10-15"),
            m("monitoring", "last check", "2025-10-08"),
            m("monitoring", "checked in the period", "yes"),
            m("monitoring", "a check in the period failed", "no"),
            m("monitoring", "actions past their due date", "no"),
            m("monitoring", "every alert in the period reviewed", "no alerts"),
        ],
    ));
    assert_eq!(report(&engine, "standards", &year("2025-26")).await, expected);

    // Before anything was recorded, every figure says so rather than vanishing.
    let early = Params { school: school("sch02"), ..dates("2024-09-01", "2024-10-01") };
    let mut nothing = Vec::new();
    for standard in ["roles", "annual_review", "filtering", "monitoring"] {
        nothing.push(["rating", "none recorded", "declared", "NULL"].map(str::to_string).to_vec());
        nothing.last_mut().unwrap().insert(0, standard.to_string());
        let figures: &[(&str, &str)] = match standard {
            "roles" => &[("senior leader responsible named", "no"), ("governor responsible named", "no")],
            "annual_review" => &[
                ("last annual review", "none recorded"),
                ("reviewed within 12 months", "no"),
                ("review actions past their due date", "no"),
            ],
            "filtering" => &[
                ("last check", "none recorded"),
                ("checked in the period", "no"),
                ("a check in the period failed", "no"),
                ("actions past their due date", "no"),
            ],
            _ => &[
                ("last check", "none recorded"),
                ("checked in the period", "no"),
                ("a check in the period failed", "no"),
                ("actions past their due date", "no"),
                ("every alert in the period reviewed", "no alerts"),
            ],
        };
        for (figure, value) in figures {
            nothing.push(vec![
                standard.into(),
                figure.to_string(),
                value.to_string(),
                "measured".into(),
                "NULL".into(),
            ]);
        }
    }
    let nothing: Vec<Vec<String>> = nothing
        .into_iter()
        .map(|r| ["south".to_string(), "sch02".to_string()].into_iter().chain(r).collect())
        .collect();
    assert_eq!(report(&engine, "standards", &early).await, nothing);
}

#[tokio::test]
async fn checks_across_a_hub_count_whole_terms_only() {
    let (_dir, engine) = open_on(&trust(), evidence().events).await;
    // The year: north is sch01 alone, south sch02 alone; A3 overdue at 1 September 2026.
    assert_eq!(
        report(&engine, "assurance_checks_by_hub", &year("2025-26")).await,
        table(&[
            &["2025-26 autumn", "north", "filtering", "3", "2", "2", "1", "10.0", "1"],
            &["2025-26 autumn", "north", "monitoring", "1", "1", "1", "1", "35.0", "0"],
            &["2025-26 autumn", "south", "filtering", "1", "0", "0", "0", "NULL", "0"],
            &["2025-26 autumn", "south", "monitoring", "1", "0", "0", "0", "NULL", "0"],
            &["2025-26 spring", "north", "filtering", "2", "1", "1", "1", "7.0", "0"],
        ])
    );
    // September to November covers no whole term: nothing, rather than a part of autumn
    // that set against the whole would give back December's checks.
    assert!(report(&engine, "assurance_checks_by_hub", &dates("2025-09-01", "2025-12-01")).await.is_empty());
    let autumn = Params { hub: hub("south"), ..dates("2025-09-01", "2026-01-01") };
    assert_eq!(
        report(&engine, "assurance_checks_by_hub", &autumn).await,
        table(&[
            &["2025-26 autumn", "south", "filtering", "1", "0", "0", "0", "NULL", "0"],
            &["2025-26 autumn", "south", "monitoring", "1", "0", "0", "0", "NULL", "0"],
        ])
    );
}

/// Training: sch01's staff census 38 (October 2024) then 40 (October 2025), sch02's 10
/// (October 2025).
fn training() -> Vec<Value> {
    let mut log = Log { events: Vec::new() };
    log.census("sch01", "2024-10-03", 38);
    log.census("sch01", "2025-10-02", 40);
    log.census("sch02", "2025-10-02", 10);
    log.train("sch01", S4, "staff", "online_safety", "2024-09-03T15:00:00Z");
    log.train("sch01", S1, "staff", "online_safety", "2025-09-02T15:00:00Z");
    log.train("sch01", S3, "staff", "online_safety", "2025-09-02T15:00:00Z");
    log.train("sch01", S1, "staff", "online_safety", "2026-01-10T15:00:00Z");
    log.train("sch01", S5, "staff", "filtering_and_monitoring", "2025-10-01T15:00:00Z");
    log.train("sch01", V1, "volunteer", "online_safety", "2025-09-20T15:00:00Z");
    log.train("sch01", B1, "governor", "online_safety", "2025-11-20T18:00:00Z");
    log.train("sch01", B2, "governor", "online_safety", "2025-11-20T18:00:00Z");
    log.train("sch01", B3, "governor", "filtering_and_monitoring", "2025-11-20T18:00:00Z");
    log.train("sch01", T1, "trustee", "online_safety", "2025-12-01T18:00:00Z");
    log.train("sch02", S6, "staff", "online_safety", "2025-09-03T15:00:00Z");
    log.train("sch02", B4, "governor", "online_safety", "2026-02-01T18:00:00Z");
    // The same trustee recorded again by another school counts once.
    log.train("sch02", T1, "trustee", "online_safety", "2026-02-01T18:00:00Z");
    log.train("sch02", T2, "trustee", "online_safety", "2026-02-01T18:00:00Z");
    log.events
}

#[tokio::test]
async fn training_coverage_per_school_board_and_trust_in_the_12_months_to_the_end_of_the_window() {
    let (_dir, engine) = open_on(&trust(), training()).await;
    // hub, school, role, topic, headcount, trained, coverage. S4's training of September
    // 2024 is over 12 months old; the south board declares no membership.
    assert_eq!(
        report(&engine, "training_coverage", &year("2025-26")).await,
        table(&[
            &["north", "NULL", "governor", "filtering_and_monitoring", "5", "1", "20.0"],
            &["north", "NULL", "governor", "online_safety", "5", "2", "40.0"],
            &["south", "NULL", "governor", "online_safety", "NULL", "1", "NULL"],
            &["north", "sch01", "staff", "filtering_and_monitoring", "40", "1", "2.5"],
            &["north", "sch01", "staff", "online_safety", "40", "2", "5.0"],
            &["south", "sch02", "staff", "online_safety", "10", "1", "10.0"],
            &["NULL", "NULL", "trustee", "online_safety", "4", "2", "50.0"],
            &["north", "sch01", "volunteer", "online_safety", "NULL", "1", "NULL"],
        ])
    );
    // A year earlier, at 1 September 2025: the census then was 38, sch02 had none, and the
    // boards had trained nobody (rows of 0, not missing rows).
    assert_eq!(
        report(&engine, "training_coverage", &year("2024-25")).await,
        table(&[
            &["north", "NULL", "governor", "online_safety", "5", "0", "0.0"],
            &["north", "sch01", "staff", "online_safety", "38", "1", "2.6"],
            &["NULL", "NULL", "trustee", "online_safety", "4", "0", "0.0"],
        ])
    );
    // A hub sees its board and its schools, not the trustees; a school only its staff.
    let north = Params { hub: hub("north"), ..year("2025-26") };
    assert_eq!(
        report(&engine, "training_coverage", &north).await,
        table(&[
            &["north", "NULL", "governor", "filtering_and_monitoring", "5", "1", "20.0"],
            &["north", "NULL", "governor", "online_safety", "5", "2", "40.0"],
            &["north", "sch01", "staff", "filtering_and_monitoring", "40", "1", "2.5"],
            &["north", "sch01", "staff", "online_safety", "40", "2", "5.0"],
            &["north", "sch01", "volunteer", "online_safety", "NULL", "1", "NULL"],
        ])
    );
    let sch02 = Params { school: school("sch02"), ..year("2025-26") };
    assert_eq!(
        report(&engine, "training_coverage", &sch02).await,
        table(&[&["south", "sch02", "staff", "online_safety", "10", "1", "10.0"]])
    );
}
