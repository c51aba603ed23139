//! Background runs for the server: started under a limit on how many run at once (the rest
//! wait as `pending`), and picked up again after a restart.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{Engine, EngineError, Prepared, RunControl};
use crate::store::runs::RunRow;

/// Default limit on runs driven at once by one server.
pub const DEFAULT_MAX_CONCURRENT_RUNS: usize = 8;

#[derive(Clone)]
pub struct Runner {
    engine: Engine,
    permits: Arc<Semaphore>,
}

impl Runner {
    pub fn new(engine: Engine, max_concurrent: usize) -> Runner {
        Runner {
            engine,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// Drives the run in the background once a slot is free.
    pub fn start(&self, run_id: String, prepared: Option<Prepared>) {
        let (engine, permits) = (self.engine.clone(), self.permits.clone());
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            match engine.execute(&run_id, prepared, RunControl::default()).await {
                Ok(outcome) => tracing::info!(run = %run_id, status = %outcome.status, "run ended"),
                // Cancelled while queued, or taken by another process: nothing to do.
                Err(EngineError::NotResumable { .. } | EngineError::Leased { .. }) => {}
                Err(e) => {
                    tracing::warn!(run = %run_id, error = %e, "run could not start");
                    let _ = RunRow::finish(engine.store(), &run_id, "failed", Some(&e.to_string())).await;
                }
            }
        });
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
