//! `workflow_run_steps`: one row per step id of a run; the memo that resume replays.

use serde::Serialize;
use sqlx::FromRow;

use super::fence::fence_sql;
use super::{new_id, now, Dialect, Result, Store, StoreError};
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
    /// What a person should know about how the step went (permission denials, a rerun that
    /// could not fork its agent's conversation): a JSON list of strings, NULL for none.
    pub warnings: Option<String>,
    /// When a running agent step's CLI last printed anything (RFC3339, throttled).
    pub last_output_at: Option<String>,
}

/// How many columns a step row has (`from_direct_at` reads them in the table's order).
pub const STEP_COLUMNS: usize = 20;

/// What a step starts with.
pub struct StepStart<'a> {
    pub run_id: &'a str,
    pub step_id: &'a str,
    pub name: &'a str,
    pub phase: &'a str,
    pub kind: StepKind,
    pub log_dir: &'a str,
    /// Whether an earlier try's error says it was stopped (a pause-now, the budget) rather
    /// than failed: kept as that try's outcome when the step runs again.
    pub interrupted: fn(&str) -> bool,
}

/// A step's row made or taken again, running (`begin`): ?1 row id, ?2 run, ?3 step id,
/// ?4 name, ?5 phase, ?6 type, ?7 log folder, ?8 now, ?9/?10 the fence. No row when fenced.
const BEGIN_STEP: &str = concat!(
    "INSERT INTO workflow_run_steps
         (id, workflow_run_id, step_id, step_index, name, phase, type, status,
          log_directory_path, started_at, created_at, updated_at)
     SELECT ?1, ?2, ?3,
            (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ?2),
            ?4, ?5, ?6, 'running', ?7, ?8, ?8, ?8
      WHERE ",
    fence_sql!("?2", "9", "10"),
    "
     ON CONFLICT (workflow_run_id, step_id) DO UPDATE SET
         name = excluded.name, phase = excluded.phase, type = excluded.type,
         status = 'running', attempt = workflow_run_steps.attempt + 1, result = NULL, error_message = NULL,
         continue_on_error = FALSE, started_at = excluded.started_at, completed_at = NULL,
         updated_at = excluded.updated_at, warnings = NULL, last_output_at = NULL
     RETURNING *"
);

/// `BEGIN_STEP` for a step that never ran: nothing when its row exists (or fenced).
const FIRST_TRY: &str = concat!(
    "INSERT INTO workflow_run_steps
         (id, workflow_run_id, step_id, step_index, name, phase, type, status,
          log_directory_path, started_at, created_at, updated_at)
     SELECT ?1, ?2, ?3,
            (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ?2),
            ?4, ?5, ?6, 'running', ?7, ?8, ?8, ?8
      WHERE ",
    fence_sql!("?2", "9", "10"),
    "
     ON CONFLICT (workflow_run_id, step_id) DO NOTHING
     RETURNING *"
);

/// A step's end (`finish`): ?1 status, ?2 result, ?3 error, ?4 continue_on_error, ?5 now,
/// ?6 row id, ?7/?8 the fence. No row when fenced.
const FINISH_STEP: &str = concat!(
    "UPDATE workflow_run_steps SET status = ?1, result = ?2, error_message = ?3,
         continue_on_error = ?4, completed_at = ?5, updated_at = ?5
     WHERE id = ?6 AND ",
    fence_sql!("workflow_run_steps.workflow_run_id", "7", "8"),
    " RETURNING *"
);

impl StepRow {
    /// A replayed step is memoized when it completed, or failed and the workflow went on
    /// (`continueOnError`): both results were already handed to the workflow once. A wait
    /// that failed (rejected, timed out) is memoized too: the drive after the decision
    /// delivers it; a person's resume asks again (`rearm_failed_waits`). A skipped step
    /// (a YAML `if:` that was false) is memoized: its condition is not asked again.
    pub fn is_memoized(&self) -> bool {
        let failed_wait = self.kind.wait().is_some();
        self.status == StepStatus::Completed
            || self.status == StepStatus::Skipped
            || (self.status == StepStatus::Failed && (self.continue_on_error || failed_wait))
    }

    pub async fn list_for_run(store: &Store, run_id: &str) -> Result<Vec<StepRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_run_steps WHERE workflow_run_id = ? ORDER BY step_index",
            |pool, sql| sqlx::query_as(sql).bind(run_id).fetch_all(pool).await
        )?)
    }

    /// The steps of several runs (a page of the run list), by run, then in order.
    pub async fn list_for_runs(store: &Store, run_ids: &[&str]) -> Result<Vec<StepRow>> {
        Ok(on_read!(
            store,
            "SELECT * FROM workflow_run_steps WHERE workflow_run_id IN (SELECT value FROM json_each(?))
             ORDER BY workflow_run_id, step_index",
            |pool, sql| sqlx::query_as(sql)
                .bind(serde_json::to_string(run_ids).expect("ids serialise"))
                .fetch_all(pool)
                .await
        )?)
    }

    pub async fn by_row_id(store: &Store, id: &str) -> Result<Option<StepRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_run_steps WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?)
    }

    pub async fn get(store: &Store, run_id: &str, step_id: &str) -> Result<Option<StepRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_run_steps WHERE workflow_run_id = ? AND step_id = ?",
            |pool, sql| sqlx::query_as(sql)
                .bind(run_id)
                .bind(step_id)
                .fetch_optional(pool)
                .await
        )?)
    }

    /// The step of a run named by its id in the workflow or by its row id.
    pub async fn find_in_run(store: &Store, run_id: &str, key: &str) -> Result<Option<StepRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_run_steps WHERE workflow_run_id = ?1 AND (step_id = ?2 OR id = ?2)
             ORDER BY step_id = ?2 DESC LIMIT 1",
            |pool, sql| sqlx::query_as(sql).bind(run_id).bind(key).fetch_optional(pool).await
        )?)
    }

    /// Marks the step running: a new row with the next index, or, for a step that was
    /// interrupted or failed before, the same row (and index) with its attempt counted.
    /// Fenced (`fence`): fails with `StoreError::Fenced` once another engine took the run.
    pub async fn begin(store: &Store, s: StepStart<'_>) -> Result<StepRow> {
        Self::begin_as(store, &new_id(), &now(), s).await
    }

    /// `begin`, with the new row's id and start time chosen by the caller (a function step
    /// whose start was held back, `engine::step_defer`, announced them already).
    pub async fn begin_as(store: &Store, id: &str, started_at: &str, s: StepStart<'_>) -> Result<StepRow> {
        let ts = started_at.to_string();
        let fence = store.fence(s.run_id);
        let row = if store.is_lite() {
            store.write_now(|db| {
                // IMMEDIATE: it reads before it writes, and a deferred transaction whose
                // snapshot another writer has moved past cannot take the write lock
                // (SQLITE_BUSY, no wait).
                let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
                // A step that ran before (a resume): its earlier try stays in its history.
                super::attempts::keep_earlier_try(&tx, s.run_id, s.step_id, s.interrupted)?;
                let mut insert = tx.prepare_cached(BEGIN_STEP)?;
                let row = super::first_direct(
                    &mut insert,
                    rusqlite::params![
                        id,
                        s.run_id,
                        s.step_id,
                        s.name,
                        s.phase,
                        s.kind,
                        s.log_dir,
                        ts,
                        fence.owner,
                        fence.version
                    ],
                    StepRow::from_direct,
                )?;
                drop(insert);
                if row.is_some() {
                    tx.commit()?;
                }
                Ok(row)
            })?
        } else {
            on_pg!(store, |pool| {
                // A step's first try (the common case): one statement, one round trip. A
                // step that ran before conflicts and takes the transaction below, which
                // keeps its earlier try; a fenced one yields no row either way.
                let first: Option<StepRow> = sqlx::query_as(&pool.sql(FIRST_TRY))
                    .bind(id)
                    .bind(s.run_id)
                    .bind(s.step_id)
                    .bind(s.name)
                    .bind(s.phase)
                    .bind(s.kind)
                    .bind(s.log_dir)
                    .bind(&ts)
                    .bind(&fence.owner)
                    .bind(fence.version)
                    .fetch_optional(store.lazy_pool().unwrap_or(pool))
                    .await?;
                if let Some(first) = first {
                    return Ok(first);
                }
                let mut tx = pool.begin().await?;
                super::attempts::keep_earlier_try_pg(&mut tx, s.run_id, s.step_id, s.interrupted).await?;
                let row: Option<StepRow> = sqlx::query_as(&pool.sql(BEGIN_STEP))
                    .bind(id)
                    .bind(s.run_id)
                    .bind(s.step_id)
                    .bind(s.name)
                    .bind(s.phase)
                    .bind(s.kind)
                    .bind(s.log_dir)
                    .bind(&ts)
                    .bind(&fence.owner)
                    .bind(fence.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                if row.is_some() {
                    tx.commit().await?;
                }
                row
            })
        };
        row.ok_or_else(|| store.refused(s.run_id, &fence))
    }

    /// Records a finished step; the `workflow_run_steps_advance_run` trigger advances the run
    /// (`current_step_index`, `current_phase`) in the same statement, so after a crash either
    /// both happened or neither did. Fenced as `begin`.
    pub async fn finish(
        store: &Store,
        row: &StepRow,
        status: StepStatus,
        result: &str,
        error: Option<&str>,
        continue_on_error: bool,
    ) -> Result<StepRow> {
        let ts = now();
        let fence = store.fence(&row.workflow_run_id);
        let done = if store.is_lite() {
            store.write_now(|db| {
                let mut update = db.prepare_cached(FINISH_STEP)?;
                super::first_direct(
                    &mut update,
                    rusqlite::params![
                        status,
                        result,
                        error,
                        continue_on_error,
                        ts,
                        row.id,
                        fence.owner,
                        fence.version
                    ],
                    StepRow::from_direct,
                )
            })?
        } else {
            on_pg_hot!(store, FINISH_STEP, |conn, sql| sqlx::query_as(sql)
                .bind(status)
                .bind(result)
                .bind(error)
                .bind(continue_on_error)
                .bind(&ts)
                .bind(&row.id)
                .bind(&fence.owner)
                .bind(fence.version)
                .fetch_optional(conn)
                .await)?
        };
        match done {
            Some(done) => Ok(done),
            None if fence.is_held() => Err(store.refused(&row.workflow_run_id, &fence)),
            None => Err(StoreError::NotFound(format!("step row {}", row.id))),
        }
    }

    /// Sets the step's `warnings` (none: NULL).
    /// Fenced, as the other writes of a step of a held run below.
    pub async fn set_warnings(store: &Store, run_id: &str, id: &str, warnings: &[String]) -> Result<()> {
        let json = (!warnings.is_empty()).then(|| serde_json::to_string(warnings).expect("strings serialise"));
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE workflow_run_steps SET warnings = ?1 WHERE id = ?2 AND ",
                fence_sql!("workflow_run_steps.workflow_run_id", "3", "4")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(json)
                .bind(id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// Records when a running agent step's CLI last printed anything (the caller throttles).
    pub async fn set_last_output(store: &Store, run_id: &str, id: &str, at: &str) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE workflow_run_steps SET last_output_at = ?1 WHERE id = ?2 AND status = 'running' AND ",
                fence_sql!("workflow_run_steps.workflow_run_id", "3", "4")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(at)
                .bind(id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// The step's `warnings`, as a list.
    pub fn warning_list(&self) -> Vec<String> {
        self.warnings
            .as_deref()
            .and_then(|w| serde_json::from_str(w).ok())
            .unwrap_or_default()
    }

    /// A row read by `Store::write_now`.
    pub(super) fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<StepRow> {
        StepRow::from_direct_at(r, 0)
    }

    /// A row whose columns start at `at` (after another table's in a join), in the
    /// table's order.
    pub(super) fn from_direct_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StepRow> {
        Ok(StepRow {
            id: r.get(at)?,
            workflow_run_id: r.get(at + 1)?,
            step_id: r.get(at + 2)?,
            step_index: r.get(at + 3)?,
            name: r.get(at + 4)?,
            phase: r.get(at + 5)?,
            kind: r.get(at + 6)?,
            status: r.get(at + 7)?,
            result: r.get(at + 8)?,
            continue_on_error: r.get(at + 9)?,
            attempt: r.get(at + 10)?,
            log_directory_path: r.get(at + 11)?,
            agent_session_id: r.get(at + 12)?,
            error_message: r.get(at + 13)?,
            started_at: r.get(at + 14)?,
            completed_at: r.get(at + 15)?,
            created_at: r.get(at + 16)?,
            updated_at: r.get(at + 17)?,
            warnings: r.get(at + 18)?,
            last_output_at: r.get(at + 19)?,
        })
    }

    /// Waits whose rejection or timeout failed the run are asked again when a person
    /// resumes it: their rows go back to `pending` (the next attempt waits anew). Until then
    /// such a failure is memoized, so the drive that follows the decision delivers it once.
    pub async fn rearm_failed_waits(store: &Store, run_id: &str) -> Result<u64> {
        let done = on_db!(
            store,
            "UPDATE workflow_run_steps SET status = 'pending', updated_at = ?
             WHERE workflow_run_id = ? AND status = 'failed' AND continue_on_error = FALSE
               AND (type IN ('approval', 'sleep', 'signal')
                    OR id IN (SELECT step_row_id FROM workflow_waits WHERE kind = 'retry'))",
            |pool, sql| sqlx::query(sql)
                .bind(now())
                .bind(run_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        Ok(done)
    }

    /// The steps of a cancelled run that were waiting fail with it (their waits end too).
    pub async fn fail_waiting(store: &Store, run_id: &str, error: &str) -> Result<()> {
        let ts = now();
        on_db!(
            store,
            "UPDATE workflow_waits SET resolved_at = ? WHERE resolved_at IS NULL AND step_row_id IN
                 (SELECT id FROM workflow_run_steps WHERE workflow_run_id = ? AND status = 'waiting')",
            |pool, sql| sqlx::query(sql)
                .bind(&ts)
                .bind(run_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        on_db!(
            store,
            "UPDATE workflow_run_steps SET status = 'failed', error_message = ?, completed_at = ?, updated_at = ?
             WHERE workflow_run_id = ? AND status = 'waiting'",
            |pool, sql| sqlx::query(sql)
                .bind(error)
                .bind(&ts)
                .bind(&ts)
                .bind(run_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        Ok(())
    }

    /// Steps left `running` by an interrupted attempt are not running any more.
    pub async fn fail_running(store: &Store, run_id: &str, error: &str) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE workflow_run_steps SET status = 'failed', error_message = ?1, completed_at = ?2, updated_at = ?2
                 WHERE workflow_run_id = ?3 AND status = 'running' AND ",
                fence_sql!("?3", "4", "5")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(error)
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
}
