//! The PostgreSQL wire endpoint: the Director of Inclusion's SQL from the tools a trust
//! already has (psql, DBeaver, Metabase, Grafana, Power BI), through their PostgreSQL
//! connectors.
//!
//! Built on `pgwire` and `datafusion-postgres` (for PostgreSQL's SQL dialect and the
//! `pg_catalog` tables that clients read to list tables), with our own handlers around
//! them, because the defaults accept any login and run any SQL:
//!
//! - [`sign_in`]: user = the token's name (or id), password = the token; only the
//!   director's role may connect; failures slow the address down, like the web sign-in;
//! - [`statement`]: which statements run (queries, and the session settings clients send
//!   on connecting) and which are refused (DDL, DML, COPY, engine settings);
//! - [`session`]: every query runs through [`safelake_query::adhoc::AdHoc`], the same
//!   read-only, bounded path as `POST /api/sql`, and every statement is recorded in the
//!   audit trail;
//! - [`tls`]: TLS when given a certificate, so that the token never crosses a network in
//!   clear.

mod session;
mod sign_in;
mod statement;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use datafusion_postgres::pgwire::api::cancel::DefaultCancelHandler;
use datafusion_postgres::pgwire::api::{ConnectionManager, PgWireServerHandlers};
use safelake_access::{Throttle, Tokens};
use safelake_audit::AuditTrail;
use safelake_query::adhoc::AdHoc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Connections served at once; one more is turned away until one closes.
const MAX_CONNECTIONS: usize = 64;

/// What the endpoint shares with the HTTP service: the same SQL engine and limits, the
/// same tokens, sign-in throttle and audit trail.
pub struct Shared {
    pub adhoc: Arc<AdHoc>,
    pub tokens: Arc<Tokens>,
    pub throttle: Arc<Throttle>,
    pub audit: AuditTrail,
}

struct Handlers {
    session: Arc<session::Session>,
    sign_in: Arc<sign_in::SignIn>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::query::SimpleQueryHandler> {
        Arc::clone(&self.session)
    }

    fn extended_query_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::query::ExtendedQueryHandler> {
        Arc::clone(&self.session)
    }

    fn startup_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::auth::StartupHandler> {
        Arc::clone(&self.sign_in)
    }

    fn cancel_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::cancel::CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

/// Where the endpoint listens, and its certificate and key (PEM) for TLS.
#[derive(Debug, Clone)]
pub struct WireOptions {
    pub addr: SocketAddr,
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

/// A listening endpoint.
pub struct Wire {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Wire {
    /// Listens until `shutdown` is cancelled; open connections are then closed.
    pub async fn start(options: WireOptions, shared: Shared, shutdown: CancellationToken) -> Result<Wire> {
        let addr = options.addr;
        let tls = match &options.tls {
            Some((cert, key)) => Some(tls::acceptor(cert, key).context("setting up TLS for the PostgreSQL endpoint")?),
            None => None,
        };
        // The catalog tables psql's \dt, DBeaver's navigator and Metabase's sync read.
        setup_pg_catalog(shared.adhoc.context(), "datafusion", EmptyContextProvider)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("setting up pg_catalog for the PostgreSQL endpoint")?;
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("listening on {addr} for PostgreSQL clients (--pg-listen, or [pgwire] listen; \"off\" for none)")
        })?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(shared);
        let connections = Arc::new(ConnectionManager::new());
        let handlers = Arc::new(Handlers {
            session: Arc::new(session::Session::new(Arc::clone(&shared))),
            sign_in: Arc::new(sign_in::SignIn::new(Arc::clone(&shared), Arc::clone(&connections), tls.is_some())),
            cancel: Arc::new(DefaultCancelHandler::new(connections)),
        });
        tracing::info!(%addr, tls = tls.is_some(), "PostgreSQL endpoint listening");
        let task = tokio::spawn(accept(listener, handlers, tls, shutdown));
        Ok(Wire { addr, task })
    }

    /// Waits until the endpoint has stopped.
    pub async fn wait(self) -> Result<()> {
        self.task.await.context("the PostgreSQL endpoint panicked")
    }
}

async fn accept(
    listener: TcpListener,
    handlers: Arc<Handlers>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (socket, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a PostgreSQL connection");
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, "PostgreSQL connection turned away: {MAX_CONNECTIONS} already open");
            continue;
        };
        let (handlers, tls) = (Arc::clone(&handlers), tls.clone());
        connections.spawn(async move {
            if let Err(error) = datafusion_postgres::pgwire::tokio::process_socket(socket, tls, handlers).await {
                tracing::debug!(%peer, %error, "PostgreSQL connection ended with an error");
            }
            drop(slot);
        });
        // Forget the connections that have ended.
        while connections.try_join_next().is_some() {}
    }
    // A read-only endpoint has nothing to finish: open sessions end, as PostgreSQL's
    // own shutdown ends them.
    connections.shutdown().await;
}
