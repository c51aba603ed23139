//! `/api/workflow-executions`: create, read, pause, resume, cancel (the list is `board`'s), and
//! the details every listed or read run is shown with (`RunDetails`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::definitions::Definition;
use super::envelope::{created, ok, Data, ErrorBody};
use super::error::ApiError;
use super::run_view::{Counts, QueueInfo, Run, RunDetail, RunListItem};
use super::step_view::{Step, StepWithSession};
use super::{access, file_proxy, run_control, AppState};
use crate::domain::{ControlRequest, RunStatus};
use crate::engine::{EngineError, NewRunSpec, Signal};
use crate::store::definitions::DefinitionRow;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::workspaces::WorkspaceRow;
use crate::store::Store;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_run, super::board::list_runs))
        .routes(routes!(super::board::get_board))
        .routes(routes!(get_run))
        .routes(routes!(run_control::pause_run))
        .routes(routes!(run_control::resume_run))
        .routes(routes!(run_control::cancel_run))
        .routes(routes!(super::budgets::raise_budget))
        .routes(routes!(super::reruns::rerun_run))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRun {
    project_id: String,
    /// A definition of that project.
    workflow_definition_id: String,
    /// Defaults to the workflow's `runName` (a template or TypeScript function of the
    /// arguments), else the workflow's name.
    name: Option<String>,
    /// Must match the workflow's `argsSchema`; `{}` when absent or null.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    args: Option<Value>,
    /// Spending limits `{usd?, tokens?, duration?}` (duration: ms or "30m"); they replace
    /// the definition's `budget`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    budget: Option<Value>,
    /// The run's workspace `{isolation?, base?, branch?, keep?, deleteBranch?}`, merged over
    /// the definition's `workspace` (`isolation: "none"` turns a worktree off).
    #[serde(default)]
    #[schema(value_type = Option<crate::definition::workspace::WorkspaceSpec>)]
    workspace: Option<Value>,
}

/// `POST /api/workflow-executions`
#[utoipa::path(
    post,
    path = "/workflow-executions",
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
        (status = 503, description = "The project's folder is not on this node and no live engine node has it \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_run(
    State(state): State<AppState>,
    user: CurrentUser,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let store = state.engine.store();
    let (parts, bytes) = file_proxy::buffered(&state, req).await?;
    let body: CreateRun = file_proxy::json(&state, &parts, &bytes).await?;
    let project = access::project(store, &user, &body.project_id).await?;
    // The workflow file is read, and the run driven, on a node that has the project's folder.
    if let Ok(answer) = file_proxy::for_project(&state, &project, file_proxy::replay(&parts, &bytes)).await {
        return Ok(answer);
    }
    let def = loadable_definition(store, &project, &body.workflow_definition_id).await?;
    let args = match body.args {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(ApiError::bad("invalid_body", "args: must be an object")),
    };
    let budget = match &body.budget {
        None | Some(Value::Null) => None,
        Some(v) => Some(super::budgets::budget_body(v)?),
    };
    let workspace = match &body.workspace {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            crate::definition::workspace::WorkspaceSpec::from_json(v).map_err(|(key, e)| match key {
                Some(_) => ApiError::bad("invalid_body", format!("workspace.{e}")),
                None => ApiError::bad("invalid_body", format!("workspace: {e}")),
            })?,
        ),
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
    let name = match body.name {
        Some(name) => name,
        None => state
            .engine
            .run_name(&mut prepared, &args)
            .await
            .map_err(engine_error)?,
    };
    let definition = prepared.definition.clone();
    let spec = NewRunSpec {
        name: Some(&name),
        user_id: Some(user.id()),
        budget,
        workspace: workspace.as_ref(),
        ..NewRunSpec::default()
    };
    let run = state
        .engine
        .create_run_with(&definition, &project_path, args, spec)
        .await
        .map_err(engine_error)?;
    let worktree = WorkspaceRow::get(store, &run.id).await?;
    state.runner.start(run.id.clone(), Some(prepared));
    let mut view = Run::from(&run);
    view.workspace = worktree.as_ref().map(Into::into);
    Ok(created(view).into_response())
}

/// The project's definition `id`, if its file loads (a 400 says why not).
async fn loadable_definition(store: &Store, project: &ProjectRow, id: &str) -> Result<DefinitionRow, ApiError> {
    let def = DefinitionRow::get(store, id)
        .await?
        .filter(|d| d.project_id.as_deref() == Some(project.id.as_str()))
        .ok_or_else(|| ApiError::not_found(format!("workflow definition {id}")))?;
    if let Some(e) = &def.load_error {
        return Err(ApiError::bad(
            "invalid_definition",
            format!("the workflow file does not load: {e}"),
        ));
    }
    Ok(def)
}

pub(super) fn engine_error(e: EngineError) -> ApiError {
    match e {
        EngineError::InvalidArgs(errors) => ApiError::BadRequest {
            code: "invalid_args",
            message: format!(
                "the arguments do not match the workflow's argsSchema: {}",
                errors.join("; ")
            ),
            details: Some(errors),
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
            details: Some(errors),
        },
        EngineError::Store(e) => e.into(),
        EngineError::Io(e) if e.raw_os_error() == Some(libc::ENOSPC) => ApiError::InsufficientStorage,
        other => ApiError::Internal(other.to_string()),
    }
}

/// Steps, definitions and counts for a page of runs, in a few queries instead of a few per run.
pub(super) struct RunDetails {
    /// By run id, in step order.
    steps: HashMap<String, Vec<Step>>,
    /// By definition id.
    definitions: HashMap<String, Definition>,
    /// By run id.
    counts: HashMap<String, Counts>,
    /// What each run's agents spent, by run id.
    spend: HashMap<String, crate::store::budgets::SessionSpend>,
    /// By parent run id.
    reruns: HashMap<String, Vec<super::run_view::RerunLink>>,
    /// Queued runs' places, by run id.
    queue: HashMap<String, QueueInfo>,
    /// Worktrees, by run id.
    workspaces: HashMap<String, super::run_view::RunWorkspaceView>,
    /// Why pending runs no node may take wait, by run id.
    placements: HashMap<String, String>,
}

impl RunDetails {
    /// `viewer`: the caller's email, for whether they may decide a gate.
    pub(super) async fn load(state: &AppState, runs: &[RunRow], viewer: Option<&str>) -> Result<RunDetails, ApiError> {
        let store = state.engine.store();
        let mut out = RunDetails {
            queue: HashMap::new(),
            workspaces: HashMap::new(),
            placements: HashMap::new(),
            steps: HashMap::new(),
            definitions: HashMap::new(),
            counts: HashMap::new(),
            spend: HashMap::new(),
            reruns: HashMap::new(),
        };
        if runs.is_empty() {
            return Ok(out);
        }
        let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        for s in &StepRow::list_for_runs(store, &ids).await? {
            out.steps.entry(s.workflow_run_id.clone()).or_default().push(s.into());
        }
        let mut all: Vec<&mut Step> = out.steps.values_mut().flatten().collect();
        super::step_view::attach_waits(store, &mut all, viewer).await?;
        super::diffs::attach_snapshots(store, &mut all).await?;
        out.spend = RunRow::spend_of_runs(store, &ids).await?;
        for d in &DefinitionRow::list_for_runs(store, &ids).await? {
            out.definitions.insert(d.id.clone(), d.into());
        }
        for c in RunRow::counts(store, &ids).await? {
            let counts = Counts {
                comments: c.comments,
                artifacts: c.artifacts,
            };
            out.counts.insert(c.run_id, counts);
        }
        for r in RunRow::reruns_of(store, &ids).await? {
            out.reruns.entry(r.parent_run_id.clone()).or_default().push((&r).into());
        }
        for w in &WorkspaceRow::of_runs(store, &ids).await? {
            out.workspaces.insert(w.run_id.clone(), w.into());
        }
        let rows: Vec<&RunRow> = runs.iter().collect();
        out.queue = QueueInfo::of_runs(store, &state.runner, &rows).await?;
        out.placements = placements(store, runs).await?;
        Ok(out)
    }

    /// The list items of these runs (loaded with `load`), in order.
    pub(super) fn list_items(&mut self, runs: &[RunRow]) -> Vec<RunListItem> {
        runs.iter().map(|run| self.list_item(run)).collect()
    }

    /// Takes the run's details out: each run of a page is listed once.
    fn list_item(&mut self, run: &RunRow) -> RunListItem {
        let steps = self.steps.remove(&run.id).unwrap_or_default();
        let mut view = Run::from(run);
        view.waiting_for = super::run_view::WaitInfo::of(&steps);
        view.spend = crate::engine::budget::spend_with(run, self.spend.get(&run.id).copied());
        view.reruns = self.reruns.remove(&run.id).unwrap_or_default();
        view.queue = self.queue.remove(&run.id);
        view.workspace = self.workspaces.remove(&run.id);
        view.placement = self.placements.remove(&run.id);
        RunListItem {
            run: view,
            steps,
            workflow_definition: self.definitions.get(&run.workflow_definition_id).cloned(),
            count: self.counts.get(&run.id).copied().unwrap_or_default(),
        }
    }
}

/// Why the pending runs among `runs` that no live node may take wait (on PostgreSQL), by
/// run id: the live nodes are read once, and each project once.
async fn placements(store: &crate::store::Store, runs: &[RunRow]) -> Result<HashMap<String, String>, ApiError> {
    let mut out = HashMap::new();
    let pending: Vec<&RunRow> = runs.iter().filter(|r| r.status == RunStatus::Pending).collect();
    if pending.is_empty() {
        return Ok(out);
    }
    let Some(nodes) = crate::engine::cluster::LiveNodes::load(store).await? else {
        return Ok(out);
    };
    let mut projects: HashMap<&str, Option<String>> = HashMap::new();
    for run in pending {
        let why = match projects.entry(run.project_id.as_str()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                ProjectRow::get(store, &run.project_id)
                    .await?
                    .and_then(|p| nodes.placement(&p)),
            ),
        };
        if let Some(why) = why {
            out.insert(run.id.clone(), why.clone());
        }
    }
    Ok(out)
}

/// `GET /api/workflow-executions/{id}`
#[utoipa::path(
    get,
    path = "/workflow-executions/{id}",
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
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let store = state.engine.store();
    let (run, project) = access::run(store, &user, &id).await?;
    // `definition_snapshot` is in the run's folder: the run's node answers while it is
    // alive; without it the rest is answered here (no snapshot).
    if let file_proxy::Route::Node { id: node, address } =
        file_proxy::run_route(&state, &run, &project, req.headers()).await
    {
        if let Ok(answer) = file_proxy::forward(&state, &node, &address, req).await {
            return Ok(answer);
        }
    }
    let mut details = RunDetails::load(&state, std::slice::from_ref(&run), Some(&user.0.email)).await?;
    let item = details.list_item(&run);
    let mut steps = Vec::new();
    for s in &StepRow::list_for_run(store, &run.id).await? {
        steps.push(StepWithSession::load(store, s).await?);
    }
    let mut plain: Vec<&mut Step> = steps.iter_mut().map(|s| &mut s.step).collect();
    super::step_view::attach_waits(store, &mut plain, Some(&user.0.email)).await?;
    super::diffs::attach_snapshots(store, &mut plain).await?;
    super::attempts::attach_attempts(store, &run.id, &mut plain).await?;
    Ok(ok(RunDetail {
        run: item.run,
        steps,
        workflow_definition: item.workflow_definition,
        count: item.count,
        comments: super::comments::list(store, Some(&run.id), None).await?,
        definition_snapshot: definition_snapshot(&project, &run),
        pause_requested: pause_requested(&state, &run),
    })
    .into_response())
}

/// The definition as the run started it (`definition.json`), which later edits of the file do
/// not change.
fn definition_snapshot(project: &ProjectRow, run: &RunRow) -> Option<Value> {
    let files = crate::store::files::RunFiles::new(std::path::Path::new(&project.path), &run.id);
    files.read_definition()
}

/// A pause asked for (of this process's engine, or through the database for another's) that
/// lands when the steps in flight finish, or, for a pause-now, once they have been stopped.
fn pause_requested(state: &AppState, run: &RunRow) -> bool {
    let pausing = state
        .engine
        .control(&run.id)
        .is_some_and(|c| matches!(c.current(), Signal::Pause | Signal::PauseNow))
        || matches!(
            run.control_request,
            Some(ControlRequest::Pause | ControlRequest::PauseNow)
        );
    run.status == RunStatus::Running && pausing
}
