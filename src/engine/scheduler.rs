//! Background runs for the server: started under a limit on how many run at once (the rest
//! wait as `pending`, holding no process), and picked up again after a restart.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use super::run_queue::{Queued, RunQueue};
use super::{Engine, EngineError, Prepared};
use crate::domain::RunStatus;
use crate::events::Event;
use crate::store::runs::RunRow;

/// Default limit on runs driven at once by one server.
pub const DEFAULT_MAX_CONCURRENT_RUNS: usize = 8;

/// How often runs waiting for their concurrency key look again without being woken: a run
/// of their key driven by another process (`workflow-engine run`) ends unseen by this one.
const KEY_POLL: Duration = Duration::from_millis(500);

/// Starts runs in the order they were queued: one dispatcher takes the first queued run that
/// may start (`run_queue`) once a slot is free, so a run created earlier never waits behind a
/// later one, except behind its concurrency key: a run whose key has its limit of runs
/// `running` (in the store, whoever drives them) waits without holding up the runs behind it,
/// and starts when one of its key ends (woken at once by this server's runs, within
/// `KEY_POLL` by another process's). A run is driven only while it is `pending`, so one queued
/// twice (or resumed meanwhile by a CLI) is driven once; the claim counts the key again, in
/// the same statement (`RunRow::claim`).
#[derive(Clone)]
pub struct Runner {
    engine: Engine,
    shared: Arc<Shared>,
    /// Free run slots.
    permits: Arc<Semaphore>,
    /// The limit on runs driven at once.
    limit: usize,
    /// One node of many on PostgreSQL: pulls pending runs from the database (`cluster`).
    cluster: bool,
}

struct Shared {
    /// Runs queued and not yet given a slot, in the order they will start.
    queue: Mutex<RunQueue>,
    /// Runs started by the dispatcher and not ended: run id -> its key (counted as running
    /// before their claim shows in the store).
    in_flight: Mutex<HashMap<String, Option<String>>>,
    /// Wakes the dispatcher: a run queued, a run ended, another node's wake-up.
    wake: Arc<Notify>,
    /// This node's projects, for pulling runs (`cluster`).
    projects: tokio::sync::Mutex<super::cluster::LocalProjects>,
    next_seq: AtomicU64,
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
        let runner = Runner {
            engine: engine.clone(),
            shared: Arc::new(Shared {
                queue: Mutex::new(RunQueue::default()),
                in_flight: Mutex::new(HashMap::new()),
                wake: Arc::new(Notify::new()),
                projects: Default::default(),
                next_seq: AtomicU64::new(0),
            }),
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            cluster: engine_is_clustered(&engine),
        };
        tokio::spawn(runner.clone().dispatch());
        runner
    }

    /// The dispatcher: waits for a slot, then for a run that may take it.
    async fn dispatch(self) {
        loop {
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                return;
            };
            match self.take_startable().await {
                Some(queued) => {
                    let runner = self.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        runner.run_queued(queued).await;
                    });
                }
                None => {
                    if let Some(run) = self.pull().await {
                        let runner = self.clone();
                        tokio::spawn(async move {
                            let _permit = permit;
                            runner.run_pulled(run).await;
                        });
                        continue;
                    }
                    // The slot is not held meanwhile: `running` counts runs driven.
                    drop(permit);
                    let waits_for_keys = self.lock_queue().len() > 0;
                    if waits_for_keys {
                        let _ = tokio::time::timeout(KEY_POLL, self.shared.wake.notified()).await;
                    } else if self.cluster {
                        let poll = super::cluster::PULL_POLL;
                        let _ = tokio::time::timeout(poll, self.shared.wake.notified()).await;
                    } else {
                        self.shared.wake.notified().await;
                    }
                }
            }
        }
    }

    /// On a cluster: claims a pending run of this node's projects from the database (created
    /// through another node, woken or requeued by one), counted in flight.
    async fn pull(&self) -> Option<RunRow> {
        if !self.cluster {
            return None;
        }
        let busy: Vec<String> = self
            .shared
            .in_flight
            .lock()
            .expect("in flight lock")
            .keys()
            .cloned()
            .collect();
        let mut projects = self.shared.projects.lock().await;
        let run = super::cluster::pull(&self.engine, &mut projects, &busy).await?;
        self.shared
            .in_flight
            .lock()
            .expect("in flight lock")
            .insert(run.id.clone(), run.concurrency_key.clone());
        Some(run)
    }

    /// Drives a run `pull` claimed.
    async fn run_pulled(&self, run: RunRow) {
        let run_id = run.id.clone();
        tracing::info!(run = %run_id, "claimed from the cluster's queue");
        let outcome = self.engine.execute(&run_id, None, super::RunControl::default()).await;
        self.ended(&run_id, outcome).await;
    }

    /// Wakes the dispatcher (another node said a run may be claimable).
    pub fn kick(&self) {
        self.shared.wake.notify_one();
    }

    /// The dispatcher's wake-up, for the reaper and the database listener.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.shared.wake.clone()
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, RunQueue> {
        self.shared.queue.lock().expect("queue lock")
    }

    /// The first queued run that may start now, taken out of the queue and counted in flight.
    async fn take_startable(&self) -> Option<Queued> {
        let store = self.engine.store();
        let unkeyed = self.lock_queue().unkeyed();
        if !unkeyed.is_empty() {
            match RunRow::keys_of(store, &unkeyed).await {
                Ok(keys) => {
                    let keys: HashMap<String, (String, i64)> =
                        keys.into_iter().map(|k| (k.run_id, (k.key, k.limit))).collect();
                    self.lock_queue().set_keys(&unkeyed, &keys);
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the queued runs' concurrency keys"),
            }
        }
        // Only runs with a key need the count (most servers have none: no query).
        let keyed = self.lock_queue().has_keys();
        let running = match if keyed {
            RunRow::running_keys(store).await
        } else {
            Ok(Vec::new())
        } {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot count the running runs' concurrency keys");
                Vec::new()
            }
        };
        let mut in_flight = self.shared.in_flight.lock().expect("in flight lock");
        let mut ids: HashMap<&str, &str> = running.iter().map(|(id, k)| (id.as_str(), k.as_str())).collect();
        ids.extend(
            in_flight
                .iter()
                .filter_map(|(id, k)| Some((id.as_str(), k.as_deref()?))),
        );
        let mut busy: HashMap<String, usize> = HashMap::new();
        for key in ids.values() {
            *busy.entry(key.to_string()).or_default() += 1;
        }
        let taken = self.lock_queue().take_startable(&busy)?;
        let key = taken.key.clone().flatten().map(|(k, _)| k);
        in_flight.insert(taken.run_id.clone(), key);
        Some(taken)
    }

    /// Drives a run the dispatcher took; one its key turned away at the claim (a run of the
    /// key started elsewhere meanwhile) goes back to its place in the queue.
    async fn run_queued(&self, queued: Queued) {
        let run_id = queued.run_id.clone();
        match self.engine.execute_queued(&run_id, queued.prepared).await {
            Err(EngineError::KeyBusy { load, .. }) => {
                tracing::debug!(run = %run_id, key = %load.key, "concurrency key taken meanwhile: queued again");
                self.lock_queue().insert(Queued {
                    prepared: None,
                    blocked: true,
                    ..queued
                });
                self.ended(&run_id, Ok(None)).await;
            }
            outcome => self.ended(&run_id, outcome.map(Some)).await,
        }
    }

    /// What became of a drive; its slot is free again.
    async fn ended(&self, run_id: &str, outcome: Result<impl Into<Option<super::run::RunOutcome>>, EngineError>) {
        match outcome {
            Ok(o) => {
                if let Some(outcome) = o.into() {
                    tracing::info!(run = %run_id, status = %outcome.status, "run ended")
                }
            }
            // Cancelled while queued, driven meanwhile by another process, or taken by one:
            // nothing to do.
            Err(EngineError::NotResumable { .. } | EngineError::Leased { .. } | EngineError::KeyBusy { .. }) => {}
            // Another node has its project: it claims it.
            Err(EngineError::NotHere { .. }) => self.engine.store().notify_wake(run_id).await,
            // Taken over: the node that has it now records what becomes of it.
            Err(e @ (EngineError::LeaseLost(_) | EngineError::Store(crate::store::StoreError::Fenced(_)))) => {
                tracing::warn!(run = %run_id, error = %e, "drive stopped: lease lost")
            }
            Err(e) => {
                tracing::warn!(run = %run_id, error = %e, "run could not start");
                let _ = RunRow::finish(self.engine.store(), run_id, RunStatus::Failed, Some(&e.to_string())).await;
            }
        }
        self.shared.in_flight.lock().expect("in flight lock").remove(run_id);
        self.shared.wake.notify_one();
    }

    /// The queue now: the runs waiting for a slot (or their concurrency key), in the order
    /// they will start.
    pub fn queue(&self) -> QueueSnapshot {
        let order = self.lock_queue().ids().map(str::to_string).collect();
        QueueSnapshot {
            order,
            running: self.limit - self.permits.available_permits().min(self.limit),
            limit: self.limit,
        }
    }

    /// Drives the run in the background once a slot is free (first queued, first started;
    /// after the runs of its concurrency key queued before it). A TypeScript run that has to
    /// wait gives its loaded worker back: a queued run holds no process, and its definition
    /// is loaded again when its turn comes.
    pub fn start(&self, run_id: String, prepared: Option<Prepared>) {
        let starts_now = self.may_start_now();
        if self.cluster && !starts_now {
            // Another node with a free slot may take it meanwhile.
            let engine = self.engine.clone();
            let id = run_id.clone();
            tokio::spawn(async move { engine.store().notify_wake(&id).await });
        }
        let prepared = prepared.filter(|p| p.child.is_none() || starts_now);
        let seq = self.shared.next_seq.fetch_add(1, Ordering::SeqCst);
        self.lock_queue().insert(Queued {
            seq,
            run_id,
            prepared,
            key: None,
            blocked: false,
        });
        self.shared.wake.notify_one();
    }

    /// Whether a run queued now would find a free slot at once (runs waiting only for their
    /// concurrency key are not ahead of it).
    pub fn may_start_now(&self) -> bool {
        self.lock_queue().unblocked() == 0 && self.permits.available_permits() > 0
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
        for run in RunRow::leased(store).await? {
            let dead = run.lease_owner.as_deref().is_some_and(super::owner_is_dead)
                || self.engine.held_by_previous_incarnation(&run);
            if dead && !runs.iter().flatten().any(|r| r.id == run.id) {
                runs.push(self.requeue(run).await?);
            }
        }
        for run in runs.iter().flatten() {
            tracing::info!(run = %run.id, "resuming after start-up");
            if self.cluster {
                // Pending in the database: whichever node has a slot and the project pulls it.
                self.engine.store().notify_wake(&run.id).await;
            } else {
                self.start(run.id.clone(), None);
            }
        }
        self.kick();
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

/// Whether the engine is one node of possibly many (on PostgreSQL).
fn engine_is_clustered(engine: &Engine) -> bool {
    engine.store().backend() == "postgres"
}
