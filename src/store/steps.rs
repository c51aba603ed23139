//! `workflow_run_steps`: one row per step id of a run; the memo that resume replays.

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};
use crate::domain::{StepKind, StepStatus};

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
    pub kind: StepKind,
    pub status: StepStatus,
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
    pub kind: StepKind,
    pub log_dir: &'a str,
}

impl StepRow {
    /// A replayed step is memoized when it completed, or failed and the workflow went on
    /// (`continueOnError`): both results were already handed to the workflow once.
    pub fn is_memoized(&self) -> bool {
        self.status == StepStatus::Completed || (self.status == StepStatus::Failed && self.continue_on_error)
    }

    pub async fn list_for_run(store: &Store, run_id: &str) -> Result<Vec<StepRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM workflow_run_steps WHERE workflow_run_id = ? ORDER BY step_index")
                .bind(run_id)
                .fetch_all(&store.pool)
                .await?,
        )
    }

    /// The steps of several runs (a page of the run list), by run, then in order.
    pub async fn list_for_runs(store: &Store, run_ids: &[&str]) -> Result<Vec<StepRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM workflow_run_steps WHERE workflow_run_id IN (SELECT value FROM json_each(?))
             ORDER BY workflow_run_id, step_index",
        )
        .bind(serde_json::to_string(run_ids).expect("ids serialise"))
        .fetch_all(&store.read)
        .await?)
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
        let id = new_id();
        store
            .write_now(|db| {
                let mut insert = db.prepare_cached(
                    "INSERT INTO workflow_run_steps
                         (id, workflow_run_id, step_id, step_index, name, phase, type, status,
                          log_directory_path, started_at, created_at, updated_at)
                     VALUES (?1, ?2, ?3,
                             (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ?2),
                             ?4, ?5, ?6, 'running', ?7, ?8, ?8, ?8)
                     ON CONFLICT (workflow_run_id, step_id) DO UPDATE SET
                         name = excluded.name, phase = excluded.phase, type = excluded.type,
                         status = 'running', attempt = attempt + 1, result = NULL, error_message = NULL,
                         continue_on_error = 0, started_at = excluded.started_at, completed_at = NULL,
                         updated_at = excluded.updated_at
                     RETURNING *",
                )?;
                super::returning_one(
                    &mut insert,
                    rusqlite::params![id, s.run_id, s.step_id, s.name, s.phase, s.kind, s.log_dir, ts],
                    StepRow::from_direct,
                )
            })
    }

    /// Records a finished step; the `workflow_run_steps_advance_run` trigger advances the run
    /// (`current_step_index`, `current_phase`) in the same statement, so after a crash either
    /// both happened or neither did.
    pub async fn finish(
        store: &Store,
        row: &StepRow,
        status: StepStatus,
        result: &str,
        error: Option<&str>,
        continue_on_error: bool,
    ) -> Result<StepRow> {
        let ts = now();
        store.write_now(|db| {
            let mut update = db.prepare_cached(
                "UPDATE workflow_run_steps SET status = ?1, result = ?2, error_message = ?3,
                         continue_on_error = ?4, completed_at = ?5, updated_at = ?5
                     WHERE id = ?6 RETURNING *",
            )?;
            super::returning_one(
                &mut update,
                rusqlite::params![status, result, error, continue_on_error, ts, row.id],
                StepRow::from_direct,
            )
        })
    }

    /// A row read by `Store::write_now`.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<StepRow> {
        Ok(StepRow {
            id: r.get("id")?,
            workflow_run_id: r.get("workflow_run_id")?,
            step_id: r.get("step_id")?,
            step_index: r.get("step_index")?,
            name: r.get("name")?,
            phase: r.get("phase")?,
            kind: r.get("type")?,
            status: r.get("status")?,
            result: r.get("result")?,
            continue_on_error: r.get("continue_on_error")?,
            attempt: r.get("attempt")?,
            log_directory_path: r.get("log_directory_path")?,
            agent_session_id: r.get("agent_session_id")?,
            error_message: r.get("error_message")?,
            started_at: r.get("started_at")?,
            completed_at: r.get("completed_at")?,
            created_at: r.get("created_at")?,
            updated_at: r.get("updated_at")?,
        })
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
