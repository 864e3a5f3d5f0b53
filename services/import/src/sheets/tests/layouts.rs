//! Layout files: the shipped examples read, mistakes are named, and the samples import to
//! the counts their README gives.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::sheets::{read_layout, Kind};

#[test]
fn mistakes_in_a_layout_are_named_before_any_row_is_read() {
    let error = |text: &str| Layout::parse("x.toml", text).unwrap_err().to_string();
    let census =
        "kind = \"census\"\n[columns]\nrole = \"Role\"\nheadcount = \"N\"\n[defaults]\ncensus_date = 2025-10-02\n";
    assert!(Layout::parse("x.toml", census).is_ok());
    assert_eq!(
        error("kind = \"exclusions\""),
        "layout file x.toml: kind = \"exclusions\": give incidents, agreements or census"
    );
    let stray = error(&census.replace("[defaults]", "year = \"Y\"\n[defaults]"));
    assert!(
        stray.starts_with(
            "layout file x.toml: [columns] has \"year\", which this kind of sheet does not read (it reads census_date,"
        ),
        "{stray}"
    );
    let wrong = error(&format!("{census}[values.role]\nTeachers = \"teacher\"\n"));
    assert_eq!(wrong, "layout file x.toml: [values.role] \"Teachers\" = \"teacher\": give one of pupil, staff");
    assert!(error(&census.replace("headcount = \"N\"\n", "")).contains("[columns] needs headcount"));
    assert!(error(&format!("date_format = \"%d/%Y %J\"\n{census}"))
        .contains("date_format = \"%d/%Y %J\" is not a chrono format"));
    assert!(
        error(&census.replace("census_date = 2025-10-02", "census_date = \"soon\"")).contains("[defaults] census_date")
    );
    let incidents = include_str!("../../../layouts/incidents-example.toml");
    assert!(error(&incidents.replace("outcome = \"Outcome\"", "")).contains("closed_date and outcome go together"));
}

fn sample_people() -> Pseudonymiser {
    let map = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/identities.csv")).unwrap();
    Pseudonymiser::new(SchoolKey::from_bytes([7; 32]), IdentityMap::read(map.as_slice()).unwrap())
}

/// Events per type, the refused rows and the unmapped values, as the samples' README
/// gives them.
struct Counts {
    events: BTreeMap<&'static str, u64>,
    refused: Vec<String>,
    unmapped: Vec<(String, String)>,
}

fn sample(layout_name: &str, sheet: &str) -> Counts {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layout = read_layout(&root.join("layouts").join(layout_name)).unwrap();
    let mut importer = Importer::new("sch01".parse().unwrap(), layout.source(), sample_people().event_ids());
    let path = root.join("samples/sheets").join(sheet);
    import_sheet(&path, &layout, &sample_people(), SchoolClock::default(), &mut importer).unwrap();
    let prefix = format!("{}:", path.display());
    let refused = importer.report.refused.iter().map(|line| line.trim_start_matches(&prefix).to_string()).collect();
    Counts { events: importer.report.events.clone(), refused, unmapped: unmapped(&importer.report) }
}

fn pair(kind: &str, value: &str) -> (String, String) {
    (kind.to_string(), value.to_string())
}

#[test]
fn the_sample_incident_log_imports_as_its_readme_says() {
    let Counts { events, refused, unmapped } = sample("incidents-example.toml", "incidents.csv");
    let want = BTreeMap::from([
        ("uk.safeguarding.incident.action_taken.v1", 10),
        ("uk.safeguarding.incident.closed.v1", 4),
        ("uk.safeguarding.incident.recorded.v1", 8),
    ]);
    assert_eq!(events, want);
    assert_eq!(
        refused,
        [
            r#"9: category "Hacking" is not in the mapping: add it to [values.category] in the layout"#,
            r#"10: no date: the "Date" cell is empty"#,
        ]
    );
    assert_eq!(unmapped, [pair("actions", "Prevent referral"), pair("category", "Hacking")]);
}

#[test]
fn the_sample_sign_off_sheet_imports_as_its_readme_says() {
    let Counts { events, refused, unmapped } = sample("agreements-example.toml", "agreements.csv");
    assert_eq!(events, BTreeMap::from([("uk.safeguarding.agreement.signed.v1", 8)]));
    assert_eq!(
        refused,
        [
            r#"10: the signer in "Signed By" is not in the identity map (a pupil's year group is needed): export a fresh identity map"#,
            "11: a staff_aup is signed by a member of staff, but the identity map says the signer is a pupil",
            r#"12: agreement_type "Photo consent" is not in the mapping: add it to [values.agreement_type] in the layout"#,
        ]
    );
    assert_eq!(unmapped, [pair("agreement_type", "Photo consent")]);
}

#[test]
fn the_sample_census_imports_as_its_readme_says() {
    let Counts { events, refused, unmapped } = sample("census-example.toml", "census.csv");
    assert_eq!(events, BTreeMap::from([("uk.safeguarding.roster.census.v1", 8)]));
    assert_eq!(
        refused,
        [
            r#"9: year group "Nursery" is not R or 0-13"#,
            r#"11: role "Total" is not in the mapping: add it to [values.role] in the layout"#,
        ]
    );
    assert_eq!(unmapped, [pair("role", "Total")]);
}

#[test]
fn the_shipped_layouts_read_as_their_kinds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts");
    for (file, kind) in [
        ("incidents-example.toml", Kind::Incidents),
        ("agreements-example.toml", Kind::Agreements),
        ("census-example.toml", Kind::Census),
    ] {
        let layout = read_layout(&root.join(file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(layout.kind(), kind);
        assert_eq!(layout.source(), format!("sheet-{}", kind.name()));
    }
}
