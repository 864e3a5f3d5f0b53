//! A `nats-server -js` process of our own: on a free loopback port (or a given one), with
//! its store in a directory we choose, stopped when dropped.
//!
//! The tests start one per test so they are isolated; the benchmark starts one so that it
//! measures a known server; the one-machine mode runs one with its store beside the lake.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The `nats-server` binary: `$SAFELAKE_NATS_SERVER`, else the one on `PATH`.
pub fn nats_server_binary() -> PathBuf {
    std::env::var_os("SAFELAKE_NATS_SERVER").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("nats-server"))
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub struct LocalServer {
    port: u16,
    store: PathBuf,
    /// A configuration file (`-c`), for a server with keys and permissions.
    config: Option<PathBuf>,
    child: Option<Child>,
}

impl LocalServer {
    /// Starts a server with its JetStream store in `store` and waits until it accepts
    /// connections. `port` 0 picks a free one.
    pub fn start(store: &Path, port: u16) -> Result<LocalServer> {
        LocalServer::start_with_config(store, port, None)
    }

    /// As [`LocalServer::start`], with a configuration file (`deploy/nats/nats.conf` and
    /// the `auth.conf` beside it); the port and store given here override its own.
    pub fn start_with_config(store: &Path, port: u16, config: Option<&Path>) -> Result<LocalServer> {
        std::fs::create_dir_all(store).with_context(|| format!("creating {}", store.display()))?;
        let port = if port == 0 { free_port()? } else { port };
        let config = config.map(Path::to_path_buf);
        let mut server = LocalServer { port, store: store.to_path_buf(), config, child: None };
        server.restart()?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn store(&self) -> &Path {
        &self.store
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server as a crash would (SIGKILL), keeping its store.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server as an operator would (SIGTERM): it flushes its store and exits.
    /// Falls back to SIGKILL if it has not exited within `grace`.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else { return };
        // SAFETY: kill(2) on our own child's pid, which we have not yet reaped.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the server (again) on the same port and store.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let log_path = self.store.join("nats-server.log");
        let log = std::fs::File::create(&log_path)?;
        let mut command = Command::new(nats_server_binary());
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        }
        // A process group of its own: a terminal's Ctrl-C reaches only us, and we stop the
        // server last, after the ingest's final acknowledgements.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.store.join("jetstream"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| {
                format!("starting {} (run scripts/setup, or set SAFELAKE_NATS_SERVER)", nats_server_binary().display())
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().transpose()) {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!("nats-server exited with {}: {log}", status?);
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("nats-server did not accept connections on port {} within 20 s", self.port)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.kill();
    }
}
