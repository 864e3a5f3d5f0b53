//! The event-sourced projections on hand-made events, against answers written by hand.

mod common;

use common::{event, rows, write_lake, TRUST};
use safelake_lake::Lake;
use safelake_query::Engine;
use safelake_schemas::Trust;
use serde_json::{json, Value};

fn pupil_incident(id: &str, occurred: &str) -> Value {
    json!({"incident_id": id, "occurred_at": occurred, "subject_role": "pupil", "pupil_ref": "p_00000000000000a1",
           "year_group": 8, "category": "cyberbullying", "location": "in_school", "severity": "B", "illegal": false,
           "reported_by_role": "pupil"})
}

#[tokio::test]
async fn incidents_apply_amendments_actions_and_closures() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    write_lake(
        &lake,
        vec![
            event(
                1,
                "sch01",
                "incident.recorded",
                "2025-10-03T12:00:00Z",
                pupil_incident("INC-1", "2025-10-03T10:00:00Z"),
            ),
            // Corrections: severity to C, then to A; later the category alone.
            event(
                2,
                "sch01",
                "incident.amended",
                "2025-10-05T09:00:00Z",
                json!({"incident_id": "INC-1", "amended_at": "2025-10-05T09:00:00Z", "severity": "C"}),
            ),
            event(
                3,
                "sch01",
                "incident.amended",
                "2025-10-06T09:00:00Z",
                json!({"incident_id": "INC-1", "amended_at": "2025-10-06T09:00:00Z", "severity": "A"}),
            ),
            event(
                4,
                "sch01",
                "incident.amended",
                "2025-11-07T09:00:00Z",
                json!({"incident_id": "INC-1", "amended_at": "2025-11-07T09:00:00Z", "category": "inappropriate_content"}),
            ),
            // Two DSL referrals: the first counts.
            event(
                5,
                "sch01",
                "incident.action_taken",
                "2025-10-04T09:00:00Z",
                json!({"incident_id": "INC-1", "action": "referred_dsl", "taken_at": "2025-10-04T09:00:00Z"}),
            ),
            event(
                6,
                "sch01",
                "incident.action_taken",
                "2025-10-03T13:00:00Z",
                json!({"incident_id": "INC-1", "action": "referred_dsl", "taken_at": "2025-10-03T13:00:00Z"}),
            ),
            event(
                7,
                "sch01",
                "incident.action_taken",
                "2025-10-04T10:00:00Z",
                json!({"incident_id": "INC-1", "action": "parents_informed", "taken_at": "2025-10-04T10:00:00Z"}),
            ),
            event(
                8,
                "sch01",
                "incident.closed",
                "2025-12-01T09:00:00Z",
                json!({"incident_id": "INC-1", "closed_at": "2025-12-01T09:00:00Z", "outcome": "resolved"}),
            ),
            // The same incident id in another school is another incident; it stays open.
            event(
                9,
                "sch02",
                "incident.recorded",
                "2025-10-10T09:00:00Z",
                pupil_incident("INC-1", "2025-10-09T14:00:00Z"),
            ),
        ],
    ).await;
    let engine = Engine::open(&Lake::at(dir.path()).unwrap(), &Trust::parse(TRUST).unwrap()).await.unwrap();
    let got = rows(
        &engine,
        "SELECT school_id, incident_id, category, severity, referred_dsl_at, parents_informed_at, closed_at, outcome \
         FROM incidents ORDER BY school_id",
    )
    .await;
    let expected = vec![
        vec![
            "sch01",
            "INC-1",
            "inappropriate_content",
            "A",
            "2025-10-03T13:00:00Z",
            "2025-10-04T10:00:00Z",
            "2025-12-01T09:00:00Z",
            "resolved",
        ],
        vec!["sch02", "INC-1", "cyberbullying", "B", "NULL", "NULL", "NULL", "NULL"],
    ];
    assert_eq!(got, expected);
}

#[tokio::test]
async fn on_roll_holds_each_census_until_the_next_and_takes_corrections() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    let census = |date: &str, headcount: u32| json!({"census_date": date, "role": "pupil", "year_group": 7, "headcount": headcount});
    write_lake(
        &lake,
        vec![
            event(1, "sch01", "roster.census", "2025-10-02T06:00:00Z", census("2025-10-02", 180)),
            event(2, "sch01", "roster.census", "2026-01-15T06:00:00Z", census("2026-01-15", 185)),
            // A correction of the October census, sent later.
            event(3, "sch01", "roster.census", "2025-10-09T06:00:00Z", census("2025-10-02", 181)),
        ],
    )
    .await;
    let engine = Engine::open(&Lake::at(dir.path()).unwrap(), &Trust::parse(TRUST).unwrap()).await.unwrap();
    let got = rows(
        &engine,
        "SELECT school_id, role, year_group, census_date, valid_until, headcount FROM on_roll ORDER BY census_date",
    )
    .await;
    assert_eq!(
        got,
        vec![
            vec!["sch01", "pupil", "7", "2025-10-02", "2026-01-15", "181"],
            vec!["sch01", "pupil", "7", "2026-01-15", "NULL", "185"],
        ]
    );
    let schools = rows(&engine, "SELECT school_id, hub_name, phase FROM schools ORDER BY school_id").await;
    assert_eq!(schools, vec![vec!["sch01", "North Hub", "primary"], vec!["sch02", "South Hub", "secondary"]]);
}

#[tokio::test]
async fn unblock_requests_keep_the_first_request_and_the_latest_decision() {
    let dir = tempfile::tempdir().unwrap();
    let request = |id: &str, at: &str, reason: &str| {
        json!({"request_id": id, "requested_at": at, "requested_by": "s_00000000000000a1", "domain": "www.example.org",
               "category": "streaming", "reason": reason, "from": "2025-10-06T08:00:00Z", "until": "2025-10-10T16:00:00Z"})
    };
    let decision = |id: &str, at: &str, decision: &str, by: &str| json!({"request_id": id, "decided_at": at, "decision": decision, "decided_by": by});
    write_lake(
        &Lake::at(dir.path()).unwrap(),
        vec![
            event(
                1,
                "sch01",
                "filter.unblock_requested",
                "2025-10-02T09:00:00Z",
                request("R1", "2025-10-02T09:00:00Z", "A lesson video"),
            ),
            // The same request re-sent later with other words: the first stands.
            event(
                2,
                "sch01",
                "filter.unblock_requested",
                "2025-10-02T10:00:00Z",
                request("R1", "2025-10-02T09:00:00Z", "Resent"),
            ),
            // Denied, then approved on appeal: approved is the state.
            event(
                3,
                "sch01",
                "filter.unblock_decided",
                "2025-10-03T09:00:00Z",
                decision("R1", "2025-10-03T09:00:00Z", "denied", "s_00000000000000b1"),
            ),
            event(
                4,
                "sch01",
                "filter.unblock_decided",
                "2025-10-04T09:00:00Z",
                decision("R1", "2025-10-04T09:00:00Z", "approved", "s_00000000000000b2"),
            ),
            // Undecided; the same id in another school is another request.
            event(
                5,
                "sch01",
                "filter.unblock_requested",
                "2025-10-05T09:00:00Z",
                request("R2", "2025-10-05T09:00:00Z", "Research"),
            ),
            event(
                6,
                "sch02",
                "filter.unblock_requested",
                "2025-10-06T09:00:00Z",
                request("R1", "2025-10-06T09:00:00Z", "Club"),
            ),
            event(
                7,
                "sch02",
                "filter.unblock_decided",
                "2025-10-06T11:00:00Z",
                decision("R1", "2025-10-06T11:00:00Z", "denied", "s_00000000000000b3"),
            ),
        ],
    )
    .await;
    let engine = Engine::open(&Lake::at(dir.path()).unwrap(), &Trust::parse(TRUST).unwrap()).await.unwrap();
    let got = rows(
        &engine,
        "SELECT school_id, request_id, requested_at, reason, decision, decided_at, decided_by \
         FROM unblock_requests ORDER BY school_id, request_id",
    )
    .await;
    let (b2, b3) = ("s_00000000000000b2", "s_00000000000000b3");
    assert_eq!(
        got,
        vec![
            vec!["sch01", "R1", "2025-10-02T09:00:00Z", "A lesson video", "approved", "2025-10-04T09:00:00Z", b2],
            vec!["sch01", "R2", "2025-10-05T09:00:00Z", "Research", "NULL", "NULL", "NULL"],
            vec!["sch02", "R1", "2025-10-06T09:00:00Z", "Club", "denied", "2025-10-06T11:00:00Z", b3],
        ]
    );
    let asked =
        rows(&engine, "SELECT DISTINCT requested_by, domain, category, \"from\", until FROM unblock_requests").await;
    let (from, until) = ("2025-10-06T08:00:00Z", "2025-10-10T16:00:00Z");
    assert_eq!(asked, vec![vec!["s_00000000000000a1", "www.example.org", "streaming", from, until]]);
}

#[tokio::test]
async fn alerts_carry_their_latest_review() {
    let dir = tempfile::tempdir().unwrap();
    let raised = |id: &str, at: &str, severity: &str| {
        json!({"alert_id": id, "raised_at": at, "user_ref": "s_00000000000000c1", "user_group": "staff",
               "channel": "ai_chat", "category": "extremism", "severity": severity})
    };
    write_lake(
        &Lake::at(dir.path()).unwrap(),
        vec![
            event(
                1,
                "sch01",
                "monitor.alert_raised",
                "2025-10-02T09:00:00Z",
                raised("AL-1", "2025-10-02T09:00:00Z", "high"),
            ),
            event(
                2,
                "sch01",
                "monitor.alert_reviewed",
                "2025-10-02T10:00:00Z",
                json!({"alert_id": "AL-1", "reviewed_at": "2025-10-02T10:00:00Z", "reviewed_by": "s_00000000000000d1",
                       "outcome": "no_action"}),
            ),
            // Looked at again the next day: an incident was opened.
            event(
                3,
                "sch01",
                "monitor.alert_reviewed",
                "2025-10-03T10:00:00Z",
                json!({"alert_id": "AL-1", "reviewed_at": "2025-10-03T10:00:00Z", "reviewed_by": "s_00000000000000d2",
                       "outcome": "incident_opened", "incident_id": "INC-7"}),
            ),
            event(
                4,
                "sch01",
                "monitor.alert_raised",
                "2025-10-04T09:00:00Z",
                raised("AL-2", "2025-10-04T09:00:00Z", "low"),
            ),
        ],
    )
    .await;
    let engine = Engine::open(&Lake::at(dir.path()).unwrap(), &Trust::parse(TRUST).unwrap()).await.unwrap();
    let got = rows(
        &engine,
        "SELECT school_id, alert_id, raised_at, severity, reviewed_at, reviewed_by, outcome, incident_id \
         FROM alerts ORDER BY alert_id",
    )
    .await;
    let d2 = "s_00000000000000d2";
    assert_eq!(
        got,
        vec![
            vec![
                "sch01",
                "AL-1",
                "2025-10-02T09:00:00Z",
                "high",
                "2025-10-03T10:00:00Z",
                d2,
                "incident_opened",
                "INC-7"
            ],
            vec!["sch01", "AL-2", "2025-10-04T09:00:00Z", "low", "NULL", "NULL", "NULL", "NULL"],
        ]
    );
    let raised = rows(&engine, "SELECT DISTINCT user_ref, user_group, year_group, channel, category FROM alerts").await;
    assert_eq!(raised, vec![vec!["s_00000000000000c1", "staff", "NULL", "ai_chat", "extremism"]]);
}

/// The high-risk categories the reports count are the contract's, no more and no fewer:
/// the definition of the rollup they read lists them (and `rollups check` holds the
/// rollup, derived from the contract's list in Rust, to that definition).
#[test]
fn the_high_risk_rollup_lists_exactly_the_contracts_high_risk_categories() {
    let defs: Value = serde_json::from_str(include_str!("../../../schemas/defs.json")).unwrap();
    let mut contract: Vec<&str> = defs["$defs"]["high_risk_web_category"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let definition = include_str!("../../../queries/rollups/high_risk_daily.sql");
    let list = definition.split("category IN (").nth(1).unwrap().split(')').next().unwrap();
    let mut listed: Vec<&str> = list.split(',').map(|c| c.trim().trim_matches('\'')).collect();
    contract.sort();
    listed.sort();
    assert!(!contract.is_empty());
    assert_eq!(listed, contract);
}
