//! An incident log from CSV, compared whole with the events the contract should get, and
//! imported again as it would be exported again.

use safelake_schemas::events::*;

use super::*;

pub const INCIDENTS_LAYOUT: &str = r#"
kind = "incidents"
date_format = "%d/%m/%Y"
[columns]
incident_id = "Ref"
date = "When"
time = "Time"
subject = "Who"
category = "Category"
severity = "Severity"
location = "Where"
reported_by = "Reported By"
illegal = "Illegal"
actions = "Actions"
action_date = "Action Date"
closed_date = "Closed"
outcome = "Outcome"
[defaults]
location = "in_school"
[values.category]
"Cyber bullying" = "cyberbullying"
"Data breach" = "data_protection"
[values.severity]
"Cat B" = "B"
[values.location]
"In school" = "in_school"
[values.reported_by]
Teacher = "staff"
[values.actions]
"Parents informed" = "parents_informed"
Sanction = "sanction_issued"
[values.outcome]
Resolved = "resolved"
"#;

pub fn incidents() -> Sheet {
    use Value::*;
    let header = texts(&[
        "Ref",
        "When",
        "Time",
        "Who",
        "Category",
        "Severity",
        "Where",
        "Reported By",
        "Illegal",
        "Actions",
        "Action Date",
        "Closed",
        "Outcome",
    ]);
    vec![
        header,
        vec![
            Text("INC-1"),
            Date(6, 10, 2025),
            Time(10, 15),
            Text("jsmith"),
            Text("Cyber bullying"),
            Text("Cat B"),
            Text("In school"),
            Text("Teacher"),
            Text("No"),
            Text("Parents informed; Sanction; Prevent referral"),
            Date(7, 10, 2025),
            Date(13, 10, 2025),
            Text("Resolved"),
        ],
        vec![
            Text("INC-2"),
            DateTime(10, 11, 2025, 11, 30),
            Blank,
            Text("tgreen@school.example"),
            Text("Data breach"),
            Text("misconduct"),
            Blank,
            Text("Teacher"),
            Text("Yes"),
            Blank,
            Blank,
            Blank,
            Blank,
        ],
        vec![
            Text("INC-3"),
            Date(1, 12, 2025),
            Time(10, 0),
            Text("lcarter"),
            Text("Hacking"),
            Text("Cat B"),
            Text("In school"),
            Text("Teacher"),
            Text("No"),
            Blank,
            Blank,
            Blank,
            Blank,
        ],
    ]
}

#[test]
fn an_incident_log_makes_the_incident_its_actions_and_its_closure() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_csv(dir.path(), "incidents.csv", &incidents());
    let recorded = |id: &str, at, role, who: &str, category, severity, illegal| IncidentRecorded {
        incident_id: id.into(),
        occurred_at: utc(at),
        subject_role: role,
        pupil_ref: (role == SubjectRole::Pupil).then(|| reference(who)),
        staff_ref: (role == SubjectRole::Staff).then(|| reference(who)),
        year_group: (role == SubjectRole::Pupil).then_some(9),
        category,
        location: Location::InSchool,
        severity,
        illegal,
        reported_by_role: ReportedByRole::Staff,
    };
    // British summer time until 26 October: 10:15 at school is 09:15 UTC, and the
    // action date's local midnight is 23:00 the day before.
    let action =
        |action| IncidentActionTaken { incident_id: "INC-1".into(), action, taken_at: utc("2025-10-06T23:00:00Z") };
    let want = vec![
        EventData::IncidentRecorded(recorded(
            "INC-1",
            "2025-10-06T09:15:00Z",
            SubjectRole::Pupil,
            "jsmith",
            IncidentCategory::Cyberbullying,
            Severity::B,
            false,
        )),
        EventData::IncidentActionTaken(action(IncidentAction::ParentsInformed)),
        EventData::IncidentActionTaken(action(IncidentAction::SanctionIssued)),
        EventData::IncidentClosed(IncidentClosed {
            incident_id: "INC-1".into(),
            closed_at: utc("2025-10-12T23:00:00Z"),
            outcome: IncidentOutcome::Resolved,
        }),
        EventData::IncidentRecorded(recorded(
            "INC-2",
            "2025-11-10T11:30:00Z",
            SubjectRole::Staff,
            "tgreen",
            IncidentCategory::DataProtection,
            Severity::Misconduct,
            true,
        )),
    ];
    assert_eq!(events(&path, &layout(INCIDENTS_LAYOUT)), want);

    let (ready, report) = import(&path, &layout(INCIDENTS_LAYOUT));
    assert_eq!(ready.len(), 5);
    assert_eq!(
        report.refused,
        [format!(
            "{}:4: category \"Hacking\" is not in the mapping: add it to [values.category] in the layout",
            path.display()
        )]
    );
    let unmapped_values =
        [("actions".to_string(), "Prevent referral".to_string()), ("category".into(), "Hacking".into())];
    assert_eq!(unmapped(&report), unmapped_values);
}

#[test]
fn a_severity_for_the_other_role_and_an_unknown_pupil_are_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let mut sheet = incidents();
    sheet[1][5] = Value::Text("misconduct");
    sheet[2][3] = Value::Text("nobody");
    sheet.truncate(3);
    let path = write_csv(dir.path(), "incidents.csv", &sheet);
    let (ready, report) = import(&path, &layout(INCIDENTS_LAYOUT));
    assert!(ready.is_empty());
    assert!(report.refused[0].ends_with(":2: severity \"misconduct\" reads as misconduct, but the subject is a pupil, whose incidents are graded A, B or C"), "{:?}", report.refused);
    assert!(
        report.refused[1]
            .ends_with(":3: the person in \"Who\" is not in the identity map: export a fresh identity map"),
        "{:?}",
        report.refused
    );
}

#[test]
fn importing_twice_or_an_overlapping_export_publishes_the_same_ids() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_csv(dir.path(), "first.csv", &incidents());
    let (once, _) = import(&first, &layout(INCIDENTS_LAYOUT));
    let (twice, _) = import(&first, &layout(INCIDENTS_LAYOUT));
    assert_eq!(once, twice);
    // A later export: a new incident above, INC-2 now closed. What was said before keeps
    // its id; only the new incident and the closure are new.
    let mut later = incidents();
    let mut new = later[3].clone();
    new[0] = Value::Text("INC-0");
    new[4] = Value::Text("Cyber bullying");
    later.insert(1, new);
    later[3][11] = Value::Date(1, 12, 2025);
    later[3][12] = Value::Text("Resolved");
    let second = write_csv(dir.path(), "second.csv", &later);
    let (again, _) = import(&second, &layout(INCIDENTS_LAYOUT));
    let ids = |ready: &[Ready]| ready.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let (before, after) = (ids(&once), ids(&again));
    let new_ids: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    assert!(before.iter().all(|id| after.contains(id)));
    assert_eq!(new_ids.len(), 2, "the new incident and the closure");
}
