//! The director's SQL over the PostgreSQL protocol, with the real `psql` (Debian's
//! postgresql-client, which scripts/setup installs): it signs in with a token, lists the
//! tables, runs a report's query and gets the same numbers as the HTTP API, is refused
//! DDL, COPY and engine settings, and a runaway query is stopped while another client's
//! query is answered. Every statement lands in the audit trail.

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use anyhow::Result;
use safelake_access::Role;
use safelake_schemas::Trust;
use safelake_tests::lake::{incidents_lake, TRUST};
use serde_json::{json, Value};

mod http;
use http::{message, Service};

/// `psql` as a person runs it: the token's name as user, the token as password.
async fn psql(addr: SocketAddr, user: &str, password: &str, sql: &str) -> Result<Output> {
    let connection =
        format!("host={} port={} user='{user}' dbname=safelake connect_timeout=10", addr.ip(), addr.port());
    let output = tokio::process::Command::new("psql")
        .args([
            &connection,
            "--no-psqlrc",
            "--no-align",
            "--tuples-only",
            "--field-separator=|",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(["-c", sql])
        .env("PGPASSWORD", password)
        .env_remove("PGSERVICE")
        .kill_on_drop(true)
        .output()
        .await?;
    Ok(output)
}

fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn err(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_signs_in_reads_the_lake_and_is_held_to_read_only_bounded_sql() -> Result<()> {
    let dir = incidents_lake().await;
    let service = Service::start_with(dir.path(), Trust::parse(TRUST)?, |o| {
        o.pg_addr = Some("127.0.0.1:0".parse().unwrap());
        o.sql_limits.time = Duration::from_secs(10);
        o.sql_limits.rows = 100;
    })
    .await?;
    let addr = service.pg_addr().expect("the endpoint was asked for");
    let (user, token) = service.token(Role::Director, None);

    // It lists the lake's tables, as \dt does in an interactive session.
    let listed = psql(addr, &user, &token, r"\dt").await?;
    assert!(listed.status.success(), "{}", err(&listed));
    for table in ["incident_events", "filter_events", "roster_events", "rejects", "audit_log", "schools"] {
        assert!(out(&listed).lines().any(|l| l.split('|').nth(1) == Some(table)), "{table} in:\n{}", out(&listed));
    }

    // A report's figures, by SQL, equal the report over HTTP.
    let sql = "SELECT school_id, category, count(*) AS incidents FROM incidents GROUP BY 1, 2 ORDER BY 1, 2";
    let answer = psql(addr, &user, &token, sql).await?;
    assert!(answer.status.success(), "{}", err(&answer));
    assert_eq!(out(&answer), "sch01|cyberbullying|3\nsch01|other|7\nsch02|cyberbullying|12");
    let director = service.caller(Role::Director, None);
    let report = director.json("/api/reports/incident_trends?year=2025-26").await?;
    let http: Vec<String> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}|{}|{}", r["school_id"].as_str().unwrap(), r["category"].as_str().unwrap(), r["incidents"]))
        .collect();
    assert_eq!(http.join("\n"), out(&answer));

    // Read-only, with messages that say what runs.
    for (sql, says) in [
        ("DROP TABLE incident_events", "read-only"),
        ("COPY incident_events TO STDOUT", "read-only"),
        ("CREATE TABLE copy AS SELECT * FROM incident_events", "read-only"),
        ("SET datafusion.execution.batch_size = 1", "engine's settings"),
        ("SELECT * FROM generate_series(1, 1000)", "more than 100 rows"),
    ] {
        let refused = psql(addr, &user, &token, sql).await?;
        assert!(!refused.status.success(), "{sql} ran: {}", out(&refused));
        assert!(err(&refused).contains(says), "{sql}: {}", err(&refused));
    }
    let still = psql(addr, &user, &token, "SELECT count(*) FROM incident_events").await?;
    assert_eq!(out(&still), "22", "the tables are all still there: {}", err(&still));

    // A wrong token, and a token of a role that does not run SQL, do not get in.
    let wrong = psql(addr, &user, &format!("{token}x"), "SELECT 1").await?;
    assert!(err(&wrong).to_lowercase().contains("password authentication failed"), "{}", err(&wrong));
    let (trustee, trustee_token) = service.token(Role::Trustee, None);
    let governor = psql(addr, &trustee, &trustee_token, "SELECT 1").await?;
    assert!(err(&governor).contains("only the director runs SQL"), "{}", err(&governor));

    // A runaway query is stopped by the time limit; another client is answered meanwhile.
    // (The limit is 10 s: the other answer takes well under a second, with room for a
    // loaded machine.)
    let runaway =
        "SELECT sum(a.value * b.value) FROM generate_series(1, 1000) a CROSS JOIN generate_series(1, 1000000000) b";
    let slow = tokio::spawn({
        let (user, token) = (user.clone(), token.clone());
        async move { psql(addr, &user, &token, runaway).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let other = psql(addr, &user, &token, "SELECT count(*) FROM incidents").await?;
    assert!(!slow.is_finished(), "the other query was answered while the runaway one still ran");
    assert_eq!(out(&other), "22", "{}", err(&other));
    let stopped = slow.await??;
    assert!(!stopped.status.success());
    assert!(err(&stopped).contains("ran for more than 10 s and was stopped"), "{}", err(&stopped));

    // Each statement and sign-in over the wire is in the audit trail.
    let (status, _, body) = director
        .sql("SELECT kind, detail, status, outcome FROM audit_log WHERE via = 'pgwire' ORDER BY at", "")
        .await?;
    assert_eq!(status, 200, "{}", message(&body));
    let trail: Value = serde_json::from_slice(&body)?;
    let rows = trail["rows"].as_array().unwrap();
    let find = |detail: &str| rows.iter().find(|r| r["detail"].as_str().is_some_and(|d| d.starts_with(detail)));
    assert_eq!(find("DROP TABLE").map(|r| r["status"].clone()), Some(json!(403)), "{rows:#?}");
    assert_eq!(find(runaway).map(|r| r["status"].clone()), Some(json!(422)));
    let answered = find("SELECT school_id, category").expect("the report query is recorded");
    assert_eq!(answered["outcome"], "ok");
    let sign_ins: Vec<i64> =
        rows.iter().filter(|r| r["kind"] == "sign-in").map(|r| r["status"].as_i64().unwrap()).collect();
    assert!(sign_ins.contains(&401) && sign_ins.contains(&403) && sign_ins.contains(&200), "{sign_ins:?}");
    service.stop().await
}

/// With a certificate, psql's `sslmode=require` gets TLS and `sslmode=disable` is turned
/// away (the token is never sent in clear); the certificate is made here with Debian's openssl, as an operator would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_gets_tls_when_the_endpoint_has_a_certificate() -> Result<()> {
    let dir = incidents_lake().await;
    let certs = tempfile::tempdir()?;
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()?;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let service = Service::start_with(dir.path(), Trust::parse(TRUST)?, |o| {
        o.pg_addr = Some("127.0.0.1:0".parse().unwrap());
        o.pg_tls = Some((cert.clone(), key.clone()));
    })
    .await?;
    let addr = service.pg_addr().expect("the endpoint was asked for");
    let (user, token) = service.token(Role::Director, None);
    let connection = format!("host=127.0.0.1 port={} user='{user}' dbname=safelake sslmode=require", addr.port());
    let output = tokio::process::Command::new("psql")
        .args([&connection, "--no-psqlrc", "--tuples-only", "-c", r"\conninfo", "-c", "SELECT count(*) FROM incidents"])
        .env("PGPASSWORD", &token)
        .output()
        .await?;
    let text = out(&output);
    assert!(output.status.success(), "{}", err(&output));
    assert!(text.contains("SSL connection"), "{text}");
    assert!(text.lines().any(|l| l.trim() == "22"), "{text}");

    // A client that would send the token in clear is turned away before it is asked.
    let plain = connection.replace("sslmode=require", "sslmode=disable");
    let output = tokio::process::Command::new("psql")
        .args([&plain, "--no-psqlrc", "-c", "SELECT 1"])
        .env("PGPASSWORD", &token)
        .output()
        .await?;
    assert!(!output.status.success());
    assert!(err(&output).contains("this endpoint requires TLS: connect with sslmode=require"), "{}", err(&output));
    service.stop().await
}
