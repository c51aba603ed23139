//! `POST /api/workflow-definitions/{id}/run-name`: the name a run of some arguments would get
//! from its definition's `runName` (template or TypeScript function), so the new-run form can
//! show it as the arguments are typed. The arguments are not validated here: a half-filled
//! form still gets a name (creating the run checks them).

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::ApiError;
use super::runs::engine_error;
use super::{access, AppState};
use crate::definition::run_name::RunNameRule;
use crate::store::definitions::DefinitionRow;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview_run_name))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunNameBody {
    /// The arguments as typed so far; `{}` when absent or null.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    args: Option<Value>,
}

/// The name a run would get.
#[derive(Serialize, ToSchema)]
pub struct RunNamePreview {
    pub name: String,
    /// Where it comes from: `template` (a `runName` string), `function` (a TypeScript
    /// `runName` function) or `workflow` (no `runName`: the workflow's name).
    pub source: String,
    /// The `runName` template, when it is one.
    pub template: Option<String>,
}

/// `POST /api/workflow-definitions/{id}/run-name`
#[utoipa::path(
    post,
    path = "/workflow-definitions/{id}/run-name",
    tag = "workflow-definitions",
    summary = "Preview a run's name",
    description = "The name a run of `args` gets when none is given: the definition's `runName` \
        template rendered (an argument not given is empty text), its TypeScript `runName` function \
        called, or the workflow's name.",
    params(("id" = String, Path, description = "The definition's id.")),
    request_body = RunNameBody,
    responses(
        (status = 200, description = "The name.", body = Data<RunNamePreview>),
        (status = 400, description = "`args` is not an object (`invalid_body`), the workflow file does not \
            load (`invalid_definition`), or the `runName` function threw or gave no name (`invalid_args`, \
            the reason in `details`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such definition the caller may see.", body = ErrorBody),
        (status = 503, description = "The project's folder is not on this node and no live engine node has it \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn preview_run_name(
    State(state): State<AppState>,
    user: CurrentUser,
    UrlPath(id): UrlPath<String>,
    req: axum::extract::Request,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let store = state.engine.store();
    let (parts, bytes) = super::file_proxy::buffered(&state, req).await?;
    let body: RunNameBody = super::file_proxy::json(&state, &parts, &bytes).await?;
    let not_found = || ApiError::not_found(format!("workflow definition {id}"));
    let row = DefinitionRow::get(store, &id).await?.ok_or_else(not_found)?;
    let project = access::project(store, &user, row.project_id.as_deref().unwrap_or_default())
        .await
        .map_err(|_| not_found())?;
    // The workflow file is loaded on a node that has the project's folder.
    let req = super::file_proxy::replay(&parts, &bytes);
    if let Ok(answer) = super::file_proxy::for_project(&state, &project, req).await {
        return Ok(answer);
    }
    if let Some(e) = &row.load_error {
        return Err(ApiError::bad(
            "invalid_definition",
            format!("the workflow file does not load: {e}"),
        ));
    }
    let args = match body.args {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(ApiError::bad("invalid_body", "args: must be an object")),
    };
    let mut prepared = state
        .engine
        .prepare(Path::new(&row.path), &PathBuf::from(&project.path))
        .await
        .map_err(engine_error)?;
    let (source, template) = match prepared.definition.run_name_rule() {
        RunNameRule::WorkflowName => ("workflow", None),
        RunNameRule::Template(t) => ("template", Some(t.to_string())),
        RunNameRule::Function => ("function", None),
    };
    let name = state
        .engine
        .run_name(&mut prepared, &args)
        .await
        .map_err(engine_error)?;
    // A TypeScript file's worker is dropped with `prepared` (which kills it): it loaded this
    // file and serves nothing else.
    Ok(ok(RunNamePreview {
        name,
        source: source.to_string(),
        template,
    })
    .into_response())
}
