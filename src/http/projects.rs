//! `/api/projects`: the directories a user works in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{created, ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::project_paths::PathRefused;
use super::AppState;
use crate::definition::names::check_name;
use crate::store::nodes::NodeRow;
use crate::store::projects::ProjectRow;

fn refused(e: PathRefused) -> ApiError {
    ApiError::bad("invalid_body", e.to_string())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_project, list_projects))
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
    path = "/projects",
    tag = "projects",
    summary = "Add a project",
    description = "The directory must exist on the server, must not be `/`, a system directory \
        (`/etc`, `/usr`, `/var`, ...) or the server's data directory, and must be under one of the \
        server's project roots when it has some (`serve --project-root`); symlinks are followed \
        first. The workflow files in its \
        `.agent/workflows/definitions/` are read at once and whenever they change. A directory \
        first seen by the CLI (no owner yet) is taken over by the first user who adds it.",
    request_body = CreateProject,
    responses(
        (status = 201, description = "The project.", body = Data<ProjectRow>),
        (status = 400, description = "An empty name, a relative path, `/` or a system directory, a path outside the server's project roots, or one that is not an existing directory the caller may register (missing, a file, the server's data directory, another user's project: one message for all, which does not say which), or another body problem (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_project(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<(StatusCode, Json<Data<ProjectRow>>), ApiError> {
    if body.name.trim().is_empty() {
        return Err(ApiError::bad("invalid_body", "name: must not be empty"));
    }
    check_name("name", &body.name).map_err(|e| ApiError::bad("invalid_body", e))?;
    let path = state.project_paths.check(&body.path).map_err(refused)?;
    let store = state.engine.store();
    let project = ProjectRow::add_for_user(store, &path, body.name.trim(), user.id())
        .await?
        // Another user's directory is refused like a missing one: the answer must not say
        // that it exists or whose it is.
        .ok_or_else(|| refused(state.project_paths.not_allowed(&body.path)))?;
    state.discovery.scan_and_watch(&project).await;
    // The other nodes learn at once that this one has the project's folder.
    if !store.is_lite() {
        if let Some(ids) = crate::engine::cluster::projects_here(store).await {
            let _ = NodeRow::heartbeat(store, state.engine.node_id(), Some(&ids)).await;
        }
    }
    Ok(created(project))
}

/// `GET /api/projects`
#[utoipa::path(
    get,
    path = "/projects",
    tag = "projects",
    summary = "List the projects the caller may see",
    description = "The projects the caller owns or is a member of; an admin sees all.",
    responses(
        (status = 200, description = "The projects.", body = Data<Vec<ProjectRow>>),
        (status = 401, description = "No valid token.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_projects(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Data<Vec<ProjectRow>>>, ApiError> {
    let projects = ProjectRow::list_visible(state.engine.store(), user.id(), user.is_admin()).await?;
    Ok(ok(projects))
}
