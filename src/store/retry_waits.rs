//! `workflow_waits` of kind `retry`: a script, function or agent step whose tries ran out
//! with `retry.onExhausted: "wait"` is parked `waiting` for a person (who retries, skips or
//! fails it through the decisions of `store::waits`), and what a drive must know of such
//! steps before it replays them.

use rusqlite::TransactionBehavior;

use super::steps::StepRow;
use super::{now, Result, Store};
use crate::domain::WaitKind;

/// A retried step held by its retry wait, as a drive finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryHold {
    pub step_row_id: String,
    /// The person decided (the step is then `pending` to run again, `completed` skipped, or
    /// `failed`); else it still waits.
    pub resolved: bool,
}

impl RetryHold {
    /// Parks the running step `step_row_id`: `waiting`, with its last error, and its wait
    /// (`spec`: the title and description people see), in one transaction. The step as it is
    /// now, or None if it was not running. Fenced (run `run_id`'s lease checked first).
    pub async fn park(
        store: &Store,
        run_id: &str,
        step_row_id: &str,
        spec: &str,
        error: Option<&str>,
    ) -> Result<Option<StepRow>> {
        let ts = now();
        let fence = store.fence(run_id);
        if !store.is_lite() {
            return on_pg!(store, |pool| {
                let mut tx = pool.begin().await?;
                if !super::fence::holds_pg(&mut tx, run_id, &fence).await? {
                    return Err(store.refused(run_id, &fence));
                }
                let step: Option<StepRow> = sqlx::query_as(
                    "UPDATE workflow_run_steps SET status = 'waiting', error_message = $1, updated_at = $2
                      WHERE id = $3 AND status = 'running' RETURNING *",
                )
                .bind(error)
                .bind(&ts)
                .bind(step_row_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(step) = &step {
                    sqlx::query(
                        "INSERT INTO workflow_waits (step_row_id, workflow_run_id, kind, spec, created_at)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (step_row_id) DO UPDATE SET kind = excluded.kind, spec = excluded.spec,
                             signal_name = NULL, deadline = NULL, created_at = excluded.created_at, resolved_at = NULL",
                    )
                    .bind(&step.id)
                    .bind(&step.workflow_run_id)
                    .bind(WaitKind::Retry)
                    .bind(spec)
                    .bind(&ts)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(step)
            });
        }
        let parked = store.write_now(|db| {
            let tx = rusqlite::Transaction::new_unchecked(db, TransactionBehavior::Immediate)?;
            if !super::fence::holds_lite(&tx, run_id, &fence)? {
                return Ok(None);
            }
            let step = {
                let mut update = tx.prepare_cached(
                    "UPDATE workflow_run_steps SET status = 'waiting', error_message = ?1, updated_at = ?2
                      WHERE id = ?3 AND status = 'running' RETURNING *",
                )?;
                let mut rows = update.query(rusqlite::params![error, ts, step_row_id])?;
                let step = rows.next()?.map(StepRow::from_direct).transpose()?;
                while rows.next()?.is_some() {}
                step
            };
            if let Some(step) = &step {
                tx.execute(
                    "INSERT INTO workflow_waits (step_row_id, workflow_run_id, kind, spec, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (step_row_id) DO UPDATE SET kind = excluded.kind, spec = excluded.spec,
                         signal_name = NULL, deadline = NULL, created_at = excluded.created_at, resolved_at = NULL",
                    rusqlite::params![step.id, step.workflow_run_id, WaitKind::Retry, spec, ts],
                )?;
            }
            tx.commit()?;
            Ok(Some(step))
        })?;
        parked.ok_or_else(|| store.refused(run_id, &fence))
    }

    /// The steps of run `run_id` that a retry wait holds or held.
    pub async fn for_run(store: &Store, run_id: &str) -> Result<Vec<RetryHold>> {
        let rows: Vec<(String, bool)> = on_db!(store, "SELECT step_row_id, resolved_at IS NOT NULL FROM workflow_waits WHERE workflow_run_id = ? AND kind = 'retry'", |pool, sql| sqlx::query_as(sql)
        .bind(run_id)
        .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(step_row_id, resolved)| RetryHold { step_row_id, resolved })
            .collect())
    }
}
