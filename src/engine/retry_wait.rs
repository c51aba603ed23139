//! A step whose tries ran out with `retry.onExhausted: "wait"`, on the step host: instead of
//! failing, it is parked `waiting` on a wait of kind `retry` (`store::retry_waits`) and the
//! run waits like at a gate, until a person retries it (it runs again with fresh tries),
//! skips it (it completes with the value given) or fails it (`Engine::decide`). A drive that
//! replays such a step waits again while it is undecided, and hands the workflow the
//! failure a person decided.

use std::collections::HashMap;

use serde_json::json;

use super::host::{fatal, Begin, Interrupt, StepHost};
use super::outcome::{load_result, Entry, Outcome};
use super::waits::{Decider, Decision, DecisionInput, WaitError};
use super::Engine;
use crate::domain::{AttemptOutcome, StepStatus, WaitKind};
use crate::events::Event;
use crate::store::attempts::AttemptRow;
use crate::store::retry_waits::RetryHold;
use crate::store::steps::StepRow;
use crate::store::waits::Resolution;
use crate::subprocess::script::STOPPED;

/// How a retry wait holds a step when a drive starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Held {
    /// Undecided: the step waits again.
    Waiting,
    /// A person failed it: the workflow is handed its failure.
    Failed,
}

/// The steps of the run that retry waits hold, by step id (one query, only when a step that
/// runs something is waiting or failed).
pub(super) async fn held_steps(
    engine: &Engine,
    run_id: &str,
    memo: &HashMap<String, StepRow>,
) -> Result<HashMap<String, Held>, crate::store::StoreError> {
    let candidate =
        |r: &StepRow| r.kind.wait().is_none() && matches!(r.status, StepStatus::Waiting | StepStatus::Failed);
    if !memo.values().any(candidate) {
        return Ok(HashMap::new());
    }
    let holds = RetryHold::for_run(engine.store(), run_id).await?;
    let mut held = HashMap::new();
    for row in memo.values().filter(|r| candidate(r)) {
        let Some(hold) = holds.iter().find(|h| h.step_row_id == row.id) else {
            continue;
        };
        match (row.status, hold.resolved) {
            (StepStatus::Waiting, false) => held.insert(row.step_id.clone(), Held::Waiting),
            (StepStatus::Failed, true) => held.insert(row.step_id.clone(), Held::Failed),
            _ => None,
        };
    }
    Ok(held)
}

impl StepHost {
    /// The ids of the steps retry waits hold.
    pub fn held_ids(&self) -> Vec<String> {
        self.state.lock().expect("host lock").held.keys().cloned().collect()
    }

    /// What a step held by a retry wait answers instead of running: it waits again, or
    /// hands back the failure a person decided.
    pub(super) fn held_answer(&self, previous: Option<&StepRow>) -> Result<Option<Begin>, Interrupt> {
        let Some(row) = previous else { return Ok(None) };
        let held = self.state.lock().expect("host lock").held.get(&row.step_id).copied();
        match held {
            None => Ok(None),
            Some(Held::Waiting) => {
                self.state.lock().expect("host lock").phase = Some(row.phase.clone());
                Ok(Some(Begin::Wait))
            }
            Some(Held::Failed) => {
                let result = load_result(row.result.as_deref(), &self.files).map_err(Interrupt::Fatal)?;
                let entry = Entry::new(row.step_id.clone(), result.clone(), None);
                let mut state = self.state.lock().expect("host lock");
                state.results.insert(row.step_index, entry);
                state.phase = Some(row.phase.clone());
                Ok(Some(Begin::Result(result)))
            }
        }
    }

    /// Records how a step ended, or, when its policy says so, parks it for a person.
    pub(super) async fn finish_or_park(&self, id: &str, outcome: Outcome) -> Result<Begin, Interrupt> {
        let parks = !outcome.ok && outcome.error.as_deref() != Some(STOPPED) && {
            let state = self.state.lock().expect("host lock");
            let waits = state
                .running
                .get(id)
                .and_then(|r| r.tries.spec.as_ref())
                .is_some_and(|s| s.waits_when_exhausted());
            let retryable = state.running.get(id).is_some_and(|r| !r.tries.not_retryable);
            waits && retryable && state.stop_reason.is_none() && !*self.kill.borrow()
        };
        if parks {
            self.park(id, outcome).await
        } else {
            self.finish(id, outcome).await.map(Begin::Result)
        }
    }

    /// Parks the step: its last try recorded as failed, the step `waiting` on a retry wait
    /// (its title and the last error for the person deciding), `workflow.step.waiting`.
    async fn park(&self, id: &str, mut outcome: Outcome) -> Result<Begin, Interrupt> {
        let (running, _) = self.take_running(id)?;
        self.mask.outcome(&mut outcome);
        let row = &running.row;
        let error = outcome.error.clone().unwrap_or_else(|| "the step failed".into());
        let error = super::outcome::cut(&error, super::outcome::ROW_ERROR_MAX_BYTES).to_string();
        let files = self.files.clone();
        let store = self.engine.store();
        let tried = AttemptRow::end_current(store, row, AttemptOutcome::Failed, Some(&error), |n| {
            files.attempt_dir_rel(id, n)
        })
        .await;
        let made = running.tries.made;
        let title = format!(
            "\"{id}\" failed after {made} {}: retry, skip or fail it",
            if made == 1 { "try" } else { "tries" }
        );
        let spec = json!({ "title": title, "description": error, "tries": made }).to_string();
        let parked = match tried {
            Ok(_) => RetryHold::park(store, &self.run_id, &row.id, &spec, Some(&error)).await,
            Err(e) => Err(e),
        };
        self.in_flight.send_modify(|(all, ext)| {
            *all -= 1;
            if row.kind.is_external() {
                *ext -= 1;
            }
        });
        let parked = parked
            .map_err(fatal)?
            .ok_or_else(|| fatal(format!("step \"{id}\" was not running")))?;
        self.emit(Event::StepWaiting {
            execution_id: self.run_id.clone(),
            step_id: parked.id.clone(),
            step_key: parked.step_id.clone(),
            step_name: parked.name.clone(),
            kind: WaitKind::Retry,
            phase: parked.phase.clone(),
            title: Some(title),
            signal_name: None,
            deadline: None,
            project_id: self.project_id.clone(),
        });
        Ok(Begin::Wait)
    }
}

/// Whether `input` decides this wait: retry, skip or fail at a retry wait, a gate's decision
/// at a gate; a value only with a skip.
pub(super) fn check_decision(row: &StepRow, retry_wait: bool, input: &DecisionInput) -> Result<(), WaitError> {
    let key = &row.step_id;
    if retry_wait && !input.decision.is_for_retry() {
        return Err(WaitError::WrongDecision(format!(
            "decision: \"{key}\" waits because its tries ran out: decide retry, skip or fail"
        )));
    }
    if !retry_wait && input.decision.is_for_retry() {
        return Err(WaitError::WrongDecision(format!(
            "decision: \"{key}\" is an approval gate: decide approve, reject or request_changes"
        )));
    }
    if input.value.is_some() && input.decision != Decision::Skip {
        return Err(WaitError::WrongDecision("value: only a skip takes a value".into()));
    }
    Ok(())
}

/// A retry wait decided: `retry` takes the step back to `pending` (the next drive runs it
/// with fresh tries), `skip` completes it with the value as its data, `fail` fails it with
/// its last error (the drive hands that failure to the workflow).
pub(super) fn retry_decided(step: &StepRow, decider: &Decider, d: &DecisionInput) -> Resolution {
    let by = json!({ "decision": d.decision.outcome(), "by": decider.label, "at": crate::store::now() });
    let key = &step.step_id;
    let (status, data, error) = match d.decision {
        Decision::Skip => (
            StepStatus::Completed,
            d.value.clone().unwrap_or(serde_json::Value::Null),
            None,
        ),
        Decision::Fail => {
            let why = d.comment.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
            let last = step.error_message.as_deref().unwrap_or("it failed");
            let error = format!("{last} [its tries ran out; {} failed \"{key}\"{why}]", decider.label);
            (StepStatus::Failed, by, Some(error))
        }
        _ => (StepStatus::Pending, by, None),
    };
    super::waits::resolution(step, status, data, error)
}
