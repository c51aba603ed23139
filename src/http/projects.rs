//! `/api/projects`: the directories a user works in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::CurrentUser;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::store::projects::ProjectRow;

pub fn router() -> Router<AppState> {
    Router::new().route("/projects", post(create_project).get(list_projects))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    name: String,
    path: String,
}

/// `POST /api/projects`: the directory must exist; its definitions are read at once.
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
pub async fn list_projects(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let projects = ProjectRow::list_visible(state.engine.store(), user.id(), user.is_admin()).await?;
    Ok(Json(json!({ "data": projects })))
}
