//! The harness of safelake's integration tests: real servers, isolated per test.
//!
//! [`NatsServer`] is a `nats-server -js` on a free loopback port with its store in a
//! temporary directory (removed with it), so tests never share state and never touch a
//! server that happens to run on the machine. It can be killed and started again on the
//! same port and store, for the tests of what survives a server restart.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use safelake_bus::local::LocalServer;

pub mod lake;
pub mod pdf;
pub mod s3;

pub struct NatsServer {
    server: LocalServer,
    _store: tempfile::TempDir,
}

impl NatsServer {
    pub fn start() -> Result<NatsServer> {
        let store = tempfile::Builder::new().prefix("safelake-nats-").tempdir()?;
        Ok(NatsServer { server: LocalServer::start(store.path(), 0)?, _store: store })
    }
}

impl Deref for NatsServer {
    type Target = LocalServer;
    fn deref(&self) -> &LocalServer {
        &self.server
    }
}

impl DerefMut for NatsServer {
    fn deref_mut(&mut self) -> &mut LocalServer {
        &mut self.server
    }
}

/// Waits until `check` holds, polling; fails with `what` after `limit`. For waiting on
/// asynchronous effects (files appearing, counts reached), never for timing assertions.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
