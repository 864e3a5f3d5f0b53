//! The ingest against a real nats-server and real Parquet files: every valid event lands
//! once with every field as sent, every bad message lands in rejects with its reason.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::Result;
use async_nats::jetstream;
use bytes::Bytes;
use indicatif::ProgressBar;
use safelake_generate::Options;
use safelake_ingest::consumer::caught_up;
use safelake_ingest::metrics::Metrics;
use safelake_ingest::{Ingest, IngestOptions};
use safelake_lake::Lake;
use safelake_publish::{context, publish, Outgoing};
use safelake_schemas::validate::parse_time;
use safelake_tests::lake::{assert_each_event_once, event_ids, rows};
use safelake_tests::{eventually, NatsServer};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

fn small_trust() -> Options {
    Options { schools: 3, hubs: 1, filter_events: 3_000, ..Options::default() }
}

fn outgoing(event: &Value) -> Outgoing {
    let t = event["type"].as_str().unwrap().trim_start_matches("uk.safeguarding.").trim_end_matches(".v1");
    Outgoing::single(
        format!("sg.{}.{t}", event["schoolid"].as_str().unwrap()),
        event["id"].as_str().map(str::to_string),
        event.to_string(),
    )
}

async fn publish_all(server: &NatsServer, messages: Vec<Outgoing>) -> Result<safelake_publish::Summary> {
    let client = async_nats::connect(server.url()).await?;
    let js = context(client.clone(), 5_000);
    let summary = publish(&js, messages, 5_000, &ProgressBar::hidden()).await?;
    client.flush().await?;
    Ok(summary)
}

fn options(server: &NatsServer, lake: &std::path::Path) -> IngestOptions {
    options_at(server, safelake_lake::LakeUrl::dir(lake))
}

fn options_at(server: &NatsServer, lake: safelake_lake::LakeUrl) -> IngestOptions {
    let mut options = IngestOptions::new(safelake_bus::NatsOptions::new(server.url()), lake);
    options.flush_age = Duration::from_millis(200);
    options.flush_rows = 2_000;
    options.compaction_interval = None;
    // Messages in flight when a server dies come back after this.
    options.ack_wait = Duration::from_secs(5);
    options
}

/// Waits until the ingest has committed and acked everything in the stream.
async fn drained(server: &NatsServer) -> Result<()> {
    let js = jetstream::new(async_nats::connect(server.url()).await?);
    eventually(Duration::from_secs(120), "the ingest to commit and ack everything", || {
        let js = js.clone();
        async move { caught_up(&js, "ingest").await }
    })
    .await
}

/// Runs an ingest until the stream is drained, stops it gracefully, returns its metrics.
async fn ingest_until_drained(server: &NatsServer, options: IngestOptions) -> Result<Metrics> {
    let shutdown = CancellationToken::new();
    let ingest = Ingest::start(options, shutdown.clone()).await?;
    drained(server).await?;
    shutdown.cancel();
    let metrics = ingest.metrics.clone();
    ingest.wait().await?;
    Ok(metrics)
}

/// Compares a stored row with the data the event was sent with, field by field.
fn assert_row_matches(row: &BTreeMap<String, Value>, sent: &Value) {
    let id = sent["id"].as_str().unwrap();
    assert_eq!(row["type"], sent["type"], "{id}");
    assert_eq!(row["source"], sent["source"], "{id}");
    assert_eq!(row["school_id"], sent["schoolid"], "{id}");
    assert_eq!(row["time"], json!(parse_time(&sent["time"]).unwrap().timestamp_micros()), "{id}");
    let data = sent["data"].as_object().unwrap();
    for (column, stored) in row {
        let Some(expected) = data.get(column) else {
            if !["id", "source", "type", "time", "stream_seq", "ingested_at", "content_hash", "school_id", "month"]
                .contains(&column.as_str())
            {
                assert_eq!(stored, &Value::Null, "{id}: column {column} should be empty");
            }
            continue;
        };
        let expected = match (expected, stored) {
            (Value::String(s), Value::Number(_)) if s.len() == 10 => {
                // A date: days since 1970.
                let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
                json!((date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days())
            }
            (Value::String(_), Value::Number(_)) => json!(parse_time(expected).unwrap().timestamp_micros()),
            _ => expected.clone(),
        };
        assert_eq!(stored, &expected, "{id}: column {column}");
    }
    for field in data.keys() {
        assert!(row.contains_key(field), "{id}: field {field} has no column");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_every_event_once_with_every_field() -> Result<()> {
    let server = NatsServer::start()?;
    let lake_dir = tempfile::tempdir()?;
    let sent: Vec<Value> = safelake_generate::events(&small_trust()).map(|e| e.to_value()).collect();
    let summary = publish_all(&server, sent.iter().map(outgoing).collect()).await?;
    assert_eq!(summary.published as usize, sent.len());

    ingest_until_drained(&server, options(&server, lake_dir.path())).await?;

    let lake = Lake::at(lake_dir.path()).unwrap();
    let by_id: HashMap<&str, &Value> = sent.iter().map(|e| (e["id"].as_str().unwrap(), e)).collect();
    let mut seen = 0;
    for family in safelake_schemas::FAMILIES {
        for row in rows(&lake, family.table()).await? {
            let sent = by_id[row["id"].as_str().unwrap()];
            assert!(sent["type"].as_str().unwrap().contains(&format!(".{family}.")));
            assert_row_matches(&row, sent);
            seen += 1;
        }
    }
    let mut ids = event_ids(&lake).await?;
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent.len(), "every event exactly once");
    assert_eq!(seen, sent.len());
    assert!(rows(&lake, "rejects").await?.is_empty());
    Ok(())
}

/// A good event of the given school with a fresh id.
fn good(n: usize, school: &str) -> Value {
    json!({
        "specversion": "1.0", "id": format!("good-{n}"), "source": "urn:test:filter",
        "type": "uk.safeguarding.filter.blocked.v1", "time": "2025-10-03T10:15:01Z", "schoolid": school,
        "data": {"occurred_at": "2025-10-03T10:15:00Z", "user_ref": "s_00112233445566aa", "user_group": "staff",
                 "category": "gambling", "domain": "bets.example.com", "verdict": "blocked",
                 "rule_id": "r1", "device": "school"}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_land_in_rejects_with_their_reason_and_good_ones_in_the_lake() -> Result<()> {
    let server = NatsServer::start()?;
    let lake_dir = tempfile::tempdir()?;
    let mut messages = Vec::new();
    // (expected reason fragment) for every bad message, in publish order.
    let mut expected_reasons: Vec<&str> = Vec::new();
    let mut good_ids = Vec::new();
    for n in 0..1_000 {
        let event = good(n, "sch01");
        good_ids.push(event["id"].as_str().unwrap().to_string());
        messages.push(outgoing(&event));
        let raw = |subject: &str, payload: Vec<u8>| Outgoing::single(subject, None, payload);
        match n % 5 {
            0 => {
                messages.push(raw("sg.sch01.filter.blocked", b"{not json".to_vec()));
                expected_reasons.push("not valid JSON");
            }
            1 => {
                let mut bad = good(100_000 + n, "sch01");
                bad["data"]["category"] = json!("gamblng");
                messages.push(outgoing(&bad));
                expected_reasons.push("data.category: \"gamblng\" is not one of");
            }
            2 => {
                let event = good(200_000 + n, "sch01");
                messages.push(Outgoing { subject: "sg.sch02.filter.blocked".into(), ..outgoing(&event) });
                expected_reasons.push("does not match the subject sg.sch02.filter.blocked");
            }
            3 => {
                // The same id as a good event, other content: a conflict.
                let mut conflicting = good(n, "sch01");
                conflicting["data"]["domain"] = json!("other.example.com");
                messages.push(Outgoing { id: None, ..outgoing(&conflicting) });
                expected_reasons.push("is already stored with different content");
            }
            _ => {
                messages.push(raw("sg.sch01.filter.blocked", vec![0xff, 0xfe, 0x00, 0x01]));
                expected_reasons.push("not valid JSON");
            }
        }
    }
    let summary = publish_all(&server, messages).await?;
    assert_eq!(summary.published, 2_000);

    let metrics = ingest_until_drained(&server, options(&server, lake_dir.path())).await?;

    let lake = Lake::at(lake_dir.path()).unwrap();
    let mut ids = event_ids(&lake).await?;
    ids.sort();
    good_ids.sort();
    assert_eq!(ids, good_ids, "exactly the good events are in the lake");
    let mut rejects = rows(&lake, "rejects").await?;
    rejects.sort_by_key(|r| r["stream_seq"].as_u64());
    assert_eq!(rejects.len(), expected_reasons.len());
    for (reject, expected) in rejects.iter().zip(&expected_reasons) {
        let reason = reject["reason"].as_str().unwrap();
        assert!(reason.contains(expected), "reason {reason:?} should contain {expected:?}");
        assert!(reject["subject"].as_str().unwrap().starts_with("sg."));
        assert!(!reject["raw"].as_str().unwrap().is_empty(), "the raw bytes are kept");
    }
    assert_eq!(metrics.rejected.get(), 1_000);
    assert_eq!(metrics.committed.get(), 1_000);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_publish_after_the_duplicate_window_adds_no_rows() -> Result<()> {
    let server = NatsServer::start()?;
    let lake_dir = tempfile::tempdir()?;
    // The same stream with a one-second duplicate window, so the test need not wait two
    // minutes for the server to stop dropping re-sends itself.
    let client = async_nats::connect(server.url()).await?;
    let js = jetstream::new(client);
    js.create_stream(jetstream::stream::Config {
        duplicate_window: Duration::from_secs(1),
        ..safelake_bus::stream_config()
    })
    .await?;
    let sent: Vec<Value> = (0..500).map(|n| good(n, "sch01")).collect();
    assert_eq!(publish_all(&server, sent.iter().map(outgoing).collect()).await?.published, 500);
    ingest_until_drained(&server, options(&server, lake_dir.path())).await?;

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let again = publish_all(&server, sent.iter().map(outgoing).collect()).await?;
    assert_eq!(again.published, 500, "outside the window the server stores the re-sends");
    let metrics = ingest_until_drained(&server, options(&server, lake_dir.path())).await?;

    let lake = Lake::at(lake_dir.path()).unwrap();
    assert_eq!(event_ids(&lake).await?.len(), 500);
    assert_eq!(metrics.duplicates.get(), 500);
    assert_eq!(metrics.committed.get(), 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_server_restart_mid_load_loses_and_duplicates_nothing() -> Result<()> {
    let lake_dir = tempfile::tempdir()?;
    restart_mid_load(safelake_lake::LakeUrl::dir(lake_dir.path())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_server_restart_mid_load_on_s3_loses_and_duplicates_nothing() -> Result<()> {
    let s3 = safelake_tests::s3::S3Server::start()?;
    // The standard variables, as a deployment sets them (nextest runs each test in a
    // process of its own).
    for (key, value) in s3.env() {
        std::env::set_var(key, value);
    }
    restart_mid_load(s3.url("trust/lake").parse()?).await
}

/// Kills the nats-server while the ingest (two workers) commits to the lake at `lake`,
/// restarts it, and checks that every event is stored once.
async fn restart_mid_load(lake: safelake_lake::LakeUrl) -> Result<()> {
    let mut server = NatsServer::start()?;
    let sent: Vec<Value> =
        safelake_generate::events(&Options { filter_events: 60_000, ..small_trust() }).map(|e| e.to_value()).collect();
    publish_all(&server, sent.iter().map(outgoing).collect()).await?;

    let shutdown = CancellationToken::new();
    let mut opts = options_at(&server, lake.clone());
    opts.workers = 2;
    let ingest = Ingest::start(opts, shutdown.clone()).await?;
    let metrics = ingest.metrics.clone();
    eventually(Duration::from_secs(60), "some events committed", || {
        let committed = metrics.committed.get();
        async move { Ok(committed > 5_000) }
    })
    .await?;
    server.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.restart()?;
    drained(&server).await?;
    shutdown.cancel();
    ingest.wait().await?;

    assert_each_event_once(&Lake::open(lake)?, sent.len()).await
}

/// `GET path` over plain HTTP/1.0, returning the body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    anyhow::ensure!(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"), "{response}");
    Ok(response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default())
}

/// The value of a counter in Prometheus text.
fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingest_processes_share_the_consumer_and_report_metrics() -> Result<()> {
    let server = NatsServer::start()?;
    let lake_dir = tempfile::tempdir()?;
    let sent: Vec<Value> =
        safelake_generate::events(&Options { filter_events: 40_000, ..small_trust() }).map(|e| e.to_value()).collect();
    publish_all(&server, sent.iter().map(outgoing).collect()).await?;

    let shutdown = CancellationToken::new();
    let mut instances = Vec::new();
    for _ in 0..2 {
        let mut opts = options(&server, lake_dir.path());
        // Small pulls so that both instances get a share while the other is busy.
        opts.pull_batch = 100;
        opts.metrics_addr = Some("127.0.0.1:0".parse()?);
        instances.push(Ingest::start(opts, shutdown.clone()).await?);
    }
    drained(&server).await?;
    let mut committed = Vec::new();
    for ingest in &instances {
        let text = http_get(ingest.metrics_addr.unwrap(), "/metrics").await?;
        let from_endpoint = counter(&text, "safelake_ingest_events_committed_total");
        assert_eq!(from_endpoint, ingest.metrics.committed.get());
        assert_eq!(counter(&text, "safelake_ingest_events_received_total"), ingest.metrics.received.get());
        assert!(text.contains("safelake_ingest_consumer_lag"), "{text}");
        assert!(text.contains("safelake_ingest_commit_seconds_bucket"), "{text}");
        committed.push(from_endpoint);
    }
    shutdown.cancel();
    for ingest in instances {
        ingest.wait().await?;
    }
    assert!(committed.iter().all(|&c| c > 0), "both instances did work: {committed:?}");
    assert_eq!(committed.iter().sum::<u64>() as usize, sent.len());
    let mut ids = event_ids(&Lake::at(lake_dir.path()).unwrap()).await?;
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent.len());
    Ok(())
}

/// A signed agreement of the given school with a fresh id: an event of another family.
fn agreement(n: usize, school: &str) -> Value {
    let examples = include_str!("../../schemas/examples/valid.jsonl");
    let mut event: Value = examples
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "uk.safeguarding.agreement.signed.v1")
        .unwrap();
    event["id"] = json!(format!("good-{n}"));
    event["schoolid"] = json!(school);
    event
}

/// Publishes a CloudEvents batch as any NATS client would: the array as the body, the
/// content type in a header.
async fn publish_batch(js: &jetstream::Context, subject: &str, events: &[Value]) -> Result<()> {
    let body: Vec<String> = events.iter().map(Value::to_string).collect();
    publish_batch_body(js, subject, format!("[{}]", body.join(",")).into_bytes()).await
}

async fn publish_batch_body(js: &jetstream::Context, subject: &str, body: Vec<u8>) -> Result<()> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Content-Type", "application/cloudevents-batch+json");
    js.publish_with_headers(subject.to_string(), headers, Bytes::from(body)).await?.await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_from_a_plain_nats_client_land_each_event_once_and_each_bad_one_in_rejects() -> Result<()> {
    let server = NatsServer::start()?;
    let lake_dir = tempfile::tempdir()?;
    let js = jetstream::new(async_nats::connect(server.url()).await?);
    safelake_bus::ensure_stream(&js).await?;

    // Three schools' batches of 400 good events each, of two families.
    let mut good_ids = Vec::new();
    let mut sent = Vec::new();
    for (s, school) in ["sch01", "sch02", "sch03"].into_iter().enumerate() {
        let batch: Vec<Value> = (0..400)
            .map(|i| {
                let event = if i % 4 == 0 { agreement(s * 400 + i, school) } else { good(s * 400 + i, school) };
                good_ids.push(event["id"].as_str().unwrap().to_string());
                event
            })
            .collect();
        publish_batch(&js, &format!("sg.{school}.batch"), &batch).await?;
        sent.push(batch);
    }
    // The first batch again, as a publisher's retry outside the server's window would be,
    // and a batch that carries one event twice and one already stored.
    publish_batch(&js, "sg.sch01.batch", &sent[0]).await?;
    let twice = good(5_000, "sch01");
    good_ids.push("good-5000".into());
    publish_batch(&js, "sg.sch01.batch", &[twice.clone(), twice, sent[0][1].clone()]).await?;

    // A batch with bad events among good ones; each bad one's position and why.
    let mut mixed = Vec::new();
    let mut expected: Vec<(usize, &str, Value)> = Vec::new();
    for position in 0..10 {
        let mut event = good(6_000 + position, "sch02");
        let why = match position {
            2 => {
                event["data"]["category"] = json!("gamblng");
                Some("data.category: \"gamblng\" is not one of")
            }
            4 => {
                event["schoolid"] = json!("sch01");
                Some("schoolid: \"sch01\" does not match the subject sg.sch02.batch")
            }
            5 => {
                event = json!(42);
                Some("event: is an integer, expected a CloudEvent object")
            }
            7 => {
                // good-401 was stored from sch02's batch: same id, other content.
                event = good(401, "sch02");
                event["data"]["domain"] = json!("other.example.com");
                Some("is already stored with different content")
            }
            _ => None,
        };
        match why {
            Some(why) => expected.push((position, why, event.clone())),
            None => good_ids.push(event["id"].as_str().unwrap().to_string()),
        }
        mixed.push(event);
    }
    publish_batch(&js, "sg.sch02.batch", &mixed).await?;
    // A body that is no batch at all is refused whole; an array without the header too,
    // with a reason that names the header.
    publish_batch_body(&js, "sg.sch03.batch", b"[{\"id\": ".to_vec()).await?;
    js.publish("sg.sch03.filter.blocked", Bytes::from(format!("[{}]", good(7_000, "sch03")))).await?.await?;

    let metrics = ingest_until_drained(&server, options(&server, lake_dir.path())).await?;

    let lake = Lake::at(lake_dir.path()).unwrap();
    let mut ids = event_ids(&lake).await?;
    ids.sort();
    good_ids.sort();
    assert_eq!(ids, good_ids, "every good event exactly once, and nothing else");
    assert_eq!(metrics.committed.get() as usize, good_ids.len());
    assert_eq!(metrics.duplicates.get(), 400 + 2, "the repeated batch, the event sent twice and the stored one");

    let mut rejects = rows(&lake, "rejects").await?;
    rejects.sort_by_key(|r| (r["stream_seq"].as_u64(), r["position"].as_u64()));
    assert_eq!(rejects.len(), expected.len() + 2, "{rejects:#?}");
    let seq = rejects[0]["stream_seq"].clone();
    for (reject, (position, why, event)) in rejects.iter().zip(&expected) {
        assert_eq!(reject["stream_seq"], seq, "one message");
        assert_eq!(reject["position"], json!(position));
        let reason = reject["reason"].as_str().unwrap();
        assert!(reason.contains(why), "position {position}: {reason:?} should contain {why:?}");
        assert_eq!(reject["subject"], json!("sg.sch02.batch"));
        let raw: Value = serde_json::from_str(reject["raw"].as_str().unwrap())?;
        assert_eq!(&raw, event, "a refused event keeps its own bytes");
    }
    let whole = &rejects[expected.len()];
    assert_eq!(whole["position"], Value::Null);
    assert!(whole["reason"].as_str().unwrap().starts_with("batch: not a JSON array of events"), "{whole:?}");
    let unmarked = &rejects[expected.len() + 1];
    assert_eq!(unmarked["position"], Value::Null);
    assert!(
        unmarked["reason"].as_str().unwrap().contains("Content-Type: application/cloudevents-batch+json"),
        "{unmarked:?}"
    );
    Ok(())
}
