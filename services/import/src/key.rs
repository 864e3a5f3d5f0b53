//! The school's pseudonymisation key: made once at the school, kept there, never sent.
//!
//! Whoever holds the key can test a guess ("is p_3f... this UPN?"), so the file is created
//! readable by its owner only, and a key file that others can read is refused rather than
//! used: the fix (chmod, and treating the key as exposed) is the school's decision.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::RngCore;

/// 256 bits, as HMAC-SHA256 wants.
pub struct SchoolKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the key file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot create the key file {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error(
        "the key file {path} can be read by others (mode {mode:o}): run `chmod 600 {path}` and ask whether the \
         key has been copied; with it, anyone can check a guess of who a reference is"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("the key file {path} does not hold a safelake key (64 hexadecimal digits on a line of their own)")]
    Malformed { path: PathBuf },
}

impl SchoolKey {
    /// The key at `path`, creating it (owner-only) when there is none; `true` when created.
    pub fn load_or_create(path: &Path) -> Result<(SchoolKey, bool), KeyError> {
        match fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(KeyError::Exposed { path: path.into(), mode });
                }
                let text = fs::read_to_string(path).map_err(|source| KeyError::Read { path: path.into(), source })?;
                let key = SchoolKey::parse(&text).ok_or_else(|| KeyError::Malformed { path: path.into() })?;
                Ok((key, false))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let create = |source| KeyError::Create { path: path.into(), source };
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::create_dir_all(dir).map_err(create)?;
                }
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                let mut file =
                    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(create)?;
                let text = format!(
                    "# safelake pseudonymisation key. Keep it at the school and back it up: every reference\n\
                     # is made with it, a new key makes new references for everyone, and it is never sent.\n{}\n",
                    hex::encode(bytes)
                );
                file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(create)?;
                Ok((SchoolKey(bytes), true))
            }
            Err(source) => Err(KeyError::Read { path: path.into(), source }),
        }
    }

    pub fn from_bytes(bytes: [u8; 32]) -> SchoolKey {
        SchoolKey(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn parse(text: &str) -> Option<SchoolKey> {
        let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'))?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(line, &mut bytes).ok()?;
        Some(SchoolKey(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_owner_only_and_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/sch01.key");
        let (first, created) = SchoolKey::load_or_create(&path).unwrap();
        assert!(created);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let (again, created) = SchoolKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(first.bytes(), again.bytes());
    }

    #[test]
    fn a_key_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sch01.key");
        SchoolKey::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = SchoolKey::load_or_create(&path).err().unwrap();
        assert!(matches!(error, KeyError::Exposed { mode: 0o644, .. }), "{error}");
    }

    #[test]
    fn a_file_that_is_not_a_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sch01.key");
        fs::write(&path, "not a key\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(SchoolKey::load_or_create(&path), Err(KeyError::Malformed { .. })));
    }
}
