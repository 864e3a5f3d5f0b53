//! Who may do what on NATS. Each school's system gets a key that may publish only that
//! school's events (`sg.<school>.>`); the ingest gets one that may only consume the
//! stream; nobody without a key gets in. Replies (publish acknowledgements, the messages
//! the ingest pulls) come to an inbox only that key may read, `_INBOX_<its public key>`
//! ([`inbox_prefix`]): with the usual shared `_INBOX.>`, a school could listen in on the
//! events the ingest pulls, every school's. The keys are NATS nkeys: the server's
//! configuration holds only public keys, and each holder keeps its private seed in a file
//! only its owner can read, so the server's files give nothing away.
//!
//! [`write`] puts the repo's `deploy/nats/nats.conf`, the `auth.conf` it includes, and
//! the seeds (`keys/<name>.nk`) in one directory. A seed already there is kept, so
//! running it again after a school joins adds that school's key and changes no other.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::STREAM;

/// The server configuration, as committed in `deploy/nats/nats.conf`.
pub const SERVER_CONFIG: &str = include_str!("../../../deploy/nats/nats.conf");

/// The ingest's key.
pub const INGEST: &str = "ingest";
/// The key `safelake up --demo` publishes the synthetic trust with: every school's
/// subjects, as the demo plays every school's systems at once. Written only when asked.
pub const DEMO: &str = "demo";

/// What a key may publish; it may subscribe to its own inbox only.
struct Grant {
    name: String,
    comment: String,
    publish: Vec<String>,
}

/// The inbox prefix of the key with this public key: a client holding the key connects
/// with it (async-nats: `ConnectOptions::custom_inbox_prefix`; other clients have the
/// same option), and the server lets only that key subscribe below it.
pub fn inbox_prefix(public_key: &str) -> String {
    format!("_INBOX_{public_key}")
}

/// The inbox prefix of the key whose seed this is.
pub fn inbox_prefix_of_seed(seed: &str) -> Result<String> {
    let pair = nkeys::KeyPair::from_seed(seed.trim()).context("this is not an nkey seed")?;
    Ok(inbox_prefix(&pair.public_key()))
}

fn grants(schools: &[(String, String)], demo: bool) -> Vec<Grant> {
    let stream_info = format!("$JS.API.STREAM.INFO.{STREAM}");
    let mut grants: Vec<Grant> = schools
        .iter()
        .map(|(id, name)| Grant {
            name: id.clone(),
            comment: format!("{name}: publishes its own events only"),
            publish: vec![format!("sg.{id}.>"), stream_info.clone()],
        })
        .collect();
    grants.push(Grant {
        name: INGEST.to_string(),
        comment: "the ingest: creates the stream and its consumer, pulls and acknowledges; publishes no events".into(),
        publish: vec![
            stream_info.clone(),
            format!("$JS.API.STREAM.CREATE.{STREAM}"),
            format!("$JS.API.CONSUMER.INFO.{STREAM}.*"),
            format!("$JS.API.CONSUMER.CREATE.{STREAM}.>"),
            format!("$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.*"),
            format!("$JS.API.CONSUMER.MSG.NEXT.{STREAM}.*"),
            format!("$JS.ACK.{STREAM}.>"),
        ],
    });
    if demo {
        grants.push(Grant {
            name: DEMO.to_string(),
            comment: "the demo: publishes the synthetic trust's events for every school".into(),
            publish: vec!["sg.>".to_string(), stream_info],
        });
    }
    grants
}

/// Where a key's seed is kept.
pub fn seed_file(dir: &Path, name: &str) -> PathBuf {
    dir.join("keys").join(format!("{name}.nk"))
}

/// Writes `nats.conf`, `auth.conf` and the seeds of every key into `dir` for the
/// schools `(id, name)`; returns the names of the keys made new.
pub fn write(dir: &Path, schools: &[(String, String)], demo: bool) -> Result<Vec<String>> {
    for (id, _) in schools {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            bail!("school id {id:?} cannot be a NATS subject token: lowercase letters and digits only");
        }
    }
    std::fs::create_dir_all(dir.join("keys")).with_context(|| format!("creating {}", dir.join("keys").display()))?;
    let mut made = Vec::new();
    let mut auth = String::from(
        "# Written by `safelake nats-keys`: the public keys, and what each may do.\n\
         # Nothing here is secret; the private seeds are in keys/.\nauthorization {\n  users = [\n",
    );
    for grant in grants(schools, demo) {
        let path = seed_file(dir, &grant.name);
        let pair = if path.exists() {
            let seed = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            nkeys::KeyPair::from_seed(seed.trim()).with_context(|| format!("{} holds no nkey seed", path.display()))?
        } else {
            let pair = nkeys::KeyPair::new_user();
            write_private(&path, pair.seed().context("a new key has a seed")?.as_bytes())?;
            made.push(grant.name.clone());
            pair
        };
        let list = |subjects: &[String]| subjects.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        auth.push_str(&format!(
            "    # {} ({})\n    {{ nkey: {}, permissions: {{ publish: {{ allow: [{}] }}, subscribe: {{ allow: [{}] }} }} }}\n",
            grant.name,
            grant.comment,
            pair.public_key(),
            list(&grant.publish),
            list(&[format!("{}.>", inbox_prefix(&pair.public_key()))]),
        ));
    }
    auth.push_str("  ]\n}\n");
    std::fs::write(dir.join("auth.conf"), auth)
        .with_context(|| format!("writing {}", dir.join("auth.conf").display()))?;
    std::fs::write(dir.join("nats.conf"), SERVER_CONFIG)
        .with_context(|| format!("writing {}", dir.join("nats.conf").display()))?;
    Ok(made)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
