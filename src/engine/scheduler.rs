//! Background runs for the server: started under a limit on how many run at once (the rest
//! wait as `pending`, holding no process), and picked up again after a restart.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Semaphore};

use super::{Engine, EngineError, Prepared};
use crate::domain::RunStatus;
use crate::events::Event;
use crate::store::runs::RunRow;

/// Default limit on runs driven at once by one server.
pub const DEFAULT_MAX_CONCURRENT_RUNS: usize = 8;

/// Starts runs in the order they were queued: one dispatcher takes them from a channel and
/// waits for a free slot before spawning each, so a run created earlier never waits behind a
/// later one. A run is driven only while it is `pending`, so one queued twice (or resumed
/// meanwhile by a CLI) is driven once.
#[derive(Clone)]
pub struct Runner {
    engine: Engine,
    queue: mpsc::UnboundedSender<(String, Option<Prepared>)>,
    /// Free run slots.
    permits: Arc<Semaphore>,
    /// Runs queued and not yet given a slot.
    waiting: Arc<AtomicUsize>,
    /// Those runs' ids, in the order they will start.
    order: Arc<Mutex<VecDeque<String>>>,
    /// The limit on runs driven at once.
    limit: usize,
}

/// The Runner's queue as it stands: who waits for a slot, in order, and how full the slots are.
#[derive(Debug, Clone)]
pub struct QueueSnapshot {
    /// Queued run ids, first to start first (a run cancelled while queued stays until its turn).
    pub order: Vec<String>,
    /// Runs holding a slot.
    pub running: usize,
    /// Slots in all.
    pub limit: usize,
}

impl Runner {
    /// Must be called inside a tokio runtime (it spawns the dispatcher).
    pub fn new(engine: Engine, max_concurrent: usize) -> Runner {
        let limit = max_concurrent.max(1);
        let permits = Arc::new(Semaphore::new(limit));
        let waiting = Arc::new(AtomicUsize::new(0));
        let order = Arc::new(Mutex::new(VecDeque::new()));
        let (queue, mut queued) = mpsc::unbounded_channel::<(String, Option<Prepared>)>();
        let (dispatcher_engine, slots, count) = (engine.clone(), permits.clone(), waiting.clone());
        let in_order = order.clone();
        tokio::spawn(async move {
            while let Some((run_id, prepared)) = queued.recv().await {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                count.fetch_sub(1, Ordering::SeqCst);
                {
                    let mut order = in_order.lock().expect("queue lock");
                    if let Some(i) = order.iter().position(|id| *id == run_id) {
                        order.remove(i);
                    }
                }
                let engine = dispatcher_engine.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    run_queued(engine, run_id, prepared).await;
                });
            }
        });
        Runner {
            engine,
            queue,
            permits,
            waiting,
            order,
            limit,
        }
    }

    /// The queue now: the runs waiting for a slot, in the order they will start.
    pub fn queue(&self) -> QueueSnapshot {
        let order = self.order.lock().expect("queue lock").iter().cloned().collect();
        QueueSnapshot {
            order,
            running: self.limit - self.permits.available_permits().min(self.limit),
            limit: self.limit,
        }
    }

    /// Drives the run in the background once a slot is free (first queued, first started).
    /// A TypeScript run that has to wait gives its loaded worker back: a queued run holds no
    /// process, and its definition is loaded again when its turn comes.
    pub fn start(&self, run_id: String, prepared: Option<Prepared>) {
        let starts_now = self.may_start_now();
        let prepared = prepared.filter(|p| p.child.is_none() || starts_now);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        // Sent under the lock: the order shown is the order the dispatcher receives.
        let mut order = self.order.lock().expect("queue lock");
        order.push_back(run_id.clone());
        let _ = self.queue.send((run_id, prepared));
    }

    /// Whether a run queued now would find a free slot at once.
    pub fn may_start_now(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) == 0 && self.permits.available_permits() > 0
    }

    /// Queues a paused or failed run again (`Engine::resume_run`) and starts it once a slot
    /// is free; it is `pending` until then.
    pub async fn resume(
        &self,
        run_id: &str,
        options: &super::control::ResumeOptions,
    ) -> Result<super::control::Resumed, super::control::ControlError> {
        let resumed = self.engine.resume_run(run_id, options).await?;
        self.start(resumed.run.id.clone(), None);
        Ok(resumed)
    }

    /// Picks up queued runs and runs a crash left `running` (their in-flight step runs again).
    /// Those are `pending` again until a slot takes them: nothing drives them meanwhile.
    pub async fn recover(&self) -> Result<usize, crate::store::StoreError> {
        let store = self.engine.store();
        let mut runs = Vec::new();
        for run in RunRow::orphaned(store).await? {
            runs.push(self.requeue(run).await?);
        }
        for run in RunRow::leased_running(store).await? {
            if run.lease_owner.as_deref().is_some_and(super::owner_is_dead)
                && !runs.iter().flatten().any(|r| r.id == run.id)
            {
                runs.push(self.requeue(run).await?);
            }
        }
        for run in runs.iter().flatten() {
            tracing::info!(run = %run.id, "resuming after start-up");
            self.start(run.id.clone(), None);
        }
        Ok(runs.iter().flatten().count())
    }

    /// A run left `running` by a dead engine becomes `pending`; a `pending` one stays so.
    async fn requeue(&self, run: RunRow) -> Result<Option<RunRow>, crate::store::StoreError> {
        if run.status != RunStatus::Running {
            return Ok(Some(run));
        }
        let requeued = RunRow::requeue_orphan(self.engine.store(), &run.id, run.lease_owner.as_deref()).await?;
        if let Some(r) = &requeued {
            self.announce(r);
        }
        Ok(requeued)
    }

    fn announce(&self, run: &RunRow) {
        let event = Event::StatusChanged {
            execution_id: run.id.clone(),
            status: run.status,
            project_id: run.project_id.clone(),
            error_message: None,
        };
        self.engine.outbox().emit(self.engine.events(), event);
    }
}

async fn run_queued(engine: Engine, run_id: String, prepared: Option<Prepared>) {
    match engine.execute_queued(&run_id, prepared).await {
        Ok(outcome) => tracing::info!(run = %run_id, status = %outcome.status, "run ended"),
        // Cancelled while queued, driven meanwhile by another process, or taken by one:
        // nothing to do.
        Err(EngineError::NotResumable { .. } | EngineError::Leased { .. }) => {}
        Err(e) => {
            tracing::warn!(run = %run_id, error = %e, "run could not start");
            let _ = RunRow::finish(engine.store(), &run_id, RunStatus::Failed, Some(&e.to_string())).await;
        }
    }
}
