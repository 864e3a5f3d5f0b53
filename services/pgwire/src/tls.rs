//! TLS for the PostgreSQL endpoint: a certificate and key in PEM files, as an operator
//! gets them from the trust's certificate authority or Let's Encrypt. Clients that ask
//! for TLS (`sslmode=require`, Power BI's default) get it; the password (the token) then
//! never crosses the network in clear.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// An acceptor for the certificate chain in `cert` and the private key in `key`.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor> {
    // One process-wide crypto provider: ring, which the NATS client uses too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let open =
        |path: &Path| File::open(path).map(BufReader::new).with_context(|| format!("reading {}", path.display()));
    let chain: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut open(cert)?)
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} holds no PEM certificate", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no PEM certificate", cert.display());
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut open(key)?)
        .with_context(|| format!("reading the private key in {}", key.display()))?
        .with_context(|| format!("{} holds no PEM private key", key.display()))?;
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and the private key do not go together")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
