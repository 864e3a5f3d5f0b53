//! Readiness: what stops the ingest from keeping the lake current, said in words, for
//! `/readyz` (here and on the query service when both run in one process) and for the
//! health checks of a deployment. Liveness (`/healthz`) only says the process answers.

use std::path::PathBuf;

use async_nats::connection::State;

use crate::metrics::Metrics;

/// A cheap handle to ask the running ingest how it is.
#[derive(Clone)]
pub struct Health {
    pub(crate) client: async_nats::Client,
    pub(crate) url: String,
    pub(crate) metrics: Metrics,
    pub(crate) lake: PathBuf,
    pub(crate) max_lag: u64,
}

impl Health {
    /// Each problem in a sentence; none when the ingest is ready.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.client.connection_state() != State::Connected {
            problems.push(format!("NATS is unreachable at {}: the ingest is reconnecting", self.url));
        }
        let probe = self.lake.join(format!(".ready-{}", std::process::id()));
        match std::fs::write(&probe, b"") {
            Ok(()) => {
                let _ = std::fs::remove_file(&probe);
            }
            Err(e) => problems.push(format!("the lake {} is not writable: {e}", self.lake.display())),
        }
        let lag = u64::try_from(self.metrics.consumer_lag.get()).unwrap_or(0);
        if lag > self.max_lag {
            problems.push(format!(
                "the ingest is behind: {lag} events wait in the stream (more than {}); reports lag behind too",
                self.max_lag
            ));
        }
        problems
    }
}
