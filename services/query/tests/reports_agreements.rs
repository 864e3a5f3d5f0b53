//! The agreement report (agreement_coverage) on a small hand-made trust, against answers
//! worked out by hand.

mod common;

use common::{dates, event, hub, open, report, table, year};
use safelake_query::reports::Params;
use serde_json::{json, Value};

const P1: &str = "p_0000000000000001";
const P2: &str = "p_0000000000000002";
const P3: &str = "p_0000000000000003";
const P4: &str = "p_0000000000000004";
const P5: &str = "p_0000000000000005";
const G1: &str = "g_0000000000000011";
const G2: &str = "g_0000000000000012";
const G3: &str = "g_0000000000000013";
const G4: &str = "g_0000000000000014";
const S1: &str = "s_0000000000000021";
const S2: &str = "s_0000000000000022";
const V1: &str = "v_0000000000000031";

fn pupil_aup(n: usize, school: &str, pupil: &str, year_group: u8, academic_year: &str, at: &str) -> Value {
    let data = json!({"agreement_type": "pupil_aup", "version": "v2", "signer_ref": pupil, "signer_role": "pupil",
        "year_group": year_group, "academic_year": academic_year, "signed_at": at});
    event(n, school, "agreement.signed", at, data)
}

fn parent_permission(n: usize, school: &str, parent: &str, child: &str, year_group: u8, at: &str) -> Value {
    let data = json!({"agreement_type": "parent_permission", "version": "v2", "signer_ref": parent,
        "signer_role": "parent", "pupil_ref": child, "year_group": year_group, "academic_year": "2025-26",
        "signed_at": at});
    event(n, school, "agreement.signed", at, data)
}

fn signed(n: usize, school: &str, kind: &str, signer: &str, role: &str, academic_year: &str, at: &str) -> Value {
    let data = json!({"agreement_type": kind, "version": "v2", "signer_ref": signer, "signer_role": role,
        "academic_year": academic_year, "signed_at": at});
    event(n, school, "agreement.signed", at, data)
}

fn withdrawn(n: usize, school: &str, kind: &str, signer: &str, academic_year: &str, at: &str) -> Value {
    let data =
        json!({"agreement_type": kind, "signer_ref": signer, "academic_year": academic_year, "withdrawn_at": at});
    event(n, school, "agreement.withdrawn", at, data)
}

fn census(n: usize, school: &str, date: &str, year_group: Option<u8>, headcount: u32) -> Value {
    let data = match year_group {
        Some(y) => json!({"census_date": date, "role": "pupil", "year_group": y, "headcount": headcount}),
        None => json!({"census_date": date, "role": "staff", "headcount": headcount}),
    };
    event(n, school, "roster.census", &format!("{date}T06:00:00Z"), data)
}

/// sch01 (North), on roll: year 7 95 in 2024-25; in 2025-26 year 7 100 from October and
/// 110 from the January census, year 8 90, staff 40.
/// 2025-26 signatures at sch01:
/// - pupil_aup, year 7: P1 (twice: a new version), P2, P3 (withdrawn in November), P4
///   (withdrawn in October, signed again after): P1, P2 and P4 count. Year 8: nobody.
/// - parent_permission: G1 and G2 both for P1 (one child), G3 for P2 (withdrawn), all
///   year 7; G4 for P5 in year 8.
/// - staff_aup: S1 and S2 (S2 withdrew a 2024-25 agreement, which leaves this one).
/// - visitor_aup: V1. home_learning_aup: P1 (not counted).
///
/// In 2024-25, P1 signed the pupil_aup in year 7.
/// sch02 (South): 200 in year 9; its own P1 signed the pupil_aup.
fn events() -> Vec<Value> {
    vec![
        census(1, "sch01", "2024-10-03", Some(7), 95),
        census(2, "sch01", "2025-10-02", Some(7), 100),
        census(3, "sch01", "2026-01-15", Some(7), 110),
        census(4, "sch01", "2025-10-02", Some(8), 90),
        census(5, "sch01", "2025-10-02", None, 40),
        census(6, "sch02", "2025-10-02", Some(9), 200),
        pupil_aup(10, "sch01", P1, 7, "2024-25", "2024-09-05T09:00:00Z"),
        pupil_aup(11, "sch01", P1, 7, "2025-26", "2025-09-05T09:00:00Z"),
        pupil_aup(12, "sch01", P1, 7, "2025-26", "2025-09-20T09:00:00Z"),
        pupil_aup(13, "sch01", P2, 7, "2025-26", "2025-09-06T09:00:00Z"),
        pupil_aup(14, "sch01", P3, 7, "2025-26", "2025-09-07T09:00:00Z"),
        withdrawn(15, "sch01", "pupil_aup", P3, "2025-26", "2025-11-01T09:00:00Z"),
        pupil_aup(16, "sch01", P4, 7, "2025-26", "2025-09-08T09:00:00Z"),
        withdrawn(17, "sch01", "pupil_aup", P4, "2025-26", "2025-10-01T09:00:00Z"),
        pupil_aup(18, "sch01", P4, 7, "2025-26", "2025-10-15T09:00:00Z"),
        parent_permission(20, "sch01", G1, P1, 7, "2025-09-05T18:00:00Z"),
        parent_permission(21, "sch01", G2, P1, 7, "2025-09-06T18:00:00Z"),
        parent_permission(22, "sch01", G3, P2, 7, "2025-09-06T18:00:00Z"),
        withdrawn(23, "sch01", "parent_permission", G3, "2025-26", "2025-10-01T18:00:00Z"),
        parent_permission(24, "sch01", G4, P5, 8, "2025-09-07T18:00:00Z"),
        signed(30, "sch01", "staff_aup", S1, "staff", "2025-26", "2025-09-01T08:00:00Z"),
        signed(31, "sch01", "staff_aup", S2, "staff", "2025-26", "2025-09-01T08:30:00Z"),
        withdrawn(32, "sch01", "staff_aup", S2, "2024-25", "2025-07-20T08:00:00Z"),
        signed(33, "sch01", "visitor_aup", V1, "visitor", "2025-26", "2025-11-11T10:00:00Z"),
        signed(34, "sch01", "home_learning_aup", P1, "pupil", "2025-26", "2025-09-05T10:00:00Z"),
        pupil_aup(40, "sch02", P1, 9, "2025-26", "2025-09-10T09:00:00Z"),
    ]
}

/// 2025-26 as worked out above: 3/110, 1/110 (0.9%), 1/90 (1.1%), 2/40, 1/200.
const YEAR_2025_26: &[&[&str]] = &[
    &["2025-26", "sch01", "parent", "7", "110", "1", "0.9"],
    &["2025-26", "sch01", "parent", "8", "90", "1", "1.1"],
    &["2025-26", "sch01", "pupil", "7", "110", "3", "2.7"],
    &["2025-26", "sch01", "pupil", "8", "90", "0", "0.0"],
    &["2025-26", "sch01", "staff", "NULL", "40", "2", "5.0"],
    &["2025-26", "sch01", "visitor", "NULL", "NULL", "1", "NULL"],
    &["2025-26", "sch02", "parent", "9", "200", "0", "0.0"],
    &["2025-26", "sch02", "pupil", "9", "200", "1", "0.5"],
];

#[tokio::test]
async fn agreement_coverage_counts_current_signers_against_the_years_latest_census() {
    let (_dir, engine) = open(events()).await;
    let year = year("2025-26");
    assert_eq!(report(&engine, "agreement_coverage", &year).await, table(YEAR_2025_26));
    // All of time adds 2024-25: P1's 1 of 95 (1.1%); no staff census that year, and S2's
    // withdrawal alone makes no row.
    let mut all = table(&[
        &["2024-25", "sch01", "parent", "7", "95", "0", "0.0"],
        &["2024-25", "sch01", "pupil", "7", "95", "1", "1.1"],
    ]);
    all.extend(table(YEAR_2025_26));
    assert_eq!(report(&engine, "agreement_coverage", &Params::default()).await, all);
    // A window selects the academic years that start in it.
    let autumn_2024 = dates("2024-08-01", "2024-12-01");
    assert_eq!(report(&engine, "agreement_coverage", &autumn_2024).await, all[..2].to_vec());
    let spring_2026 = dates("2026-01-01", "2026-06-01");
    assert!(report(&engine, "agreement_coverage", &spring_2026).await.is_empty());
    let south = Params { hub: hub("south"), ..year };
    assert_eq!(report(&engine, "agreement_coverage", &south).await, table(&YEAR_2025_26[6..]));
}
