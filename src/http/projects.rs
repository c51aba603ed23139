//! `/api/projects`: the directories a user works in.

use axum::extract::{Path, State};
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
use crate::store::projects::{check_node_labels, ProjectRow};

fn refused(e: PathRefused) -> ApiError {
    ApiError::bad("invalid_body", e.to_string())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_project, list_projects))
        .routes(routes!(get_project, update_project))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    name: String,
    /// An absolute path to an existing directory.
    path: String,
    /// The labels a node must have, every one, to drive the project's runs (`serve
    /// --node-labels`); none by default. Left as they were when an existing project is
    /// registered again without them.
    #[serde(default)]
    node_labels: Option<Vec<String>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    /// The labels a node must have, every one, to drive the project's runs; `[]` for any
    /// node that has the project's folder.
    node_labels: Vec<String>,
}

fn bad_labels(field: &str, labels: &[String]) -> Result<(), ApiError> {
    check_node_labels(field, labels).map_err(|e| ApiError::bad("invalid_body", e))
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
        (status = 400, description = "A bad `node_labels` entry (named: `node_labels[1]: ...`), an empty name, a relative path, `/` or a system directory, a path outside the server's project roots, or one that is not an existing directory the caller may register (missing, a file, the server's data directory, another user's project: one message for all, which does not say which), or another body problem (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_project(
    State(state): State<AppState>,
    user: CurrentUser,
    req: axum::extract::Request,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let (parts, bytes) = super::file_proxy::buffered(&state, req).await?;
    let body: CreateProject = super::file_proxy::json(&state, &parts, &bytes).await?;
    if body.name.trim().is_empty() {
        return Err(ApiError::bad("invalid_body", "name: must not be empty"));
    }
    check_name("name", &body.name).map_err(|e| ApiError::bad("invalid_body", e))?;
    if let Some(labels) = &body.node_labels {
        bad_labels("node_labels", labels)?;
    }
    let path = match state.project_paths.check(&body.path) {
        Ok(path) => path,
        Err(refusal) => {
            // On PostgreSQL the folder may be on other nodes only: the first that registers
            // it answers (each checks the path against its own disk and roots).
            if let Some(answer) = super::file_proxy::success_elsewhere(&state, &parts, &bytes).await {
                return Ok(answer);
            }
            return Err(refused(refusal));
        }
    };
    let store = state.engine.store();
    let labels = body.node_labels.as_deref();
    let project = ProjectRow::add_for_user(store, &path, body.name.trim(), user.id(), labels)
        .await?
        // Another user's directory is refused like a missing one: the answer must not say
        // that it exists or whose it is.
        .ok_or_else(|| refused(state.project_paths.not_allowed(&body.path)))?;
    state.discovery.scan_and_watch(&project).await;
    // The other nodes learn at once that this one has the project's folder.
    if !store.is_lite() {
        if let Some(ids) = crate::engine::cluster::projects_here(&state.engine).await {
            let _ = NodeRow::heartbeat(store, state.engine.node_id(), Some(&ids)).await;
        }
    }
    Ok(created(project).into_response())
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

/// `GET /api/projects/{id}`
#[utoipa::path(
    get,
    path = "/projects/{id}",
    tag = "projects",
    summary = "Read a project",
    params(("id" = String, Path, description = "The project's id.")),
    responses(
        (status = 200, description = "The project.", body = Data<ProjectRow>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such project, or not the caller's to see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_project(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Data<ProjectRow>>, ApiError> {
    Ok(ok(super::access::project(state.engine.store(), &user, &id).await?))
}

/// `PATCH /api/projects/{id}`: the node labels its runs require.
#[utoipa::path(
    patch,
    path = "/projects/{id}",
    tag = "projects",
    summary = "Change a project's required node labels",
    description = "On PostgreSQL a node takes the project's runs only if it has the project's folder \
        and every label in `node_labels` (`serve --node-labels`); a run no live node may take stays \
        `pending` and says why (`placement`). A single-process engine (SQLite) drives every run \
        and does not look at labels.",
    params(("id" = String, Path, description = "The project's id.")),
    request_body = UpdateProject,
    responses(
        (status = 200, description = "The project.", body = Data<ProjectRow>),
        (status = 400, description = "A bad label, named (`node_labels[1]: ...`), or another body problem (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such project, or not the caller's to see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_project(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateProject>,
) -> Result<Json<Data<ProjectRow>>, ApiError> {
    let store = state.engine.store();
    let project = super::access::project(store, &user, &id).await?;
    bad_labels("node_labels", &body.node_labels)?;
    let updated = ProjectRow::set_node_labels(store, &project.id, &body.node_labels)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("project {id}")))?;
    // A node that may take its runs now does so without waiting for its poll.
    state.runner.kick();
    Ok(ok(updated))
}
