//! `run_workspaces`: a run's git worktree, one row per worktree run. Recorded as the run is
//! created (`creating`), then made (`active`), then kept or removed as the run ends; or
//! `failed` with the reason. Every query about it is here.

use serde::Serialize;
use sqlx::FromRow;

use super::fence::fence_sql;
use super::{now, Result, Store};
use crate::domain::{KeepPolicy, WorkspaceState};

/// One run's worktree as recorded.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct WorkspaceRow {
    pub run_id: String,
    /// The worktree's folder.
    pub path: String,
    /// The project checkout it was made from.
    pub repo_path: String,
    pub branch: String,
    /// The template `branch` was rendered from (for a rerun's own branch).
    pub branch_template: String,
    /// The ref or commit asked for.
    pub base: String,
    /// What `base` resolved to; recorded before the worktree is added.
    pub base_commit: Option<String>,
    pub state: WorkspaceState,
    pub error: Option<String>,
    pub keep: KeepPolicy,
    pub delete_branch: bool,
    pub created_at: String,
    pub removed_at: Option<String>,
    /// A rerun from a step: the parent's snapshot whose files the worktree starts with, over
    /// `base_commit`; None for any other run.
    pub start_commit: Option<String>,
    /// When those files were put in the worktree (once, before the first step).
    pub restored_at: Option<String>,
    /// The run made its branch: only then is it adopted on resume, and deleted with
    /// `delete_branch`.
    pub branch_made: bool,
}

/// What a new worktree run records.
pub struct NewWorkspace<'a> {
    pub run_id: &'a str,
    pub path: &'a str,
    pub repo_path: &'a str,
    pub branch: &'a str,
    pub branch_template: &'a str,
    pub base: &'a str,
    pub keep: KeepPolicy,
    pub delete_branch: bool,
}

impl WorkspaceRow {
    /// Records the worktree a new run will have, `creating`.
    /// Fenced, as every write here (for a run this process drives; `Store::fence`).
    pub async fn insert(store: &Store, new: NewWorkspace<'_>) -> Result<WorkspaceRow> {
        let fence = store.fence(new.run_id);
        let rows: Vec<WorkspaceRow> = on_db!(
            store,
            concat!(
                "INSERT INTO run_workspaces
                     (run_id, path, repo_path, branch, branch_template, base, keep, delete_branch, created_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE ",
                fence_sql!("?1", "10", "11"),
                " RETURNING *"
            ),
            |pool, sql| sqlx::query_as(sql)
                .bind(new.run_id)
                .bind(new.path)
                .bind(new.repo_path)
                .bind(new.branch)
                .bind(new.branch_template)
                .bind(new.base)
                .bind(new.keep)
                .bind(new.delete_branch)
                .bind(now())
                .bind(&fence.owner)
                .bind(fence.version)
                .fetch_all(pool)
                .await
        )?;
        match rows.into_iter().next() {
            Some(row) => Ok(row),
            None if fence.is_held() => Err(store.refused(new.run_id, &fence)),
            None => Err(sqlx::Error::RowNotFound.into()),
        }
    }

    pub async fn get(store: &Store, run_id: &str) -> Result<Option<WorkspaceRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM run_workspaces WHERE run_id = ?",
            |pool, sql| sqlx::query_as(sql).bind(run_id).fetch_optional(pool).await
        )?)
    }

    /// The worktrees of a page of runs (runs without one left out).
    pub async fn of_runs(store: &Store, ids: &[&str]) -> Result<Vec<WorkspaceRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(ids).expect("ids serialise");
        Ok(on_read!(
            store,
            "SELECT * FROM run_workspaces WHERE run_id IN (SELECT value FROM json_each(?))",
            |pool, sql| sqlx::query_as(sql).bind(ids).fetch_all(pool).await
        )?)
    }

    /// Records the commit `base` resolved to, before the worktree is added.
    pub async fn set_base_commit(store: &Store, run_id: &str, commit: &str) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE run_workspaces SET base_commit = ?1 WHERE run_id = ?2 AND ",
                fence_sql!("?2", "3", "4")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(commit)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// A rerun's worktree starts with the files of snapshot `commit` (over its base commit).
    pub async fn set_start_commit(store: &Store, run_id: &str, commit: &str) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE run_workspaces SET start_commit = ?1 WHERE run_id = ?2 AND ",
                fence_sql!("?2", "3", "4")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(commit)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// The run's `git worktree add -b` made its branch.
    pub async fn set_branch_made(store: &Store, run_id: &str) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE run_workspaces SET branch_made = TRUE WHERE run_id = ?1 AND ",
                fence_sql!("?1", "2", "3")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// The start commit's files are in the worktree.
    pub async fn set_restored(store: &Store, run_id: &str) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE run_workspaces SET restored_at = ?1 WHERE run_id = ?2 AND ",
                fence_sql!("?2", "3", "4")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(now())
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// The commit this run's first snapshot (and its whole-run diff) is taken against: the
    /// files it started with.
    pub fn start(&self) -> Option<&str> {
        self.start_commit.as_deref().or(self.base_commit.as_deref())
    }

    /// Sets the state (and the error, cleared unless given); `removed` also stamps `removed_at`.
    pub async fn set_state(
        store: &Store,
        run_id: &str,
        state: WorkspaceState,
        error: Option<&str>,
    ) -> Result<Option<WorkspaceRow>> {
        let removed_at = (state == WorkspaceState::Removed).then(now);
        let fence = store.fence(run_id);
        let rows: Vec<WorkspaceRow> = on_db!(
            store,
            concat!(
                "UPDATE run_workspaces SET state = ?1, error = ?2, removed_at = COALESCE(?3, removed_at)
                 WHERE run_id = ?4 AND ",
                fence_sql!("?4", "5", "6"),
                " RETURNING *"
            ),
            |pool, sql| sqlx::query_as(sql)
                .bind(state)
                .bind(error)
                .bind(removed_at)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .fetch_all(pool)
                .await
        )?;
        store.check_fence(run_id, &fence, rows.len() as u64).await?;
        Ok(rows.into_iter().next())
    }
}
