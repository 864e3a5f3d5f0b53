//! Reports on a small hand-made trust, against answers worked out by hand (not by the
//! report's own SQL).

mod common;

use common::{dates, event, hub, school, to_rows, write_lake, year, Rows, TRUST};
use safelake_lake::Lake;
use safelake_query::reports::{run, Params};
use safelake_query::Engine;
use safelake_schemas::Trust;
use serde_json::{json, Value};

fn incident(n: usize, school: &str, pupil: &str, occurred: &str, category: &str) -> Value {
    let data = json!({"incident_id": format!("INC-{n}"), "occurred_at": occurred, "subject_role": "pupil",
        "pupil_ref": pupil, "year_group": 7, "category": category, "location": "in_school", "severity": "B",
        "illegal": false, "reported_by_role": "staff"});
    event(n, school, "incident.recorded", occurred, data)
}

fn census(n: usize, school: &str, date: &str, year_group: u8, headcount: u32) -> Value {
    let data = json!({"census_date": date, "role": "pupil", "year_group": year_group, "headcount": headcount});
    event(n, school, "roster.census", &format!("{date}T06:00:00Z"), data)
}

const A: &str = "p_00000000000000aa";
const B: &str = "p_00000000000000bb";

/// sch01 (North): 300 pupils from October (200 in year 7, 100 in year 8), 350 from the
/// January census (year 7 grows to 250). Pupil A has three incidents, B two (one of them
/// re-categorised by an amendment). sch02 (South): 500 pupils; the reference A there is
/// another child, with one incident. A staff incident never counts as a pupil's.
async fn trust() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    write_lake(
        &Lake::at(dir.path()).unwrap(),
        vec![
            census(1, "sch01", "2025-10-02", 7, 200),
            census(2, "sch01", "2025-10-02", 8, 100),
            census(3, "sch01", "2026-01-15", 7, 250),
            census(4, "sch02", "2025-10-02", 9, 500),
            incident(10, "sch01", A, "2025-10-03T10:00:00Z", "cyberbullying"),
            incident(11, "sch01", A, "2025-10-20T10:00:00Z", "cyberbullying"),
            incident(12, "sch01", A, "2026-01-20T10:00:00Z", "account_misuse"),
            incident(13, "sch01", B, "2025-10-05T10:00:00Z", "cyberbullying"),
            incident(14, "sch01", B, "2025-11-05T10:00:00Z", "other"),
            event(
                15,
                "sch01",
                "incident.amended",
                "2025-11-06T10:00:00Z",
                json!({"incident_id": "INC-14", "amended_at": "2025-11-06T10:00:00Z", "category": "filtering_bypass"}),
            ),
            event(
                16,
                "sch01",
                "incident.recorded",
                "2025-10-06T10:00:00Z",
                json!({"incident_id": "INC-16", "occurred_at": "2025-10-06T09:00:00Z", "subject_role": "staff",
                         "staff_ref": "s_00000000000000cc", "category": "data_protection", "location": "in_school",
                         "severity": "misconduct", "illegal": false, "reported_by_role": "staff"}),
            ),
            incident(17, "sch02", A, "2025-10-07T10:00:00Z", "cyberbullying"),
        ],
    )
    .await;
    let engine = Engine::open(&Lake::at(dir.path()).unwrap(), &Trust::parse(TRUST).unwrap()).await.unwrap();
    (dir, engine)
}

async fn report(engine: &Engine, name: &str, params: Params) -> Rows {
    to_rows(run(&engine.query(), name, &params).await.unwrap())
}

fn table(rows: &[&[&str]]) -> Rows {
    rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[tokio::test]
async fn incident_trends_count_amended_categories_with_rates_on_the_roll_at_month_end() {
    let (_dir, engine) = trust().await;
    let year = year("2025-26");
    assert_eq!(
        report(&engine, "incident_trends", year.clone()).await,
        table(&[
            &["2025-10", "north", "sch01", "cyberbullying", "3", "300", "10.0"],
            &["2025-10", "south", "sch02", "cyberbullying", "1", "500", "2.0"],
            &["2025-11", "north", "sch01", "filtering_bypass", "1", "300", "3.33"],
            &["2026-01", "north", "sch01", "account_misuse", "1", "350", "2.86"],
        ])
    );
    let south = Params { hub: hub("south"), ..year.clone() };
    assert_eq!(
        report(&engine, "incident_trends", south).await,
        table(&[&["2025-10", "south", "sch02", "cyberbullying", "1", "500", "2.0"]])
    );
    let november = dates("2025-11-01", "2025-12-01");
    assert_eq!(
        report(&engine, "incident_trends", november).await,
        table(&[&["2025-11", "north", "sch01", "filtering_bypass", "1", "300", "3.33"]])
    );
    let previous_year = common::year("2024-25");
    assert!(report(&engine, "incident_trends", previous_year).await.is_empty());
}

#[tokio::test]
async fn incident_categories_count_whole_terms_across_each_hub() {
    let (_dir, engine) = trust().await;
    // Autumn: sch01's 3 cyberbullying and its amended filtering_bypass (north), sch02's
    // cyberbullying (south); spring: the account misuse. The staff incident never counts.
    assert_eq!(
        report(&engine, "incident_categories", year("2025-26")).await,
        table(&[
            &["2025-26 autumn", "north", "cyberbullying", "3"],
            &["2025-26 autumn", "north", "filtering_bypass", "1"],
            &["2025-26 autumn", "south", "cyberbullying", "1"],
            &["2025-26 spring", "north", "account_misuse", "1"],
        ])
    );
    let north = Params { hub: hub("north"), ..dates("2025-09-01", "2026-04-01") };
    assert_eq!(
        report(&engine, "incident_categories", north).await,
        table(&[
            &["2025-26 autumn", "north", "cyberbullying", "3"],
            &["2025-26 autumn", "north", "filtering_bypass", "1"],
            &["2025-26 spring", "north", "account_misuse", "1"],
        ])
    );
    // A window that covers part of a term counts none of it: October to March holds all
    // of spring and part of autumn.
    assert_eq!(
        report(&engine, "incident_categories", dates("2025-10-01", "2026-04-01")).await,
        table(&[&["2025-26 spring", "north", "account_misuse", "1"]])
    );
    assert!(report(&engine, "incident_categories", dates("2025-10-01", "2025-12-01")).await.is_empty());
}

#[tokio::test]
async fn repeat_pupils_at_exactly_the_threshold_and_per_school() {
    let (_dir, engine) = trust().await;
    let year = year("2025-26");
    let got = report(&engine, "repeat_pupils", year.clone()).await;
    assert_eq!(
        got,
        table(&[&["sch01", A, "3", "account_misuse, cyberbullying", "2025-10-03T10:00:00Z", "2026-01-20T10:00:00Z"]])
    );
    let two = Params { min: Some(2), ..year.clone() };
    let got: Vec<(String, String, String)> = report(&engine, "repeat_pupils", two)
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(got, vec![("sch01".into(), A.into(), "3".into()), ("sch01".into(), B.into(), "2".into())]);
    let sch02 = Params { min: Some(1), school: school("sch02"), ..year };
    assert_eq!(report(&engine, "repeat_pupils", sch02).await.len(), 1);
}

#[tokio::test]
async fn bad_parameters_are_explained() {
    let (_dir, engine) = trust().await;
    let ctx = engine.context();
    let message = |r: anyhow::Result<_>| format!("{:#}", r.err().unwrap());
    assert!(message(run(ctx, "incident_trend", &Params::default()).await)
        .contains("reports: incident_trends, repeat_pupils"));
}
