//! Steering a run from the API: pause (drain, or now with `{ "now": true }`), resume
//! (replay; `use_current`, `rerun_step`), cancel (kill; also while a pause is pending), through the engine's one
//! run-control path (`engine::control`); a refusal is a 409, a bad pause body a 400.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::{access, AppState};
use crate::domain::RunStatus;
use crate::engine::control::{ControlError, PauseMode, ResumeOptions};
use crate::store::runs::RunRow;
use crate::store::Store;

/// How long a pause waits for the steps in flight before it answers `pause_requested`.
const PAUSE_WAIT: Duration = Duration::from_secs(2);
/// How long a cancel (or a pause-now) waits for the driving engine to stop the run's steps.
const CANCEL_WAIT: Duration = Duration::from_secs(10);

/// The body of `POST .../pause`; none, or `{}`, asks for the pause that lets the steps in
/// flight finish.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    /// Pause now: stop the steps in flight (agents get SIGINT first, so that they save their
    /// session) instead of waiting for them; they run again on resume.
    #[serde(default)]
    pub now: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PauseResult {
    pub id: String,
    pub status: RunStatus,
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    /// True when a step is still in flight: the run pauses when it finishes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub pause_requested: Option<bool>,
}

/// The body of `POST .../resume`; none, or `{}`, replays the run as it is.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ResumeBody {
    /// Resume a TypeScript run whose source changed since it started with the current code:
    /// the results of the steps it completed are handed to the new code, and a warning saying
    /// so is recorded on the run (`warnings`). Without it, such a resume is a 409 `source_changed`.
    #[serde(default)]
    pub use_current: bool,
    /// Forget the memo of this step (its id) and of every step recorded after it before
    /// replaying: they run again.
    #[serde(default)]
    pub rerun_step: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ResumeResult {
    pub id: String,
    pub status: RunStatus,
    /// What the resume did or will run, for people: a YAML run replays the definition it
    /// started with; the current code accepted; the steps forgotten.
    pub notes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CancelResult {
    pub id: String,
    pub status: RunStatus,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
}

/// `POST /api/workflow-executions/{id}/pause`: the steps in flight finish, then the run
/// stops; with `{ "now": true }` they are stopped, and run again on resume.
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/pause",
    tag = "workflow-executions",
    summary = "Pause a run",
    description = "Without a body (or with `{}`), the steps in flight finish, then the run stops; \
        answers within about 2 seconds, with `pause_requested` if a step is still running then. \
        With `{ \"now\": true }`, no new step starts and the steps in flight are stopped (script \
        steps' processes terminated, agent CLIs interrupted first so that they save their \
        session, a TypeScript run's function steps stopped with its worker); each is recorded \
        as interrupted (status `failed`, error `interrupted by pause now`) and runs again on \
        resume, an agent step with `onInterrupt: resume` continuing its session. A pause-now \
        overtakes a pending pause; a cancel overtakes either. Answers within about 10 seconds.",
    params(("id" = String, Path, description = "The run's id.")),
    request_body(content = Option<PauseBody>, description = "Optional: `{ \"now\": true }` pauses now.", content_type = "application/json"),
    responses(
        (status = 200, description = "The run's status after the request.", body = Data<PauseResult>),
        (status = 400, description = "The body is not `{ \"now\": boolean }` (`invalid_body`, naming the field).", body = ErrorBody),
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
    // No body, `null` and `{}` are the pause that waits for the steps in flight.
    body: Option<ApiJson<Option<PauseBody>>>,
) -> Result<Json<Data<PauseResult>>, ApiError> {
    access::run(state.engine.store(), &user, &id).await?;
    let now = matches!(body, Some(ApiJson(Some(PauseBody { now: true }))));
    let (mode, wait) = match now {
        true => (PauseMode::Now, CANCEL_WAIT),
        false => (PauseMode::Drain, PAUSE_WAIT),
    };
    let run = state
        .engine
        .pause_run(&id, mode, wait)
        .await
        .map_err(|e| refused(e, "pause"))?;
    // A step still in flight: the pause lands when it finishes (or has been stopped).
    let pause_requested = (run.status == RunStatus::Running).then_some(true);
    Ok(ok(PauseResult {
        id: run.id,
        status: run.status,
        paused_at: run.paused_at,
        pause_requested,
    }))
}

/// `POST /api/workflow-executions/{id}/resume`: replays the run; completed steps are not run again.
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/resume",
    tag = "workflow-executions",
    summary = "Resume a run",
    description = "Queues a paused or failed run to be replayed; completed steps are not run again. \
        The answer carries the run's status now: `running` once it has started (within about 2 \
        seconds when a run slot is free), else `pending` until a slot takes it. A TypeScript \
        run whose files changed since it started is refused (409 `source_changed`, the files in \
        `details`) unless the body says `use_current`; a YAML run replays the definition it \
        started with (said in `notes`). `rerun_step` forgets that step and the ones after it.",
    params(("id" = String, Path, description = "The run's id.")),
    request_body(content = Option<ResumeBody>, description = "Optional: `{ \"use_current\": true }`, `{ \"rerun_step\": \"build\" }`.", content_type = "application/json"),
    responses(
        (status = 200, description = "The run's status after the request.", body = Data<ResumeResult>),
        (status = 400, description = "A body problem, or a `rerun_step` the run does not have (`invalid_body`, naming the field).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 409, description = "The run is neither paused nor failed: already queued (`pending`), running or ended (`invalid_state`, with `current_status`); or its TypeScript source changed since it started (`source_changed`, each changed file in `details`).", body = ErrorBody),
        (status = 503, description = "Neither the run's node nor any other live engine node with the project's \
            folder can be reached (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resume_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<axum::response::Response, ApiError> {
    use axum::extract::FromRequest;
    use axum::response::IntoResponse;
    let store = state.engine.store();
    let (run, project) = access::run(store, &user, &id).await?;
    // A TypeScript run's sources are checked against its folder: on the run's node, else
    // on one with the project (which resumes it from the database).
    let req = match super::file_proxy::for_run_or_project(&state, &run, &project, req).await {
        Ok(answer) => return Ok(answer),
        Err(req) => req,
    };
    let body = Option::<ApiJson<Option<ResumeBody>>>::from_request(req, &state).await?;
    let body = body.and_then(|ApiJson(b)| b).unwrap_or_default();
    let options = ResumeOptions {
        use_current: body.use_current,
        rerun_step: body.rerun_step,
    };
    let may_start_now = state.runner.may_start_now();
    let resumed = state
        .runner
        .resume(&id, &options)
        .await
        .map_err(|e| refused(e, "resume"))?;
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
    Ok(ok(ResumeResult {
        id: run.id,
        status: run.status,
        notes: resumed.notes,
    })
    .into_response())
}

/// `POST /api/workflow-executions/{id}/cancel`: kills the steps in flight at once.
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/cancel",
    tag = "workflow-executions",
    summary = "Cancel a run",
    description = "Kills the steps in flight at once, also while a pause (of either kind) is pending; \
        a pending or paused run is cancelled directly.",
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
) -> Result<Json<Data<CancelResult>>, ApiError> {
    access::run(state.engine.store(), &user, &id).await?;
    let run = state
        .engine
        .cancel_run(&id, CANCEL_WAIT)
        .await
        .map_err(|e| refused(e, "cancel"))?;
    Ok(ok(CancelResult {
        id: run.id,
        status: run.status,
        cancelled_at: run.cancelled_at,
    }))
}

/// The API's answer to a request the run's state does not allow (409), or to a run that is
/// gone (404).
fn refused(e: ControlError, verb: &str) -> ApiError {
    match e {
        ControlError::NotFound(id) => ApiError::not_found(format!("workflow execution {id}")),
        ControlError::InvalidState { run, why } => ApiError::Conflict {
            message: format!(
                "cannot {verb} workflow execution {}: it is {} ({why})",
                run.id, run.status
            ),
            current_status: Some(run.status),
        },
        ControlError::Store(e) => e.into(),
        ControlError::SourceChanged { run, changes } => ApiError::ConflictWith {
            code: "source_changed",
            message: format!(
                "cannot {verb} workflow execution {}: {}",
                run.id,
                crate::engine::source::changed_message(&run.id, &changes)
            ),
            details: changes.iter().map(|c| c.to_string()).collect(),
            current_status: Some(run.status),
        },
        ControlError::NoSuchStep(step) => {
            ApiError::bad("invalid_body", format!("rerun_step: the run has no step \"{step}\""))
        }
        ControlError::Engine(e) => super::runs::engine_error(*e),
    }
}

async fn wait_for_status(store: &Store, id: &str, statuses: &[RunStatus], max: Duration) -> Result<RunRow, ApiError> {
    RunRow::wait_for_status(store, id, statuses, max)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("workflow execution {id}")))
}
