//! `/api/workflow-executions`: create, list, read, pause, resume, cancel.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::CurrentUser;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::openapi::{Data, ErrorBody, Run, RunDetail, RunPage, RunStatus};
use super::{access, run_control, AppState};
use crate::domain::ControlRequest;
use crate::engine::EngineError;
use crate::store::definitions::DefinitionRow;
use crate::store::run_list::RunFilter;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workflow-executions", post(create_run).get(list_runs))
        .route("/workflow-executions/{id}", get(get_run))
        .route("/workflow-executions/{id}/pause", post(run_control::pause_run))
        .route("/workflow-executions/{id}/resume", post(run_control::resume_run))
        .route("/workflow-executions/{id}/cancel", post(run_control::cancel_run))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRun {
    project_id: String,
    /// A definition of that project.
    workflow_definition_id: String,
    /// Defaults to the workflow's name.
    name: Option<String>,
    /// Must match the workflow's `argsSchema`; `{}` when absent or null.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    args: Option<Value>,
}

/// `POST /api/workflow-executions`
#[utoipa::path(
    post,
    path = "/api/workflow-executions",
    tag = "workflow-executions",
    summary = "Start a run",
    description = "Creates the run and starts it in the background (queued under the concurrency limit).",
    request_body = CreateRun,
    responses(
        (status = 201, description = "The run, `pending` or already `running`.", body = Data<Run>),
        (status = 400, description = "A body problem (`invalid_body`, also a `name` with invisible or \
            bidirectional-formatting characters), arguments that do not match the workflow's `argsSchema` \
            or would make a YAML step's command line too long for Linux (`invalid_args`, each problem in \
            `details`), or a workflow file that does not load (`invalid_definition`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such project the caller may see, or no such definition in it.", body = ErrorBody),
        (status = 507, description = "The data directory's disk is full (`insufficient_storage`); nothing was recorded.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_run(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateRun>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let store = state.engine.store();
    let project = access::project(store, &user, &body.project_id).await?;
    let def = DefinitionRow::get(store, &body.workflow_definition_id)
        .await?
        .filter(|d| d.project_id.as_deref() == Some(project.id.as_str()))
        .ok_or_else(|| ApiError::not_found(format!("workflow definition {}", body.workflow_definition_id)))?;
    if let Some(e) = &def.load_error {
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
    let project_path = std::path::PathBuf::from(&project.path);
    let mut prepared = state
        .engine
        .prepare(std::path::Path::new(&def.path), &project_path)
        .await
        .map_err(engine_error)?;
    let args = state
        .engine
        .check_args(&mut prepared, args)
        .await
        .map_err(engine_error)?;
    let definition = prepared.definition.clone();
    let run = state
        .engine
        .create_run(
            &definition,
            &project_path,
            args,
            body.name.as_deref(),
            None,
            Some(user.id()),
        )
        .await
        .map_err(engine_error)?;
    state.runner.start(run.id.clone(), Some(prepared));
    Ok((StatusCode::CREATED, Json(json!({ "data": run_json(&run) }))))
}

fn engine_error(e: EngineError) -> ApiError {
    match e {
        EngineError::InvalidArgs(errors) => ApiError::BadRequest {
            code: "invalid_args",
            message: format!(
                "the arguments do not match the workflow's argsSchema: {}",
                errors.join("; ")
            ),
            details: Some(json!(errors)),
        },
        EngineError::Definition(errors) => ApiError::bad(
            "invalid_definition",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"),
        ),
        EngineError::InvalidName(message) => ApiError::bad("invalid_body", message),
        EngineError::CommandTooLong(errors) => ApiError::BadRequest {
            code: "invalid_args",
            message: format!(
                "the arguments make a command line too long to start: {}",
                errors.join("; ")
            ),
            details: Some(json!(errors)),
        },
        EngineError::Store(e) => e.into(),
        EngineError::Io(e) if e.raw_os_error() == Some(libc::ENOSPC) => ApiError::InsufficientStorage,
        other => ApiError::Internal(other.to_string()),
    }
}

/// A run as the API shows it: `args` as JSON, no lease internals.
pub fn run_json(run: &RunRow) -> Value {
    let mut v = serde_json::to_value(run).expect("rows serialise");
    let obj = v.as_object_mut().expect("object");
    obj.insert("args".into(), serde_json::from_str(&run.args).unwrap_or(json!({})));
    for k in ["lease_owner", "lease_expires_at", "control_request"] {
        obj.remove(k);
    }
    v
}

pub fn step_json(step: &StepRow) -> Value {
    let mut v = serde_json::to_value(step).expect("rows serialise");
    let obj = v.as_object_mut().expect("object");
    obj.insert(
        "result".into(),
        step.result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Value::Null),
    );
    v
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this project's runs.
    project_id: Option<String>,
    /// Only runs with this status.
    #[param(value_type = Option<RunStatus>)]
    status: Option<String>,
    /// Only runs of this definition.
    workflow_definition_id: Option<String>,
    /// Runs per page.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Most runs a page returns.
pub const MAX_PAGE: i64 = 200;

/// `GET /api/workflow-executions?project_id=&status=&workflow_definition_id=&limit=&cursor=`
#[utoipa::path(
    get,
    path = "/api/workflow-executions",
    tag = "workflow-executions",
    summary = "List runs",
    description = "The runs of the projects the caller may see, newest first, a page at a time.",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of runs.", body = RunPage),
        (status = 400, description = "A status or limit out of range (`invalid_query`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No project `project_id` the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_runs(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    if let Some(p) = &q.project_id {
        access::project(store, &user, p).await?;
    }
    if let Some(s) = q.status.as_deref().filter(|s| RunStatus::parse(s).is_none()) {
        let known = RunStatus::ALL.map(RunStatus::as_str).join(", ");
        return Err(ApiError::bad(
            "invalid_query",
            format!("status: '{s}' is not one of {known}"),
        ));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad(
            "invalid_query",
            format!("limit: must be between 1 and {MAX_PAGE}"),
        ));
    }
    let runs = page_of_runs(store, &user, &q, limit + 1).await?;
    let has_more = runs.len() as i64 > limit;
    let runs = &runs[..runs.len().min(limit as usize)];
    let mut data = Vec::with_capacity(runs.len());
    let details = RunDetails::load(store, runs).await?;
    for run in runs {
        data.push(details.list_item(run));
    }
    let next_cursor = if has_more {
        runs.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok(Json(json!({ "data": data, "next_cursor": next_cursor })))
}

/// One page of runs, newest first, of the projects the caller may see.
async fn page_of_runs(store: &Store, user: &CurrentUser, q: &ListQuery, limit: i64) -> Result<Vec<RunRow>, ApiError> {
    let filter = RunFilter {
        project_id: q.project_id.as_deref(),
        // With a project the caller's access to it was checked already.
        visible_to: (q.project_id.is_none() && !user.is_admin()).then(|| user.id()),
        status: q.status.as_deref().and_then(RunStatus::parse),
        workflow_definition_id: q.workflow_definition_id.as_deref(),
        before: q.cursor.as_deref(),
        limit,
    };
    Ok(RunRow::list(store, &filter).await?)
}

/// Steps, definitions and counts for a page of runs, in a few queries instead of a few per run.
struct RunDetails {
    steps: Map<String, Value>,
    definitions: Map<String, Value>,
    counts: Map<String, Value>,
}

impl RunDetails {
    async fn load(store: &Store, runs: &[RunRow]) -> Result<RunDetails, ApiError> {
        let mut out = RunDetails {
            steps: Map::new(),
            definitions: Map::new(),
            counts: Map::new(),
        };
        if runs.is_empty() {
            return Ok(out);
        }
        let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        for s in &StepRow::list_for_runs(store, &ids).await? {
            let list = out.steps.entry(s.workflow_run_id.clone()).or_insert_with(|| json!([]));
            list.as_array_mut().expect("array").push(step_json(s));
        }
        for d in DefinitionRow::list_for_runs(store, &ids).await? {
            out.definitions
                .insert(d.id.clone(), super::definitions::definition_json(&d));
        }
        for c in RunRow::counts(store, &ids).await? {
            out.counts
                .insert(c.run_id, json!({ "comments": c.comments, "artifacts": c.artifacts }));
        }
        Ok(out)
    }

    fn list_item(&self, run: &RunRow) -> Value {
        let mut v = run_json(run);
        v["steps"] = self.steps.get(&run.id).cloned().unwrap_or(json!([]));
        v["workflow_definition"] = self
            .definitions
            .get(&run.workflow_definition_id)
            .cloned()
            .unwrap_or(Value::Null);
        v["_count"] = self
            .counts
            .get(&run.id)
            .cloned()
            .unwrap_or(json!({ "comments": 0, "artifacts": 0 }));
        v
    }
}

/// `GET /api/workflow-executions/{id}`
#[utoipa::path(
    get,
    path = "/api/workflow-executions/{id}",
    tag = "workflow-executions",
    summary = "Read a run",
    description = "With its steps (and their agent sessions), its definition, the definition as the run \
        started it (`definition_snapshot`), whether a pause is pending (`pause_requested`) and its comments.",
    params(("id" = String, Path, description = "The run's id.")),
    responses(
        (status = 200, description = "The run.", body = Data<RunDetail>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let (run, project) = access::run(store, &user, &id).await?;
    let details = RunDetails::load(store, std::slice::from_ref(&run)).await?;
    let mut v = details.list_item(&run);
    // The definition as the run started it (`definition.json`), which later edits of the file
    // do not change.
    let files = crate::store::files::RunFiles::new(std::path::Path::new(&project.path), &run.id);
    v["definition_snapshot"] = files.read_definition().unwrap_or(Value::Null);
    let pausing = state
        .engine
        .control(&run.id)
        .is_some_and(|c| c.current() == crate::engine::control::Signal::Pause)
        || run.control_request == Some(ControlRequest::Pause);
    v["pause_requested"] = json!(run.status == RunStatus::Running && pausing);
    let steps = StepRow::list_for_run(store, &run.id).await?;
    let mut step_values = Vec::new();
    for s in &steps {
        let mut sv = step_json(s);
        sv["session"] = super::steps::session_json(store, s).await?;
        step_values.push(sv);
    }
    v["steps"] = Value::Array(step_values);
    v["comments"] = json!(super::comments::list(store, Some(&run.id), None).await?);
    Ok(Json(json!({ "data": v })))
}
