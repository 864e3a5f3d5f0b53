//! `safelake import` as a school's IT would run it: the sample logs of every filter vendor
//! through the real binary, a real nats-server and the real ingest into the lake. Counts per
//! vendor, the mapped categories and the pseudonyms are checked against hand-made answers
//! (the samples' README and an HMAC computed here), and no username, e-mail address or IP
//! address of the inputs is anywhere in the lake or the stream.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use async_nats::jetstream;
use hmac::{Hmac, KeyInit, Mac};
use safelake_ingest::consumer::caught_up;
use safelake_ingest::{Ingest, IngestOptions};
use safelake_lake::{Lake, LakeUrl};
use safelake_tests::lake::{assert_each_event_once, rows};
use safelake_tests::{eventually, NatsServer};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// A sample log and what importing it makes, as `services/import/samples/README.md`
/// counts it by hand.
struct Sample {
    vendor: &'static str,
    file: &'static str,
    events: u64,
    allowed: u64,
    /// Lines that are not requests (headers, other log types).
    skipped: u64,
    refused: &'static [usize],
}

const fn sample(vendor: &'static str, file: &'static str, counts: [u64; 3], refused: &'static [usize]) -> Sample {
    Sample { vendor, file, events: counts[0], allowed: counts[1], skipped: counts[2], refused }
}

const SAMPLES: &[Sample] = &[
    sample("fortigate", "fortigate.log", [13, 7, 2], &[14, 21]),
    sample("fortigate-cef", "fortigate-cef.log", [11, 5, 2], &[11, 16]),
    sample("sophos", "sophos.log", [12, 6, 2], &[14, 21]),
    sample("umbrella", "umbrella.csv.gz", [13, 7, 1], &[13, 21]),
    sample("smoothwall", "smoothwall.csv", [11, 6, 1], &[1, 14]),
];

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/samples")
}

/// `safelake import filter` for the school sch01 with the samples' identity map.
fn import(key: &Path, nats: &str, vendor: &str, file: &Path, extra: &[&str]) -> Result<Output> {
    let mut args = vec!["--vendor", vendor];
    args.extend(extra);
    run_import("filter", key, nats, &args, file)
}

/// `safelake import <what>` for the school sch01 with the samples' identity map.
fn run_import(what: &str, key: &Path, nats: &str, args: &[&str], file: &Path) -> Result<Output> {
    let output = Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args(["import", what, "--school", "sch01", "--nats", nats, "--key"])
        .arg(key)
        .arg("--identities")
        .arg(samples().join("identities.csv"))
        .args(args)
        .arg(file)
        .env("RUST_LOG", "warn")
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "import {what} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(output)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The reference the contract should hold for a person, computed here from the key file
/// and the HMAC's definition rather than through the importer's code.
fn reference(key_file: &Path, prefix: &str, canonical: &str) -> Result<String> {
    let text = std::fs::read_to_string(key_file)?;
    let hex = text.lines().find(|l| !l.starts_with('#')).context("a key line")?.trim();
    let key: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)).collect::<Result<_, _>>()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key)?;
    mac.update(format!("safelake-person-v1:{canonical}").as_bytes());
    let digest = mac.finalize().into_bytes();
    Ok(format!("{prefix}_{}", digest[..16].iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

async fn ingest_until_drained(server: &NatsServer, lake: &Path) -> Result<()> {
    let mut options = IngestOptions::new(safelake_bus::NatsOptions::new(server.url()), LakeUrl::dir(lake));
    options.flush_age = Duration::from_millis(200);
    options.compaction_interval = None;
    let shutdown = CancellationToken::new();
    let ingest = Ingest::start(options, shutdown.clone()).await?;
    let js = jetstream::new(async_nats::connect(server.url()).await?);
    eventually(Duration::from_secs(120), "the ingest to commit everything", || {
        let js = js.clone();
        async move { caught_up(&js, "ingest").await }
    })
    .await?;
    shutdown.cancel();
    ingest.wait().await
}

/// Everything personal in the inputs: usernames and e-mail addresses of the identity map,
/// every IPv4 address and every `user`/`duser`/`user_name`/`Username` value of the logs.
fn personal_values() -> Result<Vec<String>> {
    let mut values = Vec::new();
    let map = std::fs::read_to_string(samples().join("identities.csv"))?;
    for line in map.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        values.extend([cells[0], cells[1], cells[4]].iter().filter(|v| !v.is_empty()).map(|v| v.to_string()));
    }
    let ip = regex::Regex::new(r"\b(?:10|172|192)\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")?;
    for Sample { file, .. } in SAMPLES {
        let bytes = std::fs::read(samples().join(file))?;
        let text = if file.ends_with(".gz") {
            let mut out = String::new();
            std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut out)?;
            out
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        values.extend(ip.find_iter(&text).map(|m| m.as_str().to_string()));
    }
    values.sort();
    values.dedup();
    anyhow::ensure!(values.iter().any(|v| v.contains('@')) && values.iter().any(|v| v.starts_with("10.")));
    Ok(values)
}

/// Every file's bytes under `dir`, for a search of what was written anywhere.
fn all_bytes(dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(all_bytes(&path)?);
        } else {
            found.push((path.clone(), std::fs::read(&path)?));
        }
    }
    Ok(found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vendors_sample_reaches_the_lake_once_mapped_and_with_nothing_personal() -> Result<()> {
    let server = NatsServer::start()?;
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("school/sch01.key");
    let mut expected = BTreeMap::new();
    for &Sample { vendor, file, events, allowed, skipped, refused } in SAMPLES {
        let first = stdout(&import(&key, &server.url(), vendor, &samples().join(file), &[])?);
        assert!(first.contains(&format!("{events:>9}  uk.safeguarding.filter.blocked.v1")), "{vendor}:\n{first}");
        assert!(first.contains(&format!("skipped {allowed} allowed requests")), "{vendor}:\n{first}");
        assert!(first.contains(&format!("{events} published, 0 duplicates")), "{vendor}:\n{first}");
        let other_skips: u64 = first
            .lines()
            .filter(|l| l.starts_with("skipped ") && !l.ends_with("allowed requests"))
            .map(|l| l.split(' ').nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0))
            .sum();
        assert_eq!(other_skips, skipped, "{vendor}:\n{first}");
        let places: Vec<String> = first
            .lines()
            .filter_map(|l| l.trim().strip_prefix(&format!("{}:", samples().join(file).display())).map(str::to_string))
            .collect();
        let lines: Vec<usize> = places.iter().filter_map(|p| p.split(':').next()?.parse().ok()).collect();
        assert_eq!(lines, refused, "{vendor}: refused lines\n{first}");
        // An export imported again publishes nothing new.
        let again = stdout(&import(&key, &server.url(), vendor, &samples().join(file), &[])?);
        assert!(again.contains(&format!("0 published, {events} duplicates")), "{vendor} again:\n{again}");
        expected.insert(format!("urn:safelake:import:sch01:{vendor}"), events as usize);
    }
    assert_eq!(std::fs::metadata(&key)?.permissions().mode() & 0o777, 0o600, "the key is the owner's only");

    let lake_dir = dir.path().join("lake");
    ingest_until_drained(&server, &lake_dir).await?;
    let lake = Lake::at(&lake_dir)?;
    assert_each_event_once(&lake, expected.values().sum()).await?;
    let stored = rows(&lake, "filter_events").await?;
    let mut per_source = BTreeMap::new();
    for row in &stored {
        *per_source.entry(row["source"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
    }
    assert_eq!(per_source, expected);
    assert!(rows(&lake, "rejects").await?.is_empty(), "the ingest refused an imported event");

    // Each sample's first request is the same block of the same pupil: every vendor's
    // parser, mapping and the identity map must agree on it.
    let jsmith = reference(&key, "p", "upn:K82106080455C")?;
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-12T08:41:07Z")?.timestamp_micros();
    for source in expected.keys() {
        let hit = stored.iter().find(|r| r["source"] == source.as_str() && r["occurred_at"] == at);
        let row = hit.with_context(|| format!("{source}: no event at 08:41:07"))?;
        let got: Vec<&Value> = ["user_ref", "user_group", "year_group", "domain", "category", "verdict", "school_id"]
            .iter()
            .map(|c| &row[*c])
            .collect();
        let want: [Value; 7] = [
            jsmith.as_str().into(),
            "pupil".into(),
            9.into(),
            "www.adult-videos.example".into(),
            "adult_content".into(),
            "blocked".into(),
            "sch01".into(),
        ];
        assert_eq!(got, want.iter().collect::<Vec<_>>(), "{source}");
    }
    let staff = reference(&key, "s", "user:swilliams")?;
    assert!(stored.iter().any(|r| r["user_ref"] == staff.as_str() && r["user_group"] == "staff"));
    // FortiGuard's categories of fortigate.log's blocks and its one warning, mapped by hand.
    let mut fortigate: Vec<(&str, &str)> = stored
        .iter()
        .filter(|r| r["source"] == "urn:safelake:import:sch01:fortigate")
        .map(|r| (r["category"].as_str().unwrap_or_default(), r["verdict"].as_str().unwrap_or_default()))
        .collect();
    fortigate.sort();
    let mut by_hand = vec![
        ("adult_content", "blocked"),    // Pornography
        ("social_media", "blocked"),     // Social Networking
        ("proxy_vpn_bypass", "blocked"), // Proxy Avoidance
        ("gaming", "flagged"),           // Games, action=warning
        ("gambling", "blocked"),         // Gambling
        ("violence", "blocked"),         // Explicit Violence
        ("extremism", "blocked"),        // Extremist Groups
        ("ai_chatbot", "blocked"),       // Artificial Intelligence Technology
        ("weapons", "blocked"),          // Weapons (Sales)
        ("drugs", "blocked"),            // Drug Abuse
        ("uncategorised", "blocked"),    // the trust's URL filter list: no category
        ("malware_phishing", "blocked"), // Malicious Websites
        ("malware_phishing", "blocked"), // Phishing
    ];
    by_hand.sort();
    assert_eq!(fortigate, by_hand);

    assert_nothing_personal(&lake, &lake_dir, server.store()).await
}

/// Nothing personal: not in any stored value, not in any byte of the lake (the Delta log's
/// statistics included), not in any byte of the stream's store.
async fn assert_nothing_personal(lake: &Lake, lake_dir: &Path, store: &Path) -> Result<()> {
    let personal = personal_values()?;
    let mut places = Vec::new();
    for family in safelake_schemas::FAMILIES {
        for table in [family.table(), "rejects"] {
            for row in rows(lake, table).await? {
                let text = serde_json::to_string(&row)?;
                places.extend(personal.iter().filter(|v| text.contains(v.as_str())).map(|v| format!("{table}: {v}")));
            }
        }
    }
    for (path, bytes) in all_bytes(lake_dir)?.into_iter().chain(all_bytes(store)?) {
        for value in &personal {
            if bytes.windows(value.len()).any(|w| w == value.as_bytes()) {
                places.push(format!("{}: {value}", path.display()));
            }
        }
    }
    assert!(places.is_empty(), "personal data reached the trust: {places:#?}");
    Ok(())
}

#[test]
fn a_dry_run_names_every_refused_line_and_unmapped_value_and_publishes_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("sch01.key");
    // A mapping without FortiGuard's "Pornography": the trust would see it in the dry run.
    let shipped = Command::new(env!("CARGO_BIN_EXE_safelake")).args(["import", "mapping", "fortigate"]).output()?;
    let edited: String = stdout(&shipped)
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"Pornography\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let mapping = dir.path().join("fortigate.toml");
    std::fs::write(&mapping, edited)?;
    let file = samples().join("fortigate.log");
    // No server at this address: a dry run must not need one.
    let output =
        import(&key, "nats://127.0.0.1:1", "fortigate", &file, &["--dry-run", "--mapping", mapping.to_str().unwrap()])?;
    let report = stdout(&output);
    assert!(report.contains("dry run: nothing published"), "{report}");
    let place = file.display().to_string();
    assert!(
        report.contains(&format!("{place}:1: category \"Pornography\" is not in the mapping: add it to [categories]")),
        "{report}"
    );
    assert!(report.contains("category \"Pornography\": "), "{report}");
    for line in [14, 21] {
        assert!(report.contains(&format!("{place}:{line}: ")), "line {line} is not reported:\n{report}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_sent_over_syslog_are_the_same_events_as_the_exported_file() -> Result<()> {
    let server = NatsServer::start()?;
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("sch01.key");
    let mut listener = Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args(["import", "listen", "--school", "sch01", "--vendor", "fortigate", "--nats", &server.url(), "--key"])
        .arg(&key)
        .arg("--identities")
        .arg(samples().join("identities.csv"))
        .args(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"])
        // One event to a message, so that the server's message ids are the event ids.
        .args(["--batch", "1"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = BufReader::new(listener.stdout.take().context("its output")?);
    let mut banner = String::new();
    out.read_line(&mut banner)?;
    let tcp = banner.trim().rsplit(' ').next().context("the TCP address")?.to_string();
    // As a FortiGate sends them: RFC 3164 with its priority, over TCP, one per line.
    let log = std::fs::read_to_string(samples().join("fortigate.log"))?;
    let mut stream = std::net::TcpStream::connect(&tcp)?;
    for line in log.lines() {
        let body = line.strip_prefix("<189>").unwrap_or(line);
        writeln!(stream, "<189>Mar 12 10:15:00 fgt-oakfield {body}")?;
    }
    drop(stream);
    let js = jetstream::new(async_nats::connect(server.url()).await?);
    eventually(Duration::from_secs(60), "the listener to publish the log's 13 events", || {
        let js = js.clone();
        async move {
            Ok(match js.get_stream(safelake_bus::STREAM).await {
                Ok(mut stream) => stream.info().await?.state.messages == 13,
                Err(_) => false,
            })
        }
    })
    .await?;
    // SAFETY: kill(2) on our own child, not yet reaped.
    unsafe { libc::kill(listener.id() as libc::pid_t, libc::SIGTERM) };
    let status = listener.wait()?;
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest)?;
    assert!(status.success(), "{rest}");
    assert!(rest.contains("       13  uk.safeguarding.filter.blocked.v1"), "{rest}");
    assert!(rest.contains("skipped 7 allowed requests"), "{rest}");
    // The same records from the exported file: the server has every id already.
    let file = stdout(&import(&key, &server.url(), "fortigate", &samples().join("fortigate.log"), &["--batch", "1"])?);
    assert!(file.contains("0 published, 13 duplicates"), "{file}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sheet_sample_reaches_the_lake_as_its_events() -> Result<()> {
    let server = NatsServer::start()?;
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("sch01.key");
    let layouts = samples().join("../layouts");
    // Per sheet: its layout, the events per type and the refused rows, as
    // services/import/samples/sheets/README.md counts them by hand.
    type Sheet<'a> = (&'a str, &'a [(&'a str, usize)], &'a [usize]);
    let sheets: &[Sheet] = &[
        ("incidents", &[("incident.action_taken", 10), ("incident.closed", 4), ("incident.recorded", 8)], &[9, 10]),
        ("agreements", &[("agreement.signed", 8)], &[10, 11, 12]),
        ("census", &[("roster.census", 8)], &[9, 11]),
    ];
    for (kind, events, refused) in sheets {
        let layout = layouts.join(format!("{kind}-example.toml"));
        let file = samples().join(format!("sheets/{kind}.csv"));
        let args = ["--layout", layout.to_str().unwrap()];
        let report = stdout(&run_import("sheet", &key, &server.url(), &args, &file)?);
        for (type_name, n) in *events {
            assert!(report.contains(&format!("{n:>9}  uk.safeguarding.{type_name}.v1")), "{kind}:\n{report}");
        }
        let total: usize = events.iter().map(|(_, n)| n).sum();
        assert!(report.contains(&format!("{total} published, 0 duplicates")), "{kind}:\n{report}");
        let place = format!("{}:", file.display());
        let rows: Vec<usize> =
            report.lines().filter_map(|l| l.trim().strip_prefix(&place)?.split(':').next()?.parse().ok()).collect();
        assert_eq!(rows, *refused, "{kind}: refused rows\n{report}");
        let again = stdout(&run_import("sheet", &key, &server.url(), &args, &file)?);
        assert!(again.contains(&format!("0 published, {total} duplicates")), "{kind} again:\n{again}");
    }
    let lake_dir = dir.path().join("lake");
    ingest_until_drained(&server, &lake_dir).await?;
    let lake = Lake::at(&lake_dir)?;
    assert_each_event_once(&lake, 22 + 8 + 8).await?;
    let mut per_type = BTreeMap::new();
    for table in ["incident_events", "agreement_events", "roster_events"] {
        for row in rows(&lake, table).await? {
            *per_type.entry(row["type"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
        }
    }
    let want: BTreeMap<String, usize> = sheets
        .iter()
        .flat_map(|(_, events, _)| events.iter().map(|(t, n)| (format!("uk.safeguarding.{t}.v1"), *n)))
        .collect();
    assert_eq!(per_type, want);
    // The incident log's pupil named by UPN and the filter's pupil named by username meet
    // in one reference: the first incident is jsmith's.
    let jsmith = reference(&key, "p", "upn:K82106080455C")?;
    let incidents = rows(&lake, "incident_events").await?;
    assert!(incidents.iter().any(|r| r["pupil_ref"] == jsmith.as_str() && r["year_group"] == 9), "jsmith's incident");
    assert!(rows(&lake, "rejects").await?.is_empty(), "the ingest refused an imported event");
    assert_nothing_personal(&lake, &lake_dir, server.store()).await
}

#[test]
fn a_file_that_cannot_be_read_stops_the_import_before_it_connects() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("fortigate-2026-13-01.log");
    // No server at this address: had the import connected first, it would fail on that.
    let output = Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args([
            "import",
            "filter",
            "--school",
            "sch01",
            "--vendor",
            "fortigate",
            "--nats",
            "nats://127.0.0.1:1",
            "--key",
        ])
        .arg(dir.path().join("sch01.key"))
        .arg(samples().join("fortigate.log"))
        .arg(&missing)
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot read {}", missing.display())), "{stderr}");
    Ok(())
}
