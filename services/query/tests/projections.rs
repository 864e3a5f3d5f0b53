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
    let lake = Lake::new(dir.path());
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
    );
    let engine = Engine::open(dir.path(), &Trust::parse(TRUST).unwrap()).await.unwrap();
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
    let lake = Lake::new(dir.path());
    let census = |date: &str, headcount: u32| json!({"census_date": date, "role": "pupil", "year_group": 7, "headcount": headcount});
    write_lake(
        &lake,
        vec![
            event(1, "sch01", "roster.census", "2025-10-02T06:00:00Z", census("2025-10-02", 180)),
            event(2, "sch01", "roster.census", "2026-01-15T06:00:00Z", census("2026-01-15", 185)),
            // A correction of the October census, sent later.
            event(3, "sch01", "roster.census", "2025-10-09T06:00:00Z", census("2025-10-02", 181)),
        ],
    );
    let engine = Engine::open(dir.path(), &Trust::parse(TRUST).unwrap()).await.unwrap();
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
