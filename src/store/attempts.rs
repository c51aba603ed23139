//! `workflow_step_attempts`: the tries of a retried step, one row each (a step that ran once
//! has none; the API shows its one try from the step's row).

use rusqlite::OptionalExtension;
use serde::Serialize;
use sqlx::FromRow;

use super::steps::StepRow;
use super::{new_id, now, Result, Store};
use crate::domain::{AttemptOutcome, StepKind, StepStatus};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct AttemptRow {
    pub id: String,
    pub step_row_id: String,
    pub attempt: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
    pub log_dir: Option<String>,
}

impl AttemptRow {
    /// Ends the step's current try as `outcome` and returns its number. The first try of a
    /// step (or of a drive that resumed it) has no row until then: it is written now, from
    /// the step's start; `log_dir` gives a try's log folder from its number.
    pub async fn end_current(
        store: &Store,
        step: &StepRow,
        outcome: AttemptOutcome,
        error: Option<&str>,
        log_dir: impl Fn(i64) -> String,
    ) -> Result<i64> {
        let ts = now();
        store.write_now(|db| {
            // IMMEDIATE: it reads before it writes (see `StepRow::begin`).
            let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
            let running: Option<i64> = tx
                .query_row(
                    "SELECT attempt FROM workflow_step_attempts WHERE step_row_id = ?1 AND outcome = 'running'",
                    [&step.id],
                    |r| r.get(0),
                )
                .ok();
            let number = match running {
                Some(n) => {
                    tx.execute(
                        "UPDATE workflow_step_attempts SET outcome = ?1, error = ?2, ended_at = ?3
                          WHERE step_row_id = ?4 AND attempt = ?5",
                        rusqlite::params![outcome, error, ts, step.id, n],
                    )?;
                    n
                }
                None => {
                    let n: i64 = tx.query_row(
                        "SELECT COALESCE(MAX(attempt), 0) + 1 FROM workflow_step_attempts WHERE step_row_id = ?1",
                        [&step.id],
                        |r| r.get(0),
                    )?;
                    let started = step.started_at.clone().unwrap_or_else(|| ts.clone());
                    tx.execute(
                        "INSERT INTO workflow_step_attempts
                             (id, step_row_id, attempt, started_at, ended_at, outcome, error, log_dir)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        rusqlite::params![new_id(), step.id, n, started, ts, outcome, error, log_dir(n)],
                    )?;
                    n
                }
            };
            tx.commit()?;
            Ok(number)
        })
    }

    /// The number the step's next try takes: 1 when none is recorded.
    pub async fn next_number(store: &Store, step_row_id: &str) -> Result<i64> {
        let (n,): (i64,) = on_db!(
            store,
            "SELECT COALESCE(MAX(attempt), 0) + 1 FROM workflow_step_attempts WHERE step_row_id = ?",
            |pool, sql| sqlx::query_as(sql).bind(step_row_id).fetch_one(pool).await
        )?;
        Ok(n)
    }

    /// Records that try `attempt` of the step started now.
    pub async fn start(store: &Store, step_row_id: &str, attempt: i64, log_dir: &str) -> Result<()> {
        let ts = now();
        store.write_now(|db| {
            db.execute(
                "INSERT INTO workflow_step_attempts (id, step_row_id, attempt, started_at, outcome, log_dir)
                 VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
                rusqlite::params![new_id(), step_row_id, attempt, ts, log_dir],
            )?;
            // The step's `attempt` is the number of the try it is on, as its tries count them.
            db.execute(
                "UPDATE workflow_run_steps SET attempt = MAX(attempt, ?1) WHERE id = ?2",
                rusqlite::params![attempt, step_row_id],
            )
        })?;
        Ok(())
    }

    /// Ends the try still running, if one is (the last try of a retried step).
    pub async fn end_running(
        store: &Store,
        step_row_id: &str,
        outcome: AttemptOutcome,
        error: Option<&str>,
    ) -> Result<()> {
        let ts = now();
        store.write_now(|db| {
            db.execute(
                "UPDATE workflow_step_attempts SET outcome = ?1, error = ?2, ended_at = ?3
                  WHERE step_row_id = ?4 AND outcome = 'running'",
                rusqlite::params![outcome, error, ts, step_row_id],
            )
        })?;
        Ok(())
    }

    /// The tries recorded for a run's steps, by step row, then in order.
    pub async fn list_for_run(store: &Store, run_id: &str) -> Result<Vec<AttemptRow>> {
        Ok(on_read!(
            store,
            "SELECT a.* FROM workflow_step_attempts a JOIN workflow_run_steps s ON s.id = a.step_row_id
              WHERE s.workflow_run_id = ? ORDER BY a.step_row_id, a.attempt",
            |pool, sql| sqlx::query_as(sql).bind(run_id).fetch_all(pool).await
        )?)
    }
}

/// Before a step that ran already runs again (a resume after it failed, was stopped by a
/// pause-now or the budget, or was left running by an engine that died): its last try is
/// written down unless a row already describes it (a retried step records its tries), so
/// the step's history keeps it and the next try goes on counting (`next_number`). Its log
/// folder is the one that try used (`logs/<step>` for try 1, `.../attempt-N` after).
pub(super) fn keep_earlier_try(
    tx: &rusqlite::Transaction<'_>,
    run_id: &str,
    step_id: &str,
    interrupted: fn(&str) -> bool,
) -> rusqlite::Result<()> {
    let earlier = tx
        .query_row(
            "SELECT id, type, status, started_at, completed_at, error_message, log_directory_path
               FROM workflow_run_steps WHERE workflow_run_id = ?1 AND step_id = ?2",
            [run_id, step_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, StepKind>(1)?,
                    r.get::<_, StepStatus>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((row_id, kind, status, Some(started), ended, error, log_dir)) = earlier else {
        return Ok(());
    };
    let outcome = match status {
        _ if kind.wait().is_some() => return Ok(()),
        StepStatus::Failed if error.as_deref().is_some_and(interrupted) => AttemptOutcome::Interrupted,
        StepStatus::Failed => AttemptOutcome::Failed,
        // Left running by an engine that stopped: it did not end by itself.
        StepStatus::Running => AttemptOutcome::Interrupted,
        _ => return Ok(()),
    };
    let (described, next): (bool, i64) = tx.query_row(
        "SELECT COALESCE(MAX(started_at >= ?2), 0), COALESCE(MAX(attempt), 0) + 1
           FROM workflow_step_attempts WHERE step_row_id = ?1",
        [&row_id, &started],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let ended = ended.unwrap_or_else(now);
    if described {
        // A retried try a dead engine left `running` is over: the step begins again now. Left
        // open, the next try's end would be written to it too.
        tx.execute(
            "UPDATE workflow_step_attempts SET outcome = ?2, ended_at = ?3, error = COALESCE(error, ?4)
              WHERE step_row_id = ?1 AND outcome = 'running'",
            rusqlite::params![row_id, AttemptOutcome::Interrupted, ended, error],
        )?;
        return Ok(());
    }
    let dir = match (next, log_dir) {
        (1, dir) => dir,
        (n, dir) => dir.map(|d| format!("{d}/attempt-{n}")),
    };
    tx.execute(
        "INSERT INTO workflow_step_attempts (id, step_row_id, attempt, started_at, ended_at, outcome, error, log_dir)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![new_id(), row_id, next, started, ended, outcome, error, dir],
    )?;
    Ok(())
}
