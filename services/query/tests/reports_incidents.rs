//! The incident reports (repeat_pupils_summary, incident_timeliness, escalations) on a
//! small hand-made trust, against answers worked out by hand.

mod common;

use chrono::{Duration, SecondsFormat, Utc};
use common::{dates, event, hub, open, report, school, table};
use safelake_query::reports::Params;
use serde_json::{json, Value};

const A: &str = "p_00000000000000aa";
const B: &str = "p_00000000000000bb";
const C: &str = "p_00000000000000cc";
const STAFF: &str = "s_00000000000000dd";

/// A pupil incident (a staff one when `pupil` is the staff reference), recorded at
/// `recorded` (the envelope time, from which the time to record is measured).
fn recorded(n: usize, school: &str, id: &str, person: &str, occurred: &str, recorded: &str) -> Value {
    let data = if person.starts_with("s_") {
        json!({"incident_id": id, "occurred_at": occurred, "subject_role": "staff", "staff_ref": person,
               "category": "data_protection", "location": "in_school", "severity": "misconduct", "illegal": false,
               "reported_by_role": "staff"})
    } else {
        json!({"incident_id": id, "occurred_at": occurred, "subject_role": "pupil", "pupil_ref": person,
               "year_group": 8, "category": "cyberbullying", "location": "in_school", "severity": "B",
               "illegal": false, "reported_by_role": "pupil"})
    };
    event(n, school, "incident.recorded", recorded, data)
}

fn action(n: usize, school: &str, id: &str, action: &str, at: &str) -> Value {
    event(n, school, "incident.action_taken", at, json!({"incident_id": id, "action": action, "taken_at": at}))
}

fn closed(n: usize, school: &str, id: &str, at: &str) -> Value {
    event(n, school, "incident.closed", at, json!({"incident_id": id, "closed_at": at, "outcome": "resolved"}))
}

/// sch01 (North):
///
/// | id    | who   | occurred          | recorded (hours) | actions                      | closed                     |
/// |-------|-------|-------------------|------------------|------------------------------|----------------------------|
/// | INC-0 | B     | 2025-06-01 10:00  | same day (1)     | police                       | -                          |
/// | INC-1 | A     | 2025-10-03 10:00  | same day (2)     | dsl, police twice            | 2025-10-20                 |
/// | INC-2 | A     | 2025-10-10 22:00  | next day (10)    | dsl, police, ceop            | exactly 30 days later      |
/// | INC-3 | A     | 2025-10-20 09:00  | same day (0.5)   | - (category amended)         | 30 days and 1 hour later   |
/// | INC-4 | B     | 2025-10-25 09:00  | 2 days (48)      | social care (in December)    | -                          |
/// | INC-5 | B     | 2025-11-05 10:00  | same day (1)     | - (re-sent a day later)      | -                          |
/// | INC-6 | staff | 2025-11-10 09:00  | same day (6)     | lado                         | 2025-11-20                 |
/// | INC-7 | C     | 2026-01-15 10:00  | at once (0)      | dsl, iwf                     | -                          |
///
/// sch02 (South): the reference A is another child there, with two incidents:
/// INC-1 on 2025-10-07 10:00 (recorded 3 hours later, closed the next day) and INC-2 on
/// 2025-10-08 23:30 (recorded an hour later, after midnight; never closed).
/// No incident occurred in December 2025.
fn events() -> Vec<Value> {
    vec![
        recorded(1, "sch01", "INC-0", B, "2025-06-01T10:00:00Z", "2025-06-01T11:00:00Z"),
        action(2, "sch01", "INC-0", "referred_police", "2025-06-01T12:00:00Z"),
        recorded(3, "sch01", "INC-1", A, "2025-10-03T10:00:00Z", "2025-10-03T12:00:00Z"),
        action(4, "sch01", "INC-1", "referred_dsl", "2025-10-03T13:00:00Z"),
        action(5, "sch01", "INC-1", "referred_police", "2025-10-04T09:00:00Z"),
        action(6, "sch01", "INC-1", "referred_police", "2025-10-05T09:00:00Z"),
        closed(7, "sch01", "INC-1", "2025-10-20T09:00:00Z"),
        recorded(8, "sch01", "INC-2", A, "2025-10-10T22:00:00Z", "2025-10-11T08:00:00Z"),
        action(9, "sch01", "INC-2", "referred_dsl", "2025-10-11T09:00:00Z"),
        action(10, "sch01", "INC-2", "referred_police", "2025-10-11T10:00:00Z"),
        action(11, "sch01", "INC-2", "referred_ceop", "2025-10-11T11:00:00Z"),
        closed(12, "sch01", "INC-2", "2025-11-09T22:00:00Z"),
        recorded(13, "sch01", "INC-3", A, "2025-10-20T09:00:00Z", "2025-10-20T09:30:00Z"),
        event(
            14,
            "sch01",
            "incident.amended",
            "2025-10-21T09:00:00Z",
            json!({"incident_id": "INC-3", "amended_at": "2025-10-21T09:00:00Z", "category": "account_misuse"}),
        ),
        closed(15, "sch01", "INC-3", "2025-11-19T10:00:00Z"),
        recorded(16, "sch01", "INC-4", B, "2025-10-25T09:00:00Z", "2025-10-27T09:00:00Z"),
        action(17, "sch01", "INC-4", "referred_social_care", "2025-12-02T09:00:00Z"),
        recorded(18, "sch01", "INC-5", B, "2025-11-05T10:00:00Z", "2025-11-05T11:00:00Z"),
        // The same incident re-sent by the school's system under a new event id.
        recorded(19, "sch01", "INC-5", B, "2025-11-05T10:00:00Z", "2025-11-06T11:00:00Z"),
        recorded(20, "sch01", "INC-6", STAFF, "2025-11-10T09:00:00Z", "2025-11-10T15:00:00Z"),
        action(21, "sch01", "INC-6", "referred_lado", "2025-11-11T09:00:00Z"),
        closed(22, "sch01", "INC-6", "2025-11-20T09:00:00Z"),
        recorded(23, "sch01", "INC-7", C, "2026-01-15T10:00:00Z", "2026-01-15T10:00:00Z"),
        action(24, "sch01", "INC-7", "referred_dsl", "2026-01-15T11:00:00Z"),
        action(25, "sch01", "INC-7", "referred_iwf", "2026-01-15T12:00:00Z"),
        recorded(26, "sch02", "INC-1", A, "2025-10-07T10:00:00Z", "2025-10-07T13:00:00Z"),
        closed(27, "sch02", "INC-1", "2025-10-08T10:00:00Z"),
        recorded(28, "sch02", "INC-2", A, "2025-10-08T23:30:00Z", "2025-10-09T00:30:00Z"),
    ]
}

fn year() -> Params {
    common::year("2025-26")
}

#[tokio::test]
async fn repeat_pupils_summary_counts_per_school_at_the_threshold() {
    let (_dir, engine) = open(events()).await;
    // A has exactly 3 in sch01; B 2 in the year (INC-5 once, though sent twice); A's 2 in
    // sch02 are another child's; the staff incident is no pupil's.
    assert_eq!(
        report(&engine, "repeat_pupils_summary", &year()).await,
        table(&[&["north", "sch01", "1", "3"], &["south", "sch02", "0", "0"]])
    );
    let two = Params { min: Some(2), ..year() };
    assert_eq!(
        report(&engine, "repeat_pupils_summary", &two).await,
        table(&[&["north", "sch01", "2", "5"], &["south", "sch02", "1", "2"]])
    );
    // All of time: B's incident of June 2025 makes B a repeat pupil too.
    assert_eq!(
        report(&engine, "repeat_pupils_summary", &Params::default()).await,
        table(&[&["north", "sch01", "2", "6"], &["south", "sch02", "0", "0"]])
    );
    let south = Params { hub: hub("south"), min: Some(2), ..year() };
    assert_eq!(report(&engine, "repeat_pupils_summary", &south).await, table(&[&["south", "sch02", "1", "2"]]));
    let sch01 = Params { school: school("sch01"), ..year() };
    assert_eq!(report(&engine, "repeat_pupils_summary", &sch01).await, table(&[&["north", "sch01", "1", "3"]]));
}

#[tokio::test]
async fn incident_timeliness_per_month_with_closures_at_the_30_day_edge() {
    let (_dir, engine) = open(events()).await;
    // October sch01: hours 0.5, 2, 10, 48 (median 6); INC-1 and INC-3 recorded the same
    // day, INC-1 and INC-2 referred to the DSL; INC-2 closed exactly 30 days on (in time),
    // INC-3 an hour after, INC-4 never. No row for December.
    assert_eq!(
        report(&engine, "incident_timeliness", &year()).await,
        table(&[
            &["2025-10", "sch01", "4", "6.0", "50.0", "50.0", "2"],
            &["2025-10", "sch02", "2", "2.0", "50.0", "0.0", "1"],
            &["2025-11", "sch01", "2", "3.5", "100.0", "0.0", "1"],
            &["2026-01", "sch01", "1", "0.0", "100.0", "100.0", "1"],
        ])
    );
    // As at the end of October, no October incident had had 30 days yet.
    let october = dates("2025-10-01", "2025-11-01");
    assert_eq!(
        report(&engine, "incident_timeliness", &october).await,
        table(&[
            &["2025-10", "sch01", "4", "6.0", "50.0", "50.0", "0"],
            &["2025-10", "sch02", "2", "2.0", "50.0", "0.0", "0"],
        ])
    );
    // As at 24 November 00:00: INC-1 (closed in time) and INC-2 (closed exactly at 30 days)
    // are not over; INC-3 (30 days on 19 November, closed an hour later) is; INC-4 reaches
    // 30 days 9 hours later, so not yet; sch02's INC-2 reached 30 days on 7 November, open.
    let to_24_nov = dates("2025-10-01", "2025-11-24");
    assert_eq!(
        report(&engine, "incident_timeliness", &to_24_nov).await,
        table(&[
            &["2025-10", "sch01", "4", "6.0", "50.0", "50.0", "1"],
            &["2025-10", "sch02", "2", "2.0", "50.0", "0.0", "1"],
            &["2025-11", "sch01", "2", "3.5", "100.0", "0.0", "0"],
        ])
    );
    let south = Params { hub: hub("south"), ..year() };
    assert_eq!(
        report(&engine, "incident_timeliness", &south).await,
        table(&[&["2025-10", "sch02", "2", "2.0", "50.0", "0.0", "1"]])
    );
}

#[tokio::test]
async fn incident_timeliness_counts_open_incidents_as_at_now_when_the_window_runs_on() {
    let at = |days: i64| (Utc::now() - Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let (forty, ten) = (at(40), at(10));
    let (_dir, engine) =
        open(vec![recorded(1, "sch01", "INC-1", A, &forty, &forty), recorded(2, "sch01", "INC-2", B, &ten, &ten)])
            .await;
    // With no window its end is 2200: the count is as at now. 40 days old and open is
    // over 30; 10 days old is not yet.
    let (month_40, month_10) = (&forty[..7], &ten[..7]);
    let expected = if month_40 == month_10 {
        vec![vec![month_40, "sch01", "2", "0.0", "100.0", "0.0", "1"]]
    } else {
        vec![
            vec![month_40, "sch01", "1", "0.0", "100.0", "0.0", "1"],
            vec![month_10, "sch01", "1", "0.0", "100.0", "0.0", "0"],
        ]
    };
    let expected: Vec<Vec<String>> =
        expected.into_iter().map(|r| r.into_iter().map(str::to_string).collect()).collect();
    assert_eq!(report(&engine, "incident_timeliness", &Params::default()).await, expected);
}

#[tokio::test]
async fn escalations_count_incidents_by_referral_kind_in_their_month() {
    let (_dir, engine) = open(events()).await;
    // INC-1's two police referrals count once; INC-4's social-care referral in December
    // counts in October, when it occurred; sch02's incidents had none (a row of zeros);
    // June 2025 is outside the year.
    assert_eq!(
        report(&engine, "escalations", &year()).await,
        table(&[
            &["2025-10", "sch01", "2", "1", "0", "0", "1"],
            &["2025-10", "sch02", "0", "0", "0", "0", "0"],
            &["2025-11", "sch01", "0", "0", "0", "1", "0"],
            &["2026-01", "sch01", "0", "0", "1", "0", "0"],
        ])
    );
    assert_eq!(
        report(&engine, "escalations", &Params::default()).await[0],
        table(&[&["2025-06", "sch01", "1", "0", "0", "0", "0"]])[0]
    );
    let north_autumn = Params { hub: hub("north"), ..dates("2025-11-01", "2026-01-01") };
    assert_eq!(
        report(&engine, "escalations", &north_autumn).await,
        table(&[&["2025-11", "sch01", "0", "0", "0", "1", "0"]])
    );
}
