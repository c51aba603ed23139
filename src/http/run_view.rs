//! A run as the API shows it (`/api/workflow-executions`): the row with its `args` parsed and
//! without the lease internals, alone, in a list page with its steps, definition and counts,
//! or in full with its steps' sessions and its comments.

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::comments::Comment;
use super::definitions::Definition;
use super::step_view::{Step, StepWithSession};
use crate::domain::RunStatus;
use crate::store::runs::RunRow;

/// A workflow execution (run).
#[derive(Serialize, ToSchema)]
pub struct Run {
    pub id: String,
    pub project_id: String,
    /// Who started it; null for runs started from the CLI.
    pub user_id: Option<String>,
    pub workflow_definition_id: String,
    pub name: String,
    /// The arguments it was started with.
    #[schema(value_type = Object)]
    pub args: Value,
    pub current_phase: Option<String>,
    pub current_step_index: i64,
    pub status: RunStatus,
    pub error_message: Option<String>,
    pub timeout_ms: Option<i64>,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// What the run waits for: its approval, sleep and signal steps still waiting (empty
    /// unless some are).
    pub waiting_for: Vec<WaitInfo>,
    /// The run's spending limits (from its definition, or as created or raised); null for none.
    pub budget: Option<crate::definition::budget::Budget>,
    /// What its agents spent so far, and its wall time since it first started.
    pub spend: crate::engine::budget::Spend,
    /// Set while a limit of its budget stopped it: it is `waiting` for a person to raise the
    /// budget (`POST .../budget`) or cancel it.
    pub budget_stop: Option<crate::engine::budget::BudgetStop>,
    /// The run this one was started from (run again, or rerun from a step).
    pub parent_run_id: Option<String>,
    /// The step id a rerun ran for real from (the steps its parent recorded before it were
    /// reused); null for a run again.
    pub forked_from_step: Option<String>,
    /// The runs started from this one, oldest first.
    pub reruns: Vec<RerunLink>,
    /// What a person should know about how it runs: resumed with changed code
    /// (`use_current`), or a rerun of a definition that changed since its parent ran.
    pub warnings: Vec<String>,
    /// Why a `pending` run this server holds has not started, and its place in the queue;
    /// null for any other run.
    pub queue: Option<QueueInfo>,
    /// The run's concurrency key as rendered from its arguments, and its limit; null for a
    /// run whose definition has none.
    pub concurrency: Option<ConcurrencyInfo>,
    /// Why no node may take this `pending` run (on PostgreSQL: no live node has both the
    /// project's folder and every node label it requires); null otherwise.
    pub placement: Option<String>,
    /// The git worktree the run works in (`workspace: { isolation: "worktree" }`); null for a
    /// run in the project checkout.
    pub workspace: Option<RunWorkspaceView>,
}

/// A run's git worktree.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct RunWorkspaceView {
    pub isolation: crate::domain::Isolation,
    /// The worktree's folder.
    pub path: String,
    /// The project checkout it was made from.
    pub repo_path: String,
    pub branch: String,
    /// The ref or commit it started from, as asked.
    pub base: String,
    /// What `base` resolved to; null until the worktree is made.
    pub base_commit: Option<String>,
    pub state: crate::domain::WorkspaceState,
    /// Why it could not be made (`failed`), or removed (`kept` with an error).
    pub error: Option<String>,
    pub keep: crate::domain::KeepPolicy,
    pub delete_branch: bool,
    /// A rerun from a step: the parent's snapshot whose files this worktree started with, as
    /// uncommitted changes over `base_commit`; null otherwise.
    pub start_commit: Option<String>,
}

impl From<&crate::store::workspaces::WorkspaceRow> for RunWorkspaceView {
    fn from(w: &crate::store::workspaces::WorkspaceRow) -> RunWorkspaceView {
        RunWorkspaceView {
            isolation: crate::domain::Isolation::Worktree,
            path: w.path.clone(),
            repo_path: w.repo_path.clone(),
            branch: w.branch.clone(),
            base: w.base.clone(),
            base_commit: w.base_commit.clone(),
            state: w.state,
            error: w.error.clone(),
            keep: w.keep,
            delete_branch: w.delete_branch,
            start_commit: w.start_commit.clone(),
        }
    }
}

pub use super::queue_view::{ConcurrencyInfo, QueueInfo};

/// A run started from another.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RerunLink {
    pub id: String,
    pub name: String,
    pub status: RunStatus,
    /// The step it ran for real from; null for a run again.
    pub forked_from_step: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&crate::store::reruns::RerunLink> for RerunLink {
    fn from(r: &crate::store::reruns::RerunLink) -> RerunLink {
        RerunLink {
            id: r.id.clone(),
            name: r.name.clone(),
            status: r.status,
            forked_from_step: r.forked_from_step.clone(),
            created_at: r.created_at.clone(),
        }
    }
}

/// A step the run waits at.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct WaitInfo {
    /// The step's row id.
    pub step_id: String,
    /// The id the workflow gave the step (`approve-plan`).
    pub step_key: String,
    pub kind: crate::domain::WaitKind,
    /// An approval's title.
    pub title: Option<String>,
    pub signal_name: Option<String>,
    /// A sleep's wake time, or when the wait times out.
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    /// When it began waiting.
    #[schema(format = DateTime)]
    pub since: String,
}

impl WaitInfo {
    /// The steps of `steps` that wait, with their waits.
    pub fn of(steps: &[Step]) -> Vec<WaitInfo> {
        steps
            .iter()
            .filter(|s| s.status == crate::domain::StepStatus::Waiting)
            .filter_map(|s| {
                let w = s.wait.as_ref()?;
                Some(WaitInfo {
                    step_id: s.id.clone(),
                    step_key: s.step_id.clone(),
                    kind: w.kind,
                    title: w.title.clone(),
                    signal_name: w.signal_name.clone(),
                    deadline: w.deadline.clone(),
                    since: w.since.clone(),
                })
            })
            .collect()
    }
}

impl From<&RunRow> for Run {
    fn from(run: &RunRow) -> Run {
        Run {
            id: run.id.clone(),
            project_id: run.project_id.clone(),
            user_id: run.user_id.clone(),
            workflow_definition_id: run.workflow_definition_id.clone(),
            name: run.name.clone(),
            args: serde_json::from_str(&run.args).unwrap_or(json!({})),
            current_phase: run.current_phase.clone(),
            current_step_index: run.current_step_index,
            status: run.status,
            error_message: run.error_message.clone(),
            timeout_ms: run.timeout_ms,
            started_at: run.started_at.clone(),
            completed_at: run.completed_at.clone(),
            paused_at: run.paused_at.clone(),
            cancelled_at: run.cancelled_at.clone(),
            created_at: run.created_at.clone(),
            updated_at: run.updated_at.clone(),
            waiting_for: Vec::new(),
            budget: crate::engine::budget::budget_of(run),
            spend: crate::engine::budget::spend_with(run, None),
            budget_stop: crate::engine::budget::stop_of(run),
            parent_run_id: run.parent_run_id.clone(),
            forked_from_step: run.forked_from_step.clone(),
            reruns: Vec::new(),
            warnings: run.warning_list(),
            queue: None,
            placement: None,
            concurrency: ConcurrencyInfo::of(run),
            workspace: None,
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy, Default)]
pub struct Counts {
    pub comments: i64,
    pub artifacts: i64,
}

/// A run as the list shows it: with its steps, its definition and counts.
// `RunSummary` in the document, the name clients know it by; not the store's `RunSummary`.
#[derive(Serialize, ToSchema)]
#[schema(as = RunSummary)]
pub struct RunListItem {
    #[serde(flatten)]
    pub run: Run,
    pub steps: Vec<Step>,
    /// Null when the definition's row is gone.
    pub workflow_definition: Option<Definition>,
    #[serde(rename = "_count")]
    pub count: Counts,
}

/// A run with its steps (and their agent sessions) and comments.
#[derive(Serialize, ToSchema)]
pub struct RunDetail {
    #[serde(flatten)]
    pub run: Run,
    pub steps: Vec<StepWithSession>,
    pub workflow_definition: Option<Definition>,
    #[serde(rename = "_count")]
    pub count: Counts,
    /// Oldest first.
    pub comments: Vec<Comment>,
    /// The definition as the run started it (`definition.json` in the run's folder).
    #[schema(value_type = Option<Object>)]
    pub definition_snapshot: Option<Value>,
    /// A pause was asked for and lands when the steps in flight finish.
    pub pause_requested: bool,
}

/// A page of runs, newest first.
#[derive(Serialize, ToSchema)]
pub struct RunPage {
    pub data: Vec<RunListItem>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}
