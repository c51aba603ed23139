//! The step host: the one path every step takes, from YAML and TypeScript alike.
//!
//! For a step id it looks up the memo (a step completed in an earlier attempt returns its
//! stored result and runs nothing), else records the step as running, runs it, and records
//! how it ended. Order of writes for a finished step (ARCHITECTURE §3): log files, then one
//! database transaction, then the checkpoint file, then the event. This file holds the
//! host's state and what every step shares; `step_start` starts a step and `step_end`
//! records how it ended.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value};
use tokio::sync::watch;

use super::control::Signal;
use super::Engine;
use crate::domain::CommentType;
use crate::events::Event;
use crate::js::protocol::FunctionOutcome;
use crate::store::files::RunFiles;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;

use super::outbox::WriteFailure;
use super::outcome::{load_result, Entry, Outcome};

/// Why a host call did not return normally.
#[derive(Debug, Clone, PartialEq)]
pub enum Interrupt {
    /// The run is pausing: this step must not start (it starts when the run resumes).
    Pausing,
    /// The run is being cancelled, or its steps in flight are being killed (it failed or
    /// timed out): this step must not start.
    Stopping,
    /// The run must fail with this message (a step id used twice, a database error).
    Fatal(String),
    /// The call was wrong; the workflow gets this error (ctx.step throws).
    Invalid(String),
}

/// How `step` went.
#[derive(Debug)]
pub enum Begin {
    /// The step's result: stored by an earlier attempt, or just produced by a script/agent.
    Result(Value),
    /// A function step was recorded as running; the worker runs `fn` and calls `finish_function`.
    RunFunction,
    /// An approval, sleep or signal step waits: the workflow stops here until it is resolved.
    Wait,
}

/// A step that has started and not yet finished.
pub(super) struct Running {
    pub(super) row: StepRow,
    pub(super) started: Instant,
    pub(super) continue_on_error: bool,
    /// Its retry policy, timeout and tries so far (`retry.rs`).
    pub(super) tries: super::retry::Tries,
    /// A function step's start not written yet (`step_defer`).
    pub(super) held: Option<Arc<super::step_defer::HeldStart>>,
}

#[derive(Default)]
pub(super) struct HostState {
    /// Rows from earlier attempts, by step id.
    pub(super) memo: HashMap<String, StepRow>,
    /// Step ids this attempt has used: a second use is an error.
    pub(super) seen: HashSet<String>,
    /// Results handed to the workflow, by step index: the checkpoint's contents.
    pub(super) results: BTreeMap<i64, Arc<Entry>>,
    /// The step index of the newest checkpoint file: each new one replaces it, so that a
    /// run's files grow with its results, not with their square.
    pub(super) last_checkpoint: Option<i64>,
    pub(super) running: HashMap<String, Running>,
    pub(super) phase: Option<String>,
    /// Function steps begun by the worker whose start was refused, and why.
    pub(super) refused: HashMap<String, String>,
    /// What a person should know about steps in flight, by step id (`agent_controls`).
    pub(super) warnings: HashMap<String, Vec<String>>,
    /// The last step that failed the run (not `continueOnError`): id and error.
    pub(super) failed: Option<(String, String)>,
    /// Why the steps still in flight are being stopped (the run failed, was cancelled or
    /// timed out): what they report instead of a bare "stopped".
    pub(super) stop_reason: Option<String>,
    /// Replaying: the run resumed and no step has run for real yet in this drive, so the
    /// workflow's console output repeats what an earlier attempt printed.
    pub(super) replaying: bool,
    /// Comments (step row id, text) earlier attempts wrote through `ctx.comment`, with how
    /// many times: a replay that writes one again finds it here and writes nothing.
    pub(super) written_comments: HashMap<(Option<String>, String), usize>,
    /// The spending limit that stopped this drive (`budget_guard`), if one did.
    pub(super) budget_stop: Option<super::budget::BudgetStop>,
    /// Steps a retry wait holds (`retry.onExhausted: "wait"`), by step id: still waiting, or
    /// failed by a person (`retry.rs`).
    pub(super) held: HashMap<String, super::retry_wait::Held>,
}

pub struct StepHost {
    pub engine: Engine,
    pub run_id: String,
    pub project_id: String,
    /// The project checkout: the run's files are here (`.agent/workflows/executions/<run>`).
    pub project: PathBuf,
    /// The run's git worktree, when it has one (`workspace: { isolation: "worktree" }`).
    pub workspace: Option<crate::workspace::RunWorkspace>,
    /// Where the run's steps work: the worktree (the project's folder in it), else the
    /// project. `cwd` is relative to it; `WORKFLOW_PROJECT_PATH` and `ctx.projectPath` are it.
    pub workdir: PathBuf,
    pub phases: Vec<String>,
    pub files: RunFiles,
    signal: watch::Receiver<Signal>,
    /// Turns true when steps in flight must die (cancel, timeout, worker crash).
    pub(super) kill: watch::Receiver<bool>,
    pub(super) state: Mutex<HostState>,
    /// Steps in flight: (all, script/agent ones).
    pub(super) in_flight: watch::Sender<(usize, usize)>,
    /// The first of this run's file writes (done by the outbox) that failed.
    pub(super) write_failure: WriteFailure,
    /// The secrets' values given to this run's steps, masked in all it records.
    pub(super) mask: super::secrets::Masker,
    /// The tag of this drive's `ctx.secrets` references (masked too).
    pub(super) secret_tag: String,
    /// Closed as the drive ends: no held start is written after (`step_defer`).
    pub(super) held_gate: super::step_defer::Gate,
}

impl StepHost {
    pub async fn new(
        engine: Engine,
        run: &RunRow,
        project: PathBuf,
        workspace: Option<(crate::workspace::RunWorkspace, PathBuf)>,
        phases: Vec<String>,
        signal: watch::Receiver<Signal>,
        kill: watch::Receiver<bool>,
    ) -> Result<StepHost, crate::store::StoreError> {
        let rows = StepRow::list_for_run(engine.store(), &run.id).await?;
        let mut state = HostState {
            phase: run.current_phase.clone(),
            ..Default::default()
        };
        for row in rows {
            state.memo.insert(row.step_id.clone(), row);
        }
        state.replaying = state.memo.values().any(StepRow::is_memoized);
        state.held = super::retry_wait::held_steps(&engine, &run.id, &state.memo).await?;
        for c in crate::store::comments::CommentRow::list_for_run(engine.store(), &run.id).await? {
            if c.created_by.is_none() && c.comment_type != CommentType::User {
                *state
                    .written_comments
                    .entry((c.workflow_run_step_id, c.text))
                    .or_default() += 1;
            }
        }
        let files = RunFiles::new(&project, &run.id);
        let (mask, secret_tag) = (super::secrets::Masker::default(), super::secrets::new_tag());
        mask.add(&secret_tag);
        let write_failure = WriteFailure::default();
        state.last_checkpoint = super::repair::repair_files(&engine, &run.id, &files, &state.memo, &write_failure);
        Ok(StepHost {
            files,
            write_failure,
            engine,
            run_id: run.id.clone(),
            project_id: run.project_id.clone(),
            workdir: workspace.as_ref().map_or_else(|| project.clone(), |(_, w)| w.clone()),
            workspace: workspace.map(|(ws, _)| ws),
            project,
            phases,
            signal,
            kill,
            state: Mutex::new(state),
            in_flight: watch::channel((0, 0)).0,
            mask,
            secret_tag,
            held_gate: Default::default(),
        })
    }

    /// Results of steps completed in earlier attempts, for `ctx.getStepResult` and templates.
    pub fn memo_results(&self) -> Result<Map<String, Value>, String> {
        let state = self.state.lock().expect("host lock");
        state
            .memo
            .values()
            .filter(|r| r.is_memoized())
            .map(|r| Ok((r.step_id.clone(), load_result(r.result.as_deref(), &self.files)?)))
            .collect()
    }

    /// Results handed out so far in this attempt (memoized ones included).
    pub fn results(&self) -> Map<String, Value> {
        let state = self.state.lock().expect("host lock");
        state
            .results
            .values()
            .map(|r| (r.step_id.clone(), r.result.clone()))
            .collect()
    }

    /// Resolves when no step of the given kind is in flight (`external_only`: script/agent).
    pub async fn drained(&self, external_only: bool) {
        let mut rx = self.in_flight.subscribe();
        let _ = rx
            .wait_for(|(all, ext)| if external_only { *ext == 0 } else { *all == 0 })
            .await;
    }

    /// Refuses the start of a function step begun by the worker: its `stepFinish` is told why.
    pub fn refuse(&self, id: &str, why: String) {
        self.state
            .lock()
            .expect("host lock")
            .refused
            .insert(id.to_string(), why);
    }

    /// Whether the start of a function step begun by the worker was refused.
    pub fn is_refused(&self, id: &str) -> bool {
        self.state.lock().expect("host lock").refused.contains_key(id)
    }

    /// Why the start of a function step begun by the worker was refused, if it was.
    pub fn take_refusal(&self, id: &str) -> Option<String> {
        self.state.lock().expect("host lock").refused.remove(id)
    }

    /// Records a function step's end, as reported by the JS worker process.
    pub async fn finish_function(&self, id: &str, outcome: FunctionOutcome) -> Result<Value, Interrupt> {
        if outcome.non_retryable {
            self.mark_not_retryable(id);
        }
        let outcome = if outcome.ok {
            Outcome {
                ok: true,
                data: outcome.data,
                error: None,
                output: None,
            }
        } else {
            Outcome {
                ok: false,
                data: None,
                error: Some(outcome.error.unwrap_or_else(|| "the function threw".to_string())),
                output: outcome.stack,
            }
        };
        match self.finish_or_park(id, outcome).await? {
            Begin::Result(result) => Ok(result),
            // The harness keeps the step's promise pending: the run waits for a person.
            _ => Ok(serde_json::json!({ "action": "wait" })),
        }
    }

    /// Queues a write of the run's files on the outbox (after everything queued before it).
    pub(super) fn write(&self, write: impl FnOnce() -> std::io::Result<()> + Send + 'static) {
        self.engine.outbox().write(&self.write_failure, write);
    }

    /// Waits until the run's files are written and its events emitted; fails if a write did.
    pub async fn flush(&self) -> Result<(), Interrupt> {
        self.engine.outbox().flush().await;
        self.check_writes()
    }

    /// A file write that failed fails the run, as a failed database write does.
    pub(super) fn check_writes(&self) -> Result<(), Interrupt> {
        match self.write_failure.lock().expect("failure lock").clone() {
            Some(e) => Err(fatal(e)),
            None => Ok(()),
        }
    }

    /// `ctx.checkpoint()`: everything is already durable; it is the place a pause lands.
    pub fn checkpoint(&self) -> Result<(), Interrupt> {
        match self.halt_asked() {
            Some(halt) => Err(halt),
            None => Ok(()),
        }
    }

    /// Why the run's signal says no new step may start: it is pausing or being cancelled.
    pub(super) fn halt_asked(&self) -> Option<Interrupt> {
        match *self.signal.borrow() {
            Signal::Run => None,
            Signal::Pause | Signal::PauseNow => Some(Interrupt::Pausing),
            Signal::Cancel => Some(Interrupt::Stopping),
        }
    }

    /// Emits in order with the run's file writes: a client told a step completed can read
    /// its output. Fenced while the run is held here: journaled only while this process's
    /// lease is still the run's.
    pub fn emit(&self, event: Event) {
        let fence = self.engine.store().fence(&self.run_id);
        self.engine
            .outbox()
            .emit_held(self.engine.events(), self.mask.event(event), fence);
    }

    /// The run's signal (run, pause, cancel), to watch.
    pub fn signal(&self) -> watch::Receiver<Signal> {
        self.signal.clone()
    }

    /// Whether the run is replaying what an earlier attempt already did (see `HostState`).
    pub fn replaying(&self) -> bool {
        self.state.lock().expect("host lock").replaying
    }

    /// Whether a replay is writing again a comment an earlier attempt wrote; each earlier
    /// comment answers yes once.
    pub(super) fn comment_written_before(&self, step_row_id: Option<&str>, text: &str) -> bool {
        let mut state = self.state.lock().expect("host lock");
        let key = (step_row_id.map(str::to_string), text.to_string());
        match state.written_comments.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    pub fn current_phase(&self) -> Option<String> {
        self.state.lock().expect("host lock").phase.clone()
    }
}

pub(super) fn fatal(e: impl std::fmt::Display) -> Interrupt {
    Interrupt::Fatal(format!("the engine could not record the step: {e}"))
}
