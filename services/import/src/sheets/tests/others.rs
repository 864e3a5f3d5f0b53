//! A sign-off sheet and a census from CSV, compared whole with the events the contract
//! should get.

use safelake_schemas::events::*;

use super::*;
use crate::identities::Role;

pub const AGREEMENTS_LAYOUT: &str = r#"
kind = "agreements"
date_format = "%d/%m/%Y"
[columns]
signer = "Signed By"
agreement_type = "Agreement"
version = "Version"
signed_date = "Date Signed"
pupil = "Pupil"
[values.agreement_type]
"Pupil AUP" = "pupil_aup"
"Parent permission" = "parent_permission"
"Staff AUP" = "staff_aup"
[values.version]
"Sept 2025" = "2025.1"
"#;

pub fn agreements() -> Sheet {
    use Value::*;
    vec![
        texts(&["Signed By", "Agreement", "Version", "Date Signed", "Pupil"]),
        vec![Text("jsmith"), Text("Pupil AUP"), Text("2025.1"), DateTime(8, 9, 2025, 8, 30), Blank],
        vec![
            Text("parent.okafor@home.example"),
            Text("Parent permission"),
            Text("Sept 2025"),
            Date(10, 9, 2025),
            Text("mokafor"),
        ],
        vec![Text("tgreen"), Text("Staff AUP"), Number(2.0), Date(15, 7, 2025), Blank],
        vec![Text("lcarter"), Text("Staff AUP"), Text("2025.1"), Date(8, 9, 2025), Blank],
    ]
}

#[test]
fn a_sign_off_sheet_makes_one_agreement_per_signature() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_csv(dir.path(), "agreements.csv", &agreements());
    let people = people();
    let want = vec![
        EventData::AgreementSigned(AgreementSigned {
            agreement_type: AgreementType::PupilAup,
            version: "2025.1".into(),
            signer_ref: reference("jsmith"),
            signer_role: SignerRole::Pupil,
            pupil_ref: None,
            year_group: Some(9),
            academic_year: "2025-26".into(),
            signed_at: utc("2025-09-08T07:30:00Z"),
        }),
        // A parent the identity map does not list, for a pupil it does.
        EventData::AgreementSigned(AgreementSigned {
            agreement_type: AgreementType::ParentPermission,
            version: "2025.1".into(),
            signer_ref: people.unknown(Role::Parent, "parent.okafor@home.example"),
            signer_role: SignerRole::Parent,
            pupil_ref: Some(reference("mokafor")),
            year_group: Some(8),
            academic_year: "2025-26".into(),
            signed_at: utc("2025-09-09T23:00:00Z"),
        }),
        // Signed in July: the academic year that is ending.
        EventData::AgreementSigned(AgreementSigned {
            agreement_type: AgreementType::StaffAup,
            version: "2".into(),
            signer_ref: reference("tgreen"),
            signer_role: SignerRole::Staff,
            pupil_ref: None,
            year_group: None,
            academic_year: "2024-25".into(),
            signed_at: utc("2025-07-14T23:00:00Z"),
        }),
    ];
    assert_eq!(events(&path, &layout(AGREEMENTS_LAYOUT)), want);
    let (_, report) = import(&path, &layout(AGREEMENTS_LAYOUT));
    assert!(
        report.refused[0].ends_with(
            ":5: a staff_aup is signed by a member of staff, but the identity map says the signer is a pupil"
        ),
        "{:?}",
        report.refused
    );
}

pub const CENSUS_LAYOUT: &str = r#"
kind = "census"
date_format = "%d/%m/%Y"
[columns]
census_date = "Census Date"
role = "Role"
year_group = "Year Group"
headcount = "Headcount"
[values.role]
Pupils = "pupil"
"All staff" = "staff"
"#;

pub fn census() -> Sheet {
    use Value::*;
    vec![
        texts(&["Census Date", "Role", "Year Group", "Headcount"]),
        vec![Date(2, 10, 2025), Text("Pupils"), Text("Year 7"), Number(182.0)],
        vec![Date(2, 10, 2025), Text("Pupils"), Number(8.0), Text("1,076")],
        vec![Date(2, 10, 2025), Text("All staff"), Text("-"), Number(96.0)],
        vec![Date(2, 10, 2025), Text("Total"), Blank, Number(1354.0)],
    ]
}

#[test]
fn a_census_makes_a_headcount_per_year_group_and_one_for_staff() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_csv(dir.path(), "census.csv", &census());
    let date = chrono::NaiveDate::from_ymd_opt(2025, 10, 2).unwrap();
    let census =
        |role, year_group, headcount| EventData::Census(Census { census_date: date, role, year_group, headcount });
    let want = vec![
        census(CensusRole::Pupil, Some(7), 182),
        census(CensusRole::Pupil, Some(8), 1076),
        census(CensusRole::Staff, None, 96),
    ];
    assert_eq!(events(&path, &layout(CENSUS_LAYOUT)), want);
    let (_, report) = import(&path, &layout(CENSUS_LAYOUT));
    assert_eq!(unmapped(&report), [("role".to_string(), "Total".to_string())]);
}

#[test]
fn columns_the_sheet_lacks_are_named_with_those_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let mut sheet = census();
    for row in &mut sheet {
        row.remove(3);
        row.remove(1);
    }
    let path = write_csv(dir.path(), "census.csv", &sheet);
    let mut importer = Importer::new("sch01".parse().unwrap(), "sheet-census", people().event_ids());
    let error =
        import_sheet(&path, &layout(CENSUS_LAYOUT), &people(), SchoolClock::default(), &mut importer).unwrap_err();
    let want = format!("{} has no column \"Role\", \"Headcount\" that the layout reads; its columns are: \"Census Date\", \"Year Group\"", path.display());
    assert_eq!(error.to_string(), want);
}
