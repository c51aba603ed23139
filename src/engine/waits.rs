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
use crate::definition::StepConfig;
use crate::domain::{RunStatus, StepResult, StepStatus, WaitKind};
use crate::events::Event;
use crate::store::steps::{StepRow, StepStart};
use crate::store::waits::{Began, NewWait, Resolution, SignalRow, WaitRow};
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
    /// A step whose tries ran out (a retry wait): run it again, with fresh tries.
    Retry,
    /// ... or let the workflow go on as if it completed, with the `value` given as its data.
    Skip,
    /// ... or fail it, as it would have failed without `onExhausted: "wait"`.
    Fail,
}

impl Decision {
    /// As the gate's result says it: `approved`, `rejected`, `changes_requested`, and
    /// `retried`, `skipped`, `failed` at a retry wait.
    pub fn outcome(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::RequestChanges => "changes_requested",
            Decision::Retry => "retried",
            Decision::Skip => "skipped",
            Decision::Fail => "failed",
        }
    }

    /// Whether it decides a retry wait (retry, skip, fail) rather than a gate.
    pub fn is_for_retry(self) -> bool {
        matches!(self, Decision::Retry | Decision::Skip | Decision::Fail)
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
    /// A gate's decision at a retry wait, or a retry wait's at a gate; a value not for a skip.
    #[error("{0}")]
    WrongDecision(String),
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
    /// A skip's value: the skipped step's data.
    pub value: Option<Value>,
}

fn at_now() -> String {
    crate::store::now()
}

/// A wait's end: the step's status, its `StepResult` and its error.
pub(super) fn resolution(step: &StepRow, status: StepStatus, data: Value, error: Option<String>) -> Resolution {
    let result = StepResult {
        step_id: step.step_id.clone(),
        status,
        data: Some(data),
        error: error.clone(),
    };
    Resolution {
        status,
        result: serde_json::to_string(&result).expect("a result serialises"),
        error,
    }
}

/// A sleep that has ended.
fn slept(step: &StepRow) -> Resolution {
    resolution(step, StepStatus::Completed, json!({ "wokeAt": at_now() }), None)
}

/// A gate decided by a person.
pub(super) fn decided(step: &StepRow, decider: &Decider, d: &DecisionInput) -> Resolution {
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
        Decision::Retry | Decision::Skip | Decision::Fail => return super::retry_wait::retry_decided(step, decider, d),
    };
    resolution(step, status, data, error)
}

/// A wait whose deadline passed: a sleep wakes, a gate is decided by its `onTimeout`, a
/// signal wait fails. Also the decision it makes, for a gate.
pub(super) fn timed_out(wait: &WaitRow, step: &StepRow) -> (Resolution, Option<&'static str>) {
    let at = at_now();
    let key = &step.step_id;
    let (status, data, error, decision) = match wait.kind {
        WaitKind::Sleep => return (slept(step), None),
        // A retry wait has no deadline; one given would fail the step as its last try did.
        WaitKind::Retry => {
            let error = step
                .error_message
                .clone()
                .unwrap_or_else(|| format!("\"{key}\" failed"));
            (StepStatus::Failed, json!({ "timedOut": true }), Some(error), None)
        }
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
    (resolution(step, status, data, error), decision)
}

/// A signal wait given its signal.
pub(super) fn signalled(step: &StepRow, signal: &SignalRow) -> Resolution {
    let payload: Value = serde_json::from_str(&signal.payload).unwrap_or(Value::Null);
    let data = json!({
        "name": signal.name,
        "payload": payload,
        "signalId": signal.id,
        "at": signal.created_at,
    });
    resolution(step, StepStatus::Completed, data, None)
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
            kind: kind.step_kind().expect("a wait step's kind"),
            log_dir: &log_dir,
            // A wait keeps no tries.
            interrupted: |_| false,
        };
        let wait = NewWait {
            kind,
            spec: &spec,
            signal_name: signal_name.as_deref(),
            deadline: deadline.as_deref(),
            continue_on_error: config.continue_on_error,
        };
        // A signal sent earlier is taken at once; a sleep of nothing ends as it starts.
        let sleeps_no_time = kind == WaitKind::Sleep && config.duration_ms == Some(0);
        let at_once = |step: &StepRow, signal: Option<&SignalRow>| match signal {
            Some(signal) => Some(signalled(step, signal)),
            None => sleeps_no_time.then(|| slept(step)),
        };
        let began = WaitRow::begin_wait(self.engine.store(), start, wait, at_once)
            .await
            .map_err(fatal)?;
        self.enter_phase(&config.phase).await?;
        let row = match &began {
            Began::Waiting(row) | Began::Resolved(row, _) => row.clone(),
        };
        self.write_input_then_emit_started(config, row.kind, &row);
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
        WaitKind::Retry => (String::from("{}"), None, None),
    }
}

/// `workflow.step.completed` for a wait just resolved.
pub(super) fn step_ended(row: &StepRow, project_id: &str) -> Event {
    Event::StepCompleted {
        execution_id: row.workflow_run_id.clone(),
        step_id: row.id.clone(),
        step_key: row.step_id.clone(),
        status: row.status,
        error: row.error_message.clone(),
        duration_ms: duration_ms(row),
        project_id: project_id.to_string(),
        warnings: row.warning_list(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StepKind;

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
            warnings: None,
            last_output_at: None,
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
