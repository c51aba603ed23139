//! `/api/workflow-definitions`: the rows `engine::discovery` keeps of every file in a
//! project's `.agent/workflows/definitions/`, those that do not load included.

use std::path::PathBuf;

use axum::extract::{Path as UrlPath, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiQuery};
use super::{access, AppState};
use crate::definition::{DefinitionError, DefinitionKind, StepConfig};
use crate::store::definitions::DefinitionRow;
use crate::store::projects::ProjectRow;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_definitions))
        .routes(routes!(get_definition))
}

/// A workflow definition: one file of the project's definitions folder. A file that does not
/// load keeps its row, with `load_error`.
#[derive(Serialize, ToSchema, Clone)]
pub struct Definition {
    pub id: String,
    pub project_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: DefinitionKind,
    /// Absolute path of the file.
    pub path: String,
    pub phases: Vec<String>,
    /// The JSON Schema a run's `args` must match; null when the workflow declares none.
    #[schema(value_type = Option<Object>)]
    pub args_schema: Option<Value>,
    /// Why the file does not load; null when it does.
    // Kept as the JSON the row holds (`LoadError`'s shape, written by discovery).
    #[schema(value_type = Option<LoadError>)]
    pub load_error: Option<Value>,
    pub is_template: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The file's `workspace:` settings (a git worktree per run); null when it has none.
    pub workspace: Option<crate::definition::workspace::WorkspaceSpec>,
}

/// Parses a JSON column the store wrote; one that does not parse shows as null.
fn parsed(column: Option<&str>) -> Option<Value> {
    column.and_then(|s| serde_json::from_str(s).ok())
}

impl From<&DefinitionRow> for Definition {
    fn from(d: &DefinitionRow) -> Definition {
        Definition {
            id: d.id.clone(),
            project_id: d.project_id.clone(),
            name: d.name.clone(),
            description: d.description.clone(),
            kind: d.kind,
            path: d.path.clone(),
            phases: serde_json::from_str(&d.phases).unwrap_or_default(),
            args_schema: parsed(d.args_schema.as_deref()),
            load_error: parsed(d.load_error.as_deref()),
            is_template: d.is_template,
            created_at: d.created_at.clone(),
            updated_at: d.updated_at.clone(),
            workspace: d.workspace.as_deref().and_then(|w| serde_json::from_str(w).ok()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoadError {
    /// Every problem, one a line.
    pub message: String,
    pub errors: Vec<DefinitionError>,
}

/// A definition with its steps, when they are known before a run (YAML that loads).
#[derive(Serialize, ToSchema)]
pub struct DefinitionDetail {
    #[serde(flatten)]
    pub definition: Definition,
    /// Present for YAML definitions that load; TypeScript steps are known only as they run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub steps: Option<Vec<StepConfig>>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this project's definitions; all the caller may see when absent.
    project_id: Option<String>,
}

/// `GET /api/workflow-definitions?project_id=`
#[utoipa::path(
    get,
    path = "/workflow-definitions",
    tag = "workflow-definitions",
    summary = "List workflow definitions",
    description = "The templates of one project, or of every project the caller may see, by name: \
        the files in its `.agent/workflows/definitions/`. Files that do not load are listed too, \
        with `load_error`. A file run from elsewhere (CLI `run`) is its runs' definition, readable \
        by id, but not a template.",
    params(ListQuery),
    responses(
        (status = 200, description = "The definitions.", body = Data<Vec<Definition>>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No project `project_id` the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_definitions(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Data<Vec<Definition>>>, ApiError> {
    let store = state.engine.store();
    let project_ids: Vec<String> = match q.project_id {
        Some(id) => vec![access::project(store, &user, &id).await?.id],
        None => ProjectRow::list_visible(store, user.id(), user.is_admin())
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect(),
    };
    let rows = DefinitionRow::list_templates(store, &project_ids).await?;
    Ok(ok(rows.iter().map(Definition::from).collect()))
}

/// `GET /api/workflow-definitions/{id}`
#[utoipa::path(
    get,
    path = "/workflow-definitions/{id}",
    tag = "workflow-definitions",
    summary = "Read a workflow definition",
    description = "With its steps when they are known before a run (YAML that loads).",
    params(("id" = String, Path, description = "The definition's id.")),
    responses(
        (status = 200, description = "The definition.", body = Data<DefinitionDetail>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such definition the caller may see.", body = ErrorBody),
        (status = 503, description = "The project's folder is not on this node and no live engine node has it \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_definition(
    State(state): State<AppState>,
    user: CurrentUser,
    UrlPath(id): UrlPath<String>,
    req: axum::extract::Request,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let store = state.engine.store();
    let not_found = || ApiError::not_found(format!("workflow definition {id}"));
    let row = DefinitionRow::get(store, &id).await?.ok_or_else(not_found)?;
    let project = access::project(store, &user, row.project_id.as_deref().unwrap_or_default())
        .await
        .map_err(|_| not_found())?;
    // The steps are read from the workflow file: on a node that has the project's folder.
    if let Ok(answer) = super::file_proxy::for_project(&state, &project, req).await {
        return Ok(answer);
    }
    Ok(ok(DefinitionDetail {
        definition: Definition::from(&row),
        steps: yaml_steps(&row).await,
    })
    .into_response())
}

/// A YAML definition's steps, for the templates page (TypeScript steps are only known as they
/// run); a big file takes a while to parse, so not on a thread that serves requests.
async fn yaml_steps(row: &DefinitionRow) -> Option<Vec<StepConfig>> {
    if row.kind != DefinitionKind::Yaml || row.load_error.is_some() {
        return None;
    }
    let path = PathBuf::from(&row.path);
    let steps = tokio::task::spawn_blocking(move || Some(crate::definition::yaml::read_yaml(&path).ok()?.steps));
    steps.await.ok().flatten()
}
