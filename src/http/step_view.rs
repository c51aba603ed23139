//! A step as the API shows it, in a run's list item, a run's detail
//! (`/api/workflow-executions/{id}`) and a step's own page (`/api/workflow-steps/{id}`), and in
//! the CLI's `show --json`: the row with its `result` parsed, with or without its agent session.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::domain::{StepKind, StepStatus, WaitKind};
use crate::engine::waits::ApprovalSpec;
use crate::store::agent_sessions::AgentSessionRow;
use crate::store::steps::StepRow;
use crate::store::waits::WaitRow;
use crate::store::Store;

/// A step of a run.
#[derive(Serialize, ToSchema)]
pub struct Step {
    /// The step row's id, as `/api/workflow-steps/{id}` takes it.
    pub id: String,
    pub workflow_run_id: String,
    /// The id the workflow gave the step.
    pub step_id: String,
    pub step_index: i64,
    pub name: String,
    pub phase: String,
    #[serde(rename = "type")]
    pub kind: StepKind,
    pub status: StepStatus,
    /// What the step returned (any JSON); null until it ends.
    pub result: Value,
    pub continue_on_error: bool,
    pub attempt: i64,
    /// Relative to the project; holds the step's logs.
    pub log_directory_path: Option<String>,
    pub agent_session_id: Option<String>,
    pub error_message: Option<String>,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// What a person should know about how the step went, though it may have completed: tool
    /// calls the agent was denied, a rerun that could not fork the agent's conversation.
    pub warnings: Vec<String>,
    /// While an agent step runs: when its CLI last printed anything (updated every few
    /// seconds at most), for "no output for N min". Null for other steps and before any output.
    #[schema(format = DateTime)]
    pub last_output_at: Option<String>,
    /// What an approval, sleep or signal step waits (or waited) for; null for other steps.
    pub wait: Option<WaitView>,
    /// Its tries, oldest first (a step that ran once has one); in a run's and a step's
    /// detail, not in the run list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<super::attempts::StepAttempt>>,
    /// The commit a script or agent step of a worktree run left the worktree at, and what
    /// it changed; null for other steps and runs.
    pub snapshot: Option<super::diffs::StepSnapshot>,
}

/// What a waiting step waits for: a gate's title, description, approvers and form, a
/// timer's wake time, a signal's name. Kept once the step is resolved.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct WaitView {
    pub kind: WaitKind,
    pub title: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    /// Who may decide (emails); empty: anyone who may see the project.
    pub approvers: Vec<String>,
    /// JSON Schema of the input asked for when deciding.
    #[schema(value_type = Option<Object>)]
    pub form: Option<Value>,
    /// `reject`, `approve` or `fail`.
    pub on_timeout: Option<String>,
    pub signal_name: Option<String>,
    /// A sleep's wake time, or when the wait times out.
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    /// When it began waiting.
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    /// Whether the caller may decide this gate now.
    pub can_decide: bool,
}

impl WaitView {
    /// `viewer`: the caller's email (None: a caller who may decide any gate, or none).
    pub fn new(wait: &WaitRow, status: StepStatus, viewer: Option<&str>) -> WaitView {
        // A retry wait's spec has a gate's title and description (and no approvers).
        let approval = wait.kind.needs_a_person().then(|| ApprovalSpec::parse(&wait.spec));
        let can_decide = status == StepStatus::Waiting && approval.as_ref().is_some_and(|a| a.may_decide(viewer));
        let a = approval.unwrap_or_default();
        WaitView {
            kind: wait.kind,
            title: wait.kind.needs_a_person().then_some(a.title),
            description: a.description,
            approvers: a.approvers,
            form: a.form,
            on_timeout: (wait.kind == WaitKind::Approval).then(|| a.on_timeout.unwrap_or_else(|| "reject".into())),
            signal_name: wait.signal_name.clone(),
            deadline: wait.deadline.clone(),
            since: wait.created_at.clone(),
            resolved_at: wait.resolved_at.clone(),
            can_decide,
        }
    }
}

/// Gives each step its wait (one query for all of them).
pub async fn attach_waits(store: &Store, steps: &mut [&mut Step], viewer: Option<&str>) -> Result<(), ApiError> {
    let ids: Vec<&str> = steps
        .iter()
        .filter(|s| s.kind.wait().is_some() || s.status == StepStatus::Waiting)
        .map(|s| s.id.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let waits = WaitRow::for_steps(store, &ids).await?;
    for step in steps.iter_mut() {
        if let Some(w) = waits.iter().find(|w| w.step_row_id == step.id) {
            step.wait = Some(WaitView::new(w, step.status, viewer));
        }
    }
    Ok(())
}

impl From<&StepRow> for Step {
    fn from(step: &StepRow) -> Step {
        Step {
            id: step.id.clone(),
            workflow_run_id: step.workflow_run_id.clone(),
            step_id: step.step_id.clone(),
            step_index: step.step_index,
            name: step.name.clone(),
            phase: step.phase.clone(),
            kind: step.kind,
            status: step.status,
            result: step
                .result
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or(Value::Null),
            continue_on_error: step.continue_on_error,
            attempt: step.attempt,
            log_directory_path: step.log_directory_path.clone(),
            agent_session_id: step.agent_session_id.clone(),
            error_message: step.error_message.clone(),
            started_at: step.started_at.clone(),
            completed_at: step.completed_at.clone(),
            created_at: step.created_at.clone(),
            updated_at: step.updated_at.clone(),
            warnings: step.warning_list(),
            last_output_at: step.last_output_at.clone(),
            wait: None,
            attempts: None,
            snapshot: None,
        }
    }
}

/// A step with the agent session behind it (null unless an agent step).
#[derive(Serialize, ToSchema)]
pub struct StepWithSession {
    #[serde(flatten)]
    pub step: Step,
    pub session: Option<AgentSessionRow>,
}

impl StepWithSession {
    pub async fn load(store: &Store, step: &StepRow) -> Result<StepWithSession, ApiError> {
        Ok(StepWithSession {
            step: step.into(),
            session: session(store, step).await?,
        })
    }
}

/// The agent session linked from an agent step.
pub async fn session(store: &Store, step: &StepRow) -> Result<Option<AgentSessionRow>, ApiError> {
    match &step.agent_session_id {
        Some(id) => Ok(AgentSessionRow::get(store, id).await?),
        None => Ok(None),
    }
}
