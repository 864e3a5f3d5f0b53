//! `safelake up --demo` as a new user runs it, for the tests that need the whole thing: a
//! real process on free ports in a temporary data directory, with its own nats-server.

// Each test binary uses its own part of this harness.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use safelake_tests::eventually;

/// The demo's size: small, so that the test is quick; everything else is the default.
pub const FILTER_EVENTS: u64 = 20_000;

pub struct Up {
    child: Child,
    pub base: String,
    /// What it printed, line by line.
    lines: std::sync::mpsc::Receiver<String>,
}

impl Drop for Up {
    /// A test that failed half-way leaves no process behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Up {
    pub fn start(data: &std::path::Path, port: u16, nats_port: u16) -> Result<Up> {
        Up::start_with(data, port, nats_port, "off")
    }

    /// With the PostgreSQL endpoint at `pg_listen` (an address, or `off`).
    pub fn start_with(data: &std::path::Path, port: u16, nats_port: u16, pg_listen: &str) -> Result<Up> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_safelake"))
            .args(["up", "--demo", "--data"])
            .arg(data)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--pg-listen", pg_listen])
            .args(["--nats-port", &nats_port.to_string(), "--filter-events", &FILTER_EVENTS.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().context("its output")?;
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Up { child, base: format!("http://127.0.0.1:{port}"), lines })
    }

    /// The line it printed that starts with `prefix`, waiting for it.
    pub fn printed(&self, prefix: &str) -> Result<String> {
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(120)).with_context(|| format!("no {prefix:?}"))?;
            if line.starts_with(prefix) {
                return Ok(line);
            }
        }
    }

    /// SIGINT, as Ctrl-C; it must stop cleanly.
    pub fn interrupt(&mut self) -> Result<()> {
        // SAFETY: kill(2) on our own child's pid, which we have not yet reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("safelake up exited with {status}");
                }
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill()?;
        bail!("safelake up did not stop within 60 s of SIGINT")
    }
}

pub async fn ready(http: &reqwest::Client, base: &str) -> Result<()> {
    eventually(Duration::from_secs(120), "readiness", || async {
        Ok(matches!(http.get(format!("{base}/readyz")).send().await, Ok(r) if r.status() == 200))
    })
    .await
}
