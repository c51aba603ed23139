//! Runs that wait: approval gates, durable sleeps and signals.
//!
//! A wait is a step like any other: the step host looks it up in the memo (a decided gate
//! returns its decision and never waits again), else records it `waiting` with what it waits
//! for (`store::waits`), and the workflow stops there: a TypeScript workflow's promise stays
//! pending and its worker exits once nothing else of it runs (`FromChild::Suspended`); a YAML
//! run stops at the step. The run is then `waiting` (`RunRow::suspend`), holding no process
//! and no concurrency slot, until a decision (`Engine::decide`), a signal
//! (`Engine::send_signal`) or its deadline resolves one of its waits. Resolving a wait
//! writes the step's result and sets the run's `wake_at`; an engine that sees a run whose
//! `wake_at` has come (`waker`, or the CLI attending it) takes it back to `pending` exactly
//! once (`Engine::wake_run`) and drives it: the replay reaches the wait, now in the memo, and
//! goes on.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::host::{fatal, Begin, Interrupt, StepHost};
use super::outcome::Entry;
use super::Engine;
use crate::definition::StepConfig;
use crate::domain::{CommentType, RunStatus, StepKind, StepResult, StepStatus, WaitKind};
use crate::events::Event;
use crate::store::comments::CommentRow;
use crate::store::runs::RunRow;
use crate::store::steps::{StepRow, StepStart};
use crate::store::waits::{Began, NewWait, PendingWait, Resolution, Resolved, Sent, SignalRow, WaitRow};
use crate::store::StoreError;

/// An approval gate as stored in its wait's `spec`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ApprovalSpec {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Value>,
    /// `reject` (default), `approve` or `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<String>,
    /// The wait's timeout in milliseconds, as written (for messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl ApprovalSpec {
    pub fn parse(spec: &str) -> ApprovalSpec {
        serde_json::from_str(spec).unwrap_or_default()
    }

    /// Whether `email` may decide: anyone when the gate names no approvers.
    pub fn may_decide(&self, email: Option<&str>) -> bool {
        if self.approvers.is_empty() {
            return true;
        }
        email.is_some_and(|e| self.approvers.iter().any(|a| a.eq_ignore_ascii_case(e)))
    }
}

/// What a person decides at a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
}

impl Decision {
    /// As the gate's result says it: `approved`, `rejected`, `changes_requested`.
    pub fn outcome(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::RequestChanges => "changes_requested",
        }
    }
}

/// Who decides or signals: a user of the API, or the terminal.
#[derive(Debug, Clone)]
pub struct Decider {
    /// The user's id (comments are theirs); None for the terminal.
    pub user_id: Option<String>,
    /// The user's email, checked against a gate's approvers; None for the terminal, which
    /// acts for the machine's operator and may decide any gate.
    pub email: Option<String>,
    /// How the decision names them: the email, or `cli:<user>`.
    pub label: String,
}

impl Decider {
    /// The person at this terminal.
    pub fn terminal() -> Decider {
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "operator".into());
        Decider {
            user_id: None,
            email: None,
            label: format!("cli:{user}"),
        }
    }
}

/// Why a decision or a signal was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("run {0} not found")]
    RunNotFound(String),
    #[error("run {run} has no approval step \"{step}\"")]
    StepNotFound { run: String, step: String },
    /// The gate is not waiting: decided before (by whom), or not an approval.
    #[error("{message}")]
    NotWaiting { message: String, run_status: RunStatus },
    #[error("the run is {0}: it takes no decisions or signals any more")]
    RunEnded(RunStatus),
    #[error("only {} may decide \"{step}\"", .approvers.join(", "))]
    NotApprover { step: String, approvers: Vec<String> },
    /// The input does not match the gate's form: one line per problem, each naming its field.
    #[error("the input does not match the gate's form: {}", .0.join("; "))]
    BadInput(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub decision: Decision,
    pub comment: Option<String>,
    pub input: Option<Value>,
}

fn at_now() -> String {
    crate::store::now()
}

fn result_json(step_key: &str, status: StepStatus, data: Value, error: Option<String>) -> String {
    let result = StepResult {
        step_id: step_key.to_string(),
        status,
        data: Some(data),
        error,
    };
    serde_json::to_string(&result).expect("a result serialises")
}

/// A gate decided by a person.
fn decided(step: &StepRow, decider: &Decider, d: &DecisionInput, continue_on_error: bool) -> Resolution {
    let mut data = json!({ "decision": d.decision.outcome(), "by": decider.label, "at": at_now() });
    if let Some(c) = &d.comment {
        data["comment"] = json!(c);
    }
    if let Some(i) = &d.input {
        data["input"] = i.clone();
    }
    let (status, error) = match d.decision {
        Decision::Reject => {
            let why = d.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default();
            let error = format!("\"{}\" was rejected by {}{why}", step.step_id, decider.label);
            (StepStatus::Failed, Some(error))
        }
        Decision::Approve | Decision::RequestChanges => (StepStatus::Completed, None),
    };
    let _ = continue_on_error;
    Resolution {
        status,
        result: result_json(&step.step_id, status, data, error.clone()),
        error,
    }
}

/// A wait whose deadline passed: a sleep wakes, a gate is decided by its `onTimeout`, a
/// signal wait fails. Also the decision it makes, for a gate.
fn timed_out(wait: &WaitRow, step: &StepRow) -> (Resolution, Option<&'static str>) {
    let at = at_now();
    let key = &step.step_id;
    let (status, data, error, decision) = match wait.kind {
        WaitKind::Sleep => (StepStatus::Completed, json!({ "wokeAt": at }), None, None),
        WaitKind::Signal => {
            let name = wait.signal_name.as_deref().unwrap_or_default();
            let error = format!("no signal \"{name}\" arrived before \"{key}\" timed out");
            (StepStatus::Failed, json!({ "timedOut": true }), Some(error), None)
        }
        WaitKind::Approval => {
            let spec = ApprovalSpec::parse(&wait.spec);
            match spec.on_timeout.as_deref().unwrap_or("reject") {
                "approve" => (
                    StepStatus::Completed,
                    json!({ "decision": "approved", "by": "timeout", "at": at }),
                    None,
                    Some("approved"),
                ),
                "fail" => {
                    let error = format!("nobody decided \"{key}\" before it timed out");
                    (StepStatus::Failed, json!({ "timedOut": true }), Some(error), None)
                }
                _ => {
                    let error = format!("\"{key}\" was rejected: nobody decided it before it timed out");
                    let data = json!({ "decision": "rejected", "by": "timeout", "at": at });
                    (StepStatus::Failed, data, Some(error), Some("rejected"))
                }
            }
        }
    };
    let resolution = Resolution {
        status,
        result: result_json(key, status, data, error.clone()),
        error,
    };
    (resolution, decision)
}

/// A signal wait given its signal.
fn signalled(step: &StepRow, signal: &SignalRow) -> Resolution {
    let payload: Value = serde_json::from_str(&signal.payload).unwrap_or(Value::Null);
    let data = json!({
        "name": signal.name,
        "payload": payload,
        "signalId": signal.id,
        "at": signal.created_at,
    });
    Resolution {
        status: StepStatus::Completed,
        result: result_json(&step.step_id, StepStatus::Completed, data, None),
        error: None,
    }
}

/// When a wait started now with this many milliseconds ends.
fn deadline_after(ms: u64) -> String {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX / 2).min(100 * 365 * 86_400_000);
    (chrono::Utc::now() + chrono::Duration::milliseconds(ms)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn duration_ms(step: &StepRow) -> u64 {
    let started = step
        .started_at
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
    let ended = step
        .completed_at
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
    match (started, ended) {
        (Some(s), Some(e)) => (e - s).num_milliseconds().max(0) as u64,
        _ => 0,
    }
}

impl StepHost {
    /// An approval, sleep or signal step reached by the workflow (not in the memo): it is
    /// still waiting from an earlier drive, or it begins to wait now. `Begin::Wait` stops
    /// the workflow there; a signal that was already sent resolves it at once.
    pub(super) async fn wait_step(
        &self,
        config: &StepConfig,
        kind: WaitKind,
        previous: Option<StepRow>,
    ) -> Result<Begin, Interrupt> {
        if let Some(row) = previous.filter(|r| r.status == StepStatus::Waiting) {
            self.state.lock().expect("host lock").phase = Some(row.phase.clone());
            return Ok(Begin::Wait);
        }
        let (spec, signal_name, deadline) = wait_of(config, kind);
        let log_dir = self.files.step_log_dir_rel(&config.id);
        let start = StepStart {
            run_id: &self.run_id,
            step_id: &config.id,
            name: &config.name,
            phase: &config.phase,
            kind: StepKind::from(kind),
            log_dir: &log_dir,
        };
        let wait = NewWait {
            kind,
            spec: &spec,
            signal_name: signal_name.as_deref(),
            deadline: deadline.as_deref(),
            continue_on_error: config.continue_on_error,
        };
        let began = WaitRow::begin_wait(self.engine.store(), start, wait, signalled)
            .await
            .map_err(fatal)?;
        let phase_changed = self.write_phase(&config.phase).await?;
        self.state.lock().expect("host lock").phase = Some(config.phase.clone());
        if phase_changed {
            self.emit(Event::PhaseChanged {
                execution_id: self.run_id.clone(),
                current_phase: config.phase.clone(),
                project_id: self.project_id.clone(),
            });
        }
        let began = match began {
            // A sleep of nothing ends as it starts.
            Began::Waiting(row) if kind == WaitKind::Sleep && config.duration_ms == Some(0) => {
                let wait = WaitRow::for_steps(self.engine.store(), &[&row.id])
                    .await
                    .map_err(fatal)?;
                let wait = wait
                    .into_iter()
                    .next()
                    .ok_or_else(|| fatal("the sleep's wait is gone"))?;
                let (resolution, _) = timed_out(&wait, &row);
                match WaitRow::resolve(self.engine.store(), &row.id, &resolution, false)
                    .await
                    .map_err(fatal)?
                {
                    Resolved::Now(row) | Resolved::Already(row) => Began::Resolved(row, None),
                }
            }
            other => other,
        };
        let row = match &began {
            Began::Waiting(row) | Began::Resolved(row, _) => row.clone(),
        };
        self.write_wait_input(config, &row);
        match began {
            Began::Waiting(row) => {
                let title = (kind == WaitKind::Approval).then(|| config.title.clone()).flatten();
                self.emit(Event::StepWaiting {
                    execution_id: self.run_id.clone(),
                    step_id: row.id.clone(),
                    step_key: row.step_id.clone(),
                    step_name: row.name.clone(),
                    kind,
                    phase: row.phase.clone(),
                    title,
                    signal_name,
                    deadline,
                    project_id: self.project_id.clone(),
                });
                Ok(Begin::Wait)
            }
            Began::Resolved(row, _) => {
                self.emit(step_ended(&row, &self.project_id));
                let result: Value = row
                    .result
                    .as_deref()
                    .and_then(|r| serde_json::from_str(r).ok())
                    .unwrap_or(Value::Null);
                let entry = Entry::new(row.step_id.clone(), result.clone(), None);
                self.state
                    .lock()
                    .expect("host lock")
                    .results
                    .insert(row.step_index, entry);
                Ok(Begin::Result(result))
            }
        }
    }

    /// The wait's `input.json` (what it waits for), then its start event.
    fn write_wait_input(&self, config: &StepConfig, row: &StepRow) {
        let mut input = serde_json::to_value(config).unwrap_or(Value::Null);
        self.mask.value(&mut input);
        let (files, id) = (self.files.clone(), config.id.clone());
        let started = Event::StepStarted {
            execution_id: self.run_id.clone(),
            step_id: row.id.clone(),
            step_key: row.step_id.clone(),
            step_name: row.name.clone(),
            step_type: row.kind,
            phase: row.phase.clone(),
            project_id: self.project_id.clone(),
        };
        let (outbox, bus) = (self.engine.outbox(), self.engine.events());
        outbox.write_then_emit(
            &self.write_failure,
            move || files.write_step_input(&id, &input),
            bus,
            started,
        );
    }
}

/// A wait's spec (JSON), signal name and deadline, from its step's config.
fn wait_of(config: &StepConfig, kind: WaitKind) -> (String, Option<String>, Option<String>) {
    match kind {
        WaitKind::Approval => {
            let spec = ApprovalSpec {
                title: config.title.clone().unwrap_or_else(|| config.name.clone()),
                description: config.description.clone(),
                approvers: config.approvers.clone(),
                form: config.form.clone(),
                on_timeout: config.on_timeout.clone(),
                timeout_ms: config.timeout_ms,
            };
            let spec = serde_json::to_string(&spec).expect("a spec serialises");
            (spec, None, config.timeout_ms.map(deadline_after))
        }
        WaitKind::Sleep => {
            let ms = config.duration_ms.unwrap_or(0);
            (json!({ "durationMs": ms }).to_string(), None, Some(deadline_after(ms)))
        }
        WaitKind::Signal => {
            let spec = json!({ "timeoutMs": config.timeout_ms }).to_string();
            (spec, config.signal.clone(), config.timeout_ms.map(deadline_after))
        }
    }
}

/// `workflow.step.completed` for a wait just resolved.
fn step_ended(row: &StepRow, project_id: &str) -> Event {
    Event::StepCompleted {
        execution_id: row.workflow_run_id.clone(),
        step_id: row.id.clone(),
        step_key: row.step_id.clone(),
        status: row.status,
        error: row.error_message.clone(),
        duration_ms: duration_ms(row),
        project_id: project_id.to_string(),
    }
}

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
        let row = row
            .filter(|r| r.kind == StepKind::Approval)
            .ok_or_else(|| WaitError::StepNotFound {
                run: run_id.to_string(),
                step: step.to_string(),
            })?;
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
        let wait = WaitRow::for_steps(store, &[&row.id]).await?.into_iter().next();
        let spec = wait.map(|w| ApprovalSpec::parse(&w.spec)).unwrap_or_default();
        // The terminal (no email) acts for the machine's operator: it may decide any gate.
        if decider.email.is_some() && !spec.may_decide(decider.email.as_deref()) {
            return Err(WaitError::NotApprover {
                step: row.step_id.clone(),
                approvers: spec.approvers.clone(),
            });
        }
        check_input(&spec, &input)?;
        let resolution = decided(&row, decider, &input, row.continue_on_error);
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
        self.emit_now(step_ended(&decided, &project));
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
        for PendingWait { wait, step } in WaitRow::due(store, run_id, &at_now()).await? {
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
        let woken = RunRow::wake(store, run_id, owner).await?;
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
    use super::*;

    #[test]
    fn approvers_limit_who_may_decide() {
        let open = ApprovalSpec::default();
        assert!(open.may_decide(None) && open.may_decide(Some("a@x")));
        let closed = ApprovalSpec {
            approvers: vec!["lead@example.com".into()],
            ..Default::default()
        };
        assert!(closed.may_decide(Some("LEAD@example.com")));
        assert!(!closed.may_decide(Some("dev@example.com")));
        assert!(!closed.may_decide(None));
    }

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
        };
        assert!(check_input(&spec, &reject).is_ok());
    }

    #[test]
    fn a_timeout_decides_as_the_gate_says() {
        let step = StepRow {
            id: "s".into(),
            workflow_run_id: "r".into(),
            step_id: "approve".into(),
            step_index: 0,
            name: "approve".into(),
            phase: "p".into(),
            kind: StepKind::Approval,
            status: StepStatus::Waiting,
            result: None,
            continue_on_error: false,
            attempt: 1,
            log_directory_path: None,
            agent_session_id: None,
            error_message: None,
            started_at: None,
            completed_at: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let wait = |on_timeout: Option<&str>| WaitRow {
            step_row_id: "s".into(),
            workflow_run_id: "r".into(),
            kind: WaitKind::Approval,
            spec: serde_json::to_string(&ApprovalSpec {
                title: "t".into(),
                on_timeout: on_timeout.map(str::to_string),
                ..Default::default()
            })
            .unwrap(),
            signal_name: None,
            deadline: None,
            created_at: String::new(),
            resolved_at: None,
        };
        let (r, d) = timed_out(&wait(None), &step);
        assert_eq!((r.status, d), (StepStatus::Failed, Some("rejected")));
        let (r, d) = timed_out(&wait(Some("approve")), &step);
        assert_eq!((r.status, d), (StepStatus::Completed, Some("approved")));
        let (r, d) = timed_out(&wait(Some("fail")), &step);
        assert_eq!((r.status, d), (StepStatus::Failed, None));
        assert!(r.error.unwrap().contains("nobody decided"));
    }
}
