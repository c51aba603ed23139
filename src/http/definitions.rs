//! `/api/workflow-definitions`: the rows `engine::discovery` keeps of every file in a
//! project's `.agent/workflows/definitions/`, those that do not load included.

use std::path::PathBuf;

use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::CurrentUser;
use super::error::{ApiError, ApiQuery};
use super::openapi::{Data, Definition, DefinitionDetail, ErrorBody};
use super::{access, AppState};
use crate::definition::DefinitionKind;
use crate::store::definitions::DefinitionRow;
use crate::store::projects::ProjectRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workflow-definitions", get(list_definitions))
        .route("/workflow-definitions/{id}", get(get_definition))
}

/// A definition as the API shows it: phases and schema as JSON, the load error if any.
pub fn definition_json(d: &DefinitionRow) -> Value {
    let mut v = serde_json::to_value(d).expect("rows serialise");
    v["phases"] = serde_json::from_str(&d.phases).unwrap_or(json!([]));
    v["args_schema"] = d
        .args_schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    v["load_error"] = d
        .load_error
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    v
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
    path = "/api/workflow-definitions",
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
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(
        json!({ "data": rows.iter().map(definition_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /api/workflow-definitions/{id}`
#[utoipa::path(
    get,
    path = "/api/workflow-definitions/{id}",
    tag = "workflow-definitions",
    summary = "Read a workflow definition",
    description = "With its steps when they are known before a run (YAML that loads).",
    params(("id" = String, Path, description = "The definition's id.")),
    responses(
        (status = 200, description = "The definition.", body = Data<DefinitionDetail>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such definition the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_definition(
    State(state): State<AppState>,
    user: CurrentUser,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let not_found = || ApiError::not_found(format!("workflow definition {id}"));
    let row = DefinitionRow::get(store, &id).await?.ok_or_else(not_found)?;
    access::project(store, &user, row.project_id.as_deref().unwrap_or_default())
        .await
        .map_err(|_| not_found())?;
    let mut v = definition_json(&row);
    // YAML steps, for the templates page (TypeScript steps are only known as they run); a big
    // file takes a while to parse, so not on a thread that serves requests.
    if row.kind == DefinitionKind::Yaml && row.load_error.is_none() {
        let path = PathBuf::from(&row.path);
        let steps = tokio::task::spawn_blocking(move || {
            let def = crate::definition::yaml::read_yaml(&path).ok()?;
            Some(serde_json::to_value(&def.steps).expect("steps serialise"))
        });
        if let Ok(Some(steps)) = steps.await {
            v["steps"] = steps;
        }
    }
    Ok(Json(json!({ "data": v })))
}
