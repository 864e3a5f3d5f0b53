//! The monitoring report (ai_monitoring) on a small hand-made trust, against answers
//! worked out by hand.

mod common;

use common::{dates, event, hub, open, report, table, year};
use safelake_query::reports::Params;
use serde_json::{json, Value};

const PUPIL: &str = "p_0000000000000001";
const DSL: &str = "s_00000000000000d5";

fn raised(n: usize, school: &str, id: &str, at: &str, channel: &str, severity: &str) -> Value {
    let data = json!({"alert_id": id, "raised_at": at, "user_ref": PUPIL, "user_group": "pupil", "year_group": 10,
        "channel": channel, "category": "self_harm", "severity": severity});
    event(n, school, "monitor.alert_raised", at, data)
}

fn reviewed(n: usize, school: &str, id: &str, at: &str, outcome: &str, incident: Option<&str>) -> Value {
    let mut data = json!({"alert_id": id, "reviewed_at": at, "reviewed_by": DSL, "outcome": outcome});
    if let Some(incident) = incident {
        data["incident_id"] = json!(incident);
    }
    event(n, school, "monitor.alert_reviewed", at, data)
}

/// | id | school | raised           | severity | review (hours after)                                |
/// |----|--------|------------------|----------|-----------------------------------------------------|
/// | A1 | sch01  | 2025-10-01 09:00 | high     | no_action (2)                                       |
/// | A2 | sch01  | 2025-10-02 09:00 | high     | no_action (1), then incident_opened (24): the latter |
/// | A3 | sch01  | 2025-10-03 09:00 | high     | -                                                   |
/// | A4 | sch01  | 2025-10-04 09:00 | low      | false_positive (0.5)                                |
/// | A5 | sch01  | 2025-10-31 23:00 | critical | incident_opened on 1 November (2); AI chat          |
/// | A6 | sch02  | 2025-10-05 09:00 | medium   | -                                                   |
/// | A7 | sch01  | 2025-12-10 09:00 | medium   | no_action (12)                                      |
///
/// No alert was raised in November.
fn events() -> Vec<Value> {
    vec![
        raised(1, "sch01", "A1", "2025-10-01T09:00:00Z", "web", "high"),
        reviewed(2, "sch01", "A1", "2025-10-01T11:00:00Z", "no_action", None),
        raised(3, "sch01", "A2", "2025-10-02T09:00:00Z", "search", "high"),
        reviewed(4, "sch01", "A2", "2025-10-02T10:00:00Z", "no_action", None),
        reviewed(5, "sch01", "A2", "2025-10-03T09:00:00Z", "incident_opened", Some("INC-9")),
        raised(6, "sch01", "A3", "2025-10-03T09:00:00Z", "web", "high"),
        raised(7, "sch01", "A4", "2025-10-04T09:00:00Z", "device", "low"),
        reviewed(8, "sch01", "A4", "2025-10-04T09:30:00Z", "false_positive", None),
        raised(9, "sch01", "A5", "2025-10-31T23:00:00Z", "ai_chat", "critical"),
        reviewed(10, "sch01", "A5", "2025-11-01T01:00:00Z", "incident_opened", Some("INC-10")),
        raised(11, "sch02", "A6", "2025-10-05T09:00:00Z", "email", "medium"),
        raised(12, "sch01", "A7", "2025-12-10T09:00:00Z", "ai_chat", "medium"),
        reviewed(13, "sch01", "A7", "2025-12-10T21:00:00Z", "no_action", None),
    ]
}

#[tokio::test]
async fn ai_monitoring_per_severity_with_unreviewed_and_re_reviewed_alerts() {
    let (_dir, engine) = open(events()).await;
    let year = year("2025-26");
    // High in October: 2 of 3 reviewed, hours 2 and 24 (median 13), A2's latest review
    // opened an incident. Severities run low to critical.
    assert_eq!(
        report(&engine, "ai_monitoring", &year).await,
        table(&[
            &["2025-10", "sch01", "low", "1", "100.0", "0.5", "0"],
            &["2025-10", "sch01", "high", "3", "66.7", "13.0", "1"],
            &["2025-10", "sch01", "critical", "1", "100.0", "2.0", "1"],
            &["2025-10", "sch02", "medium", "1", "0.0", "NULL", "0"],
            &["2025-12", "sch01", "medium", "1", "100.0", "12.0", "0"],
        ])
    );
    let north_december = Params { hub: hub("north"), ..dates("2025-11-01", "2026-01-01") };
    assert_eq!(
        report(&engine, "ai_monitoring", &north_december).await,
        table(&[&["2025-12", "sch01", "medium", "1", "100.0", "12.0", "0"]])
    );
    let south = Params { hub: hub("south"), ..year };
    assert_eq!(
        report(&engine, "ai_monitoring", &south).await,
        table(&[&["2025-10", "sch02", "medium", "1", "0.0", "NULL", "0"]])
    );
}
