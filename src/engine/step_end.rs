//! How a step ends: its files, its row (a large result by reference), the newest
//! checkpoint, and its event; and what the steps still in flight say when the run stops
//! (a step a pause-now stopped says it was interrupted, and is never memoized).

use serde_json::Value;

use super::host::{fatal, HostState, Interrupt, Running, StepHost};
use super::outcome::{
    cut, reference, summary_md, Checkpoint, Entry, Outcome, ROW_ERROR_MAX_BYTES, ROW_RESULT_MAX_BYTES,
};
use crate::domain::{AttemptOutcome, StepResult, StepStatus};
use crate::events::Event;
use crate::store::steps::StepRow;

/// Why the steps still in flight are being killed, with the run's error.
pub(super) enum StopWhy<'a> {
    Failed(&'a str),
    TimedOut(&'a str),
    Cancelled,
    /// A pause-now: the steps stopped are recorded as interrupted (`pause_now::INTERRUPTED`).
    PausedNow,
}

impl StepHost {
    /// Says why the steps in flight are about to be killed; a step the run failed for is
    /// named, so that its siblings (`Promise.all`) say which one it was.
    pub(super) fn stopping(&self, why: StopWhy) {
        let mut state = self.state.lock().expect("host lock");
        let reason = match (&state.failed, why) {
            (Some((id, error)), StopWhy::Failed(e)) if e.contains(&format!("\"{id}\"")) => {
                format!("stopped because step \"{id}\" failed: {error}")
            }
            (_, StopWhy::Failed(e)) => format!("stopped because the run failed: {e}"),
            (_, StopWhy::TimedOut(e)) => format!("stopped because {e}"),
            (_, StopWhy::Cancelled) => "stopped because the run was cancelled".to_string(),
            (_, StopWhy::PausedNow) => match &state.budget_stop {
                Some(stop) => format!("{}: {}", super::budget::BUDGET_STOPPED, stop.message),
                None => super::pause_now::INTERRUPTED.to_string(),
            },
        };
        state.stop_reason = Some(reason);
    }

    /// Records a finished step: files, transaction, checkpoint, event.
    pub(super) async fn finish(&self, id: &str, outcome: Outcome) -> Result<Value, Interrupt> {
        self.finish_as(id, outcome, None).await
    }

    /// `finish`, with the status given rather than read from the outcome (`skipped`, which a
    /// YAML step whose `if:` is false ends as; its outcome is ok, so the run goes on).
    pub(super) async fn finish_as(
        &self,
        id: &str,
        mut outcome: Outcome,
        status: Option<StepStatus>,
    ) -> Result<Value, Interrupt> {
        let (running, stop_reason) = self.take_running(id)?;
        // A status given: a step that never ran (`step_unrun`), which changed nothing.
        let ran = status.is_none();
        let mut interrupted = false;
        if outcome.error.as_deref() == Some(crate::subprocess::script::STOPPED) {
            interrupted = stop_reason.as_deref().is_some_and(super::pause_now::is_interruption);
            outcome.error = stop_reason.or(outcome.error);
        }
        self.mask.outcome(&mut outcome);
        let row = &running.row;
        let status = status.unwrap_or(if outcome.ok {
            StepStatus::Completed
        } else {
            StepStatus::Failed
        });
        let result = result_json(id, status, &outcome);
        let elapsed = running.started.elapsed();
        let summary = summary_md(row, status, elapsed, &outcome);
        let text = result.to_string();
        let text_len = text.len();
        let stored = self.store_output(id, &result, text, summary).await;
        // A step a pause-now stopped runs again on resume, even with `continueOnError`.
        let accepted = !outcome.ok && running.continue_on_error && !interrupted;
        if !outcome.ok && !accepted {
            self.note_failure(id, &outcome);
        }
        let try_outcome = match (outcome.ok, interrupted) {
            (true, _) => AttemptOutcome::Completed,
            (false, true) => AttemptOutcome::Interrupted,
            (false, false) => AttemptOutcome::Failed,
        };
        let try_error = outcome.error.as_deref().map(|e| cut(e, ROW_ERROR_MAX_BYTES));
        self.end_last_try(row, running.tries.recorded(), try_outcome, try_error.as_deref())
            .await;
        if ran && row.kind.is_external() && matches!(status, StepStatus::Completed | StepStatus::Failed) {
            self.snapshot_step(row, running.tries.attempt).await;
        }
        let warnings = self.take_warnings(id);
        // A start held back has no row yet: its warnings go on the row its end writes.
        let warn_after = running.held.is_some();
        if !warnings.is_empty() && !warn_after {
            self.record_warnings(id, &row.id, &warnings).await;
        }
        let row = &self.finish_row(&running, status, stored, &outcome, accepted).await?;
        if !warnings.is_empty() && warn_after {
            self.record_warnings(id, &row.id, &warnings).await;
        }
        let completed = Event::StepCompleted {
            execution_id: self.run_id.clone(),
            step_id: row.id.clone(),
            step_key: id.to_string(),
            status,
            error: outcome.error.clone(),
            duration_ms: elapsed.as_millis() as u64,
            project_id: self.project_id.clone(),
            warnings,
        };
        if outcome.ok || accepted {
            self.checkpoint_then_emit(id, row.step_index, result.clone(), text_len, completed);
        } else {
            self.emit(completed);
        }
        Ok(result)
    }

    /// Takes the step off the running list, with the reason the run gave for stopping, if
    /// it did (a step killed by the stop only knows that it was stopped).
    pub(super) fn take_running(&self, id: &str) -> Result<(Running, Option<String>), Interrupt> {
        let (running, stop_reason) = {
            let mut state = self.state.lock().expect("host lock");
            (state.running.remove(id), state.stop_reason.clone())
        };
        match running {
            Some(running) => Ok((running, stop_reason)),
            None => Err(Interrupt::Invalid(format!("step \"{id}\" is not running"))),
        }
    }

    /// Remembers the first step the run fails for, so that the steps stopped with it can
    /// name it (see `stopping`).
    fn note_failure(&self, id: &str, outcome: &Outcome) {
        let error = outcome.error.clone().unwrap_or_default();
        self.state
            .lock()
            .expect("host lock")
            .failed
            .get_or_insert((id.to_string(), error));
    }

    async fn record_warnings(&self, id: &str, row_id: &str, warnings: &[String]) {
        if let Err(e) = StepRow::set_warnings(self.engine.store(), &self.run_id, row_id, warnings).await {
            tracing::warn!(step = %id, error = %e, "cannot record the step's warnings");
        }
    }

    /// Writes the step's row as finished (the whole row, when its start was held back),
    /// unless its output could not be stored; the step leaves the in-flight count either
    /// way, or a run waiting for its steps to drain would wait forever. The row as written.
    async fn finish_row(
        &self,
        running: &Running,
        status: StepStatus,
        stored: Result<String, Interrupt>,
        outcome: &Outcome,
        accepted: bool,
    ) -> Result<StepRow, Interrupt> {
        let (row, store) = (&running.row, self.engine.store());
        let error = outcome.error.as_deref().map(|e| cut(e, ROW_ERROR_MAX_BYTES));
        let updated = match (&stored, &running.held) {
            (Ok(stored), Some(held)) => held.record_end(store, status, stored, error.as_deref(), accepted).await,
            (Ok(stored), None) => StepRow::finish(store, row, status, stored, error.as_deref(), accepted)
                .await
                .map_err(fatal),
            (Err(e), _) => Err(e.clone()),
        };
        self.in_flight.send_modify(|(all, ext)| {
            *all -= 1;
            if row.kind.is_external() {
                *ext -= 1;
            }
        });
        updated
    }

    /// A result the run goes on with joins the newest checkpoint; its event waits for the
    /// checkpoint file, so that a client told the step completed finds the file written.
    fn checkpoint_then_emit(&self, id: &str, index: i64, result: Value, text_len: usize, completed: Event) {
        let entry = Entry::new(id.to_string(), result, Some(text_len));
        let (checkpoint, superseded) = {
            let mut state = self.state.lock().expect("host lock");
            state.results.insert(index, entry);
            let superseded = state.last_checkpoint.replace(index);
            (self.checkpoint_json(&state, index), superseded)
        };
        let files = self.files.clone();
        let (outbox, bus) = (self.engine.outbox(), self.engine.events());
        outbox.write_then_emit(
            &self.write_failure,
            move || files.write_checkpoint(index, &checkpoint, superseded),
            bus,
            completed,
            self.engine.store().fence(&self.run_id),
        );
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
}

/// The step's result as the workflow, the files and the checkpoints all take it: as JSON.
fn result_json(id: &str, status: StepStatus, outcome: &Outcome) -> Value {
    let result = StepResult {
        step_id: id.to_string(),
        status,
        data: outcome.data.clone(),
        error: outcome.error.clone(),
    };
    serde_json::to_value(&result).expect("a step result serialises")
}
