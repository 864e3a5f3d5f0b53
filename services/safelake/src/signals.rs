//! Graceful shutdown: the first SIGINT or SIGTERM asks every service to finish its work
//! (commit, ack, close); a second one ends the process at once.

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

/// Listens from now on (so a signal during start-up is not lost to the default action)
/// and cancels `token` on the first signal.
pub fn cancel_on_signal(token: CancellationToken) -> Result<()> {
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("stopping: committing what is held (signal again to stop at once)");
        token.cancel();
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        std::process::exit(130);
    });
    Ok(())
}
