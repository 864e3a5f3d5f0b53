//! Signing in over the PostgreSQL protocol: the client's user is the token's name (or its
//! id, which is easier to type), its password the token itself, asked for in clear text:
//! over TLS when the endpoint has a certificate (and then a client without TLS is turned
//! away before it can send the token), else on loopback, where the endpoint listens by
//! default.
//! Only a director's token may connect, since only the director runs SQL; a failed
//! sign-in counts against the address exactly as on the web sign-in page.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use datafusion_postgres::pgwire::api::auth::{
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata, DefaultServerParameterProvider,
    StartupHandler,
};
use datafusion_postgres::pgwire::api::{
    ClientInfo, ConnectionGuard, ConnectionHandle, ConnectionManager, PgWireConnectionState, PidSecretKeyGenerator,
    RandomPidSecretKeyGenerator,
};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::startup::Authentication;
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use futures::{Sink, SinkExt};
use safelake_access::Principal;
use safelake_audit::Kind;

use crate::session::record;
use crate::Shared;

pub struct SignIn {
    shared: Arc<Shared>,
    connections: Arc<ConnectionManager>,
    keys: RandomPidSecretKeyGenerator,
    parameters: DefaultServerParameterProvider,
    tls_required: bool,
}

impl SignIn {
    pub fn new(shared: Arc<Shared>, connections: Arc<ConnectionManager>, tls_required: bool) -> SignIn {
        let mut parameters = DefaultServerParameterProvider::default();
        // What clients read to decide what they may offer their users.
        parameters.is_superuser = false;
        parameters.default_transaction_read_only = true;
        SignIn { shared, connections, keys: RandomPidSecretKeyGenerator::default(), parameters, tls_required }
    }

    /// The principal a password gives, or the refusal to send (with its audit status).
    fn check(&self, client: &dyn ClientInfo, password: &str) -> Result<Principal, (u16, PgWireError)> {
        let address = client.socket_addr().ip();
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        if let Some(wait) = self.shared.throttle.wait(address) {
            let message =
                format!("too many failed sign-ins from this address; try again in {} s", wait.as_secs().max(1));
            return Err((429, fatal("28000", message)));
        }
        let principal = match self.shared.tokens.verify(password) {
            Ok(Some(principal)) if user == principal.name || user == principal.token_id => principal,
            Ok(_) => {
                self.shared.throttle.failed(address);
                return Err((401, PgWireError::InvalidPassword(user)));
            }
            Err(error) => return Err((500, fatal("XX000", format!("checking the token: {error:#}")))),
        };
        self.shared.throttle.succeeded(address);
        principal.may_run_sql().map_err(|refused| (403, fatal("42501", refused.0)))?;
        Ok(principal)
    }

    /// Registers the connection so that a client's cancel request (Ctrl-C in psql) can
    /// stop its query.
    fn register(&self, client: &dyn ClientInfo) {
        let (pid, secret) = client.pid_and_secret_key();
        let (handle, guard) = self.connections.register(pid, secret);
        client.session_extensions().insert::<Arc<ConnectionHandle>>(handle);
        client.session_extensions().insert::<ConnectionGuard>(guard);
    }
}

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".to_string(), code.to_string(), message)))
}

#[async_trait]
impl StartupHandler for SignIn {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(startup) => {
                if self.tls_required && !client.is_secure() {
                    let message = "this endpoint requires TLS: connect with sslmode=require".to_string();
                    return Err(fatal("28000", message));
                }
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client.send(PgWireBackendMessage::Authentication(Authentication::CleartextPassword)).await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(password) => {
                let started = Instant::now();
                let password = password.into_password()?;
                let checked = self.check(client, &password.password);
                let (status, message, principal) = match &checked {
                    Ok(principal) => (200, None, Some(principal.clone())),
                    Err((status, error)) => (*status, Some(error.to_string()), None),
                };
                let who = principal.as_ref();
                record(&self.shared, client, who, Kind::SignIn, "sign in", None, None, status, message, started)
                    .await
                    .map_err(|e| fatal("XX000", format!("recording the sign-in in the audit trail: {e:#}")))?;
                let principal = checked.map_err(|(_, error)| error)?;
                client.session_extensions().insert::<Principal>(principal);
                let (pid, secret) = self.keys.generate(client);
                client.set_pid_and_secret_key(pid, secret);
                self.register(client);
                finish_authentication(client, &self.parameters).await?;
            }
            _ => {}
        }
        Ok(())
    }
}
