//! Readiness: what stops the ingest from keeping the lake current, said in words, for
//! `/readyz` (here and on the query service when both run in one process) and for the
//! health checks of a deployment. Liveness (`/healthz`) only says the process answers.

use async_nats::connection::State;
use safelake_lake::LakeUrl;

use crate::metrics::Metrics;

/// A cheap handle to ask the running ingest how it is.
#[derive(Clone)]
pub struct Health {
    pub(crate) client: async_nats::Client,
    pub(crate) url: String,
    pub(crate) metrics: Metrics,
    pub(crate) lake: LakeUrl,
    pub(crate) max_lag: u64,
}

impl Health {
    /// Each problem in a sentence; none when the ingest is ready.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.client.connection_state() != State::Connected {
            problems.push(format!("NATS is unreachable at {}: the ingest is reconnecting", self.url));
        }
        // A lake on this machine is probed for writing; an object store tells on the
        // next commit, which stops the ingest with the store's own error.
        if let Some(dir) = self.lake.as_dir() {
            let probe = dir.join(format!(".ready-{}", std::process::id()));
            match std::fs::write(&probe, b"") {
                Ok(()) => {
                    let _ = std::fs::remove_file(&probe);
                }
                Err(e) => problems.push(format!("the lake {} is not writable: {e}", dir.display())),
            }
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
