//! A JetStream cluster of our own on loopback, for failover tests: `size` `nats-server`
//! processes named `n0`, `n1`, … that route to each other, each with its own store under a
//! root directory we choose, all stopped (SIGKILL) when dropped.
//!
//! Every server gets three free loopback ports: clients (`listen`), routes (`cluster.listen`)
//! and HTTP monitoring (`http`). The configuration files are written to `<root>/<name>.conf`,
//! the stores to `<root>/<name>/jetstream`, the logs to `<root>/<name>/nats-server.log`.
//!
//! A client should be given every server (see [`LocalCluster::urls`]), so that it can
//! reconnect to a survivor when the one it is on is killed.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::local::nats_server_binary;

/// How long [`LocalCluster::start`] and [`LocalCluster::restart`] wait.
const STARTUP: Duration = Duration::from_secs(30);

/// The `cluster { name }` of every cluster we start.
pub const CLUSTER_NAME: &str = "safelake-test";

struct Node {
    name: String,
    port: u16,
    cluster_port: u16,
    http_port: u16,
    dir: PathBuf,
    config: PathBuf,
    child: Option<Child>,
}

impl Node {
    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("nats-server.log")
    }

    fn spawn(&mut self) -> Result<()> {
        self.kill();
        let mut log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path())?;
        writeln!(log, "---- starting {} ----", self.name)?;
        let mut command = Command::new(nats_server_binary());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child =
            command.arg("-c").arg(&self.config).stdout(Stdio::null()).stderr(log).spawn().with_context(|| {
                format!("starting {} (run scripts/setup, or set SAFELAKE_NATS_SERVER)", nats_server_binary().display())
            })?;
        self.child = Some(child);
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Fails with the log if the process has exited.
    fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().transpose()) {
            self.child = None;
            let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
            bail!("nats-server {} exited with {}: {log}", self.name, status?);
        }
        Ok(())
    }

    /// `(status, body)` of `GET path` on the monitoring port.
    fn http_get(&self, path: &str) -> Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.http_port))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad HTTP response from {}: {response}", self.name))?;
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        Ok((status, body))
    }

    /// The JetStream meta leader's name as this server sees it (`/jsz`'s
    /// `meta_cluster.leader`), if it knows one.
    fn meta_leader(&self) -> Option<String> {
        let (status, body) = self.http_get("/jsz").ok()?;
        if status != 200 {
            return None;
        }
        let meta = &body[body.find("\"meta_cluster\"")?..];
        json_string_field(meta, "leader").filter(|l| !l.is_empty())
    }

    /// `/healthz` answers 200 once JetStream is up, there is a meta leader and this server's
    /// streams and consumers are current.
    fn healthy(&self) -> bool {
        matches!(self.http_get("/healthz"), Ok((200, _)))
    }
}

/// The first `"key": "value"` in `json`, without a JSON parser (the monitoring output is
/// flat enough for this).
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let rest = json[json.find(&needle)? + needle.len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

/// Three (or `size`) nats-server processes on loopback forming a JetStream cluster
/// (`cluster { name, listen, routes }`, `jetstream { store_dir }`), each with its own store
/// in a directory under a given root.
pub struct LocalCluster {
    root: PathBuf,
    servers: Vec<Node>,
}

impl LocalCluster {
    /// Writes the configurations into `root`, starts `size` servers and waits until every
    /// one of them sees the same JetStream meta leader and reports healthy.
    pub fn start(root: &Path, size: usize) -> Result<LocalCluster> {
        if size == 0 {
            bail!("a cluster needs at least one server");
        }
        std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        // As local::free_port, but holding every listener until all ports are chosen, so
        // that we do not pick one twice.
        let mut held = Vec::new();
        let mut pick = || -> Result<u16> {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            let port = listener.local_addr()?.port();
            held.push(listener);
            Ok(port)
        };
        let mut servers = Vec::with_capacity(size);
        for i in 0..size {
            let name = format!("n{i}");
            let dir = root.join(&name);
            std::fs::create_dir_all(dir.join("jetstream"))?;
            servers.push(Node {
                config: root.join(format!("{name}.conf")),
                name,
                port: pick()?,
                cluster_port: pick()?,
                http_port: pick()?,
                dir,
                child: None,
            });
        }
        for node in &servers {
            let mut config = String::new();
            writeln!(config, "server_name: {}", node.name)?;
            writeln!(config, "listen: 127.0.0.1:{}", node.port)?;
            writeln!(config, "http: 127.0.0.1:{}", node.http_port)?;
            writeln!(config, "jetstream {{\n  store_dir: {:?}\n}}", node.dir.join("jetstream").display().to_string())?;
            if size > 1 {
                let routes: Vec<String> = servers
                    .iter()
                    .filter(|other| other.name != node.name)
                    .map(|other| format!("    nats-route://127.0.0.1:{}", other.cluster_port))
                    .collect();
                writeln!(
                    config,
                    "cluster {{\n  name: {CLUSTER_NAME}\n  listen: 127.0.0.1:{}\n  routes: [\n{}\n  ]\n}}",
                    node.cluster_port,
                    routes.join("\n")
                )?;
            }
            std::fs::write(&node.config, config).with_context(|| format!("writing {}", node.config.display()))?;
        }
        drop(held);
        let mut cluster = LocalCluster { root: root.to_path_buf(), servers };
        for node in &mut cluster.servers {
            node.spawn()?;
        }
        cluster.wait_ready(None)?;
        Ok(cluster)
    }

    /// Waits until every running server (or only `index`) accepts clients, sees a meta
    /// leader and reports healthy.
    fn wait_ready(&mut self, index: Option<usize>) -> Result<()> {
        let deadline = Instant::now() + STARTUP;
        loop {
            let mut waiting = None;
            for (i, node) in self.servers.iter_mut().enumerate() {
                if node.child.is_none() || index.is_some_and(|only| only != i) {
                    continue;
                }
                node.check_alive()?;
                if TcpStream::connect(("127.0.0.1", node.port)).is_err() {
                    waiting = Some(format!("{} to accept clients", node.name));
                } else if node.meta_leader().is_none() {
                    waiting = Some(format!("{} to see a JetStream meta leader", node.name));
                } else if !node.healthy() {
                    waiting = Some(format!("{} to report /healthz ok", node.name));
                }
                if waiting.is_some() {
                    break;
                }
            }
            let Some(waiting) = waiting else { return Ok(()) };
            if Instant::now() > deadline {
                bail!("waited {STARTUP:?} for {waiting} (logs under {})", self.root.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Comma-separated `nats://` URLs of all servers (running or not), in index order.
    /// async-nats does not split a comma-separated string: pass [`LocalCluster::server_urls`]
    /// (a `Vec<String>` is `ToServerAddrs`) or `urls().split(',').collect::<Vec<_>>()`.
    pub fn urls(&self) -> String {
        self.server_urls().join(",")
    }

    /// The `nats://` URL of every server, in index order.
    pub fn server_urls(&self) -> Vec<String> {
        self.servers.iter().map(Node::url).collect()
    }

    /// The `nats://` URL of one server.
    pub fn url(&self, index: usize) -> String {
        self.servers[index].url()
    }

    /// `n<index>`, the `server_name` (as in `ClusterInfo::leader` and `ServerInfo::server_name`).
    pub fn server_name(&self, index: usize) -> &str {
        &self.servers[index].name
    }

    /// The index of the server named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.servers.iter().position(|n| n.name == name)
    }

    pub fn size(&self) -> usize {
        self.servers.len()
    }

    pub fn is_running(&self, index: usize) -> bool {
        self.servers[index].child.is_some()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stops one server as a crash would (SIGKILL), keeping its store.
    pub fn kill(&mut self, index: usize) {
        self.servers[index].kill();
    }

    /// Starts one server again on the same ports and store, and waits until it is back in
    /// the cluster and healthy (caught up).
    pub fn restart(&mut self, index: usize) -> Result<()> {
        self.servers[index].spawn()?;
        self.wait_ready(Some(index))
    }

    /// Which server (index) leads the given stream's consumer: `$JS.API.CONSUMER.INFO`'s
    /// `cluster.leader`, asked through the running servers, mapped by `server_name`. Fails
    /// while there is no leader (during an election the request may also time out, after
    /// 2 s).
    pub async fn consumer_leader(&self, stream: &str, consumer: &str) -> Result<usize> {
        let urls: Vec<String> = self.servers.iter().filter(|n| n.child.is_some()).map(Node::url).collect();
        if urls.is_empty() {
            bail!("no server is running");
        }
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .request_timeout(Some(Duration::from_secs(2)))
            .max_reconnects(Some(3))
            .connect(urls)
            .await
            .context("connecting to the cluster")?;
        let js = async_nats::jetstream::new(client.clone());
        let result = async {
            let stream_handle = js.get_stream_no_info(stream).await?;
            let info = stream_handle.consumer_info(consumer).await?;
            anyhow::Ok(info)
        }
        .await;
        client.drain().await.ok();
        let info = result.with_context(|| format!("asking for the consumer {stream}/{consumer}"))?;
        let leader = info
            .cluster
            .and_then(|c| c.leader)
            .filter(|l| !l.is_empty())
            .with_context(|| format!("the consumer {stream}/{consumer} has no leader now"))?;
        self.index_of(&leader).with_context(|| format!("the consumer's leader {leader} is not one of ours"))
    }

    /// As [`LocalCluster::consumer_leader`], retrying until a leader other than `not` (if
    /// given) is elected, or `timeout` passes.
    pub async fn wait_consumer_leader(
        &self,
        stream: &str,
        consumer: &str,
        not: Option<usize>,
        timeout: Duration,
    ) -> Result<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            let error = match self.consumer_leader(stream, consumer).await {
                Ok(leader) if Some(leader) != not => return Ok(leader),
                Ok(leader) => anyhow::anyhow!("the leader is still n{leader}"),
                Err(error) => error,
            };
            if Instant::now() > deadline {
                return Err(error.context(format!("no new leader of {stream}/{consumer} within {timeout:?}")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for node in &mut self.servers {
            node.kill();
        }
    }
}
