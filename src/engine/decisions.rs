//! Resolving waits from outside a run's drive (`engine::waits` holds the steps that wait):
//! a person's decision at a gate (`Engine::decide`, checked against its approvers and form),
//! a signal (`Engine::send_signal`), deadlines that passed (`Engine::resolve_due_waits`), and
//! taking a waiting run whose time has come back to `pending` for one engine
//! (`Engine::wake_run`). Each resolution is one transaction (`store::waits`) that also makes
//! the run due; the events go out through the outbox.

use serde_json::Value;

use super::waits::{
    decided, signalled, step_ended, timed_out, ApprovalSpec, Decider, Decision, DecisionInput, WaitError,
};
use super::Engine;
use crate::domain::{CommentType, RunStatus, StepKind, StepStatus, WaitKind};
use crate::events::Event;
use crate::store::comments::CommentRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::waits::{PendingWait, Resolved, Sent, WaitRow};
use crate::store::StoreError;

impl Engine {
    /// Records a person's decision at the approval gate `step` (its id in the workflow, or
    /// its row id) of run `run_id`. Exactly one decision wins; the run is then due to be
    /// driven on (`wake_run`). The decision's comment becomes a comment on the gate.
    pub async fn decide(
        &self,
        run_id: &str,
        step: &str,
        decider: &Decider,
        input: DecisionInput,
    ) -> Result<StepRow, WaitError> {
        let store = self.store();
        let run = RunRow::get(store, run_id)
            .await?
            .ok_or_else(|| WaitError::RunNotFound(run_id.to_string()))?;
        let row = match StepRow::get(store, run_id, step).await? {
            Some(row) => Some(row),
            None => StepRow::by_row_id(store, step)
                .await?
                .filter(|r| r.workflow_run_id == run_id),
        };
        let wait = match &row {
            Some(r) => WaitRow::for_steps(store, &[&r.id]).await?.into_iter().next(),
            None => None,
        };
        let retry_wait = wait.as_ref().is_some_and(|w| w.kind == WaitKind::Retry);
        let row = row
            .filter(|r| r.kind == StepKind::Approval || retry_wait)
            .ok_or_else(|| WaitError::StepNotFound {
                run: run_id.to_string(),
                step: step.to_string(),
            })?;
        super::retry_wait::check_decision(&row, retry_wait, &input)?;
        if row.status != StepStatus::Waiting {
            return Err(WaitError::NotWaiting {
                message: already_decided(&row),
                run_status: run.status,
            });
        }
        if matches!(
            run.status,
            RunStatus::Completed | RunStatus::Cancelled | RunStatus::Failed
        ) {
            return Err(WaitError::RunEnded(run.status));
        }
        let spec = wait.map(|w| ApprovalSpec::parse(&w.spec)).unwrap_or_default();
        // The terminal (no email) acts for the machine's operator: it may decide any gate.
        if decider.email.is_some() && !spec.may_decide(decider.email.as_deref()) {
            return Err(WaitError::NotApprover {
                step: row.step_id.clone(),
                approvers: spec.approvers.clone(),
            });
        }
        check_input(&spec, &input)?;
        let resolution = decided(&row, decider, &input);
        let decided = match WaitRow::resolve(store, &row.id, &resolution, true).await? {
            Resolved::Now(row) => row,
            Resolved::Already(row) => {
                return Err(WaitError::NotWaiting {
                    message: already_decided(&row),
                    run_status: run.status,
                })
            }
        };
        let project = run.project_id.clone();
        if let Some(text) = decision_comment(&input) {
            let comment = CommentRow::insert(
                store,
                run_id,
                Some(&decided.id),
                &text,
                CommentType::User,
                decider.user_id.as_deref(),
            )
            .await?;
            self.emit_now(Event::CommentCreated {
                execution_id: run_id.to_string(),
                comment_id: comment.id,
                step_id: Some(decided.id.clone()),
                project_id: project.clone(),
            });
        }
        self.emit_now(Event::ApprovalDecided {
            execution_id: run_id.to_string(),
            step_id: decided.id.clone(),
            step_key: decided.step_id.clone(),
            decision: input.decision.outcome().to_string(),
            by: decider.label.clone(),
            comment: input.comment.clone(),
            project_id: project.clone(),
        });
        if matches!(decided.status, StepStatus::Completed | StepStatus::Failed) {
            self.emit_now(step_ended(&decided, &project));
        }
        tracing::info!(run = %run_id, step = %decided.step_id, decision = input.decision.outcome(), by = %decider.label, "gate decided");
        self.wake_soon();
        Ok(decided)
    }

    /// Sends the signal `name` to run `run_id`: handed to the step waiting for it, or kept
    /// for the first that will. The same `idempotency_key` records it once.
    pub async fn send_signal(
        &self,
        run_id: &str,
        name: &str,
        payload: &Value,
        idempotency_key: Option<&str>,
        sender: &Decider,
    ) -> Result<Sent, WaitError> {
        let store = self.store();
        let run = RunRow::get(store, run_id)
            .await?
            .ok_or_else(|| WaitError::RunNotFound(run_id.to_string()))?;
        if matches!(run.status, RunStatus::Completed | RunStatus::Cancelled) {
            return Err(WaitError::RunEnded(run.status));
        }
        let payload = serde_json::to_string(payload).expect("JSON serialises");
        let sent = WaitRow::send_signal(
            store,
            run_id,
            name,
            &payload,
            idempotency_key,
            Some(&sender.label),
            signalled,
        )
        .await?;
        if let Some(step) = &sent.delivered_to {
            self.emit_now(step_ended(step, &run.project_id));
            self.wake_soon();
        }
        Ok(sent)
    }

    /// Resolves the waits of `run_id` whose deadline has passed; how many. For a caller
    /// that drives the run next: the run is not marked due by it.
    pub async fn resolve_due_waits(&self, run_id: &str, project_id: &str) -> Result<usize, StoreError> {
        let store = self.store();
        let mut resolved = 0;
        for PendingWait { wait, step } in WaitRow::due(store, run_id, &crate::store::now()).await? {
            let (resolution, decision) = timed_out(&wait, &step);
            // The caller drives the run next (it claimed it, or is waking it).
            if let Resolved::Now(row) = WaitRow::resolve(store, &step.id, &resolution, false).await? {
                resolved += 1;
                if let Some(decision) = decision {
                    self.emit_now(Event::ApprovalDecided {
                        execution_id: run_id.to_string(),
                        step_id: row.id.clone(),
                        step_key: row.step_id.clone(),
                        decision: decision.to_string(),
                        by: "timeout".into(),
                        comment: None,
                        project_id: project_id.to_string(),
                    });
                }
                self.emit_now(step_ended(&row, project_id));
            }
        }
        Ok(resolved)
    }

    /// Takes a `waiting` run whose time has come back to `pending` (its due waits resolved
    /// first), for this process to drive; None when another engine took it, or it is not
    /// waiting. `owner`: the lease this process holds on it while attending it, if any.
    pub async fn wake_run(&self, run_id: &str, owner: Option<&str>) -> Result<Option<RunRow>, StoreError> {
        let store = self.store();
        let Some(run) = RunRow::get(store, run_id).await? else {
            return Ok(None);
        };
        if run.status != RunStatus::Waiting {
            return Ok(None);
        }
        self.resolve_due_waits(run_id, &run.project_id).await?;
        let held = owner.map(|o| (o, self.lease_until()));
        let woken = RunRow::wake(store, run_id, held.as_ref().map(|(o, until)| (*o, until.as_str()))).await?;
        if let Some(run) = &woken {
            // Through the outbox, in order with the drive's own events; not waited for, so
            // the drive starts at once.
            self.emit_now(Event::StatusChanged {
                execution_id: run.id.clone(),
                status: run.status,
                project_id: run.project_id.clone(),
                error_message: None,
            });
        }
        Ok(woken)
    }

    /// Emits an event outside any run's drive, in order with the outbox's.
    fn emit_now(&self, event: Event) {
        self.outbox().emit(self.events(), event);
    }
}

/// Says who decided a gate that is not waiting any more.
fn already_decided(row: &StepRow) -> String {
    let result: Value = row
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    let data = &result["data"];
    match (data["decision"].as_str(), data["by"].as_str()) {
        (Some(decision), Some(by)) => format!(
            "\"{}\" was already decided: {} by {by} at {}",
            row.step_id,
            decision.replace('_', " "),
            data["at"].as_str().unwrap_or("?")
        ),
        _ => format!(
            "\"{}\" is not waiting for a decision (it is {})",
            row.step_id, row.status
        ),
    }
}

/// The comment a decision leaves on its gate: the person's words, with what they decided.
fn decision_comment(input: &DecisionInput) -> Option<String> {
    let comment = input.comment.as_deref().map(str::trim).filter(|c| !c.is_empty())?;
    let what = match input.decision {
        Decision::Approve => "Approved",
        Decision::Reject => "Rejected",
        Decision::RequestChanges => "Changes requested",
        Decision::Retry => "Retried",
        Decision::Skip => "Skipped",
        Decision::Fail => "Failed",
    };
    Some(format!("{what}: {comment}"))
}

/// Checks a decision's input against the gate's form (JSON Schema): each problem names its
/// field (`input.path: message`). A gate without a form takes any input, or none.
fn check_input(spec: &ApprovalSpec, input: &DecisionInput) -> Result<(), WaitError> {
    let Some(form) = &spec.form else {
        return Ok(());
    };
    if input.decision != Decision::Approve && input.input.is_none() {
        // Rejecting or asking for changes needs no form filled in.
        return Ok(());
    }
    let value = input.input.clone().unwrap_or(Value::Object(Default::default()));
    let validator = jsonschema::validator_for(form)
        .map_err(|e| WaitError::BadInput(vec![format!("input: the gate's form is not a valid JSON Schema: {e}")]))?;
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| {
            let path = e.instance_path.to_string();
            let field = path.trim_start_matches('/').replace('/', ".");
            let field = if field.is_empty() {
                "input".to_string()
            } else {
                format!("input.{field}")
            };
            format!("{field}: {e}")
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WaitError::BadInput(problems))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_forms_problems_name_their_fields() {
        let spec = ApprovalSpec {
            form: Some(json!({
                "type": "object",
                "required": ["budget"],
                "properties": { "budget": { "type": "number" } }
            })),
            ..Default::default()
        };
        let approve = |input: Value| DecisionInput {
            decision: Decision::Approve,
            comment: None,
            input: Some(input),
            value: None,
        };
        assert!(check_input(&spec, &approve(json!({ "budget": 3 }))).is_ok());
        let Err(WaitError::BadInput(p)) = check_input(&spec, &approve(json!({ "budget": "lots" }))) else {
            panic!("a string budget is refused");
        };
        assert!(p[0].starts_with("input.budget: "), "{p:?}");
        let Err(WaitError::BadInput(p)) = check_input(&spec, &approve(json!({}))) else {
            panic!("a missing budget is refused");
        };
        assert!(p[0].starts_with("input: ") && p[0].contains("budget"), "{p:?}");
        let reject = DecisionInput {
            decision: Decision::Reject,
            comment: Some("no".into()),
            input: None,
            value: None,
        };
        assert!(check_input(&spec, &reject).is_ok());
    }
}
