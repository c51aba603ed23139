//! Steering a run from the API: pause (drain), resume (replay), cancel (kill), each allowed
//! only from the statuses the spec's state machine permits (409 otherwise).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::auth::CurrentUser;
use super::error::ApiError;
use super::openapi::{CancelResult, Data, ErrorBody, PauseResult, ResumeResult};
use super::{access, AppState};
use crate::domain::{ControlRequest, RunStatus};
use crate::store::runs::RunRow;
use crate::store::Store;

/// `POST /api/workflow-executions/{id}/pause`: the steps in flight finish, then the run stops.
#[utoipa::path(
    post,
    path = "/api/workflow-executions/{id}/pause",
    tag = "workflow-executions",
    summary = "Pause a run",
    description = "The steps in flight finish, then the run stops; answers within about 2 seconds, \
        with `pause_requested` if a step is still running then.",
    params(("id" = String, Path, description = "The run's id.")),
    responses(
        (status = 200, description = "The run's status after the request.", body = Data<PauseResult>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 409, description = "The run is not running (`invalid_state`, with `current_status`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn pause_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let (run, _) = access::run(store, &user, &id).await?;
    if run.status != RunStatus::Running {
        return Err(conflict(&run, "pause", "only a running run can be paused"));
    }
    signal(&state, &id, ControlRequest::Pause).await?;
    let run = wait_for_status(store, &id, &RunStatus::STOPPED, Duration::from_secs(2)).await?;
    let mut v = json!({ "id": run.id, "status": run.status, "paused_at": run.paused_at });
    if run.status == RunStatus::Running {
        // A step still in flight: the pause lands when it finishes.
        v["pause_requested"] = json!(true);
    }
    Ok(Json(json!({ "data": v })))
}

/// `POST /api/workflow-executions/{id}/resume`: replays the run; completed steps are not run again.
#[utoipa::path(
    post,
    path = "/api/workflow-executions/{id}/resume",
    tag = "workflow-executions",
    summary = "Resume a run",
    description = "Queues a paused or failed run to be replayed; completed steps are not run again. \
        The answer carries the run's status now: `running` once it has started (within about 2 \
        seconds when a run slot is free), else `pending` until a slot takes it.",
    params(("id" = String, Path, description = "The run's id.")),
    responses(
        (status = 200, description = "The run's status after the request.", body = Data<ResumeResult>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 409, description = "The run is neither paused nor failed: already queued (`pending`), running or ended (`invalid_state`, with `current_status`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resume_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let (run, _) = access::run(store, &user, &id).await?;
    let may_start_now = state.runner.may_start_now();
    if state.runner.resume(&id).await?.is_none() {
        // Queued already (`pending`), running, or ended: one resume drives a run once.
        let why = match run.status {
            RunStatus::Pending => "it is already queued to run",
            RunStatus::Running => "it is already running",
            _ => "only a paused or failed run can be resumed",
        };
        let now = RunRow::get(store, &id).await?.unwrap_or(run);
        return Err(conflict(&now, "resume", why));
    }
    // With a free slot the run starts at once: answer with the status it then has. Without
    // one it waits, `pending`, and the answer says so at once.
    let wait = if may_start_now {
        Duration::from_secs(2)
    } else {
        Duration::ZERO
    };
    let started = [
        RunStatus::Running,
        RunStatus::Paused,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];
    let run = wait_for_status(store, &id, &started, wait).await?;
    Ok(Json(json!({ "data": { "id": run.id, "status": run.status } })))
}

/// `POST /api/workflow-executions/{id}/cancel`: kills the steps in flight at once.
#[utoipa::path(
    post,
    path = "/api/workflow-executions/{id}/cancel",
    tag = "workflow-executions",
    summary = "Cancel a run",
    description = "Kills the steps in flight at once; a pending or paused run is cancelled directly.",
    params(("id" = String, Path, description = "The run's id.")),
    responses(
        (status = 200, description = "The run's status after the request.", body = Data<CancelResult>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 409, description = "The run has already ended (`invalid_state`, with `current_status`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let (run, _) = access::run(store, &user, &id).await?;
    let run = match run.status {
        RunStatus::Pending | RunStatus::Paused => match RunRow::cancel_idle(store, &id).await? {
            Some(r) => {
                emit_status(&state, &r);
                r
            }
            None => RunRow::get(store, &id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("workflow execution {id}")))?,
        },
        RunStatus::Running => {
            signal(&state, &id, ControlRequest::Cancel).await?;
            wait_for_status(store, &id, &RunStatus::ENDED, Duration::from_secs(10)).await?
        }
        _ => return Err(conflict(&run, "cancel", "the run has already ended")),
    };
    Ok(Json(
        json!({ "data": { "id": run.id, "status": run.status, "cancelled_at": run.cancelled_at } }),
    ))
}

fn emit_status(state: &AppState, run: &RunRow) {
    state.engine.events().emit(crate::events::Event::StatusChanged {
        execution_id: run.id.clone(),
        status: run.status,
        project_id: run.project_id.clone(),
        error_message: run.error_message.clone(),
    });
}

fn conflict(run: &RunRow, verb: &str, why: &str) -> ApiError {
    ApiError::Conflict {
        message: format!(
            "cannot {verb} workflow execution {}: it is {} ({why})",
            run.id, run.status
        ),
        current_status: Some(run.status),
    }
}

async fn wait_for_status(store: &Store, id: &str, statuses: &[RunStatus], max: Duration) -> Result<RunRow, ApiError> {
    RunRow::wait_for_status(store, id, statuses, max)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("workflow execution {id}")))
}

/// Pauses or cancels a running run: directly when this process drives it, else through the
/// database for the process that does (a CLI run).
async fn signal(state: &AppState, id: &str, request: ControlRequest) -> Result<(), ApiError> {
    match (state.engine.control(id), request) {
        (Some(control), ControlRequest::Pause) => control.pause(),
        (Some(control), ControlRequest::Cancel) => control.cancel(),
        (None, _) => RunRow::request_control(state.engine.store(), id, request).await?,
    }
    Ok(())
}
