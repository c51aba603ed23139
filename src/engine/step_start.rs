//! How a step starts, on the step host: its config checked, its memo looked up (a step an
//! earlier attempt completed is handed its stored result and runs nothing), then its row,
//! phase, `input.json` and `workflow.step.started` recorded, and a script or agent step run
//! (`step_end` records how it ended).

use std::time::Instant;

use serde_json::Value;

use super::host::{fatal, Begin, Interrupt, Running, StepHost};
use super::outcome::{load_result, Entry};
use crate::definition::{validate_step_id, StepConfig, StepKind};
use crate::events::Event;
use crate::store::runs::RunRow;
use crate::store::steps::{StepRow, StepStart};

/// What an earlier attempt left of a step.
pub(super) enum Memo {
    /// It completed: its result.
    Completed(Value),
    /// It did not complete: the row it left, if it started (an agent step may resume it).
    NotCompleted(Option<Box<StepRow>>),
}

impl StepHost {
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
            Ok(Begin::Result(_) | Begin::Wait) => Err(Interrupt::Fatal(format!(
                "internal: the JS worker ran step \"{id}\", which an earlier attempt completed"
            ))),
            Err(other) => Err(other),
        }
    }

    async fn start(&self, config: StepConfig, in_flight: bool) -> Result<Begin, Interrupt> {
        let kind = self.check_config(&config)?;
        let previous = match self.look_up_memo(&config.id)? {
            Memo::Completed(result) => return Ok(Begin::Result(result)),
            Memo::NotCompleted(previous) => previous.map(|row| *row),
        };
        if let Some(held) = self.held_answer(previous.as_ref())? {
            return Ok(held);
        }
        if *self.kill.borrow() {
            return Err(Interrupt::Stopping);
        }
        // A function step the child already runs (`in_flight`) is recorded even so: a pause
        // lets it finish.
        if let Some(halt) = self.halt_asked().filter(|_| !in_flight) {
            return Err(halt);
        }
        self.state.lock().expect("host lock").replaying = false;
        self.check_writes()?;
        // Steps take their indexes in the order they start: a function step still running
        // with its start held back started before this one.
        self.write_held_starts().await?;
        match kind {
            StepKind::Function if in_flight && Self::may_hold_start(&config, previous.as_ref()) => {
                self.begin_held(&config).await?;
                Ok(Begin::RunFunction)
            }
            StepKind::Function => {
                self.begin(&config, kind).await?;
                Ok(Begin::RunFunction)
            }
            StepKind::Script => self.script_step(&config).await,
            StepKind::Agent => {
                let row = self.begin(&config, kind).await?;
                let outcome = self.run_agent(&config, &row, previous).await;
                self.note_agent_failure(&config, &outcome);
                self.finish_or_park(&config.id, outcome).await
            }
            StepKind::Approval | StepKind::Sleep | StepKind::Signal => {
                let wait = kind.wait().expect("a wait kind");
                self.wait_step(&config, wait, previous).await
            }
        }
    }

    /// The step's type, once its id and phase are ones this run accepts.
    pub(super) fn check_config(&self, config: &StepConfig) -> Result<StepKind, Interrupt> {
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
        Ok(kind)
    }

    /// Marks the id used in this attempt (a second use fails the run) and looks it up in
    /// the memo: a step an earlier attempt completed is handed its stored result.
    pub(super) fn look_up_memo(&self, id: &str) -> Result<Memo, Interrupt> {
        let memo = {
            let mut state = self.state.lock().expect("host lock");
            if !state.seen.insert(id.to_string()) {
                return Err(Interrupt::Fatal(format!(
                    "step id \"{id}\" is used twice in this run: step ids must be unique (in a loop, add the index, e.g. `test-${{i}}`)"
                )));
            }
            state.memo.get(id).cloned()
        };
        let row = match memo {
            Some(row) if row.is_memoized() => row,
            other => return Ok(Memo::NotCompleted(other.map(Box::new))),
        };
        let result = load_result(row.result.as_deref(), &self.files).map_err(Interrupt::Fatal)?;
        let entry = Entry::new(row.step_id.clone(), result.clone(), None);
        let mut state = self.state.lock().expect("host lock");
        state.results.insert(row.step_index, entry);
        state.phase = Some(row.phase.clone());
        Ok(Memo::Completed(result))
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
        let row = begun?;
        let outcome = match &config.retry {
            Some(_) => self.retry_script(config, &row, outcome).await,
            None => outcome,
        };
        self.finish_or_park(&config.id, outcome).await
    }

    /// Marks the step running: row, input.json, events.
    pub(super) async fn begin(&self, config: &StepConfig, kind: StepKind) -> Result<StepRow, Interrupt> {
        let store = self.engine.store();
        let log_dir = self.files.step_log_dir_rel(&config.id);
        let row = StepRow::begin(
            store,
            StepStart {
                run_id: &self.run_id,
                step_id: &config.id,
                name: &config.name,
                phase: &config.phase,
                kind,
                log_dir: &log_dir,
                interrupted: super::pause_now::is_interruption,
            },
        )
        .await
        .map_err(fatal)?;
        self.enter_phase(&config.phase).await?;
        self.mark_running(config, kind, &row);
        if row.attempt > 1 {
            // Ran before (a resume, a person's retry): its tries go on counting.
            self.continue_tries(&row).await?;
        }
        self.write_input_then_emit_started(config, kind, &row);
        Ok(row)
    }

    /// The run is in `phase` now: written and announced if the step changes it.
    pub(super) async fn enter_phase(&self, phase: &str) -> Result<(), Interrupt> {
        let changed = self.write_phase(phase).await?;
        self.state.lock().expect("host lock").phase = Some(phase.to_string());
        if changed {
            self.emit(Event::PhaseChanged {
                execution_id: self.run_id.clone(),
                current_phase: phase.to_string(),
                project_id: self.project_id.clone(),
            });
        }
        Ok(())
    }

    /// Writes the run's phase if the step changes it, and says whether it did: it is written
    /// only then, as most steps stay in their phase.
    async fn write_phase(&self, phase: &str) -> Result<bool, Interrupt> {
        let known = self.state.lock().expect("host lock").phase.clone();
        if known.as_deref() == Some(phase) {
            return Ok(false);
        }
        RunRow::set_phase(self.engine.store(), &self.run_id, phase)
            .await
            .map_err(fatal)
    }

    /// Puts the step on the running list and in the in-flight count (a pause waits for it to drain).
    fn mark_running(&self, config: &StepConfig, kind: StepKind, row: &StepRow) {
        self.mark_running_as(config, kind, row, None);
    }

    /// `mark_running`, for a step whose start may be held back (`step_defer`).
    pub(super) fn mark_running_as(
        &self,
        config: &StepConfig,
        kind: StepKind,
        row: &StepRow,
        held: Option<std::sync::Arc<super::step_defer::HeldStart>>,
    ) {
        {
            let mut state = self.state.lock().expect("host lock");
            state.phase = Some(config.phase.clone());
            state.running.insert(
                config.id.clone(),
                Running {
                    row: row.clone(),
                    started: Instant::now(),
                    continue_on_error: config.continue_on_error,
                    tries: super::retry::Tries::new(config),
                    held,
                },
            );
        }
        self.in_flight.send_modify(|(all, ext)| {
            *all += 1;
            if kind.is_external() {
                *ext += 1;
            }
        });
    }

    /// Queues the step's `input.json` (its config, secrets masked), then its start event.
    pub(super) fn write_input_then_emit_started(&self, config: &StepConfig, kind: StepKind, row: &StepRow) {
        let mut input = serde_json::to_value(config).unwrap_or(Value::Null);
        self.mask.value(&mut input);
        let (files, id) = (self.files.clone(), config.id.clone());
        let started = Event::StepStarted {
            execution_id: self.run_id.clone(),
            step_id: row.id.clone(),
            step_key: config.id.clone(),
            step_name: config.name.clone(),
            step_type: kind,
            phase: config.phase.clone(),
            project_id: self.project_id.clone(),
        };
        let (outbox, bus) = (self.engine.outbox(), self.engine.events());
        outbox.write_then_emit(
            &self.write_failure,
            move || files.write_step_input(&id, &input),
            bus,
            started,
            self.engine.store().fence(&self.run_id),
        );
    }
}
