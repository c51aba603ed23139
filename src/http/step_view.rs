//! A step as the API shows it, in a run's list item, a run's detail
//! (`/api/workflow-executions/{id}`) and a step's own page (`/api/workflow-steps/{id}`), and in
//! the CLI's `show --json`: the row with its `result` parsed, with or without its agent session.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::domain::{StepKind, StepStatus};
use crate::store::agent_sessions::AgentSessionRow;
use crate::store::steps::StepRow;
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
