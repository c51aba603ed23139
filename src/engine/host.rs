//! The step host: the one path every step takes, from YAML and TypeScript alike.
//!
//! For a step id it looks up the memo (a step completed in an earlier attempt returns its
//! stored result and runs nothing), else records the step as running, runs it, and records
//! how it ended. Order of writes for a finished step (ARCHITECTURE §3): log files, then one
//! database transaction, then the checkpoint file, then the event.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{json, Map, Value};
use tokio::sync::watch;

use super::control::Signal;
use super::Engine;
use crate::definition::{validate_step_id, StepConfig, StepKind};
use crate::events::Event;
use crate::store::files::RunFiles;
use crate::store::runs::RunRow;
use crate::store::steps::{StepRow, StepStart};

use super::outbox::WriteFailure;
use super::outcome::{
    cut, load_result, reference, summary_md, Checkpoint, Entry, Outcome, ROW_ERROR_MAX_BYTES, ROW_RESULT_MAX_BYTES,
};

/// Why a host call did not return normally.
#[derive(Debug, Clone, PartialEq)]
pub enum Interrupt {
    /// The run is pausing: this step must not start.
    Paused,
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
}

/// A step that has started and not yet finished.
struct Running {
    row: StepRow,
    started: Instant,
    continue_on_error: bool,
}

#[derive(Default)]
struct HostState {
    /// Rows from earlier attempts, by step id.
    memo: HashMap<String, StepRow>,
    /// Step ids this attempt has used: a second use is an error.
    seen: HashSet<String>,
    /// Results handed to the workflow, by step index: the checkpoint's contents.
    results: BTreeMap<i64, Arc<Entry>>,
    /// The step index of the newest checkpoint file: each new one replaces it, so that a
    /// run's files grow with its results, not with their square.
    last_checkpoint: Option<i64>,
    running: HashMap<String, Running>,
    phase: Option<String>,
    /// Function steps begun by the worker whose start was refused, and why.
    refused: HashMap<String, String>,
    /// The last step that failed the run (not `continueOnError`): id and error.
    failed: Option<(String, String)>,
    /// Why the steps still in flight are being stopped (the run failed, was cancelled or
    /// timed out): what they report instead of a bare "stopped".
    stop_reason: Option<String>,
    /// Replaying: the run resumed and no step has run for real yet in this drive, so the
    /// workflow's console output repeats what an earlier attempt printed.
    replaying: bool,
    /// Comments (step row id, text) earlier attempts wrote through `ctx.comment`, with how
    /// many times: a replay that writes one again finds it here and writes nothing.
    written_comments: HashMap<(Option<String>, String), usize>,
}

pub struct StepHost {
    pub engine: Engine,
    pub run_id: String,
    pub project_id: String,
    pub project: PathBuf,
    pub phases: Vec<String>,
    pub files: RunFiles,
    signal: watch::Receiver<Signal>,
    /// Turns true when steps in flight must die (cancel, timeout, worker crash).
    pub(super) kill: watch::Receiver<bool>,
    state: Mutex<HostState>,
    /// Steps in flight: (all, script/agent ones).
    in_flight: watch::Sender<(usize, usize)>,
    /// The first of this run's file writes (done by the outbox) that failed.
    write_failure: WriteFailure,
    /// The secrets' values given to this run's steps, masked in all it records.
    pub(super) mask: super::secrets::Masker,
    /// The tag of this drive's `ctx.secrets` references (masked too).
    pub(super) secret_tag: String,
}

impl StepHost {
    pub async fn new(
        engine: Engine,
        run: &RunRow,
        project: PathBuf,
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
        for c in crate::store::comments::CommentRow::list_for_run(engine.store(), &run.id).await? {
            if c.created_by.is_none() && c.comment_type != "user" {
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
            project,
            phases,
            signal,
            kill,
            state: Mutex::new(state),
            in_flight: watch::channel((0, 0)).0,
            mask,
            secret_tag,
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

    /// Starts (or replays) a step.
    pub async fn step(&self, config: StepConfig) -> Result<Begin, Interrupt> {
        self.start(config, false).await
    }

    /// Records the start of a function step the worker is already running (`stepBegin`): it
    /// is in flight, so a pause lets it finish.
    pub async fn begin_function(&self, config: StepConfig) -> Result<(), Interrupt> {
        let id = config.id.clone();
        let begun = if config.kind == Some(StepKind::Function) {
            self.start(config, true).await
        } else {
            Err(Interrupt::Invalid(format!("step \"{id}\" is not a function step")))
        };
        match begun {
            Ok(Begin::RunFunction) => Ok(()),
            Ok(Begin::Result(_)) => Err(Interrupt::Fatal(format!(
                "internal: the JS worker ran step \"{id}\", which an earlier attempt completed"
            ))),
            Err(other) => Err(other),
        }
    }

    /// Refuses the start of a function step begun by the worker: its `stepFinish` is told why.
    pub fn refuse(&self, id: &str, why: String) {
        self.state
            .lock()
            .expect("host lock")
            .refused
            .insert(id.to_string(), why);
    }

    /// Why the start of a function step begun by the worker was refused, if it was.
    pub fn take_refusal(&self, id: &str) -> Option<String> {
        self.state.lock().expect("host lock").refused.remove(id)
    }

    async fn start(&self, config: StepConfig, in_flight: bool) -> Result<Begin, Interrupt> {
        let kind = config
            .kind
            .ok_or_else(|| Interrupt::Invalid(format!("step \"{}\" has no type", config.id)))?;
        validate_step_id(&config.id).map_err(Interrupt::Invalid)?;
        if !self.phases.is_empty() && !self.phases.contains(&config.phase) {
            return Err(Interrupt::Invalid(format!(
                "step \"{}\" uses phase \"{}\", which is not one of the workflow's phases ({})",
                config.id,
                config.phase,
                self.phases.join(", ")
            )));
        }
        let memo = {
            let mut state = self.state.lock().expect("host lock");
            if !state.seen.insert(config.id.clone()) {
                return Err(Interrupt::Fatal(format!(
                    "step id \"{}\" is used twice in this run: step ids must be unique (in a loop, add the index, e.g. `test-${{i}}`)",
                    config.id
                )));
            }
            state.memo.get(&config.id).cloned()
        };
        let (memo, previous) = match memo {
            Some(row) if row.is_memoized() => (Some(row), None),
            other => (None, other),
        };
        if let Some(row) = memo {
            let result = load_result(row.result.as_deref(), &self.files).map_err(Interrupt::Fatal)?;
            let entry = Entry::new(row.step_id.clone(), result.clone(), None);
            let mut state = self.state.lock().expect("host lock");
            state.results.insert(row.step_index, entry);
            state.phase = Some(row.phase.clone());
            return Ok(Begin::Result(result));
        }
        let stopping = *self.signal.borrow() != Signal::Run && !in_flight;
        if stopping || *self.kill.borrow() {
            return Err(Interrupt::Paused);
        }
        self.state.lock().expect("host lock").replaying = false;
        self.check_writes()?;
        match kind {
            StepKind::Function => {
                self.begin(&config, kind).await?;
                Ok(Begin::RunFunction)
            }
            StepKind::Script => self.script_step(&config).await,
            StepKind::Agent => {
                let row = self.begin(&config, kind).await?;
                let outcome = self.run_agent(&config, &row, previous).await;
                self.finish(&config.id, outcome).await.map(Begin::Result)
            }
        }
    }

    /// A script step: its process starts first and the step's start is recorded while it
    /// runs (a crash in between leaves no row, and the step runs again on resume, as any
    /// step that did not complete). If the start cannot be recorded, the process is stopped
    /// and the run fails.
    async fn script_step(&self, config: &StepConfig) -> Result<Begin, Interrupt> {
        let (row_tx, row_rx) = tokio::sync::oneshot::channel();
        let (abort_tx, abort_rx) = tokio::sync::oneshot::channel();
        // `join!` polls the script first: its first poll starts the process.
        let script = self.run_script(config, row_rx, abort_rx);
        let begin = async {
            let begun = self.begin(config, StepKind::Script).await;
            match &begun {
                Ok(row) => drop(row_tx.send(row.clone())),
                Err(_) => drop(abort_tx.send(())),
            }
            begun
        };
        let (outcome, begun) = tokio::join!(script, begin);
        begun?;
        self.finish(&config.id, outcome).await.map(Begin::Result)
    }

    /// Records a function step's end, as reported by the worker.
    pub async fn finish_function(&self, id: &str, outcome: &Value) -> Result<Value, Interrupt> {
        let outcome = if outcome.get("ok").and_then(Value::as_bool) == Some(true) {
            Outcome {
                ok: true,
                data: outcome.get("data").cloned(),
                error: None,
                output: None,
            }
        } else {
            let error = outcome
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("the function threw")
                .to_string();
            let stack = outcome.get("stack").and_then(Value::as_str).map(str::to_string);
            Outcome {
                ok: false,
                data: None,
                error: Some(error),
                output: stack,
            }
        };
        self.finish(id, outcome).await
    }

    /// Marks the step running: row, input.json, events.
    async fn begin(&self, config: &StepConfig, kind: StepKind) -> Result<StepRow, Interrupt> {
        let store = self.engine.store();
        let log_dir = self.files.step_log_dir_rel(&config.id);
        let row = StepRow::begin(
            store,
            StepStart {
                run_id: &self.run_id,
                step_id: &config.id,
                name: &config.name,
                phase: &config.phase,
                kind: kind.as_str(),
                log_dir: &log_dir,
            },
        )
        .await
        .map_err(fatal)?;
        // The run's phase is written only when it changes (most steps stay in their phase).
        let known = self.state.lock().expect("host lock").phase.clone();
        let phase_changed = known.as_deref() != Some(config.phase.as_str())
            && RunRow::set_phase(store, &self.run_id, &config.phase)
                .await
                .map_err(fatal)?;
        {
            let mut state = self.state.lock().expect("host lock");
            state.phase = Some(config.phase.clone());
            state.running.insert(
                config.id.clone(),
                Running {
                    row: row.clone(),
                    started: Instant::now(),
                    continue_on_error: config.continue_on_error,
                },
            );
        }
        self.in_flight.send_modify(|(all, ext)| {
            *all += 1;
            if kind != StepKind::Function {
                *ext += 1;
            }
        });
        if phase_changed {
            self.emit(Event::PhaseChanged {
                execution_id: self.run_id.clone(),
                current_phase: config.phase.clone(),
                project_id: self.project_id.clone(),
            });
        }
        let mut input = serde_json::to_value(config).unwrap_or(Value::Null);
        self.mask.value(&mut input);
        let (files, id) = (self.files.clone(), config.id.clone());
        let started = Event::StepStarted {
            execution_id: self.run_id.clone(),
            step_id: row.id.clone(),
            step_key: config.id.clone(),
            step_name: config.name.clone(),
            step_type: kind.as_str().to_string(),
            phase: config.phase.clone(),
            project_id: self.project_id.clone(),
        };
        let (outbox, bus) = (self.engine.outbox(), self.engine.events());
        outbox.write_then_emit(
            &self.write_failure,
            move || files.write_step_input(&id, &input),
            bus,
            started,
        );
        Ok(row)
    }

    /// Says why the steps in flight are about to be killed; a step the run failed for is
    /// named, so that its siblings (`Promise.all`) say which one it was.
    pub(super) fn stopping(&self, run_error: Option<&str>) {
        let mut state = self.state.lock().expect("host lock");
        let reason = match (&state.failed, run_error) {
            (Some((id, error)), Some(e)) if e.contains(&format!("\"{id}\"")) => {
                format!("stopped because step \"{id}\" failed: {error}")
            }
            (_, Some(e)) if e.starts_with("the run timed out") => format!("stopped because {e}"),
            (_, Some(e)) => format!("stopped because the run failed: {e}"),
            (_, None) => "stopped because the run was cancelled".to_string(),
        };
        state.stop_reason = Some(reason);
    }

    /// Records a finished step: files, transaction, checkpoint, event.
    async fn finish(&self, id: &str, mut outcome: Outcome) -> Result<Value, Interrupt> {
        let (running, stop_reason) = {
            let mut state = self.state.lock().expect("host lock");
            (state.running.remove(id), state.stop_reason.clone())
        };
        let Some(running) = running else {
            return Err(Interrupt::Invalid(format!("step \"{id}\" is not running")));
        };
        if outcome.error.as_deref() == Some(crate::step::script::STOPPED) {
            outcome.error = stop_reason.or(outcome.error);
        }
        self.mask.outcome(&mut outcome);
        let row = &running.row;
        let status = if outcome.ok { "completed" } else { "failed" };
        let mut result = json!({ "stepId": id, "status": status });
        if let Some(data) = &outcome.data {
            result["data"] = data.clone();
        }
        if let Some(error) = &outcome.error {
            result["error"] = Value::String(error.clone());
        }
        let elapsed = running.started.elapsed();
        let summary = summary_md(row, status, elapsed, &outcome);
        let text = result.to_string();
        let text_len = text.len();
        let stored = self.store_output(id, &result, text, summary).await;
        let accepted = !outcome.ok && running.continue_on_error;
        if !outcome.ok && !accepted {
            let error = outcome.error.clone().unwrap_or_default();
            self.state
                .lock()
                .expect("host lock")
                .failed
                .get_or_insert((id.to_string(), error));
        }
        let error = outcome.error.as_deref().map(|e| cut(e, ROW_ERROR_MAX_BYTES));
        let updated = match &stored {
            Ok(stored) => StepRow::finish(self.engine.store(), row, status, stored, error.as_deref(), accepted)
                .await
                .map_err(fatal),
            Err(e) => Err(e.clone()),
        };
        self.in_flight.send_modify(|(all, ext)| {
            *all -= 1;
            if row.kind != "function" {
                *ext -= 1;
            }
        });
        updated?;
        let completed = Event::StepCompleted {
            execution_id: self.run_id.clone(),
            step_id: row.id.clone(),
            step_key: id.to_string(),
            status: status.to_string(),
            error: outcome.error.clone(),
            duration_ms: elapsed.as_millis() as u64,
            project_id: self.project_id.clone(),
        };
        if outcome.ok || accepted {
            let entry = Entry::new(id.to_string(), result.clone(), Some(text_len));
            let (index, checkpoint, superseded) = {
                let mut state = self.state.lock().expect("host lock");
                state.results.insert(row.step_index, entry);
                let superseded = state.last_checkpoint.replace(row.step_index);
                (row.step_index, self.checkpoint_json(&state, row.step_index), superseded)
            };
            let files = self.files.clone();
            let (outbox, bus) = (self.engine.outbox(), self.engine.events());
            outbox.write_then_emit(
                &self.write_failure,
                move || files.write_checkpoint(index, &checkpoint, superseded),
                bus,
                completed,
            );
        } else {
            self.emit(completed);
        }
        Ok(result)
    }

    /// Writes a finished step's `output.json` and `summary.md`, and returns what its row
    /// stores: the result itself (`text`), or, when it is too large for a row, a reference to
    /// the file, which is then written first (the memo reads it back from there).
    async fn store_output(&self, id: &str, result: &Value, text: String, summary: String) -> Result<String, Interrupt> {
        let (files, step_id, output) = (self.files.clone(), id.to_string(), result.clone());
        let write = move || files.write_step_output(&step_id, &output, &summary);
        if text.len() <= ROW_RESULT_MAX_BYTES {
            self.write(write);
            return Ok(text);
        }
        match tokio::task::spawn_blocking(write).await {
            Ok(Ok(())) => Ok(reference(id, result).to_string()),
            Ok(Err(e)) => Err(fatal(e)),
            Err(e) => Err(fatal(e)),
        }
    }

    /// `checkpoints/step-N.json` after step `index`: the spec's format, every result so far
    /// (large ones by reference). Shares the results (serialised later, by the outbox)
    /// rather than copying them.
    fn checkpoint_json(&self, state: &HostState, index: i64) -> Checkpoint {
        Checkpoint {
            execution_id: self.run_id.clone(),
            timestamp: Some(crate::store::now()),
            current_phase: state.phase.clone(),
            current_step_index: index + 1,
            results: state.results.values().cloned().collect(),
        }
    }

    /// Queues a write of the run's files on the outbox (after everything queued before it).
    fn write(&self, write: impl FnOnce() -> std::io::Result<()> + Send + 'static) {
        self.engine.outbox().write(&self.write_failure, write);
    }

    /// Waits until the run's files are written and its events emitted; fails if a write did.
    pub async fn flush(&self) -> Result<(), Interrupt> {
        self.engine.outbox().flush().await;
        self.check_writes()
    }

    /// A file write that failed fails the run, as a failed database write does.
    fn check_writes(&self) -> Result<(), Interrupt> {
        match self.write_failure.lock().expect("failure lock").clone() {
            Some(e) => Err(fatal(e)),
            None => Ok(()),
        }
    }

    /// `ctx.checkpoint()`: everything is already durable; it is the place a pause lands.
    pub fn checkpoint(&self) -> Result<(), Interrupt> {
        if *self.signal.borrow() != Signal::Run {
            return Err(Interrupt::Paused);
        }
        Ok(())
    }

    /// Emits in order with the run's file writes: a client told a step completed can read
    /// its output.
    pub fn emit(&self, event: Event) {
        self.engine.outbox().emit(self.engine.events(), self.mask.event(event));
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

fn fatal(e: impl std::fmt::Display) -> Interrupt {
    Interrupt::Fatal(format!("the engine could not record the step: {e}"))
}
