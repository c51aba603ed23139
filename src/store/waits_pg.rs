//! `waits` on PostgreSQL: the same transactions as SQLite's (`waits.rs`, on its hot
//! connection), through sqlx. Each resolution still changes a step only while it is
//! `waiting` (`UPDATE … WHERE status = 'waiting'`, which PostgreSQL re-checks after a
//! concurrent writer commits), so of two decisions on two nodes exactly one wins.
//!
//! A signal wait beginning and a signal sent to its run meet on no common row until both
//! have written: under READ COMMITTED each would read before the other commits (the wait
//! finds no signal, the signal no waiting step) and the signal would be lost. Both take
//! the run's signal lock first (`lock_signals`, its own statement, so that what they read
//! after it is what the other committed), as SQLite's one writer makes them take turns.

use sqlx::{PgConnection, PgPool};

use super::dialect::pg;
use super::fence::Fence;
use super::steps::{StepRow, StepStart};
use super::waits::{Began, NewWait, OpenGate, PendingWait, Resolution, Resolved, Sent, SignalRow, WaitRow};
use super::{Result, StoreError};

pub(super) const WAIT_STEP: &str = concat!(
    "INSERT INTO workflow_run_steps
         (id, workflow_run_id, step_id, step_index, name, phase, type, status,
          continue_on_error, log_directory_path, started_at, created_at, updated_at)
     SELECT ?1, ?2, ?3,
            (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ?2),
            ?4, ?5, ?6, 'waiting', ?7, ?8, ?9, ?9, ?9
      WHERE ",
    super::fence::fence_sql!("?2", "10", "11"),
    "
     ON CONFLICT (workflow_run_id, step_id) DO UPDATE SET
         name = excluded.name, phase = excluded.phase, type = excluded.type,
         status = 'waiting', attempt = workflow_run_steps.attempt + 1, result = NULL, error_message = NULL,
         continue_on_error = excluded.continue_on_error, started_at = excluded.started_at,
         completed_at = NULL, updated_at = excluded.updated_at
     RETURNING *"
);

pub(super) const UPSERT_WAIT: &str =
    "INSERT INTO workflow_waits (step_row_id, workflow_run_id, kind, spec, signal_name, deadline, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (step_row_id) DO UPDATE SET kind = excluded.kind, spec = excluded.spec,
         signal_name = excluded.signal_name, deadline = excluded.deadline,
         created_at = excluded.created_at, resolved_at = NULL";

/// The first part of the two-key advisory locks this module takes ("WFSG"; the two-key
/// space is not the one-key space of the journal's and the step index's locks).
const SIGNALS_LOCK: i32 = 0x5746_5347;

/// Takes `run_id`'s signal lock until the transaction ends: the signals sent to the run
/// and its signal waits beginning take turns. Before any statement that must see what the
/// one before it committed (a statement's snapshot is taken when it starts).
async fn lock_signals(tx: &mut PgConnection, run_id: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(SIGNALS_LOCK)
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

const OLDEST_SIGNAL: &str = "SELECT * FROM workflow_signals
     WHERE workflow_run_id = ?1 AND name = ?2 AND consumed_by IS NULL
     ORDER BY created_at, id LIMIT 1";

#[allow(clippy::too_many_arguments)]
pub(super) async fn begin_wait(
    pool: &PgPool,
    s: StepStart<'_>,
    wait: NewWait<'_>,
    at_once: impl FnOnce(&StepRow, Option<&SignalRow>) -> Option<Resolution>,
    id: &str,
    ts: &str,
    fence: &Fence,
) -> Result<Began> {
    let mut tx = pool.begin().await?;
    if wait.signal_name.is_some() {
        lock_signals(&mut tx, s.run_id).await?;
    }
    let step: Option<StepRow> = sqlx::query_as(&pg(WAIT_STEP))
        .bind(id)
        .bind(s.run_id)
        .bind(s.step_id)
        .bind(s.name)
        .bind(s.phase)
        .bind(s.kind)
        .bind(wait.continue_on_error)
        .bind(s.log_dir)
        .bind(ts)
        .bind(&fence.owner)
        .bind(fence.version)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(step) = step else {
        return Err(StoreError::Fenced(s.run_id.to_string()));
    };
    sqlx::query(&pg(UPSERT_WAIT))
        .bind(&step.id)
        .bind(s.run_id)
        .bind(wait.kind)
        .bind(wait.spec)
        .bind(wait.signal_name)
        .bind(wait.deadline)
        .bind(ts)
        .execute(&mut *tx)
        .await?;
    let waiting_signal: Option<SignalRow> = match wait.signal_name {
        Some(name) => {
            sqlx::query_as(&pg(OLDEST_SIGNAL))
                .bind(s.run_id)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
        }
        None => None,
    };
    let began = match at_once(&step, waiting_signal.as_ref()) {
        Some(resolution) => {
            let step = resolve_in(&mut tx, &step.id, &resolution, ts, false)
                .await?
                .expect("the step was just made waiting");
            let signal = match waiting_signal {
                Some(signal) => {
                    consume(&mut tx, &step.id, &signal.id).await?;
                    Some(SignalRow {
                        consumed_by: Some(step.id.clone()),
                        ..signal
                    })
                }
                None => None,
            };
            Began::Resolved(step, signal)
        }
        None => Began::Waiting(step),
    };
    tx.commit().await?;
    Ok(began)
}

pub(super) async fn resolve(
    pool: &PgPool,
    step_row_id: &str,
    resolution: &Resolution,
    wake: bool,
    ts: &str,
) -> Result<Resolved> {
    let mut tx = pool.begin().await?;
    let resolved = match resolve_in(&mut tx, step_row_id, resolution, ts, wake).await? {
        Some(step) => Resolved::Now(step),
        None => Resolved::Already(
            sqlx::query_as("SELECT * FROM workflow_run_steps WHERE id = $1")
                .bind(step_row_id)
                .fetch_one(&mut *tx)
                .await?,
        ),
    };
    tx.commit().await?;
    Ok(resolved)
}

/// The waits (with their steps) that `filter` (a WHERE over `w` and `s`, `$1` bound to
/// `arg`) selects, in `order`.
async fn pending_where(pool: &PgPool, filter: &str, args: &[&str], tail: &str) -> Result<Vec<PendingWait>> {
    let sql = format!(
        "SELECT w.* FROM workflow_waits w JOIN workflow_run_steps s ON s.id = w.step_row_id WHERE {filter} {tail}"
    );
    let mut q = sqlx::query_as::<_, WaitRow>(&sql);
    for a in args {
        q = q.bind(*a);
    }
    let waits = q.fetch_all(pool).await?;
    with_steps(pool, waits).await
}

/// Each wait with its step.
async fn with_steps(pool: &PgPool, waits: Vec<WaitRow>) -> Result<Vec<PendingWait>> {
    if waits.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = waits.iter().map(|w| w.step_row_id.clone()).collect();
    let steps: Vec<StepRow> = sqlx::query_as("SELECT * FROM workflow_run_steps WHERE id = ANY($1)")
        .bind(&ids)
        .fetch_all(pool)
        .await?;
    let mut by_id: std::collections::HashMap<String, StepRow> = steps.into_iter().map(|s| (s.id.clone(), s)).collect();
    Ok(waits
        .into_iter()
        .filter_map(|wait| by_id.remove(&wait.step_row_id).map(|step| PendingWait { wait, step }))
        .collect())
}

pub(super) async fn due(pool: &PgPool, run_id: &str, at: &str) -> Result<Vec<PendingWait>> {
    pending_where(
        pool,
        "w.workflow_run_id = $1 AND s.status = 'waiting' AND w.deadline IS NOT NULL AND w.deadline <= $2",
        &[run_id, at],
        "",
    )
    .await
}

pub(super) async fn pending_for_runs(pool: &PgPool, run_ids: &[&str]) -> Result<Vec<PendingWait>> {
    let ids = serde_json::to_string(run_ids).expect("ids serialise");
    pending_where(
        pool,
        "w.workflow_run_id IN (SELECT value FROM json_array_elements_text(CAST($1 AS json))) AND s.status = 'waiting'",
        &[&ids],
        "ORDER BY w.created_at",
    )
    .await
}

pub(super) async fn pending_approvals(
    pool: &PgPool,
    project_ids: Option<&[String]>,
    limit: i64,
) -> Result<Vec<OpenGate>> {
    let ids = project_ids.map(|p| serde_json::to_string(p).expect("ids serialise"));
    let rows: Vec<GateNames> = sqlx::query_as(
        "SELECT w.step_row_id, r.name AS run_name, r.project_id, COALESCE(d.name, '') AS workflow_name
         FROM workflow_waits w
         JOIN workflow_run_steps s ON s.id = w.step_row_id
         JOIN workflow_runs r ON r.id = w.workflow_run_id
         LEFT JOIN workflow_definitions d ON d.id = r.workflow_definition_id
         WHERE w.resolved_at IS NULL AND w.kind IN ('approval', 'retry') AND s.status = 'waiting'
           AND r.status IN ('waiting', 'running', 'pending')
           AND ($1::text IS NULL OR r.project_id IN (SELECT value FROM json_array_elements_text(CAST($1 AS json))))
         ORDER BY w.created_at LIMIT $2",
    )
    .bind(ids)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.step_row_id.clone()).collect();
    let waits: Vec<WaitRow> = sqlx::query_as("SELECT * FROM workflow_waits WHERE step_row_id = ANY($1)")
        .bind(&ids)
        .fetch_all(pool)
        .await?;
    let mut pending: std::collections::HashMap<String, PendingWait> = with_steps(pool, waits)
        .await?
        .into_iter()
        .map(|p| (p.wait.step_row_id.clone(), p))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|names| {
            pending
                .remove(&names.step_row_id)
                .map(|PendingWait { wait, step }| OpenGate {
                    wait,
                    step,
                    run_name: names.run_name,
                    project_id: names.project_id,
                    workflow_name: names.workflow_name,
                })
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct GateNames {
    step_row_id: String,
    run_name: String,
    project_id: String,
    workflow_name: String,
}

pub(super) async fn for_steps(pool: &PgPool, step_row_ids: &[&str]) -> Result<Vec<WaitRow>> {
    let ids: Vec<String> = step_row_ids.iter().map(|s| s.to_string()).collect();
    Ok(
        sqlx::query_as("SELECT * FROM workflow_waits WHERE step_row_id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?,
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn send_signal(
    pool: &PgPool,
    run_id: &str,
    name: &str,
    payload: &str,
    idempotency_key: Option<&str>,
    created_by: Option<&str>,
    resolve: impl FnOnce(&StepRow, &SignalRow) -> Resolution,
    id: &str,
    ts: &str,
) -> Result<Sent> {
    let mut tx = pool.begin().await?;
    lock_signals(&mut tx, run_id).await?;
    let inserted = sqlx::query(
        "INSERT INTO workflow_signals (id, workflow_run_id, name, payload, idempotency_key, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workflow_run_id, idempotency_key) DO NOTHING",
    )
    .bind(id)
    .bind(run_id)
    .bind(name)
    .bind(payload)
    .bind(idempotency_key)
    .bind(created_by)
    .bind(ts)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        let signal: SignalRow =
            sqlx::query_as("SELECT * FROM workflow_signals WHERE workflow_run_id = $1 AND idempotency_key = $2")
                .bind(run_id)
                .bind(idempotency_key)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        return Ok(Sent {
            signal,
            duplicate: true,
            delivered_to: None,
        });
    }
    let mut signal: SignalRow = sqlx::query_as("SELECT * FROM workflow_signals WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    // The oldest step waiting for this name; locked, so that a second signal sent at once
    // on another node waits for this one and then finds the step no longer waiting.
    let waiting: Option<StepRow> = sqlx::query_as(
        "SELECT s.* FROM workflow_waits w JOIN workflow_run_steps s ON s.id = w.step_row_id
         WHERE w.workflow_run_id = $1 AND w.kind = 'signal' AND w.signal_name = $2 AND s.status = 'waiting'
         ORDER BY w.created_at LIMIT 1 FOR UPDATE OF s",
    )
    .bind(run_id)
    .bind(name)
    .fetch_optional(&mut *tx)
    .await?;
    let delivered_to = match waiting {
        Some(step) => {
            let resolution = resolve(&step, &signal);
            let step = resolve_in(&mut tx, &step.id, &resolution, ts, true).await?;
            if let Some(step) = &step {
                consume(&mut tx, &step.id, id).await?;
                signal.consumed_by = Some(step.id.clone());
            }
            step
        }
        None => None,
    };
    tx.commit().await?;
    Ok(Sent {
        signal,
        duplicate: false,
        delivered_to,
    })
}

async fn consume(tx: &mut PgConnection, step_row_id: &str, signal_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE workflow_signals SET consumed_by = $1 WHERE id = $2")
        .bind(step_row_id)
        .bind(signal_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// As SQLite's `resolve_in`: the step (only while waiting), its wait, its run's `wake_at`.
async fn resolve_in(
    tx: &mut PgConnection,
    step_row_id: &str,
    resolution: &Resolution,
    ts: &str,
    wake: bool,
) -> sqlx::Result<Option<StepRow>> {
    let step: Option<StepRow> = sqlx::query_as(
        "UPDATE workflow_run_steps SET status = $1, result = $2, error_message = $3, completed_at = $4,
             updated_at = $4
         WHERE id = $5 AND status = 'waiting' RETURNING *",
    )
    .bind(resolution.status)
    .bind(&resolution.result)
    .bind(&resolution.error)
    .bind(ts)
    .bind(step_row_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(step) = step else {
        return Ok(None);
    };
    sqlx::query("UPDATE workflow_waits SET resolved_at = $1 WHERE step_row_id = $2")
        .bind(ts)
        .bind(step_row_id)
        .execute(&mut *tx)
        .await?;
    if wake {
        sqlx::query(
            "UPDATE workflow_runs SET wake_at = CASE WHEN wake_at IS NOT NULL AND wake_at < $1 THEN wake_at ELSE $1 END,
                 updated_at = $1
             WHERE id = $2",
        )
        .bind(ts)
        .bind(&step.workflow_run_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(Some(step))
}
