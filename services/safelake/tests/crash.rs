//! Kill -9 the ingest process at random moments during a large load, several times, and
//! restart it each time: afterwards exactly the published events are in the lake, once,
//! and the rollups agree with them. On a directory, and on a real S3 server.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::Result;
use async_nats::jetstream;
use indicatif::ProgressBar;
use safelake_bus::local::free_port;
use safelake_generate::Options;
use safelake_ingest::consumer::caught_up;
use safelake_lake::{Lake, LakeUrl};
use safelake_publish::{context, publish, Outgoing};
use safelake_tests::lake::{assert_each_event_once, rows};
use safelake_tests::s3::S3Server;
use safelake_tests::{eventually, NatsServer};

/// Events to load; `SAFELAKE_CRASH_EVENTS` overrides (the issue asks for a million).
fn load_size() -> u64 {
    std::env::var("SAFELAKE_CRASH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

/// Where the lake is, and what a process needs in its environment to reach it.
struct Target {
    lake: String,
    env: Vec<(String, String)>,
}

fn ingest(server: &NatsServer, target: &Target, metrics_port: u16) -> Result<Child> {
    Ok(Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args(["ingest", "--nats", &server.url(), "--metrics", &format!("127.0.0.1:{metrics_port}"), "--lake"])
        .arg(&target.lake)
        .args(["--flush-ms", "300", "--flush-rows", "50000", "--ack-wait-secs", "3", "--compact-every", "1"])
        .envs(target.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RUST_LOG", "warn")
        .spawn()?)
}

fn random_below(ms: u64) -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(ms);
    h.finish() % ms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_and_duplicates_nothing() -> Result<()> {
    let lake_dir = tempfile::tempdir()?;
    let target = Target { lake: lake_dir.path().to_str().unwrap().to_string(), env: Vec::new() };
    crash_and_check(&target, load_size()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_on_s3_loses_and_duplicates_nothing() -> Result<()> {
    let s3 = S3Server::start()?;
    // This process reads the lake back with the same variables the ingest is given.
    for (key, value) in s3.env() {
        std::env::set_var(key, value);
    }
    let target = Target { lake: s3.url("lake"), env: s3.env() };
    crash_and_check(&target, load_size() / 5).await
}

/// Publishes `events` filter events (and the trust's others), kills the ingest five times
/// at random moments, lets a last one drain the stream, then checks the lake.
async fn crash_and_check(target: &Target, events: u64) -> Result<()> {
    let server = NatsServer::start()?;
    let options = Options { schools: 4, hubs: 2, filter_events: events, ..Options::default() };
    let client = async_nats::connect(server.url()).await?;
    let js = context(client.clone(), 10_000);
    let messages = safelake_generate::events(&options).map(|e| Outgoing::event(&e));
    let published = publish(&js, messages, 10_000, &ProgressBar::hidden()).await?;
    client.flush().await?;
    assert_eq!(published.failed, 0);
    let expected = published.published as usize;

    for round in 0..5 {
        let mut child = ingest(&server, target, free_port()?)?;
        let delay = 500 + random_below(3_000);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill()?; // SIGKILL: no chance to flush or ack
        child.wait()?;
        eprintln!("round {round}: killed after {delay} ms");
    }

    let port = free_port()?;
    let mut child = ingest(&server, target, port)?;
    // Serving metrics means started: signals are handled from then on.
    eventually(Duration::from_secs(60), "the ingest to start", || async move {
        Ok(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())
    })
    .await?;
    let js = jetstream::new(client);
    eventually(Duration::from_secs(600), "the restarted ingest to drain the stream", || {
        let js = js.clone();
        async move { caught_up(&js, "ingest").await }
    })
    .await?;
    sigterm(&child);
    let status = child.wait()?;
    assert!(status.success(), "graceful shutdown exits 0, got {status}");

    let lake = Lake::open(target.lake.parse::<LakeUrl>()?)?;
    assert_each_event_once(&lake, expected).await?;
    assert!(rows(&lake, "rejects").await?.is_empty());
    // A kill between a raw commit and its rollups' left nothing for the rollups to miss.
    let check = Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args(["rollups", "check", "--lake", &target.lake])
        .envs(target.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()?;
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    Ok(())
}

fn sigterm(child: &Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
}
