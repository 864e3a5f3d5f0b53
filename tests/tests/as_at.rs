//! Reports and pages as the lake stood at a moment, over HTTP: the figures a board was
//! given, produced again after the lake has changed; and the rules on the moment itself.

use anyhow::Result;
use safelake_access::Role;
use safelake_lake::Lake;
use safelake_schemas::Trust;
use safelake_tests::lake::{incident, incidents_lake, write_commit, TRUST};

mod http;
use http::Service;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_and_a_page_as_at_a_moment_do_not_change_when_the_lake_does() -> Result<()> {
    let dir = incidents_lake().await;
    let moment = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // After the moment: five more incidents at sch01, in November.
    let later = (0..5).map(|i| incident(500 + i, "sch01", 40 + i, "2025-11-03T10:00:00Z", "other")).collect();
    write_commit(&Lake::at(dir.path())?, 1_000, later).await;

    let service = Service::start(dir.path(), Trust::parse(TRUST)?).await?;
    let director = service.caller(Role::Director, None);
    let at = moment.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let query = format!("year=2025-26&school=sch01&as_at={}", urlencode(&at));
    let then = director.json(&format!("/api/reports/school_summary?{query}")).await?;
    let now = director.json("/api/reports/school_summary?year=2025-26&school=sch01").await?;
    assert_eq!(then["rows"][0]["incidents"], 10, "{then}");
    assert_eq!(now["rows"][0]["incidents"], 15, "{now}");

    let page_query = format!("year=2025-26&as_at={}", urlencode(&at));
    let (status, _, page) = director.get(&format!("/dashboards/school/sch01?{page_query}")).await?;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("as the lake stood at"), "the page says which moment it shows");

    // The director's own SQL reads the lake as it stood too, and the trail keeps the moment.
    let count = "SELECT count(*) AS n FROM incident_events WHERE school_id = 'sch01'";
    let sql_at = |query: String| {
        let director = &director;
        async move {
            let (status, _, body) = director.sql(count, &query).await?;
            anyhow::ensure!(status == 200, "{}", String::from_utf8_lossy(&body));
            Ok::<_, anyhow::Error>(serde_json::from_slice::<serde_json::Value>(&body)?["rows"][0]["n"].clone())
        }
    };
    assert_eq!(sql_at(format!("?as_at={}", urlencode(&at))).await?, 10);
    assert_eq!(sql_at(String::new()).await?, 15);
    let (status, _, body) = director.sql(count, "?as_at=2999-01-01T00:00:00Z").await?;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = director.sql(count, "?as_at=yesterday").await?;
    assert!(status == 400 && String::from_utf8_lossy(&body).contains("RFC 3339"), "{}", String::from_utf8_lossy(&body));
    let (status, _, trail) = director
        .sql("SELECT detail FROM audit_log WHERE kind = 'sql' AND detail LIKE '-- as_at %' AND status = 200", "")
        .await?;
    assert_eq!(status, 200);
    let trail: serde_json::Value = serde_json::from_slice(&trail)?;
    let as_at: safelake_period::AsAt = at.parse()?;
    assert_eq!(trail["rows"][0]["detail"], format!("-- as_at {as_at}\n{count}"), "{trail}");

    // A moment to come, or one not written as one, is refused with what to write.
    director.refused("/api/reports/school_summary?as_at=2999-01-01T00:00:00Z", 400, "in the future").await?;
    director.refused("/api/reports/school_summary?as_at=2026-03-12", 400, "2026-03-12T18:00:00Z").await?;
    // Governance roles read the lake as it stood at the start of a day only: two moments
    // a second apart would give back the events ingested between them.
    let hab = service.caller(Role::Hab, Some("north"));
    hab.refused(&format!("/api/reports/school_summary?year=2025-26&as_at={}", urlencode(&at)), 400, "00:00 UTC")
        .await?;
    let midnight = format!("{}T00:00:00Z", moment.date_naive());
    let before_any = hab.json(&format!("/api/reports/school_summary?year=2025-26&as_at={midnight}")).await?;
    assert_eq!(before_any["rows"][0]["incidents"], 0, "nothing had been ingested at midnight: {before_any}");
    Ok(())
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}
