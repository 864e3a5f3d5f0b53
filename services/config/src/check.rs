//! `safelake config check`: everything that would stop the service or surprise its
//! operator, found before it starts, each said in plain words with what to do.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use crate::{Config, Source};

/// One thing the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Ok(String),
    /// Works, but probably not as meant.
    Warning(String),
    /// Stops the service or a part of it.
    Problem(String),
}

impl Finding {
    pub fn is_problem(&self) -> bool {
        matches!(self, Finding::Problem(_))
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Ok(text) => write!(f, "ok       {text}"),
            Finding::Warning(text) => write!(f, "warning  {text}"),
            Finding::Problem(text) => write!(f, "problem  {text}"),
        }
    }
}

/// The mistakes in the values themselves, whatever the machine around them: every command
/// refuses to start with one, so that no service runs with suppression off or a limit of
/// zero because a variable said so.
pub fn sound(config: &Config) -> anyhow::Result<()> {
    let mut found = Vec::new();
    numbers(config, &mut found);
    let problems: Vec<String> = found
        .into_iter()
        .filter_map(|f| match f {
            Finding::Problem(text) => Some(text),
            _ => None,
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the configuration does not hold together (`safelake config check` says more): {}",
        problems.join("; ")
    )
}

pub fn check(config: &Config, source: &Source) -> Vec<Finding> {
    let mut found = Vec::new();
    match &source.file {
        Some(file) => found.push(Finding::Ok(format!("read {}", file.display()))),
        None => found.push(Finding::Ok("no safelake.toml: the defaults, and SAFELAKE_* variables".into())),
    }
    if !source.variables.is_empty() {
        found.push(Finding::Ok(format!("set by the environment: {}", source.variables.join(", "))));
    }
    for name in &source.unknown_variables {
        found.push(Finding::Warning(format!(
            "{name} names no setting and is ignored; variables are SAFELAKE_<SECTION>_<KEY>, e.g. SAFELAKE_HTTP_LISTEN"
        )));
    }
    trust(config, &mut found);
    lake(config, &mut found);
    tokens(config, &mut found);
    addresses(config, &mut found);
    nats(config, &mut found);
    numbers(config, &mut found);
    match config.retention_policies() {
        Ok(policies) if policies.is_empty() => found.push(Finding::Ok("retention: every table kept for ever".into())),
        Ok(policies) => {
            let kept: Vec<String> = policies.iter().map(|p| format!("{} {} months", p.table, p.months)).collect();
            found.push(Finding::Ok(format!("retention: {}", kept.join(", "))));
        }
        Err(e) => found.push(Finding::Problem(e.to_string())),
    }
    found
}

fn trust(config: &Config, found: &mut Vec<Finding>) {
    let path = config.trust_file();
    if !path.exists() {
        found.push(Finding::Problem(format!(
            "the trust file {} does not exist: write one (see README, \"For the operator\") or run `safelake up --demo` \
             for a synthetic trust",
            path.display()
        )));
        return;
    }
    match safelake_schemas::Trust::load(&path) {
        Ok(trust) => found.push(Finding::Ok(format!(
            "trust {}: {} schools in {} hubs ({})",
            trust.trust.name,
            trust.schools.len(),
            trust.hubs.len(),
            path.display()
        ))),
        Err(e) => found.push(Finding::Problem(format!("the trust file is not right: {e:#}"))),
    }
}

fn lake(config: &Config, found: &mut Vec<Finding>) {
    let url = match config.lake_url() {
        Ok(url) => url,
        Err(e) => return found.push(Finding::Problem(format!("{e:#}"))),
    };
    let Some(lake) = url.as_dir().map(Path::to_path_buf) else {
        // An object store is checked by its first commit; its credentials come from the
        // environment, which this check cannot see on the service's behalf.
        return found.push(Finding::Ok(format!(
            "lake {url}: an object store, reached with the credentials in the service's environment"
        )));
    };
    let (dir, exists) = if lake.exists() {
        (lake.clone(), true)
    } else {
        match lake.ancestors().find(|a| a.exists() && !a.as_os_str().is_empty()) {
            Some(existing) => (existing.to_path_buf(), false),
            None => (Path::new(".").to_path_buf(), false),
        }
    };
    if !dir.is_dir() {
        found.push(Finding::Problem(format!("the lake {} is not a directory", lake.display())));
        return;
    }
    let probe = dir.join(format!(".safelake-check-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            let state = if exists { "writable" } else { "will be created" };
            found.push(Finding::Ok(format!("lake {}: {state}", lake.display())));
        }
        Err(e) => found.push(Finding::Problem(format!(
            "the lake {} cannot be written ({e}); the ingest and the audit trail write there: give the service's user \
             write access",
            lake.display()
        ))),
    }
    if exists && safelake_lake::migrate::needs_migration(&lake) {
        found.push(Finding::Problem(format!(
            "the lake {} is in the layout before Delta Lake: convert it with `safelake lake migrate`",
            lake.display()
        )));
    }
}

fn tokens(config: &Config, found: &mut Vec<Finding>) {
    let path = config.tokens_file();
    match std::fs::metadata(&path) {
        Err(_) => found.push(Finding::Ok(format!(
            "no token file yet at {}: `safelake up` makes the director's on first start, `safelake token create` more",
            path.display()
        ))),
        Ok(metadata) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if metadata.permissions().mode() & 0o077 != 0 {
                    found.push(Finding::Warning(format!(
                        "{} can be read by other users of this machine; `chmod 600` it",
                        path.display()
                    )));
                    return;
                }
            }
            let _ = metadata;
            found.push(Finding::Ok(format!("token file {}", path.display())));
        }
    }
}

fn addresses(config: &Config, found: &mut Vec<Finding>) {
    let mut listening: BTreeMap<SocketAddr, &str> = BTreeMap::new();
    let mut take = |what: &'static str, addr: anyhow::Result<Option<SocketAddr>>, found: &mut Vec<Finding>| match addr {
        Err(e) => found.push(Finding::Problem(e.to_string())),
        Ok(None) => found.push(Finding::Ok(format!("{what}: off"))),
        Ok(Some(addr)) => {
            if let Some(other) = listening.insert(addr, what) {
                found.push(Finding::Problem(format!(
                    "{what} and {other} both listen on {addr}; give each its own port"
                )));
            } else if std::net::TcpListener::bind(addr).is_err() {
                found.push(Finding::Warning(format!(
                    "{what}: {addr} is in use now (by a running safelake, or another program)"
                )));
            } else {
                found.push(Finding::Ok(format!("{what}: {addr}")));
            }
        }
    };
    match config.pgwire_tls() {
        Err(e) => found.push(Finding::Problem(e.to_string())),
        Ok(Some((cert, key))) => {
            for (what, file) in [("tls_cert", cert), ("tls_key", key)] {
                if !file.exists() {
                    found.push(Finding::Problem(format!("[pgwire] {what}: {} does not exist", file.display())));
                }
            }
        }
        Ok(None) if config.pgwire_addr().ok().flatten().is_some_and(|a| !a.ip().is_loopback()) => {
            found.push(Finding::Warning(
                "[pgwire] listens beyond this machine without TLS: tokens would cross the network in clear; set \
                 tls_cert and tls_key"
                    .into(),
            ));
        }
        Ok(None) => {}
    }
    take("[http] listen", config.http_addr().map(Some), found);
    take("[pgwire] listen", config.pgwire_addr(), found);
    take("[ingest] metrics", config.ingest_metrics_addr(), found);
}

fn nats(config: &Config, found: &mut Vec<Finding>) {
    let nats = &config.nats;
    if nats.user.is_some() != nats.password.is_some() {
        found.push(Finding::Problem("[nats] user and password go together: set both or neither".into()));
    }
    for (key, file) in [("creds", &nats.creds), ("nkey", &nats.nkey)] {
        if let Some(file) = file.as_ref().filter(|f| !f.exists()) {
            found.push(Finding::Problem(format!("[nats] {key}: {} does not exist", file.display())));
        }
    }
    let Some(url) = &nats.url else {
        let on_path = std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("nats-server").is_file()));
        if on_path {
            found.push(Finding::Ok(format!(
                "NATS: `safelake up` starts its own nats-server on port {} (store {})",
                nats.local_port,
                config.nats_store().display()
            )));
        } else {
            found.push(Finding::Warning(
                "NATS: no [nats] url and no nats-server on PATH; `scripts/setup` installs it, or name a server".into(),
            ));
        }
        return;
    };
    let host = url.split("://").last().unwrap_or(url).rsplit('@').next().unwrap_or(url).split('/').next();
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        found.push(Finding::Problem(format!("[nats] url = {url:?} is not a server address like nats://host:4222")));
        return;
    };
    // NATS's own default port when none is given, as the client does.
    let host_port = if host.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        host.to_string()
    } else {
        format!("{host}:4222")
    };
    let Some(addr) = host_port.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        // Perhaps a name only the service's own network resolves (a compose service).
        found.push(Finding::Warning(format!("[nats] url = {url:?}: {host} does not resolve from here")));
        return;
    };
    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Ok(_) => found.push(Finding::Ok(format!("NATS at {url} answers"))),
        Err(e) => found.push(Finding::Warning(format!(
            "NATS at {url} does not answer now ({e}); the ingest waits and retries, but nothing is ingested meanwhile"
        ))),
    }
}

fn numbers(config: &Config, found: &mut Vec<Finding>) {
    let ingest = &config.ingest;
    let mut positive = |key: &str, value: u64| {
        if value == 0 {
            found.push(Finding::Problem(format!("{key} must be more than 0")));
        }
    };
    positive("[ingest] flush_rows", ingest.flush_rows as u64);
    positive("[ingest] flush_mib", ingest.flush_mib as u64);
    positive("[ingest] flush_ms", ingest.flush_ms);
    positive("[ingest] ack_wait_secs", ingest.ack_wait_secs);
    positive("[sql] memory_mib", config.sql.memory_mib as u64);
    positive("[sql] time_limit_secs", config.sql.time_limit_secs);
    positive("[sql] row_limit", config.sql.row_limit as u64);
    if ingest.ack_wait_secs.saturating_mul(1000) <= ingest.flush_ms {
        found.push(Finding::Problem(format!(
            "[ingest] ack_wait_secs ({} s) must be longer than flush_ms ({} ms), or events are delivered again before \
             they are committed",
            ingest.ack_wait_secs, ingest.flush_ms
        )));
    }
    if config.access.suppress_below < 1 {
        found.push(Finding::Problem("[access] suppress_below must be 1 or more (1 withholds nothing)".into()));
    } else if config.access.suppress_below == 1 {
        found.push(Finding::Warning(
            "[access] suppress_below = 1 withholds nothing from hab members and trustees".into(),
        ));
    }
}
