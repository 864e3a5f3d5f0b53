//! The clerk: produces the scheduled packs as their days come. At start, and then a little
//! after each midnight (UTC), every pack of `[schedule]` that is due and not yet in the
//! directory is produced, oldest first; one that fails (a report, the browser) is tried
//! again an hour later, and every attempt is in the audit trail.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::schedule::Scheduled;
use super::{produce_into, PackName};
use crate::state::AppState;

/// How long to wait before trying a pack again when producing it failed.
const RETRY: Duration = Duration::from_secs(3600);

/// Produces the scheduled packs as their days come, until `shutdown`.
pub async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    loop {
        let failed = produce_due(&state).await;
        let wait = if failed { RETRY } else { until_tomorrow() };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Every pack due by today and not yet in the directory, oldest first; whether any failed.
async fn produce_due(state: &AppState) -> bool {
    let today = Utc::now().date_naive();
    let mut due: Vec<PackName> =
        state.packs.schedule.iter().flat_map(Scheduled::packs).filter(|p| p.day <= today).collect();
    // Two boards' entries may ask for one pack: it is produced once.
    due.sort_by_key(|p| (p.day, p.to_string()));
    due.dedup();
    let mut failed = false;
    for name in due {
        let out = state.packs.dir.join(name.to_string());
        if tokio::fs::try_exists(&out).await.unwrap_or(false) {
            continue;
        }
        match produce_into(state, &name, &out, "safelake schedule", "schedule").await {
            Ok(()) => tracing::info!(pack = %name, "produced a scheduled pack"),
            Err(error) => {
                failed = true;
                tracing::warn!(pack = %name, "producing a scheduled pack failed (trying again in an hour): {error:#}");
            }
        }
    }
    failed
}

/// Until a little after the next midnight (UTC), when the next day's packs fall due.
fn until_tomorrow() -> Duration {
    let now = Utc::now();
    let tomorrow = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 5).expect("a time").and_utc();
    (tomorrow - now).to_std().unwrap_or(RETRY)
}
