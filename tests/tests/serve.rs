//! The query service over HTTP, as a browser, a spreadsheet or a script would use it: on a
//! hand-made lake whose answers are written out here, and end to end (generate, publish to
//! a real nats-server, ingest, serve) where the API and the CSV must give the same numbers
//! and the totals must match what the generator sent.

use std::time::Duration;

use anyhow::Result;
use indicatif::ProgressBar;
use safelake_access::Role;
use safelake_generate::Options;
use safelake_ingest::consumer::caught_up;
use safelake_ingest::{Ingest, IngestOptions};
use safelake_lake::{Lake, LakeUrl, Partition};
use safelake_publish::{context, publish, Outgoing};
use safelake_query::reports::REPORTS;
use safelake_schemas::Trust;
use safelake_tests::lake::{commit_raw_file, event, write_events, TRUST};
use safelake_tests::{eventually, NatsServer};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

mod http;
use http::{csv_rows, Service};

fn incident(n: usize, school: &str, occurred: &str, category: &str) -> Value {
    event(
        n,
        school,
        "incident.recorded",
        occurred,
        json!({"incident_id": format!("INC-{n}"), "occurred_at": occurred, "subject_role": "pupil",
               "pupil_ref": "p_00000000000000aa", "year_group": 7, "category": category, "location": "in_school",
               "severity": "B", "illegal": false, "reported_by_role": "staff"}),
    )
}

fn census(n: usize, school: &str, headcount: u32) -> Value {
    let data = json!({"census_date": "2025-10-02", "role": "pupil", "year_group": 7, "headcount": headcount});
    event(n, school, "roster.census", "2025-10-02T06:00:00Z", data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_charts_and_pages_over_http_with_clear_refusals() -> Result<()> {
    let dir = tempfile::tempdir()?;
    write_events(
        &Lake::at(dir.path()).unwrap(),
        vec![
            census(1, "sch01", 200),
            census(2, "sch02", 400),
            incident(10, "sch01", "2025-10-03T10:00:00Z", "cyberbullying"),
            incident(11, "sch01", "2025-10-20T10:00:00Z", "cyberbullying"),
            incident(12, "sch01", "2025-11-05T10:00:00Z", "other"),
            incident(13, "sch02", "2025-10-07T10:00:00Z", "cyberbullying"),
        ],
    )
    .await;
    let service = Service::start(dir.path(), Trust::parse(TRUST)?).await?;
    let director = service.caller(Role::Director, None);
    let base = service.base.clone();

    let list = director.json(&format!("{base}/api/reports")).await?;
    let names: Vec<&str> = list["reports"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, REPORTS.iter().map(|r| r.name).collect::<Vec<_>>());
    let trends = &list["reports"][0];
    assert_eq!(trends["params"], json!(["from", "to", "school", "hub", "year", "term", "as_at"]));
    let columns: Vec<&str> =
        trends["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["month", "hub_id", "school_id", "category", "incidents", "pupils_on_roll", "rate_per_1000"]);

    // North only: sch01's 200 pupils, two incidents in October and one in November.
    let query = "year=2025-26&hub=north";
    let report = director.json(&format!("{base}/api/reports/incident_trends?{query}")).await?;
    assert_eq!(report["report"], "incident_trends");
    assert_eq!(report["columns"][6], "rate_per_1000");
    assert_eq!(
        report["rows"],
        json!([
            {"month": "2025-10", "hub_id": "north", "school_id": "sch01", "category": "cyberbullying", "incidents": 2,
             "pupils_on_roll": 200, "rate_per_1000": 10.0},
            {"month": "2025-11", "hub_id": "north", "school_id": "sch01", "category": "other", "incidents": 1,
             "pupils_on_roll": 200, "rate_per_1000": 5.0},
        ])
    );
    let (status, kind, body) = director.get(&format!("{base}/api/reports/incident_trends?{query}&format=csv")).await?;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let rows = csv_rows(&body);
    assert_eq!(rows[0], ["month", "hub_id", "school_id", "category", "incidents", "pupils_on_roll", "rate_per_1000"]);
    assert_eq!(rows[1][..6], ["2025-10", "north", "sch01", "cyberbullying", "2", "200"]);
    assert_eq!(rows[2][4].parse::<i64>()?, 1);
    assert_eq!(rows[2][6].parse::<f64>()?, 5.0);
    let (status, _, body) = director.get(&format!("{base}/api/reports/incident_trends?{query}&format=parquet")).await?;
    assert_eq!(status, 200);
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(body)?.build()?;
    assert_eq!(reader.map(|b| b.map(|b| b.num_rows())).sum::<Result<usize, _>>()?, 2);

    director.refused(&format!("{base}/api/reports/incident_trend"), 404, "incident_trends").await?;
    director
        .refused(&format!("{base}/api/reports/incident_trends?colour=red"), 400, "does not take \"colour\"")
        .await?;
    director.refused(&format!("{base}/api/reports/incident_trends?from=2025-13-01"), 400, "YYYY-MM-DD").await?;
    director.refused(&format!("{base}/api/reports/incident_trends?year=2025"), 400, "2025-26").await?;
    director
        .refused(&format!("{base}/api/reports/incident_trends?from=2026-01-01&to=2025-01-01"), 400, "must be before")
        .await?;
    director.refused(&format!("{base}/api/reports/incident_trends?school=sch99"), 400, "not in the trust").await?;
    director.refused(&format!("{base}/api/reports/incident_trends?school=sch02&hub=north"), 400, "not in hub").await?;
    director.refused(&format!("{base}/api/reports/incident_trends?format=xml"), 400, "json, csv, parquet").await?;
    director.refused(&format!("{base}/api/reports/repeat_pupils?min=0"), 400, "at least 1").await?;

    let (status, kind, svg) = director.get(&format!("{base}/charts/incident_trends.svg?{query}")).await?;
    let svg = String::from_utf8_lossy(&svg);
    assert_eq!((status, kind.as_str()), (200, "image/svg+xml"), "{svg}");
    for text in [
        "Incident trends by category",
        "2025-26 (September 2025 to August 2026) · North Hub",
        "cyberbullying",
        "2025-11",
    ] {
        assert!(svg.contains(text), "the chart should show {text:?}");
    }
    let (status, kind, png) = director.get(&format!("{base}/charts/incident_rates.png?year=2025-26")).await?;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert!(png.starts_with(b"\x89PNG"));
    director.refused(&format!("{base}/charts/nothing.svg"), 404, "incident_trends").await?;
    director.refused(&format!("{base}/charts/incident_trends.gif"), 404, ".svg or .png").await?;

    let (status, kind, page) = director.get(&format!("{base}/dashboards/hab/north?year=2025-26")).await?;
    // The template escapes `/` in attributes as `&#x2f;`, as HTML allows.
    let page = String::from_utf8_lossy(&page).replace("&#x2f;", "/");
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"), "{page}");
    assert!(
        page.contains("Online safety: North Hub") && page.contains("Ash Primary") && !page.contains("Birch Academy")
    );
    assert_eq!(page.matches("<svg").count(), 6, "the HAB page's six charts, inline");
    assert!(page.contains("/charts/incident_categories.png?year=2025-26&amp;hub=north"));
    // (SVG's xmlns is a name, not a request; the browser test watches the requests.)
    for reference in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(reference), "nothing from another host: {reference}");
    }
    let (status, _, page) = director.get(&format!("{base}/dashboards/trustees?year=2025-26")).await?;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("compared with 2024-25 (September 2024 to August 2025)"));
    assert!(page.contains("▲ 3"), "sch01 had 3 incidents against none the year before: {page}");
    let (status, _, _) = director.get(&format!("{base}/dashboards/school/sch01")).await?;
    assert_eq!(status, 200);
    director.refused(&format!("{base}/dashboards/hab/east"), 404, "no hub \"east\"").await?;
    director.refused(&format!("{base}/dashboards/school/sch99"), 404, "no school \"sch99\"").await?;
    director.refused(&format!("{base}/dashboards/hab/north?school=sch02"), 400, "not in hub").await?;
    director.refused(&format!("{base}/dashboards/school/sch01?school=sch02"), 400, "does not take \"school\"").await?;

    let (status, _, _) = director.get(&format!("{base}/healthz")).await?;
    assert_eq!(status, 200);
    let (_, _, metrics) = director.get(&format!("{base}/metrics")).await?;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains(r#"safelake_query_requests_total{route="/api/reports/{name}",status="400"}"#),
        "{metrics}"
    );
    service.stop().await
}

fn outgoing(event: &safelake_schemas::events::CloudEvent) -> Outgoing {
    Outgoing::event(event)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_trust_end_to_end_the_api_and_csv_agree_with_what_was_sent() -> Result<()> {
    let nats = NatsServer::start()?;
    let options = Options { schools: 3, hubs: 1, filter_events: 5_000, ..Options::default() };
    let events: Vec<_> = safelake_generate::events(&options).collect();
    let client = async_nats::connect(nats.url()).await?;
    let js = context(client.clone(), 2_000);
    let dir = tempfile::tempdir()?;
    let stop = CancellationToken::new();
    let mut ingest = IngestOptions::new(safelake_bus::NatsOptions::new(nats.url()), LakeUrl::dir(dir.path()));
    ingest.flush_age = Duration::from_millis(200);
    let ingest = Ingest::start(ingest, stop.clone()).await?;
    let summary = publish(&js, events.iter().map(outgoing), 2_000, &ProgressBar::hidden()).await?;
    assert_eq!(summary.failed, 0);
    let jetstream = async_nats::jetstream::new(client);
    eventually(Duration::from_secs(120), "the ingest to drain the stream", || {
        let js = jetstream.clone();
        async move { caught_up(&js, "ingest").await }
    })
    .await?;

    let service = Service::start(dir.path(), safelake_generate::trust(&options)).await?;
    let director = service.caller(Role::Director, None);
    let base = service.base.clone();
    for report in REPORTS {
        let url = format!("{base}/api/reports/{}?year=2025-26", report.name);
        let answer = director.json(&url).await?;
        let (status, _, csv) = director.get(&format!("{url}&format=csv")).await?;
        assert_eq!(status, 200);
        let csv = csv_rows(&csv);
        let columns: Vec<String> =
            answer["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
        assert_eq!(csv[0], columns, "{}", report.name);
        let rows = answer["rows"].as_array().unwrap();
        assert_eq!(csv.len() - 1, rows.len(), "{}: as many CSV rows as JSON rows", report.name);
        for (row, line) in rows.iter().zip(&csv[1..]) {
            for (column, cell) in columns.iter().zip(line) {
                same_value(&row[column], cell).unwrap_or_else(|e| panic!("{}.{column}: {e}", report.name));
            }
        }
    }

    // Totals against the events themselves, counted here from what was sent.
    let sent = |kind: &str, check: &dyn Fn(&Value) -> bool| {
        events
            .iter()
            .map(|e| e.to_value())
            .filter(|v| v["type"] == format!("uk.safeguarding.{kind}.v1") && check(&v["data"]))
            .count() as i64
    };
    let in_year = |at: &Value| at.as_str().is_some_and(|t| ("2025-09-01".."2026-09-01").contains(&&t[..10]));
    let total = |answer: &Value, column: &str| {
        answer["rows"].as_array().unwrap().iter().map(|r| r[column].as_i64().unwrap_or(0)).sum::<i64>()
    };
    let trends = director.json(&format!("{base}/api/reports/incident_trends?year=2025-26")).await?;
    let recorded = sent("incident.recorded", &|d| d["subject_role"] == "pupil" && in_year(&d["occurred_at"]));
    assert!(recorded > 0);
    assert_eq!(total(&trends, "incidents"), recorded);
    let blocked = director.json(&format!("{base}/api/reports/blocked_categories?year=2025-26")).await?;
    let sent_blocked = sent("filter.blocked", &|d| d["verdict"] == "blocked" && in_year(&d["occurred_at"]));
    assert!(sent_blocked > 0);
    assert_eq!(total(&blocked, "blocked"), sent_blocked);

    let trust = safelake_generate::trust(&options);
    let hab = format!("/dashboards/hab/{}", trust.hubs[0].id);
    let school = format!("/dashboards/school/{}", trust.schools[0].id);
    for page in ["/dashboards/trustees", &hab, &school, "/"] {
        let (status, _, body) = director.get(&format!("{base}{page}")).await?;
        assert_eq!(status, 200, "{page}: {}", String::from_utf8_lossy(&body));
    }
    service.stop().await?;
    stop.cancel();
    ingest.wait().await
}

/// A JSON value and a CSV cell say the same thing.
fn same_value(value: &Value, cell: &str) -> Result<(), String> {
    let same = match value {
        Value::Null => cell.is_empty(),
        Value::Bool(b) => cell == b.to_string(),
        Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
        Value::String(s) => s == cell || s.replace(' ', "T") == cell.replace(' ', "T"),
        other => return Err(format!("unexpected {other}")),
    };
    if same {
        Ok(())
    } else {
        Err(format!("JSON {value} but CSV {cell:?}"))
    }
}

/// A report that cannot be read does not take the page down: its item says it failed and
/// under which request id, the other items are drawn, and the audit trail records which
/// report failed and why, under that id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_report_leaves_the_rest_of_the_page() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let lake = Lake::at(dir.path()).unwrap();
    write_events(&lake, vec![census(1, "sch01", 200), incident(10, "sch01", "2025-10-03T10:00:00Z", "cyberbullying")])
        .await;
    // A file that is not Parquet committed to the agreements of October: only the
    // acceptable use agreements table reads it.
    let october = Partition::school_month("sch01", "2025-10");
    commit_raw_file(&lake, "agreement_events", &october, b"not a parquet file").await;
    let service = Service::start(dir.path(), Trust::parse(TRUST)?).await?;
    let director = service.caller(Role::Director, None);

    let (status, _, page) = director.get("/dashboards/hab/north?year=2025-26").await?;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches("<svg").count(), 6, "the other items are drawn: {page}");
    assert_eq!(page.matches("<h3>").count(), 13, "every item of the page keeps its place: {page}");
    assert_eq!(page.matches("could not be produced").count(), 1, "{page}");
    // In the agreements' section, saying why.
    let failed = page.find("could not be produced").unwrap();
    let section = page.find("Acceptable use agreements</h2>").unwrap();
    let next = page.find("Timeliness and escalation</h2>").unwrap();
    assert!(section < failed && failed < next, "{page}");
    // The page says a request id to quote, never the error itself (file names, plans).
    let said = &page[failed..next];
    assert!(!said.contains("Corrupt footer") && !said.contains(".parquet"), "the error is not shown: {said}");
    let id = said.split("request id ").nth(1).and_then(|rest| rest.split(')').next()).expect("a request id");
    assert_eq!(id.len(), 12, "{said}");

    let (status, _, trail) =
        director.sql("SELECT status, outcome, message FROM audit_log WHERE kind = 'page'", "").await?;
    assert_eq!(status, 200);
    let trail: Value = serde_json::from_slice(&trail)?;
    let record = &trail["rows"][0];
    assert_eq!((&record["status"], &record["outcome"]), (&json!(200), &json!("ok")), "{trail}");
    let message = record["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("reports that failed: agreement_coverage: "), "{message}");
    // The trail has the error in full, under the id the page gave.
    assert!(message.contains(&format!("request id {id}: ")) && message.contains("Corrupt footer"), "{message}");
    service.stop().await
}
