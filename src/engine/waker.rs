//! The server's waker: drives again the `waiting` runs whose time has come. A run's
//! `wake_at` is its earliest timer or timeout, or the moment one of its waits was resolved
//! (a decision, a signal: `Engine::wake_soon` says so at once in this process; another
//! process's is found by the poll). Each is taken back to `pending` by exactly one engine
//! (`Engine::wake_run`) and queued on the runner, which gives it a slot like any run.

use std::time::Duration;

use super::scheduler::Runner;
use super::Engine;
use crate::store::nodes::{NodeRow, HEARTBEAT_SECS};
use crate::store::runs::RunRow;

/// How often the waker looks for runs woken by another process (a CLI's decision), and the
/// longest it sleeps before a timer.
const POLL: Duration = Duration::from_secs(1);
/// Runs woken per pass; the next pass takes the rest at once.
const BATCH: i64 = 500;

/// Runs until the process ends: wakes due runs, renews this node's heartbeat.
pub async fn run_waker(engine: Engine, runner: Runner) {
    let node = engine.node_id().to_string();
    let mut last_beat: Option<tokio::time::Instant> = None;
    loop {
        if last_beat.is_none_or(|t| t.elapsed() >= Duration::from_secs(HEARTBEAT_SECS as u64)) {
            // Which projects' folders are here, for the other nodes (PostgreSQL: many nodes).
            let projects = match engine.store().is_lite() {
                true => None,
                false => super::cluster::projects_here(&engine).await,
            };
            if let Err(e) = NodeRow::heartbeat(engine.store(), &node, projects.as_deref()).await {
                tracing::warn!(error = %e, "could not renew this server's heartbeat");
            }
            last_beat = Some(tokio::time::Instant::now());
        }
        let woken = wake_due(&engine, &runner).await;
        if woken >= BATCH as usize {
            continue;
        }
        let sleep = until_next_wake(&engine).await;
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = engine.woken() => {}
        }
    }
}

/// Wakes the runs due now; how many it looked at.
async fn wake_due(engine: &Engine, runner: &Runner) -> usize {
    let due = match RunRow::due_to_wake(engine.store(), BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the runs to wake");
            return 0;
        }
    };
    for id in &due {
        match engine.wake_run(id, None).await {
            Ok(Some(run)) => {
                tracing::info!(run = %run.id, "woken");
                runner.start(run.id, None);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(run = %id, error = %e, "could not wake the run"),
        }
    }
    due.len()
}

/// How long until the earliest `wake_at`, at most `POLL`.
async fn until_next_wake(engine: &Engine) -> Duration {
    let next = RunRow::next_wake(engine.store()).await.ok().flatten();
    let Some(at) = next.and_then(|n| chrono::DateTime::parse_from_rfc3339(&n).ok()) else {
        return POLL;
    };
    let left = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    left.to_std().unwrap_or(Duration::ZERO).min(POLL)
}

/// Removes this node's heartbeat (a clean shutdown).
pub async fn leave(engine: &Engine) {
    let _ = NodeRow::leave(engine.store(), engine.node_id()).await;
}
