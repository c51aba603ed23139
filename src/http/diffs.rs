//! What a worktree run's steps changed: a step's `snapshot` on its JSON, and the diff
//! endpoints, `GET /api/workflow-steps/{id}/diff` (a step's snapshot against the one before)
//! and `GET /api/workflow-executions/{id}/diff` (the whole run, or since its last gate).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiQuery};
use super::step_view::Step;
use super::{access, AppState};
use crate::domain::FileChange;
use crate::store::snapshots::SnapshotRow;
use crate::store::workspaces::WorkspaceRow;
use crate::store::Store;
use crate::workspace::changes::{capped_diff, files_changed};

/// The diff's cap when `max_bytes` is absent, and the most it may be.
const DEFAULT_MAX_BYTES: u64 = 1 << 20;
const MOST_MAX_BYTES: u64 = 8 << 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(step_diff))
        .routes(routes!(run_diff))
}

/// The commit a script or agent step of a worktree run left the worktree at
/// (`refs/workflow-engine/<run-id>/<step-row-id>`) and what changed since the one before.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct StepSnapshot {
    pub commit: String,
    /// The run's snapshot before it, or the worktree's base commit.
    pub parent: String,
    pub files_changed: Vec<FileChange>,
    pub additions: i64,
    pub deletions: i64,
}

impl From<SnapshotRow> for StepSnapshot {
    fn from(row: SnapshotRow) -> StepSnapshot {
        StepSnapshot {
            commit: row.commit,
            parent: row.parent,
            files_changed: row.files_changed,
            additions: row.additions,
            deletions: row.deletions,
        }
    }
}

/// Gives each step its snapshot (one query for all of them).
pub async fn attach_snapshots(store: &Store, steps: &mut [&mut Step]) -> Result<(), ApiError> {
    let ids: Vec<&str> = steps
        .iter()
        .filter(|s| s.kind.is_external())
        .map(|s| s.id.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut rows = SnapshotRow::for_steps(store, &ids).await?;
    for step in steps.iter_mut() {
        if let Some(i) = rows.iter().position(|r| r.step_row_id == step.id) {
            step.snapshot = Some(rows.swap_remove(i).into());
        }
    }
    Ok(())
}

/// A unified diff between two commits of a run's worktree, with the files it touches.
#[derive(Serialize, ToSchema)]
pub struct Diff {
    /// The commit the diff starts from.
    pub base: String,
    /// The commit it ends at.
    pub head: String,
    pub files: Vec<FileChange>,
    /// The unified diff (`git diff -M base head`), cut at `max_bytes`.
    pub diff: String,
    /// Whether `diff` was cut.
    pub truncated: bool,
    /// The whole diff's size in bytes; when `truncated`, a lower bound (git is stopped once
    /// past the cap, so this is what was read: the diff is at least this big).
    pub total_bytes: u64,
}

/// The diff's size cap.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StepDiffQuery {
    /// At most this many bytes of diff text (default 1 MiB, at most 8 MiB).
    max_bytes: Option<u64>,
}

/// Where a run's diff starts.
#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub enum DiffSince {
    /// The worktree's base commit: everything the run changed.
    #[default]
    Base,
    /// The snapshot current when the run's newest decided approval was decided (the base if
    /// none was).
    LastGate,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunDiffQuery {
    /// `base` (default) or `last_gate`.
    #[param(inline)]
    since: Option<DiffSince>,
    /// At most this many bytes of diff text (default 1 MiB, at most 8 MiB).
    max_bytes: Option<u64>,
}

fn cap(max_bytes: Option<u64>) -> Result<usize, ApiError> {
    match max_bytes {
        None => Ok(DEFAULT_MAX_BYTES as usize),
        Some(n) if (1..=MOST_MAX_BYTES).contains(&n) => Ok(n as usize),
        Some(_) => Err(ApiError::bad(
            "invalid_query",
            format!("max_bytes: must be between 1 and {MOST_MAX_BYTES}"),
        )),
    }
}

/// The run's worktree, or the 409 of a run that has none.
async fn workspace(store: &Store, run_id: &str) -> Result<WorkspaceRow, ApiError> {
    WorkspaceRow::get(store, run_id)
        .await?
        .ok_or_else(|| ApiError::ConflictWith {
            code: "no_workspace",
            message: format!("workflow execution {run_id} does not run in a git worktree: it has no snapshots to diff"),
            details: Vec::new(),
            current_status: None,
        })
}

/// The diff between two commits, read in the project's repository (the refs keep the
/// commits there after the worktree is removed).
async fn diff(ws: &WorkspaceRow, base: String, head: String, cap: usize) -> Result<Diff, ApiError> {
    let repo = std::path::Path::new(&ws.repo_path);
    let internal = |e: &dyn std::fmt::Display| ApiError::Internal(format!("diff {base}..{head}: {e}"));
    let files = files_changed(repo, &base, &head).await.map_err(|e| internal(&e))?;
    let text = capped_diff(repo, &base, &head, cap).await.map_err(|e| internal(&e))?;
    Ok(Diff {
        base,
        head,
        files,
        diff: text.text,
        truncated: text.truncated,
        total_bytes: text.total_bytes,
    })
}

/// `GET /api/workflow-steps/{id}/diff`
#[utoipa::path(
    get,
    path = "/workflow-steps/{id}/diff",
    tag = "workflow-steps",
    summary = "Read what a step changed",
    description = "The unified diff of the step's snapshot against the run's snapshot before it (or the \
        worktree's base commit), with the files it touches; cut at `max_bytes` (`truncated`, `total_bytes`).",
    params(("id" = String, Path, description = "The step's row id."), StepDiffQuery),
    responses(
        (status = 200, description = "The diff.", body = Data<Diff>),
        (status = 400, description = "A `max_bytes` out of range (`invalid_query`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such step the caller may see, or a step without a snapshot.", body = ErrorBody),
        (status = 409, description = "The run has no worktree (`no_workspace`).", body = ErrorBody),
        (status = 503, description = "The run's folder is on another engine node, which cannot be reached \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn step_diff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<StepDiffQuery>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let cap = cap(q.max_bytes)?;
    let store = state.engine.store();
    let (step, run, project) = access::step(store, &user, &id).await?;
    // The snapshots are commits in the repository of the node that ran the run.
    if let Ok(answer) = super::file_proxy::for_run(&state, &run, &project, req).await {
        return Ok(answer);
    }
    let ws = workspace(store, &run.id).await?;
    let snap = SnapshotRow::for_step(store, &step.id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("snapshot of workflow step {id}")))?;
    Ok(ok(diff(&ws, snap.parent, snap.commit, cap).await?).into_response())
}

/// `GET /api/workflow-executions/{id}/diff`
#[utoipa::path(
    get,
    path = "/workflow-executions/{id}/diff",
    tag = "workflow-executions",
    summary = "Read what a run changed",
    description = "The unified diff from the worktree's base commit (`since=base`) or from the snapshot \
        current when the run's last gate was decided (`since=last_gate`; the base when none was) to the \
        run's newest snapshot, with the files it touches; cut at `max_bytes`.",
    params(("id" = String, Path, description = "The run's id."), RunDiffQuery),
    responses(
        (status = 200, description = "The diff (empty when no step has changed anything yet).", body = Data<Diff>),
        (status = 400, description = "A `since` or `max_bytes` not allowed (`invalid_query`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 409, description = "The run has no worktree, or it is not made yet (`no_workspace`).", body = ErrorBody),
        (status = 503, description = "The run's folder is on another engine node, which cannot be reached \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn run_diff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RunDiffQuery>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let cap = cap(q.max_bytes)?;
    let store = state.engine.store();
    let (run, project) = access::run(store, &user, &id).await?;
    if let Ok(answer) = super::file_proxy::for_run(&state, &run, &project, req).await {
        return Ok(answer);
    }
    let ws = workspace(store, &run.id).await?;
    // What this run changed: from the files it started with (a rerun's restored ones).
    let Some(base_commit) = ws.start().map(str::to_string) else {
        return Err(ApiError::ConflictWith {
            code: "no_workspace",
            message: format!("workflow execution {id}'s worktree is not made yet"),
            details: Vec::new(),
            current_status: None,
        });
    };
    let head = SnapshotRow::latest_for_run(store, &run.id)
        .await?
        .map_or_else(|| base_commit.clone(), |s| s.commit);
    let base = match q.since.unwrap_or_default() {
        DiffSince::Base => base_commit,
        DiffSince::LastGate => match SnapshotRow::at_last_gate(store, &run.id).await? {
            Some(Some(at_gate)) => at_gate.commit,
            _ => base_commit,
        },
    };
    Ok(ok(diff(&ws, base, head, cap).await?).into_response())
}
