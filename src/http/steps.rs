//! `/api/workflow-steps`: a step with its session, artifacts and comments, and its logs.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::auth::CurrentUser;
use super::error::ApiError;
use super::openapi::{Data, ErrorBody, LogType, StepDetail, StepLog};
use super::{access, AppState};
use crate::store::agent_sessions::AgentSessionRow;
use crate::store::files::{RunFiles, StepFile};
use crate::store::steps::StepRow;
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workflow-steps/{id}", get(get_step))
        .route("/workflow-steps/{id}/logs/{type}", get(get_step_log))
}

/// The agent session linked from an agent step, or null.
pub async fn session_json(store: &Store, step: &StepRow) -> Result<Value, ApiError> {
    let Some(id) = &step.agent_session_id else {
        return Ok(Value::Null);
    };
    let row = AgentSessionRow::get(store, id).await?;
    Ok(row.map_or(Value::Null, |r| serde_json::to_value(r).expect("rows serialise")))
}

/// `GET /api/workflow-steps/{id}`
#[utoipa::path(
    get,
    path = "/api/workflow-steps/{id}",
    tag = "workflow-steps",
    summary = "Read a step",
    description = "With its agent session, its artifacts and its comments.",
    params(("id" = String, Path, description = "The step's row id.")),
    responses(
        (status = 200, description = "The step.", body = Data<StepDetail>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such step the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_step(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let (step, _, _) = access::step(store, &user, &id).await?;
    let mut v = super::runs::step_json(&step);
    v["session"] = session_json(store, &step).await?;
    v["artifacts"] = json!(super::artifacts::for_step(store, &step.id).await?);
    v["comments"] = json!(super::comments::for_step(store, &step.id).await?);
    Ok(Json(json!({ "data": v })))
}

/// `GET /api/workflow-steps/{id}/logs/{type}`: `input`, `output`, `events` (what a running
/// step has written so far) or `summary`; a log not written yet is empty.
#[utoipa::path(
    get,
    path = "/api/workflow-steps/{id}/logs/{type}",
    tag = "workflow-steps",
    summary = "Read a step's log",
    description = "`input`, `output`, `events` (what a running step has written so far) or `summary`; \
        a log not written yet is empty.",
    params(
        ("id" = String, Path, description = "The step's row id."),
        ("type" = LogType, Path, description = "Which log."),
    ),
    responses(
        (status = 200, description = "The log's text.", body = Data<StepLog>),
        (status = 400, description = "An unknown log type (`invalid_log_type`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such step the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_step_log(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let log = StepFile::from_name(&kind).ok_or_else(|| {
        ApiError::bad(
            "invalid_log_type",
            format!("type: '{kind}' is not one of {}", StepFile::NAMES.join(", ")),
        )
    })?;
    let store = state.engine.store();
    let (step, run, project) = access::step(store, &user, &id).await?;
    let files = RunFiles::new(std::path::Path::new(&project.path), &run.id);
    let content = match files.read_step_log(&step.step_id, log).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned(),
        Err(e) => return Err(ApiError::Internal(e.to_string())),
    };
    Ok(Json(
        json!({ "data": { "type": kind, "step_id": step.id, "content": content } }),
    ))
}
