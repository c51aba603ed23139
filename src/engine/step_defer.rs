//! Function steps whose start is written only if they run a while.
//!
//! The JS worker runs a function step's `fn` as it announces it (`StepBegin`), and most
//! `fn`s end within a millisecond: writing the step's start and then its end was two writes
//! for one step, two round trips on PostgreSQL. So the start of a function step that runs
//! for the first time (no earlier row, no retry policy) is held back for 20 ms (`hold`):
//! - it ends before: its row is inserted finished, the run advanced, in one write
//!   (`StepRow::insert_finished`);
//! - it runs longer: its start is written then, as any step's, and its end as usual.
//!
//! Its start event, `input.json` and the board see it at once either way. What changes: a
//! function step that had run less than that when the engine died, or when the run was
//! stopped around it, leaves no row and no interrupted try; it runs again on resume, as any
//! step that did not complete. Anything that needs the row while the step runs
//! (`ctx.comment` on it) writes the start first. Once a drive is ending, starts still held
//! are never written (`close_held_starts`), so no `running` row outlives its run's end.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::host::{fatal, Interrupt, StepHost};
use crate::definition::StepConfig;
use crate::domain::{StepKind, StepStatus};
use crate::store::steps::{StepRow, StepStart};
use crate::store::steps_at_once::StepAtOnce;
use crate::store::{new_id, now, Store};

/// How long a function step's start is held back: 20 ms, or `WORKFLOW_ENGINE_HOLD_START_MS`
/// (undocumented: a test holds starts for seconds to see what is recorded meanwhile).
fn hold() -> Duration {
    static HOLD: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *HOLD.get_or_init(|| {
        std::env::var("WORKFLOW_ENGINE_HOLD_START_MS")
            .ok()
            .and_then(|ms| ms.parse::<u64>().ok())
            .map_or(Duration::from_millis(20), Duration::from_millis)
    })
}

enum State {
    /// Not written: the end writes the whole row.
    Held,
    /// Written (it ran past the hold, or something needed the row): the end updates it.
    Written,
    /// Writing it failed: the step's end fails the run with this.
    Failed(String),
    /// Its row was written finished.
    Recorded,
}

/// The start of a function step held back, and the row it will have.
pub(super) struct HeldStart {
    state: Mutex<State>,
    row: StepRow,
}

/// Shared by a drive's host and its timers: true once the drive is ending.
pub(super) type Gate = Arc<Mutex<bool>>;

impl HeldStart {
    /// Writes the start, unless it was written (or the step recorded) already, or the drive
    /// is ending.
    async fn write(&self, store: &Store, gate: &Gate) -> Result<(), String> {
        let ending = gate.lock().await;
        let mut state = self.state.lock().await;
        match &*state {
            State::Held if !*ending => {}
            State::Failed(e) => return Err(e.clone()),
            _ => return Ok(()),
        }
        let row = &self.row;
        let start = StepStart {
            run_id: &row.workflow_run_id,
            step_id: &row.step_id,
            name: &row.name,
            phase: &row.phase,
            kind: row.kind,
            log_dir: row.log_directory_path.as_deref().unwrap_or_default(),
            interrupted: super::pause_now::is_interruption,
        };
        // The time it started, not the time its start is written.
        let started_at = row.started_at.as_deref().unwrap_or(&row.created_at);
        match StepRow::begin_as(store, &row.id, started_at, start).await {
            Ok(_) => {
                *state = State::Written;
                Ok(())
            }
            Err(e) => {
                let e = format!("cannot record the start of step \"{}\": {e}", row.step_id);
                *state = State::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// Records the step's end: the whole row when its start is still held, else the
    /// update of the row its start wrote. The row as recorded.
    pub(super) async fn record_end(
        &self,
        store: &Store,
        status: StepStatus,
        result: &str,
        error: Option<&str>,
        continue_on_error: bool,
    ) -> Result<StepRow, Interrupt> {
        let mut state = self.state.lock().await;
        let row = &self.row;
        match &*state {
            State::Held => {
                let at_once = StepAtOnce {
                    id: &row.id,
                    run_id: &row.workflow_run_id,
                    step_id: &row.step_id,
                    name: &row.name,
                    phase: &row.phase,
                    kind: row.kind,
                    log_dir: row.log_directory_path.as_deref().unwrap_or_default(),
                    started_at: row.started_at.as_deref().unwrap_or(&row.created_at),
                    status,
                    result,
                    error,
                    continue_on_error,
                    completed_at: &now(),
                };
                let recorded = StepRow::insert_finished(store, at_once).await.map_err(fatal)?;
                *state = State::Recorded;
                Ok(recorded)
            }
            State::Written => StepRow::finish(store, row, status, result, error, continue_on_error)
                .await
                .map_err(fatal),
            State::Failed(e) => Err(Interrupt::Fatal(e.clone())),
            State::Recorded => Err(Interrupt::Fatal(format!(
                "internal: step \"{}\" was recorded as ended twice",
                row.step_id
            ))),
        }
    }
}

impl StepHost {
    /// Whether a function step's start may be held back: it runs for the first time (no row
    /// from an earlier attempt) and has no retry policy (its tries are recorded against its row).
    pub(super) fn may_hold_start(config: &StepConfig, previous: Option<&StepRow>) -> bool {
        previous.is_none() && config.retry.is_none()
    }

    /// Starts a function step the worker runs already, its start held back (`hold`).
    pub(super) async fn begin_held(&self, config: &StepConfig) -> Result<(), Interrupt> {
        let ts = now();
        let row = StepRow {
            id: new_id(),
            workflow_run_id: self.run_id.clone(),
            step_id: config.id.clone(),
            step_index: -1,
            name: config.name.clone(),
            phase: config.phase.clone(),
            kind: StepKind::Function,
            status: StepStatus::Running,
            result: None,
            continue_on_error: false,
            attempt: 1,
            log_directory_path: Some(self.files.step_log_dir_rel(&config.id)),
            agent_session_id: None,
            error_message: None,
            started_at: Some(ts.clone()),
            completed_at: None,
            created_at: ts.clone(),
            updated_at: ts,
            warnings: None,
            last_output_at: None,
        };
        self.enter_phase(&config.phase).await?;
        let held = Arc::new(HeldStart {
            state: Mutex::new(State::Held),
            row: row.clone(),
        });
        self.mark_running_as(config, StepKind::Function, &row, Some(held.clone()));
        self.write_input_then_emit_started(config, StepKind::Function, &row);
        let (store, gate) = (self.engine.store().clone(), self.held_gate.clone());
        tokio::spawn(async move {
            tokio::time::sleep(hold()).await;
            if let Err(e) = held.write(&store, &gate).await {
                tracing::warn!(error = %e, "a function step's start was not recorded: its end fails the run");
            }
        });
        Ok(())
    }

    /// Writes the held start of running step `step_id`, if it has one (something needs its row).
    pub(super) async fn write_held_start(&self, step_id: &str) -> Result<(), Interrupt> {
        let held = {
            let state = self.state.lock().expect("host lock");
            state.running.get(step_id).and_then(|r| r.held.clone())
        };
        match held {
            Some(held) => held
                .write(self.engine.store(), &self.held_gate)
                .await
                .map_err(Interrupt::Fatal),
            None => Ok(()),
        }
    }

    /// Writes the held starts of every step still running, oldest first (a step starting
    /// now takes the next index after theirs).
    pub(super) async fn write_held_starts(&self) -> Result<(), Interrupt> {
        let mut held: Vec<(std::time::Instant, Arc<HeldStart>)> = {
            let state = self.state.lock().expect("host lock");
            state
                .running
                .values()
                .filter_map(|r| r.held.clone().map(|h| (r.started, h)))
                .collect()
        };
        held.sort_by_key(|(started, _)| *started);
        for (_, start) in held {
            start
                .write(self.engine.store(), &self.held_gate)
                .await
                .map_err(Interrupt::Fatal)?;
        }
        Ok(())
    }

    /// The drive is ending: starts still held are never written (their steps were stopped
    /// with it, and a row written now would say `running` after the run ended).
    pub(super) async fn close_held_starts(&self) {
        *self.held_gate.lock().await = true;
    }
}
