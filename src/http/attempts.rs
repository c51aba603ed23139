//! A step's tries as the API shows them (`Step.attempts`): the rows of a retried step
//! (`store::attempts`), and the try the step's own row describes when none records it (a
//! step that ran once, or ran again after a resume without retrying).

use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::step_view::Step;
use crate::domain::{AttemptOutcome, StepStatus};
use crate::store::attempts::AttemptRow;
use crate::store::Store;

/// One try of a step.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct StepAttempt {
    /// 1, 2, ...: a step tried again after a decision or a resume goes on counting.
    pub attempt: i64,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
    /// Relative to the project: this try's logs (`GET /api/workflow-steps/{id}/logs/events?attempt=N`).
    pub log_dir: Option<String>,
}

/// Gives each step of a run its tries (one query for the run).
pub async fn attach_attempts(store: &Store, run_id: &str, steps: &mut [&mut Step]) -> Result<(), ApiError> {
    let rows = if steps.iter().any(|s| s.kind.wait().is_none()) {
        AttemptRow::list_for_run(store, run_id).await?
    } else {
        Vec::new()
    };
    for step in steps.iter_mut() {
        let mine: Vec<&AttemptRow> = rows.iter().filter(|r| r.step_row_id == step.id).collect();
        step.attempts = Some(attempts_of(step, &mine));
    }
    Ok(())
}

/// The recorded tries, then the one the step's row describes if none of them is it.
pub fn attempts_of(step: &Step, rows: &[&AttemptRow]) -> Vec<StepAttempt> {
    let mut list: Vec<StepAttempt> = rows
        .iter()
        .map(|r| StepAttempt {
            attempt: r.attempt,
            started_at: Some(r.started_at.clone()),
            ended_at: r.ended_at.clone(),
            outcome: r.outcome,
            error: r.error.clone(),
            log_dir: r.log_dir.clone(),
        })
        .collect();
    if step.kind.wait().is_some() {
        return list;
    }
    let outcome = match step.status {
        StepStatus::Running => AttemptOutcome::Running,
        StepStatus::Completed => AttemptOutcome::Completed,
        StepStatus::Failed => AttemptOutcome::Failed,
        StepStatus::Pending | StepStatus::Waiting | StepStatus::Skipped => return list,
    };
    let started = step.started_at.as_deref().unwrap_or_default();
    let described = rows.iter().any(|r| r.started_at.as_str() >= started);
    if !described {
        let attempt = rows.last().map_or(1, |r| r.attempt + 1);
        let log_dir = match (attempt, &step.log_directory_path) {
            (1, dir) => dir.clone(),
            (n, dir) => dir.as_ref().map(|d| format!("{d}/attempt-{n}")),
        };
        list.push(StepAttempt {
            attempt,
            started_at: step.started_at.clone(),
            ended_at: step.completed_at.clone(),
            outcome,
            error: step.error_message.clone(),
            log_dir,
        });
    }
    list
}
