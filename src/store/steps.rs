//! `workflow_run_steps`: one row per step id of a run; the memo that resume replays.

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct StepRow {
    pub id: String,
    pub workflow_run_id: String,
    pub step_id: String,
    pub step_index: i64,
    pub name: String,
    pub phase: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub result: Option<String>,
    pub continue_on_error: bool,
    pub attempt: i64,
    pub log_directory_path: Option<String>,
    pub agent_session_id: Option<String>,
    pub error_message: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a step starts with.
pub struct StepStart<'a> {
    pub run_id: &'a str,
    pub step_id: &'a str,
    pub name: &'a str,
    pub phase: &'a str,
    pub kind: &'a str,
    pub log_dir: &'a str,
}

impl StepRow {
    /// A replayed step is memoized when it completed, or failed and the workflow went on
    /// (`continueOnError`): both results were already handed to the workflow once.
    pub fn is_memoized(&self) -> bool {
        self.status == "completed" || (self.status == "failed" && self.continue_on_error)
    }

    pub async fn list_for_run(store: &Store, run_id: &str) -> Result<Vec<StepRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM workflow_run_steps WHERE workflow_run_id = ? ORDER BY step_index")
                .bind(run_id)
                .fetch_all(&store.pool)
                .await?,
        )
    }

    pub async fn by_row_id(store: &Store, id: &str) -> Result<Option<StepRow>> {
        Ok(sqlx::query_as("SELECT * FROM workflow_run_steps WHERE id = ?")
            .bind(id)
            .fetch_optional(&store.pool)
            .await?)
    }

    pub async fn get(store: &Store, run_id: &str, step_id: &str) -> Result<Option<StepRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM workflow_run_steps WHERE workflow_run_id = ? AND step_id = ?")
                .bind(run_id)
                .bind(step_id)
                .fetch_optional(&store.pool)
                .await?,
        )
    }

    /// Marks the step running: a new row with the next index, or, for a step that was
    /// interrupted or failed before, the same row (and index) with its attempt counted.
    pub async fn begin(store: &Store, s: StepStart<'_>) -> Result<StepRow> {
        let ts = now();
        Ok(sqlx::query_as(
            "INSERT INTO workflow_run_steps
                 (id, workflow_run_id, step_id, step_index, name, phase, type, status,
                  log_directory_path, started_at, created_at, updated_at)
             VALUES (?, ?, ?,
                     (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ?),
                     ?, ?, ?, 'running', ?, ?, ?, ?)
             ON CONFLICT (workflow_run_id, step_id) DO UPDATE SET
                 name = excluded.name, phase = excluded.phase, type = excluded.type,
                 status = 'running', attempt = attempt + 1, result = NULL, error_message = NULL,
                 continue_on_error = 0, started_at = excluded.started_at, completed_at = NULL,
                 updated_at = excluded.updated_at
             RETURNING *",
        )
        .bind(new_id())
        .bind(s.run_id)
        .bind(s.step_id)
        .bind(s.run_id)
        .bind(s.name)
        .bind(s.phase)
        .bind(s.kind)
        .bind(s.log_dir)
        .bind(&ts)
        .bind(&ts)
        .bind(&ts)
        .fetch_one(&store.pool)
        .await?)
    }

    /// Records a finished step; the `workflow_run_steps_advance_run` trigger advances the run
    /// (`current_step_index`, `current_phase`) in the same statement, so after a crash either
    /// both happened or neither did.
    pub async fn finish(
        store: &Store,
        row: &StepRow,
        status: &str,
        result: &serde_json::Value,
        error: Option<&str>,
        continue_on_error: bool,
    ) -> Result<StepRow> {
        let ts = now();
        Ok(sqlx::query_as(
            "UPDATE workflow_run_steps SET status = ?, result = ?, error_message = ?,
                 continue_on_error = ?, completed_at = ?, updated_at = ?
             WHERE id = ? RETURNING *",
        )
        .bind(status)
        .bind(result.to_string())
        .bind(error)
        .bind(continue_on_error)
        .bind(&ts)
        .bind(&ts)
        .bind(&row.id)
        .fetch_one(&store.pool)
        .await?)
    }

    /// Steps left `running` by an interrupted attempt are not running any more.
    pub async fn fail_running(store: &Store, run_id: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE workflow_run_steps SET status = 'failed', error_message = ?, completed_at = ?, updated_at = ?
             WHERE workflow_run_id = ? AND status = 'running'",
        )
        .bind(error)
        .bind(now())
        .bind(now())
        .bind(run_id)
        .execute(&store.pool)
        .await?;
        Ok(())
    }
}
