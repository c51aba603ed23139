//! `POST /api/workflow-executions/{id}/rerun`: run again (every step), or rerun from a step
//! (the steps the run recorded before it reused), with the same or edited arguments
//! (`engine::rerun`). The new run starts like one created by `POST /workflow-executions`.

use axum::extract::{FromRequest, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::auth::CurrentUser;
use super::envelope::{created, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::run_view::Run;
use super::{access, AppState};
use crate::engine::rerun::{RerunError, RerunRequest};

/// The body of `POST .../rerun`; none, or `{}`, runs the run again with its arguments.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RerunBody {
    /// The step (its id, e.g. `build`, or its row id) to run for real from: the results of
    /// every step the run recorded before it (in the order it started them) are reused.
    /// Absent: every step runs again.
    pub from_step_id: Option<String>,
    /// New arguments, the whole object (checked against the workflow's `argsSchema`); absent
    /// or null: the run's own.
    #[schema(value_type = Option<Object>)]
    pub args: Option<Value>,
}

/// `POST /api/workflow-executions/{id}/rerun`
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/rerun",
    tag = "workflow-executions",
    summary = "Run again, or rerun from a step",
    description = "Starts a new run of the run's workflow (its file as it is now), with the run's \
        arguments or `args`. With `from_step_id`, the new run reuses the results of every step the \
        run recorded before that one and runs it and everything after it for real. The new run \
        has `parent_run_id` (and `forked_from_step`); the original lists it in `reruns`. When the \
        workflow changed since the original ran, the new run's `warnings` say so.",
    params(("id" = String, Path, description = "The run's id.")),
    request_body(content = Option<RerunBody>, description = "Optional: `{ \"from_step_id\": \"build\", \"args\": {...} }`.", content_type = "application/json"),
    responses(
        (status = 201, description = "The new run, `pending` or already `running`.", body = Data<Run>),
        (status = 400, description = "A body problem or a `from_step_id` the run does not have (`invalid_body`, naming the field), \
            arguments that do not match the `argsSchema` (`invalid_args`), or a workflow file that no longer loads \
            (`invalid_definition`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 507, description = "The data directory's disk is full (`insufficient_storage`).", body = ErrorBody),
        (status = 503, description = "Neither the run's node nor any other live engine node with the project's \
            folder can be reached (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rerun_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (run, project) = access::run(state.engine.store(), &user, &id).await?;
    // Reads the run's folder and the project's: on the run's node, else one with the project.
    let req = match super::file_proxy::for_run_or_project(&state, &run, &project, req).await {
        Ok(answer) => return Ok(answer),
        Err(req) => req,
    };
    let body = Option::<ApiJson<Option<RerunBody>>>::from_request(req, &state).await?;
    let body = body.and_then(|ApiJson(b)| b).unwrap_or_default();
    let args = match body.args {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v),
        Some(_) => return Err(ApiError::bad("invalid_body", "args: must be an object")),
    };
    let request = RerunRequest {
        from_step: body.from_step_id.filter(|s| !s.is_empty()),
        args,
        user_id: Some(user.id().to_string()),
        driven_here: false,
    };
    let rerun = state.engine.rerun(&id, request).await.map_err(|e| match e {
        RerunError::NotFound(id) => ApiError::not_found(format!("workflow execution {id}")),
        e @ RerunError::NoSuchStep { .. } => ApiError::bad("invalid_body", e.to_string()),
        RerunError::Engine(e) => super::runs::engine_error(e),
    })?;
    state.runner.start(rerun.run.id.clone(), Some(rerun.prepared));
    Ok(created(Run::from(&rerun.run)).into_response())
}
