//! `workflow_step_attempts`: the tries of a retried step, one row each (a step that ran once
//! has none; the API shows its one try from the step's row).

use rusqlite::OptionalExtension;
use serde::Serialize;
use sqlx::FromRow;

use super::fence::fence_sql;
use super::steps::StepRow;
use super::{new_id, now, Dialect, Result, Store};
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
    /// the step's start; `log_dir` gives a try's log folder from its number. Fenced (the
    /// run's lease checked first in the transaction).
    pub async fn end_current(
        store: &Store,
        step: &StepRow,
        outcome: AttemptOutcome,
        error: Option<&str>,
        log_dir: impl Fn(i64) -> String,
    ) -> Result<i64> {
        let ts = now();
        let run_id = step.workflow_run_id.as_str();
        let fence = store.fence(run_id);
        if !store.is_lite() {
            return on_pg!(store, |pool| {
                let mut tx = pool.begin().await?;
                if !super::fence::holds_pg(&mut tx, run_id, &fence).await? {
                    return Err(store.refused(run_id, &fence));
                }
                let running: Option<(i64,)> =
                    sqlx::query_as(&pool.sql(
                        "SELECT attempt FROM workflow_step_attempts WHERE step_row_id = ?1 AND outcome = 'running'",
                    ))
                    .bind(&step.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let number = match running {
                    Some((n,)) => {
                        sqlx::query(&pool.sql(END_TRY))
                            .bind(outcome)
                            .bind(error)
                            .bind(&ts)
                            .bind(&step.id)
                            .bind(n)
                            .execute(&mut *tx)
                            .await?;
                        n
                    }
                    None => {
                        let (n,): (i64,) = sqlx::query_as(&pool.sql(NEXT_TRY))
                            .bind(&step.id)
                            .fetch_one(&mut *tx)
                            .await?;
                        let started = step.started_at.clone().unwrap_or_else(|| ts.clone());
                        sqlx::query(&pool.sql(INSERT_ENDED_TRY))
                            .bind(new_id())
                            .bind(&step.id)
                            .bind(n)
                            .bind(&started)
                            .bind(&ts)
                            .bind(outcome)
                            .bind(error)
                            .bind(log_dir(n))
                            .execute(&mut *tx)
                            .await?;
                        n
                    }
                };
                tx.commit().await?;
                Ok(number)
            });
        }
        let number = store.write_now(|db| {
            // IMMEDIATE: it reads before it writes (see `StepRow::begin`).
            let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
            if !super::fence::holds_lite(&tx, run_id, &fence)? {
                return Ok(None);
            }
            let running: Option<i64> = tx
                .query_row(
                    "SELECT attempt FROM workflow_step_attempts WHERE step_row_id = ?1 AND outcome = 'running'",
                    [&step.id],
                    |r| r.get(0),
                )
                .ok();
            let number = match running {
                Some(n) => {
                    tx.execute(END_TRY, rusqlite::params![outcome, error, ts, step.id, n])?;
                    n
                }
                None => {
                    let n: i64 = tx.query_row(NEXT_TRY, [&step.id], |r| r.get(0))?;
                    let started = step.started_at.clone().unwrap_or_else(|| ts.clone());
                    tx.execute(
                        INSERT_ENDED_TRY,
                        rusqlite::params![new_id(), step.id, n, started, ts, outcome, error, log_dir(n)],
                    )?;
                    n
                }
            };
            tx.commit()?;
            Ok(Some(number))
        })?;
        number.ok_or_else(|| store.refused(run_id, &fence))
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

    /// Records that try `attempt` of the step (of run `run_id`) started now. Fenced.
    pub async fn start(store: &Store, run_id: &str, step_row_id: &str, attempt: i64, log_dir: &str) -> Result<()> {
        const INSERT: &str = concat!(
            "INSERT INTO workflow_step_attempts (id, step_row_id, attempt, started_at, outcome, log_dir)
                 SELECT ?1, ?2, ?3, ?4, 'running', ?5 WHERE ",
            fence_sql!("?6", "7", "8")
        );
        // The step's `attempt` is the number of the try it is on, as its tries count them.
        const COUNT: &str = "UPDATE workflow_run_steps SET attempt = MAX(attempt, ?1) WHERE id = ?2";
        let ts = now();
        let fence = store.fence(run_id);
        if !store.is_lite() {
            return on_db!(store, |pool| {
                let mut tx = pool.begin().await?;
                let added = sqlx::query(&pool.sql(INSERT))
                    .bind(new_id())
                    .bind(step_row_id)
                    .bind(attempt)
                    .bind(&ts)
                    .bind(log_dir)
                    .bind(run_id)
                    .bind(&fence.owner)
                    .bind(fence.version)
                    .execute(&mut *tx)
                    .await?;
                if added.rows_affected() == 0 {
                    return Err(store.refused(run_id, &fence));
                }
                sqlx::query(&pool.sql(COUNT))
                    .bind(attempt)
                    .bind(step_row_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            });
        }
        let added = store.write_now(|db| {
            let tx = db.unchecked_transaction()?;
            let added = tx.execute(
                INSERT,
                rusqlite::params![
                    new_id(),
                    step_row_id,
                    attempt,
                    ts,
                    log_dir,
                    run_id,
                    fence.owner,
                    fence.version
                ],
            )?;
            tx.execute(COUNT, rusqlite::params![attempt, step_row_id])?;
            if added > 0 {
                tx.commit()?;
            }
            Ok(added)
        })?;
        if added == 0 {
            return Err(store.refused(run_id, &fence));
        }
        Ok(())
    }

    /// Ends the try still running, if one is (the last try of a retried step of run
    /// `run_id`). Fenced.
    pub async fn end_running(
        store: &Store,
        run_id: &str,
        step_row_id: &str,
        outcome: AttemptOutcome,
        error: Option<&str>,
    ) -> Result<()> {
        const END: &str = concat!(
            "UPDATE workflow_step_attempts SET outcome = ?1, error = ?2, ended_at = ?3
                  WHERE step_row_id = ?4 AND outcome = 'running' AND ",
            fence_sql!("?5", "6", "7")
        );
        let ts = now();
        let fence = store.fence(run_id);
        let ended = if !store.is_lite() {
            on_db!(store, END, |pool, sql| sqlx::query(sql)
                .bind(outcome)
                .bind(error)
                .bind(&ts)
                .bind(step_row_id)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()))?
        } else {
            store.write_now(|db| {
                db.execute(
                    END,
                    rusqlite::params![outcome, error, ts, step_row_id, run_id, fence.owner, fence.version],
                )
            })? as u64
        };
        store.check_fence(run_id, &fence, ended).await
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
        .query_row(EARLIER, [run_id, step_id], |r| {
            Ok(Earlier {
                row_id: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                started_at: r.get(3)?,
                completed_at: r.get(4)?,
                error_message: r.get(5)?,
                log_directory_path: r.get(6)?,
            })
        })
        .optional()?;
    let Some((earlier, started, outcome)) = earlier.and_then(|e| e.outcome(interrupted)) else {
        return Ok(());
    };
    let (described, next): (bool, i64) = tx.query_row(DESCRIBED, [&earlier.row_id, &started], |r| {
        Ok((r.get::<_, i64>(0)? != 0, r.get(1)?))
    })?;
    let ended = earlier.completed_at.clone().unwrap_or_else(now);
    if described {
        // A retried try a dead engine left `running` is over: the step begins again now. Left
        // open, the next try's end would be written to it too.
        tx.execute(
            CLOSE_OPEN_TRY,
            rusqlite::params![
                earlier.row_id,
                AttemptOutcome::Interrupted,
                ended,
                earlier.error_message
            ],
        )?;
        return Ok(());
    }
    tx.execute(
        INSERT_ENDED_TRY,
        rusqlite::params![
            new_id(),
            earlier.row_id,
            next,
            started,
            ended,
            outcome,
            earlier.error_message,
            earlier.log_dir(next)
        ],
    )?;
    Ok(())
}

/// `keep_earlier_try` on PostgreSQL, in the step's begin transaction.
pub(super) async fn keep_earlier_try_pg(
    tx: &mut sqlx::PgConnection,
    run_id: &str,
    step_id: &str,
    interrupted: fn(&str) -> bool,
) -> sqlx::Result<()> {
    use super::dialect::pg;
    let earlier: Option<Earlier> = sqlx::query_as(&pg(EARLIER))
        .bind(run_id)
        .bind(step_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((earlier, started, outcome)) = earlier.and_then(|e| e.outcome(interrupted)) else {
        return Ok(());
    };
    let (described, next): (bool, i64) = sqlx::query_as(&pg(DESCRIBED_PG))
        .bind(&earlier.row_id)
        .bind(&started)
        .fetch_one(&mut *tx)
        .await?;
    let ended = earlier.completed_at.clone().unwrap_or_else(now);
    if described {
        sqlx::query(&pg(CLOSE_OPEN_TRY))
            .bind(&earlier.row_id)
            .bind(AttemptOutcome::Interrupted)
            .bind(&ended)
            .bind(&earlier.error_message)
            .execute(&mut *tx)
            .await?;
        return Ok(());
    }
    sqlx::query(&pg(INSERT_ENDED_TRY))
        .bind(new_id())
        .bind(&earlier.row_id)
        .bind(next)
        .bind(&started)
        .bind(&ended)
        .bind(outcome)
        .bind(&earlier.error_message)
        .bind(earlier.log_dir(next))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The step row as it was before it runs again (`keep_earlier_try`).
#[derive(FromRow)]
struct Earlier {
    #[sqlx(rename = "id")]
    row_id: String,
    #[sqlx(rename = "type")]
    kind: StepKind,
    status: StepStatus,
    started_at: Option<String>,
    completed_at: Option<String>,
    error_message: Option<String>,
    log_directory_path: Option<String>,
}

impl Earlier {
    /// How its last try ended, if it is one to write down: (it, its start, the outcome).
    fn outcome(self, interrupted: fn(&str) -> bool) -> Option<(Earlier, String, AttemptOutcome)> {
        let started = self.started_at.clone()?;
        let outcome = match self.status {
            _ if self.kind.wait().is_some() => return None,
            StepStatus::Failed if self.error_message.as_deref().is_some_and(interrupted) => AttemptOutcome::Interrupted,
            StepStatus::Failed => AttemptOutcome::Failed,
            // Left running by an engine that stopped: it did not end by itself.
            StepStatus::Running => AttemptOutcome::Interrupted,
            _ => return None,
        };
        Some((self, started, outcome))
    }

    /// Its try `n`'s log folder: `logs/<step>` for try 1, `.../attempt-N` after.
    fn log_dir(&self, n: i64) -> Option<String> {
        match n {
            1 => self.log_directory_path.clone(),
            n => self.log_directory_path.as_ref().map(|d| format!("{d}/attempt-{n}")),
        }
    }
}

const EARLIER: &str = "SELECT id, type, status, started_at, completed_at, error_message, log_directory_path
   FROM workflow_run_steps WHERE workflow_run_id = ?1 AND step_id = ?2";
/// Whether a try row already describes the step's last try, and the next try's number.
const DESCRIBED: &str = "SELECT COALESCE(MAX(started_at >= ?2), 0), COALESCE(MAX(attempt), 0) + 1
   FROM workflow_step_attempts WHERE step_row_id = ?1";
const DESCRIBED_PG: &str = "SELECT COALESCE(bool_or(started_at >= ?2), FALSE), COALESCE(MAX(attempt), 0) + 1
   FROM workflow_step_attempts WHERE step_row_id = ?1";
const CLOSE_OPEN_TRY: &str =
    "UPDATE workflow_step_attempts SET outcome = ?2, ended_at = ?3, error = COALESCE(error, ?4)
  WHERE step_row_id = ?1 AND outcome = 'running'";
const INSERT_ENDED_TRY: &str = "INSERT INTO workflow_step_attempts
     (id, step_row_id, attempt, started_at, ended_at, outcome, error, log_dir)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const END_TRY: &str = "UPDATE workflow_step_attempts SET outcome = ?1, error = ?2, ended_at = ?3
  WHERE step_row_id = ?4 AND attempt = ?5";
const NEXT_TRY: &str = "SELECT COALESCE(MAX(attempt), 0) + 1 FROM workflow_step_attempts WHERE step_row_id = ?1";
