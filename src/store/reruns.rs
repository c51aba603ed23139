//! Runs started from other runs (run again, rerun from a step), the memo they copy, the
//! steps `resume --rerun` forgets, and the warnings recorded on a run.
//!
//! A rerun from a step is one transaction: the new run's row (with `parent_run_id` and
//! `forked_from_step`) and a copy of every memoized step its parent recorded before the
//! chosen one (by `step_index`), with their waits, so that the new run is never seen with
//! half its memo.

use serde::Serialize;
use sqlx::FromRow;

use super::runs::{NewRun, RunRow};
use super::steps::StepRow;
use super::{new_id, now, Dialect, Result, Store};
use crate::domain::RunStatus;

/// Where a new run comes from.
pub struct Fork<'a> {
    pub parent_run_id: &'a str,
    /// The step id it runs for real from; None: every step runs (run again).
    pub from_step: Option<&'a str>,
    /// Copy the memoized steps of the parent whose `step_index` is below this.
    pub copy_before: Option<i64>,
    /// Warnings recorded on the new run at once.
    pub warnings: &'a [String],
}

/// A rerun of a run, as the run's page links to it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct RerunLink {
    pub parent_run_id: String,
    pub id: String,
    pub name: String,
    pub status: RunStatus,
    pub forked_from_step: Option<String>,
    pub created_at: String,
}

impl RunRow {
    /// Records a new `pending` run started from `fork.parent_run_id`, with the parent's memo
    /// before `fork.copy_before` copied; returns it and the steps copied (in step order).
    pub async fn create_rerun(store: &Store, new: NewRun<'_>, fork: Fork<'_>) -> Result<(RunRow, Vec<StepRow>)> {
        let ts = now();
        let warnings =
            (!fork.warnings.is_empty()).then(|| serde_json::to_string(fork.warnings).expect("strings serialise"));
        on_db!(store, |pool| {
            let mut tx = pool.begin().await?;
            let parent_steps: Vec<StepRow> = match fork.copy_before {
                Some(before) => {
                    sqlx::query_as(&pool.sql(
                        "SELECT * FROM workflow_run_steps WHERE workflow_run_id = ? AND step_index < ?
                     ORDER BY step_index",
                    ))
                    .bind(fork.parent_run_id)
                    .bind(before)
                    .fetch_all(&mut *tx)
                    .await?
                }
                None => Vec::new(),
            };
            let copied: Vec<StepRow> = parent_steps.into_iter().filter(StepRow::is_memoized).collect();
            let last = copied.last();
            let run: RunRow = sqlx::query_as(&pool.sql(
                "INSERT INTO workflow_runs
                 (id, project_id, user_id, workflow_definition_id, name, args, current_phase,
                  current_step_index, status, timeout_ms, parent_run_id, forked_from_step, warnings,
                  created_at, updated_at, budget, concurrency_key, concurrency_limit, lease_owner,
                  lease_expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            ))
            .bind(new_id())
            .bind(new.project_id)
            .bind(new.user_id)
            .bind(new.definition_id)
            .bind(new.name)
            .bind(new.args.to_string())
            .bind(last.map(|s| s.phase.as_str()).or(new.first_phase))
            .bind(last.map_or(0, |s| s.step_index + 1))
            .bind(new.timeout_ms.map(|t| t as i64))
            .bind(fork.parent_run_id)
            .bind(fork.from_step)
            .bind(warnings)
            .bind(&ts)
            .bind(&ts)
            .bind(&new.budget)
            .bind(new.concurrency.as_ref().map(|c| c.0.as_str()))
            .bind(new.concurrency.as_ref().map(|c| c.1))
            .bind(new.held_by.map(|h| h.0))
            .bind(new.held_by.map(|h| h.1))
            .fetch_one(&mut *tx)
            .await?;
            let mut rows = Vec::with_capacity(copied.len());
            for step in &copied {
                let id = new_id();
                let row: StepRow = sqlx::query_as(&pool.sql(
                    "INSERT INTO workflow_run_steps
                     (id, workflow_run_id, step_id, step_index, name, phase, type, status, result,
                      continue_on_error, attempt, log_directory_path, agent_session_id, error_message,
                      started_at, completed_at, created_at, updated_at, warnings)
                 SELECT ?1, ?2, step_id, step_index, name, phase, type, status, result,
                        continue_on_error, attempt, replace(log_directory_path, ?3, ?2), NULL, error_message,
                        started_at, completed_at, ?4, ?4, warnings
                   FROM workflow_run_steps WHERE id = ?5
                 RETURNING *",
                ))
                .bind(&id)
                .bind(&run.id)
                .bind(fork.parent_run_id)
                .bind(&ts)
                .bind(&step.id)
                .fetch_one(&mut *tx)
                .await?;
                // Its worktree snapshot (a worktree run's): a rerun of this rerun finds the files
                // as they were before any step, reused ones included.
                sqlx::query(&pool.sql(
                    "INSERT INTO step_snapshots
                     (step_row_id, run_id, \"commit\", parent, files_changed, additions, deletions, created_at, head)
                 SELECT ?, ?, \"commit\", parent, files_changed, additions, deletions, created_at, head
                   FROM step_snapshots WHERE step_row_id = ?",
                ))
                .bind(&id)
                .bind(&run.id)
                .bind(&step.id)
                .execute(&mut *tx)
                .await?;
                if step.kind.wait().is_some() {
                    sqlx::query(&pool.sql(
                        "INSERT INTO workflow_waits
                         (step_row_id, workflow_run_id, kind, spec, signal_name, deadline, created_at, resolved_at)
                     SELECT ?, ?, kind, spec, signal_name, deadline, created_at, resolved_at
                       FROM workflow_waits WHERE step_row_id = ?",
                    ))
                    .bind(&id)
                    .bind(&run.id)
                    .bind(&step.id)
                    .execute(&mut *tx)
                    .await?;
                }
                rows.push(row);
            }
            tx.commit().await?;
            Ok((run, rows))
        })
    }

    /// The reruns of each of `run_ids`, oldest first.
    pub async fn reruns_of(store: &Store, run_ids: &[&str]) -> Result<Vec<RerunLink>> {
        Ok(on_read!(
            store,
            "SELECT parent_run_id, id, name, status, forked_from_step, created_at FROM workflow_runs
             WHERE parent_run_id IN (SELECT value FROM json_each(?))
             ORDER BY parent_run_id, created_at, id",
            |pool, sql| sqlx::query_as(sql)
                .bind(serde_json::to_string(run_ids).expect("ids serialise"))
                .fetch_all(pool)
                .await
        )?)
    }

    /// Adds a warning to the run's `warnings`.
    pub async fn add_warning(store: &Store, id: &str, warning: &str) -> Result<()> {
        on_db!(store, |pool| {
            let mut tx = pool.begin().await?;
            let (current,): (Option<String>,) =
                sqlx::query_as(&pool.sql("SELECT warnings FROM workflow_runs WHERE id = ?"))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let mut list = warnings_of(current.as_deref());
            list.push(warning.to_string());
            sqlx::query(&pool.sql("UPDATE workflow_runs SET warnings = ?, updated_at = ? WHERE id = ?"))
                .bind(serde_json::to_string(&list).expect("strings serialise"))
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The run's warnings, parsed.
    pub fn warning_list(&self) -> Vec<String> {
        warnings_of(self.warnings.as_deref())
    }
}

/// A run's `warnings` column (a JSON list of strings) read; none when empty or unreadable.
fn warnings_of(column: Option<&str>) -> Vec<String> {
    column.and_then(|w| serde_json::from_str(w).ok()).unwrap_or_default()
}

impl StepRow {
    /// Forgets the memo of the step at `index` and of every step recorded after it
    /// (`resume --rerun`): their rows go back to `pending` without a result (or an agent
    /// session to continue), so that each runs again at its next attempt when the workflow
    /// reaches it; their comments, artifacts and waits stay with them. The run's
    /// `current_step_index` goes back to `index`. Returns the step ids forgotten, in order.
    pub async fn forget_from(store: &Store, run_id: &str, index: i64) -> Result<Vec<String>> {
        on_db!(store, |pool| {
            let mut tx = pool.begin().await?;
            let ts = now();
            let mut gone: Vec<(String, i64)> = sqlx::query_as(&pool.sql(
                "UPDATE workflow_run_steps SET status = 'pending', result = NULL, error_message = NULL,
                 continue_on_error = FALSE, agent_session_id = NULL, completed_at = NULL, updated_at = ?,
                 warnings = NULL, last_output_at = NULL
             WHERE workflow_run_id = ? AND step_index >= ?
             RETURNING step_id, step_index",
            ))
            .bind(&ts)
            .bind(run_id)
            .bind(index)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query(&pool.sql(
                "UPDATE workflow_runs SET current_step_index = MIN(current_step_index, ?), updated_at = ? WHERE id = ?",
            ))
            .bind(index)
            .bind(&ts)
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            gone.sort_by_key(|g| g.1);
            Ok(gone.into_iter().map(|g| g.0).collect())
        })
    }
}
