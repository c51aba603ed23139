//! A run's git worktree through its life: recorded with the run (`record`, state
//! `creating`), made or found again before its first step on every drive (`open`: `active`),
//! and kept or removed by its keep policy when the run ends (`close`: `kept`/`removed`). A
//! paused or waiting run keeps it. Git itself is `crate::workspace`; the row is
//! `store::workspaces`.

use std::path::{Path, PathBuf};

use super::{Engine, EngineError};
use crate::definition::workspace::{self as settings, WorkspaceSpec};
use crate::domain::{Isolation, KeepPolicy, RunStatus, WorkspaceState};
use crate::store::runs::RunRow;
use crate::store::snapshots::SnapshotRow;
use crate::store::workspaces::{NewWorkspace, WorkspaceRow};
use crate::workspace::worktree::{self, Made, Want};
use crate::workspace::RunWorkspace;

impl Engine {
    /// The folder runs' worktrees are made in (`--worktree-dir`, else `<data-dir>/worktrees`).
    pub fn worktrees_root(&self) -> PathBuf {
        crate::workspace::worktrees_root(self.inner.config.worktree_dir.as_deref(), self.store().data_dir())
    }

    /// Checks `spec`'s branch template against git's rules before a run is recorded: a name
    /// git refuses is the caller's mistake (`InvalidArgs`, a 400), not a run that fails.
    pub(super) async fn check_workspace(&self, spec: &WorkspaceSpec, name: &str) -> Result<(), EngineError> {
        let Some(resolved) = spec.resolve() else { return Ok(()) };
        let invalid = |e: String| EngineError::InvalidName(format!("workspace.branch: {e}"));
        let sample = settings::render_branch(&resolved.branch_template, name, "00000000-0000").map_err(invalid)?;
        worktree::check_branch_name(Path::new("/"), &sample)
            .await
            .map_err(|e| invalid(e.to_string()))
    }

    /// Records the worktree the new run `run` of `project` will work in, if `spec` asks for one.
    pub(super) async fn record_workspace(
        &self,
        run: &RunRow,
        project: &Path,
        spec: &WorkspaceSpec,
    ) -> Result<Option<WorkspaceRow>, EngineError> {
        let Some(resolved) = spec.resolve() else {
            return Ok(None);
        };
        let branch = settings::render_branch(&resolved.branch_template, &run.name, &run.id)
            .map_err(|e| EngineError::InvalidName(format!("workspace.branch: {e}")))?;
        let path = self.worktrees_root().join(&run.id);
        let row = WorkspaceRow::insert(
            self.store(),
            NewWorkspace {
                run_id: &run.id,
                path: &path.to_string_lossy(),
                repo_path: &project.to_string_lossy(),
                branch: &branch,
                branch_template: &resolved.branch_template,
                base: &resolved.base,
                keep: resolved.keep,
                delete_branch: resolved.delete_branch,
            },
        )
        .await?;
        Ok(Some(row))
    }

    /// The workspace settings a rerun of `parent_id` keeps: its worktree's, or none.
    pub(super) async fn parent_workspace(&self, parent_id: &str) -> Result<WorkspaceSpec, EngineError> {
        Ok(match WorkspaceRow::get(self.store(), parent_id).await? {
            Some(row) => WorkspaceSpec {
                isolation: Some(Isolation::Worktree),
                base: Some(row.base),
                branch: Some(row.branch_template),
                keep: Some(row.keep),
                delete_branch: Some(row.delete_branch),
            },
            None => WorkspaceSpec {
                isolation: Some(Isolation::None),
                ..Default::default()
            },
        })
    }
}

/// The run's worktree and the folder its steps work in, made or found again; `Ok(None)` for
/// a run without one. The error (also recorded on the row) says what and where. The second
/// value is a line to log on the run when something was made.
pub(super) async fn open(
    engine: &Engine,
    run_id: &str,
    project: &Path,
) -> Result<Option<(RunWorkspace, PathBuf, Option<String>)>, String> {
    let store = engine.store();
    let row = match WorkspaceRow::get(store, run_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Ok(None),
        Err(e) => return Err(format!("cannot read the run's workspace: {e}")),
    };
    match make(engine, &row, project).await {
        Ok(made) => Ok(Some(made)),
        Err(e) => {
            let message = format!("workspace: {e}");
            let _ = WorkspaceRow::set_state(store, run_id, WorkspaceState::Failed, Some(&message)).await;
            tracing::warn!(run = %run_id, error = %message, "the run's worktree could not be made");
            Err(message)
        }
    }
}

async fn make(
    engine: &Engine,
    row: &WorkspaceRow,
    project: &Path,
) -> Result<(RunWorkspace, PathBuf, Option<String>), String> {
    let store = engine.store();
    let path = PathBuf::from(&row.path);
    let top = worktree::toplevel(project).await.map_err(|e| e.to_string())?;
    if top.starts_with(&path) || path.starts_with(&top) {
        return Err(format!(
            "the worktree folder {} is inside the project's working tree {}; configure another (--worktree-dir)",
            path.display(),
            top.display()
        ));
    }
    let had_run = matches!(
        row.state,
        WorkspaceState::Active | WorkspaceState::Kept | WorkspaceState::Removed
    );
    let base_commit = match &row.base_commit {
        Some(c) => c.clone(),
        None => {
            worktree::check_branch_name(&top, &row.branch)
                .await
                .map_err(|e| e.to_string())?;
            let commit = worktree::resolve_base(&top, &row.base)
                .await
                .map_err(|e| e.to_string())?;
            // Recorded first: a crash after `worktree add` made the branch finds it the run's.
            WorkspaceRow::set_base_commit(store, &row.run_id, &commit)
                .await
                .map_err(|e| e.to_string())?;
            commit
        }
    };
    if had_run && !path.exists() && !worktree::branch_exists(&top, &row.branch).await {
        return Err(format!(
            "the run's worktree {} and its branch '{}' are both gone; it cannot go on where it was (rerun it)",
            path.display(),
            row.branch
        ));
    }
    let want = Want {
        project,
        path: &path,
        branch: &row.branch,
        base: &row.base,
        base_commit: row.base_commit.as_deref(),
        branch_made: row.branch_made,
    };
    let made = worktree::ensure(&want, &base_commit).await.map_err(|e| e.to_string())?;
    if made == Made::Created {
        WorkspaceRow::set_branch_made(store, &row.run_id)
            .await
            .map_err(|e| e.to_string())?;
    }
    // Made again from its branch after steps ran: the branch has only what they committed;
    // their files as the newest snapshot recorded them are put back over it.
    let mut refilled = None;
    if made == Made::FromBranch && had_run {
        let latest = SnapshotRow::latest_for_run(store, &row.run_id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(snap) = latest {
            worktree::restore_files(&path, &snap.commit)
                .await
                .map_err(|e| e.to_string())?;
            refilled = Some(snap.commit);
        }
    }
    // A rerun from a step: the parent's files before that step, put over the branch once,
    // before the first step (repeated by a resume until recorded as done).
    let mut restored = None;
    if let (Some(start), None) = (&row.start_commit, &row.restored_at) {
        worktree::restore_files(&path, start).await.map_err(|e| e.to_string())?;
        WorkspaceRow::set_restored(store, &row.run_id)
            .await
            .map_err(|e| e.to_string())?;
        restored = Some(start.clone());
    }
    WorkspaceRow::set_state(store, &row.run_id, WorkspaceState::Active, None)
        .await
        .map_err(|e| e.to_string())?;
    let short = &base_commit[..base_commit.len().min(10)];
    let note = match made {
        Made::Reused => None,
        Made::Created => Some(format!(
            "Workspace: git worktree {} on branch {} from {} ({short})",
            path.display(),
            row.branch,
            row.base
        )),
        Made::FromBranch if had_run => Some(format!(
            "Workspace: the worktree {} had gone; made again from branch {}{}",
            path.display(),
            row.branch,
            match &refilled {
                Some(c) => format!(
                    ", with the files of the last step's snapshot ({})",
                    &c[..c.len().min(10)]
                ),
                None => String::new(),
            }
        )),
        Made::FromBranch => Some(format!(
            "Workspace: git worktree {} on branch {} (made by an earlier try)",
            path.display(),
            row.branch
        )),
    };
    let note = match (note, restored) {
        (Some(n), Some(start)) => Some(format!(
            "{n}; its files as they were before the step being run again (snapshot {})",
            &start[..start.len().min(10)]
        )),
        (note, _) => note,
    };
    if let Some(n) = &note {
        tracing::info!(run = %row.run_id, "{n}");
    }
    // The project may be a folder inside its repository: its steps work in the same folder
    // of the worktree.
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let workdir = match canon(project).strip_prefix(canon(&top)) {
        Ok(rel) if !rel.as_os_str().is_empty() => path.join(rel),
        _ => path.clone(),
    };
    let git = worktree::git_access(&top, &path).await;
    let ws = RunWorkspace {
        path,
        repo: project.to_path_buf(),
        branch: row.branch.clone(),
        start: row.start_commit.clone().unwrap_or_else(|| base_commit.clone()),
        git,
        base_commit,
    };
    Ok((ws, workdir, note))
}

/// The run ended as `status`: its worktree kept or removed by its keep policy (a paused or
/// waiting run keeps it, and nothing is recorded). Returns a line saying what happened.
pub(super) async fn close(engine: &Engine, run_id: &str, status: RunStatus) -> Option<String> {
    if !status.is_terminal() {
        return None;
    }
    let store = engine.store();
    let row = WorkspaceRow::get(store, run_id).await.ok().flatten()?;
    // Never made: the run ended (cancelled) before its first drive; nothing is on disk.
    if row.state == WorkspaceState::Creating && row.base_commit.is_none() {
        let why = format!("the run was {status} before its worktree was made");
        let _ = WorkspaceRow::set_state(store, run_id, WorkspaceState::Failed, Some(&why)).await;
        return None;
    }
    if row.state != WorkspaceState::Active {
        return None;
    }
    let keep = match row.keep {
        KeepPolicy::Always => true,
        KeepPolicy::OnFailure => status != RunStatus::Completed,
        KeepPolicy::Never => false,
    };
    let path = Path::new(&row.path);
    if keep {
        let _ = WorkspaceRow::set_state(store, run_id, WorkspaceState::Kept, None).await;
        return Some(format!(
            "Workspace kept ({} policy, run {status}): {} on branch {}",
            row.keep,
            path.display(),
            row.branch
        ));
    }
    // Only a branch the run made is deleted.
    let delete = row.delete_branch && row.branch_made;
    match worktree::remove(Path::new(&row.repo_path), path, &row.branch, delete).await {
        Ok(()) => {
            let _ = WorkspaceRow::set_state(store, run_id, WorkspaceState::Removed, None).await;
            let branch = if delete {
                format!("branch {} deleted", row.branch)
            } else {
                format!("branch {} kept", row.branch)
            };
            Some(format!(
                "Workspace removed ({} policy, run {status}): {}; {branch}",
                row.keep,
                path.display()
            ))
        }
        Err(e) => {
            let message = format!("workspace: {e}");
            let _ = WorkspaceRow::set_state(store, run_id, WorkspaceState::Kept, Some(&message)).await;
            Some(format!("Workspace could not be removed, kept: {e}"))
        }
    }
}
