//! Background runs for the server: started under a limit on how many run at once (the rest
//! wait as `pending`), and picked up again after a restart.

use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};

use super::{Engine, EngineError, Prepared, RunControl};
use crate::store::runs::RunRow;

/// Default limit on runs driven at once by one server.
pub const DEFAULT_MAX_CONCURRENT_RUNS: usize = 8;

/// Starts runs in the order they were queued: one dispatcher takes them from a channel and
/// waits for a free slot before spawning each, so a run created earlier never waits behind a
/// later one.
#[derive(Clone)]
pub struct Runner {
    engine: Engine,
    queue: mpsc::UnboundedSender<(String, Option<Prepared>)>,
}

impl Runner {
    /// Must be called inside a tokio runtime (it spawns the dispatcher).
    pub fn new(engine: Engine, max_concurrent: usize) -> Runner {
        let permits = Arc::new(Semaphore::new(max_concurrent.max(1)));
        let (queue, mut queued) = mpsc::unbounded_channel::<(String, Option<Prepared>)>();
        let dispatcher_engine = engine.clone();
        tokio::spawn(async move {
            while let Some((run_id, prepared)) = queued.recv().await {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let engine = dispatcher_engine.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    drive(engine, run_id, prepared).await;
                });
            }
        });
        Runner { engine, queue }
    }

    /// Drives the run in the background once a slot is free (first queued, first started).
    pub fn start(&self, run_id: String, prepared: Option<Prepared>) {
        let _ = self.queue.send((run_id, prepared));
    }

    /// Picks up queued runs and runs a crash left `running` (their in-flight step runs again).
    pub async fn recover(&self) -> Result<usize, crate::store::StoreError> {
        let store = self.engine.store();
        let mut runs = RunRow::orphaned(store).await?;
        for run in RunRow::leased_running(store).await? {
            if run.lease_owner.as_deref().is_some_and(super::owner_is_dead) && !runs.iter().any(|r| r.id == run.id) {
                runs.push(run);
            }
        }
        for run in &runs {
            tracing::info!(run = %run.id, status = %run.status, "resuming after start-up");
            self.start(run.id.clone(), None);
        }
        Ok(runs.len())
    }
}

async fn drive(engine: Engine, run_id: String, prepared: Option<Prepared>) {
    match engine.execute(&run_id, prepared, RunControl::default()).await {
        Ok(outcome) => tracing::info!(run = %run_id, status = %outcome.status, "run ended"),
        // Cancelled while queued, or taken by another process: nothing to do.
        Err(EngineError::NotResumable { .. } | EngineError::Leased { .. }) => {}
        Err(e) => {
            tracing::warn!(run = %run_id, error = %e, "run could not start");
            let _ = RunRow::finish(engine.store(), &run_id, "failed", Some(&e.to_string())).await;
        }
    }
}
