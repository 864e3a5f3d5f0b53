//! Bearer tokens: created by `safelake token create`, shown once, kept only as a salted
//! SHA-256 hash in a JSON file beside the lake. A token reads `sl_<id>_<secret>`: the id
//! finds its record without trying every hash, the secret is 32 random letters and
//! digits (about 190 bits), which is why a fast hash is enough and each request stays
//! quick. Hashes are compared in constant time. The file is read again when it changes,
//! so a revocation takes effect at the next request, without a restart.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, Utc};
use rand::distr::{Alphanumeric, SampleString};
use safelake_schemas::{HubId, SchoolId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::role::{Principal, Role};

/// A token as stored: everything but the secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub name: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<SchoolId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<HubId>,
    pub created: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<DateTime<Utc>>,
    salt: String,
    hash: String,
}

impl TokenRecord {
    pub fn principal(&self) -> Principal {
        Principal {
            name: self.name.clone(),
            token_id: self.id.clone(),
            role: self.role,
            school: self.school.clone(),
            hub: self.hub.clone(),
        }
    }

    /// `active`, `revoked` or `expired`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked.is_some() {
            "revoked"
        } else if self.expires.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct TokenFile {
    tokens: Vec<TokenRecord>,
}

/// What `safelake token create` asks for.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    pub school: Option<SchoolId>,
    pub hub: Option<HubId>,
    pub expires_in_days: Option<u32>,
}

/// The token file, cached until it changes on disk.
pub struct Tokens {
    path: PathBuf,
    cache: Mutex<Option<(Option<Version>, Arc<TokenFile>)>>,
}

/// What tells one version of the file from another: every save renames a new file into
/// place (a new inode), so even a file system with coarse timestamps tells them apart.
type Version = (SystemTime, u64, u64);

fn digest(salt: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(secret.as_bytes());
    hex::encode(hasher.finalize())
}

fn random(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// Splits `sl_<id>_<secret>`; anything else is no token of ours.
fn split(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.strip_prefix("sl_")?.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

impl Tokens {
    pub fn new(path: impl Into<PathBuf>) -> Tokens {
        Tokens { path: path.into(), cache: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn version(&self) -> Option<Version> {
        let metadata = std::fs::metadata(&self.path).ok()?;
        Some((metadata.modified().ok()?, metadata.ino(), metadata.len()))
    }

    fn load(&self) -> Result<Arc<TokenFile>> {
        let modified = self.version();
        let mut cache = self.cache.lock().expect("the token cache is never poisoned");
        if let Some((when, file)) = cache.as_ref() {
            if *when == modified {
                return Ok(Arc::clone(file));
            }
        }
        let file = match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("reading the token file {}", self.path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => TokenFile::default(),
            Err(e) => return Err(e).with_context(|| format!("reading the token file {}", self.path.display())),
        };
        let file = Arc::new(file);
        *cache = Some((modified, Arc::clone(&file)));
        Ok(file)
    }

    /// Reads the file, changes it and writes it back under an exclusive lock, so that two
    /// commands at once (a create and a revoke) cannot undo each other.
    fn change<T>(&self, f: impl FnOnce(&mut TokenFile) -> Result<T>) -> Result<T> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let lock_path = self.path.with_extension("json.lock");
        let lock = std::fs::File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
        lock.lock().with_context(|| format!("locking {}", lock_path.display()))?;
        *self.cache.lock().expect("the token cache is never poisoned") = None;
        let mut file = (*self.load()?).clone();
        let answer = f(&mut file)?;
        let temporary = self.path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(&file)?;
        write_private(&temporary, &text)?;
        std::fs::rename(&temporary, &self.path).with_context(|| format!("replacing {}", self.path.display()))?;
        *self.cache.lock().expect("the token cache is never poisoned") = None;
        Ok(answer)
    }

    /// Creates a token and returns its record and the token itself, which is never
    /// stored and cannot be shown again.
    pub fn create(&self, new: NewToken, trust: &safelake_schemas::Trust) -> Result<(TokenRecord, String)> {
        match new.role {
            Role::Dsl => {
                let Some(school) = &new.school else { bail!("a dsl token needs --school, the school it is for") };
                if trust.school(school).is_none() {
                    bail!("school {school:?} is not in the trust");
                }
                if new.hub.is_some() {
                    bail!("a dsl token is for one school: give --school, not --hub");
                }
            }
            Role::Hab => {
                let Some(hub) = &new.hub else { bail!("a hab token needs --hub, the hub it is for") };
                if trust.hub(hub).is_none() {
                    bail!("hub {hub:?} is not in the trust");
                }
                if new.school.is_some() {
                    bail!("a hab token is for a hub: give --hub, not --school");
                }
            }
            Role::Director | Role::Trustee => {
                if new.school.is_some() || new.hub.is_some() {
                    bail!("a {} token sees the whole trust: leave out --school and --hub", new.role);
                }
            }
        }
        if new.name.trim().is_empty() {
            bail!("a token needs a name (--name), so the audit trail can say whose it was");
        }
        self.change(|file| {
            let id = loop {
                let id = random(8);
                if !file.tokens.iter().any(|t| t.id == id) {
                    break id;
                }
            };
            let secret = random(32);
            let salt = random(16);
            let now = Utc::now();
            let record = TokenRecord {
                id: id.clone(),
                name: new.name.trim().to_string(),
                role: new.role,
                school: new.school,
                hub: new.hub,
                created: now,
                expires: new.expires_in_days.map(|d| now + Duration::days(i64::from(d))),
                revoked: None,
                hash: digest(&salt, &secret),
                salt,
            };
            file.tokens.push(record.clone());
            Ok((record, format!("sl_{id}_{secret}")))
        })
    }

    pub fn list(&self) -> Result<Vec<TokenRecord>> {
        Ok(self.load()?.tokens.clone())
    }

    /// Revokes a token by its id; revoked tokens stay listed, for the audit trail.
    pub fn revoke(&self, id: &str) -> Result<TokenRecord> {
        self.change(|file| {
            let Some(record) = file.tokens.iter_mut().find(|t| t.id == id) else {
                bail!("no token with id {id:?}; `safelake token list` shows the ids");
            };
            record.revoked.get_or_insert_with(Utc::now);
            Ok(record.clone())
        })
    }

    /// Whether the token with this id is still active: a session that signed in with it
    /// asks again before each statement, so that a revocation ends it.
    pub fn active(&self, id: &str) -> Result<bool> {
        Ok(self.load()?.tokens.iter().any(|t| t.id == id && t.state(Utc::now()) == "active"))
    }

    /// The holder of `token`, if it is one of ours, active, and its secret matches.
    pub fn verify(&self, token: &str) -> Result<Option<Principal>> {
        let Some((id, secret)) = split(token.trim()) else { return Ok(None) };
        let file = self.load()?;
        let Some(record) = file.tokens.iter().find(|t| t.id == id) else { return Ok(None) };
        let matches: bool = digest(&record.salt, secret).as_bytes().ct_eq(record.hash.as_bytes()).into();
        Ok((matches && record.state(Utc::now()) == "active").then(|| record.principal()))
    }
}

/// Writes a file only its owner can read: it holds hashes, not tokens, but nobody else
/// needs them.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust() -> safelake_schemas::Trust {
        safelake_schemas::Trust::parse(
            "[trust]\nid = \"t\"\nname = \"T\"\n[[hubs]]\nid = \"north\"\nname = \"North\"\n\
             [[schools]]\nid = \"sch01\"\nname = \"One\"\nhub = \"north\"\nphase = \"primary\"\nurn = \"1\"\n",
        )
        .unwrap()
    }

    fn new(role: Role, school: Option<&str>, hub: Option<&str>) -> NewToken {
        NewToken {
            name: format!("{role} test"),
            role,
            school: school.map(|s| s.parse().unwrap()),
            hub: hub.map(|h| h.parse().unwrap()),
            expires_in_days: None,
        }
    }

    #[test]
    fn a_created_token_verifies_and_only_its_hash_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::new(dir.path().join("tokens.json"));
        let (record, token) = tokens.create(new(Role::Dsl, Some("sch01"), None), &trust()).unwrap();
        let who = tokens.verify(&token).unwrap().expect("the token verifies");
        assert_eq!((who.role, who.school.as_deref(), who.token_id), (Role::Dsl, Some("sch01"), record.id.clone()));
        let stored = std::fs::read_to_string(tokens.path()).unwrap();
        let secret = token.rsplit('_').next().unwrap();
        assert!(!stored.contains(secret), "the secret is not stored");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(tokens.path()).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // A wrong secret, a wrong id, and a token of no shape of ours.
        let last = if token.ends_with('x') { 'y' } else { 'x' };
        let wrong = format!("{}{last}", &token[..token.len() - 1]);
        assert!(tokens.verify(&wrong).unwrap().is_none());
        assert!(tokens.verify(&token.replace(&record.id, "zzzzzzzz")).unwrap().is_none());
        assert!(tokens.verify("Bearer nonsense").unwrap().is_none());
    }

    #[test]
    fn a_revoked_or_expired_token_no_longer_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::new(dir.path().join("tokens.json"));
        let (record, token) = tokens.create(new(Role::Director, None, None), &trust()).unwrap();
        assert!(tokens.verify(&token).unwrap().is_some());
        tokens.revoke(&record.id).unwrap();
        assert!(tokens.verify(&token).unwrap().is_none());
        assert_eq!(tokens.list().unwrap()[0].state(Utc::now()), "revoked");
        let (_, expiring) =
            tokens.create(NewToken { expires_in_days: Some(0), ..new(Role::Trustee, None, None) }, &trust()).unwrap();
        assert!(tokens.verify(&expiring).unwrap().is_none());
    }

    #[test]
    fn a_token_must_name_a_scope_its_role_has() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::new(dir.path().join("tokens.json"));
        let trust = trust();
        for (bad, says) in [
            (new(Role::Dsl, None, None), "needs --school"),
            (new(Role::Dsl, Some("sch99"), None), "not in the trust"),
            (new(Role::Hab, None, None), "needs --hub"),
            (new(Role::Hab, None, Some("south")), "not in the trust"),
            (new(Role::Trustee, Some("sch01"), None), "whole trust"),
        ] {
            let error = tokens.create(bad, &trust).unwrap_err().to_string();
            assert!(error.contains(says), "{error}");
        }
        assert!(tokens.list().unwrap().is_empty());
    }
}
