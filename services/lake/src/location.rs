//! Where the lake lives, parsed once: a directory (the embedded default) or an object
//! store URL (`s3://bucket/prefix`, `az://container/prefix`, `gs://bucket/prefix`), and
//! the object store that reaches it.
//!
//! Credentials for object stores come from the standard environment variables of each
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for an
//! S3-compatible server; `AZURE_STORAGE_ACCOUNT_NAME`, ...; `GOOGLE_SERVICE_ACCOUNT`), so a
//! lake URL never carries a secret. A directory is reached through [`crate::durable`],
//! which makes every file durable before a commit names it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::ObjectStore;
use url::Url;

use crate::durable::Durable;

/// The lake's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeUrl {
    /// A directory on this machine (absolute).
    Dir(PathBuf),
    /// An object store: `s3://`, `az://` (or `abfss://`), `gs://`, with a bucket and an
    /// optional prefix. Never ends with `/`.
    Store(Url),
}

/// A lake location that cannot be used, with what to write instead.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error("{0:?} is not a lake location: give a directory or s3://bucket/prefix, az://container/prefix or gs://bucket/prefix")]
    Unsupported(String),
    #[error("{0:?} names no bucket: write it as {1}://bucket/prefix")]
    NoBucket(String, String),
    #[error("the lake directory {0}: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error("the object store of {0}: {1}")]
    Store(String, object_store::Error),
}

const STORE_SCHEMES: &[&str] = &["s3", "s3a", "az", "abfs", "abfss", "azure", "gs"];

impl FromStr for LakeUrl {
    type Err = LocationError;

    fn from_str(text: &str) -> Result<LakeUrl, LocationError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(LocationError::Unsupported(text.to_string()));
        }
        match text.split_once("://") {
            None => Ok(LakeUrl::dir(text)),
            Some(("file", path)) => Ok(LakeUrl::dir(path)),
            Some((scheme, rest)) if STORE_SCHEMES.contains(&scheme) => {
                let url =
                    Url::parse(text.trim_end_matches('/')).map_err(|_| LocationError::Unsupported(text.into()))?;
                if url.host_str().is_none_or(str::is_empty) || rest.starts_with('/') {
                    return Err(LocationError::NoBucket(text.to_string(), scheme.to_string()));
                }
                Ok(LakeUrl::Store(url))
            }
            Some(_) => Err(LocationError::Unsupported(text.to_string())),
        }
    }
}

impl LakeUrl {
    /// A directory, made absolute against the working directory (a relative path would
    /// mean something else to every process that reads the lake's log).
    pub fn dir(path: impl AsRef<Path>) -> LakeUrl {
        let path = path.as_ref();
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf())
        };
        LakeUrl::Dir(normalise(&absolute))
    }

    /// The directory, for a lake on this machine.
    pub fn as_dir(&self) -> Option<&Path> {
        match self {
            LakeUrl::Dir(path) => Some(path),
            LakeUrl::Store(_) => None,
        }
    }

    /// The URL of the lake's root, without a trailing `/`.
    pub fn root_url(&self) -> Url {
        match self {
            LakeUrl::Dir(path) => Url::from_directory_path(path).expect("an absolute path"),
            LakeUrl::Store(url) => url.clone(),
        }
    }

    /// The URL of one table's directory (`<root>/<table>/`).
    pub fn table_url(&self, table: &str) -> Url {
        let mut url = self.root_url();
        let path = format!("{}/{table}/", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    /// The URL that names the object store as DataFusion registers it: `file:///`, or the
    /// scheme and bucket (`s3://bucket`).
    pub fn store_url(&self) -> Url {
        match self {
            LakeUrl::Dir(_) => Url::parse("file:///").expect("a valid URL"),
            LakeUrl::Store(url) => {
                Url::parse(&format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default())).expect("a valid URL")
            }
        }
    }

    /// The object store at the root of [`LakeUrl::store_url`] (the whole file system, or
    /// the bucket), with credentials from the environment. A directory is created.
    pub fn object_store(&self) -> Result<Arc<dyn ObjectStore>, LocationError> {
        let store_error = |e| LocationError::Store(self.to_string(), e);
        match self {
            LakeUrl::Dir(path) => {
                std::fs::create_dir_all(path).map_err(|e| LocationError::Dir(path.clone(), e))?;
                Ok(Arc::new(Durable::new()))
            }
            LakeUrl::Store(url) => {
                let bucket_url = self.store_url();
                let bucket = bucket_url.as_str();
                Ok(match url.scheme() {
                    "s3" | "s3a" => Arc::new(s3(bucket).map_err(store_error)?),
                    "gs" => {
                        Arc::new(GoogleCloudStorageBuilder::from_env().with_url(bucket).build().map_err(store_error)?)
                    }
                    _ => Arc::new(MicrosoftAzureBuilder::from_env().with_url(bucket).build().map_err(store_error)?),
                })
            }
        }
    }
}

/// An S3 store from the standard variables; plain HTTP is allowed when the endpoint says
/// so (an S3-compatible server on a private network), as `AWS_ALLOW_HTTP` would.
fn s3(bucket: &str) -> object_store::Result<object_store::aws::AmazonS3> {
    let mut builder = AmazonS3Builder::from_env().with_url(bucket);
    if std::env::var("AWS_ENDPOINT_URL").is_ok_and(|e| e.starts_with("http://")) {
        builder = builder.with_allow_http(true);
    }
    builder.build()
}

impl fmt::Display for LakeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LakeUrl::Dir(path) => write!(f, "{}", path.display()),
            LakeUrl::Store(url) => write!(f, "{url}"),
        }
    }
}

/// `a/./b/../c` as `a/c`, without touching the file system (the directory may not exist).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_as_written() {
        let dir: LakeUrl = "/srv/lake/".parse().unwrap();
        assert_eq!(dir, LakeUrl::Dir("/srv/lake".into()));
        assert_eq!(dir.table_url("filter_events").as_str(), "file:///srv/lake/filter_events/");
        assert_eq!("file:///srv/lake".parse::<LakeUrl>().unwrap(), dir);
        let s3: LakeUrl = "s3://trust-lake/safelake/".parse().unwrap();
        assert_eq!(s3.table_url("audit_log").as_str(), "s3://trust-lake/safelake/audit_log/");
        assert_eq!(s3.store_url().as_str(), "s3://trust-lake");
        let bare: LakeUrl = "gs://bucket".parse().unwrap();
        assert_eq!(bare.table_url("rejects").as_str(), "gs://bucket/rejects/");
    }

    #[test]
    fn a_location_that_cannot_be_used_says_what_to_write() {
        for bad in ["", "ftp://host/lake", "s3:///prefix"] {
            let error = bad.parse::<LakeUrl>().unwrap_err().to_string();
            assert!(error.contains("s3://bucket/prefix"), "{bad}: {error}");
        }
    }
}
