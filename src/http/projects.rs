//! `/api/projects`: the directories a user works in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::CurrentUser;
use super::error::{ApiError, ApiJson};
use super::openapi::{Data, ErrorBody};
use super::AppState;
use crate::store::projects::ProjectRow;

pub fn router() -> Router<AppState> {
    Router::new().route("/projects", post(create_project).get(list_projects))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    name: String,
    /// An absolute path to an existing directory.
    path: String,
}

/// `POST /api/projects`: the directory must exist; its definitions are read at once.
#[utoipa::path(
    post,
    path = "/api/projects",
    tag = "projects",
    summary = "Add a project",
    description = "The directory must exist on the server; the workflow files in its \
        `.agent/workflows/definitions/` are read at once and whenever they change. A directory \
        first seen by the CLI (no owner yet) is taken over by the first user who adds it.",
    request_body = CreateProject,
    responses(
        (status = 201, description = "The project.", body = Data<ProjectRow>),
        (status = 400, description = "An empty name, a relative path or one that is not an existing directory, or another body problem (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 409, description = "The directory is already a project with an owner.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_project(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if body.name.trim().is_empty() {
        return Err(ApiError::bad("invalid_body", "name: must not be empty"));
    }
    let path = std::path::Path::new(&body.path);
    if !path.is_absolute() {
        return Err(ApiError::bad("invalid_body", "path: must be an absolute path"));
    }
    let path = std::fs::canonicalize(path).ok().filter(|p| p.is_dir()).ok_or_else(|| {
        ApiError::bad(
            "invalid_body",
            format!("path: {} is not an existing directory", body.path),
        )
    })?;
    let store = state.engine.store();
    let project = ProjectRow::add_for_user(store, &path, body.name.trim(), user.id())
        .await?
        .ok_or_else(|| ApiError::Conflict {
            message: format!("path: {} is already another user's project", path.display()),
            current_status: None,
        })?;
    state.discovery.scan_and_watch(&project).await;
    Ok((StatusCode::CREATED, Json(json!({ "data": project }))))
}

/// `GET /api/projects`
#[utoipa::path(
    get,
    path = "/api/projects",
    tag = "projects",
    summary = "List the projects the caller may see",
    description = "The projects the caller owns or is a member of; an admin sees all.",
    responses(
        (status = 200, description = "The projects.", body = Data<Vec<ProjectRow>>),
        (status = 401, description = "No valid token.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_projects(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let projects = ProjectRow::list_visible(state.engine.store(), user.id(), user.is_admin()).await?;
    Ok(Json(json!({ "data": projects })))
}
