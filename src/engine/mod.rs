//! The engine: creates runs and drives them to an end, durably.
//!
//! `Engine` is a cheap-clone handle (store, event bus, the controls of the runs it drives).
//! `run` drives one run (YAML in-process, TypeScript through a JS worker process); `host` is
//! the one step host both go through (`step_start`, then `step_end`): memo lookup, running
//! the step, persisting it, emitting events. `outbox` writes what a run derives from its rows
//! (its files, its events) in order, off the step's path. `js_child` is the engine's handle
//! on a JS worker process; `ts_run` serves a TypeScript run's `ctx` calls, pausing it
//! through `pause_handshake`; `pause_now` stops a run's steps in flight for a pause that
//! cannot wait for them. `discovery` keeps the rows of projects' template folders;
//! `control` pauses, resumes and cancels runs for the API and the CLI alike. `create` records
//! a new run, `rerun` one started from another (run again, rerun from a step); `source`
//! keeps a TypeScript run from being resumed with code that changed under it unawares.

mod agent_controls;
mod agent_log;
mod agent_result;
mod agent_session;
mod agent_step;
pub mod budget;
mod budget_guard;
pub mod cluster;
pub mod control;
mod create;
pub use create::NewRunSpec;
mod ctx_utils;
pub mod decisions;
pub mod discovery;
pub mod host;
mod identity;
pub(crate) use identity::{hostname, owner_is_alive_here, owner_is_dead};
pub mod js_child;
mod outbox;
mod outcome;
mod pause_handshake;
pub mod pause_now;
mod repair;
pub mod rerun;
mod rerun_restore;
mod resume_prep;
mod retry;
mod retry_wait;
pub mod run;
mod run_queue;
pub mod scheduler;
mod script_step;
mod secrets;
pub mod source;
mod step_defer;
mod step_end;
mod step_snapshot;
mod step_start;
mod step_unrun;
mod stop;
mod ts_run;
mod ts_step_config;
pub mod waits;
pub mod waker;
mod warm;
mod workspace;
mod yaml_step;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub use control::{RunControl, Signal};
use js_child::JsChild;

use crate::definition::{self, DefinitionError, DefinitionKind, WorkflowDefinition};
use crate::domain::RunStatus;
use crate::events::EventBus;
use crate::store::projects::ProjectRow;
use crate::store::runs::{ClaimFrom, RunRow};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Definition(Vec<DefinitionError>),
    #[error("invalid arguments:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    InvalidArgs(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A run name that would not read as what it is (`definition::names`).
    #[error("{0}")]
    InvalidName(String),
    /// Arguments that would make a step's command line too long for Linux (`subprocess::argv`).
    #[error("the arguments make a command line too long to start:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    CommandTooLong(Vec<String>),
    #[error("run {0} not found")]
    RunNotFound(String),
    #[error("run {id} is {status} and cannot be resumed")]
    NotResumable { id: String, status: RunStatus },
    /// This engine lost the run's lease (another node took it over, or this one could not
    /// renew it in time): its drive stopped, recording nothing more.
    #[error("run {0}: this engine lost its lease; another node drives it on")]
    LeaseLost(String),
    /// The run's project folder is not on this node, or the project requires node labels
    /// this node lacks: another node takes it.
    #[error("run {id}: its project {path} is not on this node, or needs labels it lacks")]
    NotHere { id: String, path: String },
    #[error("run {id} is being driven by another engine process ({owner}); its lease ends at {until}")]
    Leased { id: String, owner: String, until: String },
    /// The run's concurrency key has its limit of runs `running`: it stays as it was
    /// (`pending`) until one ends (`store::concurrency`).
    #[error("run {id} waits: {}", key_busy_text(.load))]
    KeyBusy {
        id: String,
        load: crate::store::concurrency::KeyLoad,
    },
    /// A TypeScript run whose source changed since it recorded it (`source`).
    #[error("{}", source::changed_message(id, changes))]
    SourceChanged {
        id: String,
        changes: Vec<crate::definition::source::SourceChange>,
    },
}

/// "1 run with concurrency key repo:x is running (limit 1)".
pub fn key_busy_text(load: &crate::store::concurrency::KeyLoad) -> String {
    let runs = if load.running == 1 { "run" } else { "runs" };
    let verb = if load.running == 1 { "is" } else { "are" };
    format!(
        "{} {runs} with concurrency key {} {verb} running (limit {})",
        load.running, load.key, load.limit
    )
}

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The `workflow-engine` binary, started as `__worker` for each TypeScript run.
    pub worker_exe: PathBuf,
    /// How agent CLIs are started and retried.
    pub agents: crate::agent::AgentsConfig,
    /// JS workers kept started ahead of need, so a TypeScript run does not wait for one
    /// (about 35 ms); 0 starts each when it is needed. The server keeps one.
    pub warm_workers: usize,
    /// How long a TypeScript module may take to load (its top-level code and
    /// `defineWorkflow`) before its worker is killed and the definition fails: a module that
    /// never finishes loading must not hold up `validate`, a run or the server's discovery.
    pub load_timeout: std::time::Duration,
    /// Where runs' git worktrees are made (`--worktree-dir`); `<data-dir>/worktrees` if None.
    pub worktree_dir: Option<PathBuf>,
    /// How long a claim on a run lasts without renewal (`--lease-secs`); renewed at a third
    /// of it. Another node takes a run over once its lease has run out.
    pub lease: std::time::Duration,
    /// Runs driven at once across every node on the database (`--cluster-max-runs`).
    pub cluster_max_runs: Option<i64>,
    /// A `serve` node's stable id (`--node-id`, or the one kept in `<data-dir>/node-id`),
    /// the same across its restarts; None for a CLI process, whose node id is its lease
    /// owner (`host/pid/nonce`).
    pub node_id: Option<String>,
    /// This node's labels (`--node-labels`): on PostgreSQL it takes the runs of a project
    /// that requires labels only if it has every one (`cluster`).
    pub node_labels: Vec<String>,
}

/// `EngineConfig::lease` unless configured.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// `EngineConfig::load_timeout` unless configured (`--load-timeout`).
pub const DEFAULT_LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl EngineConfig {
    /// The default agent commands (`claude`, `codex`, `gemini` on `PATH`).
    pub fn new(worker_exe: PathBuf) -> EngineConfig {
        EngineConfig {
            worker_exe,
            agents: Default::default(),
            warm_workers: 0,
            load_timeout: DEFAULT_LOAD_TIMEOUT,
            worktree_dir: None,
            lease: DEFAULT_LEASE,
            cluster_max_runs: None,
            node_id: None,
            node_labels: Vec::new(),
        }
    }
}

/// A handle on the engine; clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    events: EventBus,
    config: EngineConfig,
    /// Identifies this process in run leases (`host/pid/nonce`).
    owner: String,
    /// Identifies this node in `engine_nodes` and `workflow_runs.node_id`: the configured
    /// stable id, else `owner`.
    node_id: String,
    /// Controls of the runs this process is driving, by run id.
    controls: Mutex<HashMap<String, RunControl>>,
    /// Writes runs' files and emits their events in order, off the steps' critical path.
    outbox: outbox::Outbox,
    /// Workers started ahead of need (`EngineConfig::warm_workers`), oldest first.
    warm: Mutex<Vec<JsChild>>,
    /// Wakes this process's waker (`waker::run_waker`, in `serve`): a wait was resolved.
    wake: tokio::sync::Notify,
}

/// A definition ready to run; a TypeScript one keeps the worker that loaded it, so the run
/// does not pay for a second worker start.
pub struct Prepared {
    pub definition: WorkflowDefinition,
    pub child: Option<JsChild>,
}

impl Engine {
    pub fn new(store: Store, config: EngineConfig) -> Engine {
        let owner = format!("{}/{}/{}", hostname(), std::process::id(), crate::store::new_id());
        crate::subprocess::guard::init(&config.worker_exe);
        let node_id = config.node_id.clone().unwrap_or_else(|| owner.clone());
        Engine {
            inner: Arc::new(Inner {
                events: EventBus::with_journal(store.clone()),
                store,
                config,
                owner,
                node_id,
                controls: Mutex::default(),
                outbox: outbox::Outbox::start(),
                warm: Mutex::default(),
                wake: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Tells this process's waker to look at waiting runs now (a wait was resolved).
    pub fn wake_soon(&self) {
        self.inner.wake.notify_one();
    }

    /// Resolves when `wake_soon` was called (since the last time this resolved).
    pub async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn agents(&self) -> &crate::agent::AgentsConfig {
        &self.inner.config.agents
    }

    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    pub(crate) fn outbox(&self) -> &outbox::Outbox {
        &self.inner.outbox
    }

    pub(crate) fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// This engine's id as a node (`engine_nodes.id`, `workflow_runs.node_id`): stable
    /// across a `serve` node's restarts, unlike its lease owner (`owner`).
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The claimer this engine claims runs as, its lease ending `lease` from now.
    pub(crate) fn lease_until(&self) -> String {
        let lease = chrono::Duration::from_std(self.inner.config.lease).unwrap_or(chrono::Duration::seconds(30));
        (chrono::Utc::now() + lease).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// The control of a run this process drives.
    pub fn control(&self, run_id: &str) -> Option<RunControl> {
        self.inner.controls.lock().expect("controls lock").get(run_id).cloned()
    }

    /// Tells the driver of run `run_id`, if this process drives it, to read the pause or
    /// cancel request in its row now (heard from the database); every driver's when None
    /// (the listener reconnected: a notification may have been missed).
    pub fn recheck_requests(&self, run_id: Option<&str>) {
        let controls = self.inner.controls.lock().expect("controls lock");
        match run_id {
            Some(id) => controls.get(id).into_iter().for_each(RunControl::recheck_requests),
            None => controls.values().for_each(RunControl::recheck_requests),
        }
    }

    /// Reads a workflow file: YAML parsed here, TypeScript loaded in a fresh worker.
    pub async fn prepare(&self, file: &Path, project: &Path) -> Result<Prepared, EngineError> {
        let file = std::path::absolute(file)?;
        match DefinitionKind::from_path(&file) {
            Some(DefinitionKind::Yaml) => {
                // A big file takes a while to check: not on a thread that serves requests.
                let parse = tokio::task::spawn_blocking(move || definition::yaml::read_yaml(&file));
                let parsed = parse.await.map_err(std::io::Error::other)?;
                let definition = parsed.map_err(EngineError::Definition)?;
                Ok(Prepared {
                    definition,
                    child: None,
                })
            }
            Some(DefinitionKind::Code) => {
                if !file.is_file() {
                    return Err(EngineError::Definition(vec![DefinitionError::at(
                        None,
                        format!("cannot read {}: no such file", file.display()),
                    )]));
                }
                let mut worker = match self.take_warm_worker() {
                    Some(worker) => worker,
                    None => JsChild::start(&self.inner.config.worker_exe, project)?,
                };
                worker.load(&file, project);
                if self.inner.config.warm_workers > 0 {
                    let engine = self.clone();
                    tokio::spawn(async move { engine.warm_workers() });
                }
                let limit = self.inner.config.load_timeout;
                let definition = match tokio::time::timeout(limit, worker.describe(&file)).await {
                    Ok(described) => described.map_err(EngineError::Definition)?,
                    // Dropping the worker kills it, and whatever it was running.
                    Err(_) => return Err(EngineError::Definition(vec![load_timed_out(&file, limit)])),
                };
                Ok(Prepared {
                    definition,
                    child: Some(worker),
                })
            }
            None => Err(EngineError::Definition(vec![DefinitionError::at(
                None,
                format!(
                    "{}: not a workflow file (expected .ts, .mts, .js, .mjs, .yaml or .yml)",
                    file.display()
                ),
            )])),
        }
    }

    /// Every check of a run's arguments, made before the run exists: the workflow's own zod
    /// parse first (its refinements and unions say what is wrong in zod's words), then the
    /// JSON Schema, which also refuses keys a zod object would silently drop. Returns the
    /// arguments with the schema's defaults filled in.
    pub async fn check_args(&self, prepared: &mut Prepared, args: Value) -> Result<Value, EngineError> {
        if let Some(child) = prepared.child.as_mut() {
            let problems = child.check_args(&args).await.map_err(std::io::Error::other)?;
            if !problems.is_empty() {
                return Err(EngineError::InvalidArgs(problems));
            }
        }
        definition::schema::validate_args(prepared.definition.args_schema.as_ref(), args)
            .map_err(EngineError::InvalidArgs)
    }

    /// Drives a run (new, paused, failed, or left running by a crash) to its end or a pause.
    /// `prepared` may carry the definition and worker already loaded for it.
    pub async fn execute(
        &self,
        run_id: &str,
        prepared: Option<Prepared>,
        control: RunControl,
    ) -> Result<run::RunOutcome, EngineError> {
        self.execute_from(run_id, prepared, control, ClaimFrom::Resume).await
    }

    /// Drives a run only if it is still `pending` (the server's queue): a run queued twice,
    /// or resumed meanwhile by another process, is not driven a second time.
    pub async fn execute_queued(
        &self,
        run_id: &str,
        prepared: Option<Prepared>,
    ) -> Result<run::RunOutcome, EngineError> {
        self.execute_from(run_id, prepared, RunControl::default(), ClaimFrom::Queue)
            .await
    }

    async fn execute_from(
        &self,
        run_id: &str,
        prepared: Option<Prepared>,
        control: RunControl,
        from: ClaimFrom,
    ) -> Result<run::RunOutcome, EngineError> {
        let run = RunRow::get(self.store(), run_id)
            .await?
            .ok_or_else(|| EngineError::RunNotFound(run_id.into()))?;
        let project = ProjectRow::get(self.store(), &run.project_id)
            .await?
            .ok_or_else(|| EngineError::RunNotFound(run_id.into()))?;
        let project_path = PathBuf::from(&project.path);
        if from == ClaimFrom::Queue && !cluster::may_drive(self, &project) {
            // Another node, which has the project (and its labels), claims it (`scheduler`'s
            // cluster pull).
            return Err(EngineError::NotHere {
                id: run.id,
                path: project.path,
            });
        }
        if from == ClaimFrom::Queue && run.status != RunStatus::Pending {
            // Not loaded for nothing: the claim would refuse it.
            return Err(EngineError::NotResumable {
                id: run.id,
                status: run.status,
            });
        }
        let prepared = match prepared {
            Some(p) => p,
            None => {
                // New code is not handed an old memo without a person saying so: a drive
                // nobody asked for (a wake after a decision) fails the run, saying why.
                if let Err(e) = self.refuse_changed_source(&run).await {
                    return Err(self.fail_unstarted(&run, e).await);
                }
                let prepared = self.prepare_for_resume(&run, &project_path).await?;
                self.repair_snapshot(&run, &project_path, &prepared.definition);
                prepared
            }
        };
        self.inner
            .controls
            .lock()
            .expect("controls lock")
            .insert(run.id.clone(), control.clone());
        // On a task of its own: the tasks that serve the worker's calls are spawned from it,
        // so they start on the same runtime thread instead of waking another one (the
        // caller may be outside the runtime's threads, as `block_on` is). Dropping this
        // future still stops the run.
        let engine = self.clone();
        let mut drive = AbortOnDrop(tokio::spawn(async move {
            run::claim_and_run(&engine, run, project_path, prepared, control, from).await
        }));
        let outcome = match (&mut drive.0).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(EngineError::Io(std::io::Error::other(format!(
                "the run's task stopped: {e}"
            )))),
        };
        self.inner.controls.lock().expect("controls lock").remove(run_id);
        // Whatever became of the drive, its writes are not fenced any more.
        self.store().release(run_id);
        give_memory_back();
        outcome
    }
}

/// The failure of a module that did not finish loading in time, located at its start: the
/// worker cannot say where it was when it was stopped.
fn load_timed_out(file: &Path, limit: std::time::Duration) -> DefinitionError {
    let secs = limit.as_secs_f64();
    let message = format!(
        "loading the workflow took longer than {secs}s and was stopped: does its top-level code \
         loop or wait forever? (the limit is --load-timeout / WORKFLOW_ENGINE_LOAD_TIMEOUT)"
    );
    DefinitionError::in_file(file, message)
}

/// Returns the heap a run freed to the system: glibc keeps freed memory for reuse, and a
/// server that drove a run with large results otherwise stays that large.
fn give_memory_back() {
    crate::sys::memory::trim_heap();
}

/// A spawned task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
