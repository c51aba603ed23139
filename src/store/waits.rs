//! `workflow_waits` and `workflow_signals`: what a waiting step (approval, sleep, signal)
//! waits for, the signals sent to a run, and the transactions that resolve a wait.
//!
//! A wait is resolved by writing its step's result (`waiting` → `completed` or `failed`)
//! only while the step is still `waiting`, in the same transaction that marks the wait
//! resolved and sets the run's `wake_at` to now: of two decisions, or a decision and a
//! timeout, exactly one wins, and the run is driven again by whichever engine next looks at
//! runs whose `wake_at` has come (`RunRow::due_to_wake`), even after a crash.

use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::steps::{StepRow, StepStart};
use super::{new_id, now, Result, Store};
use crate::domain::{StepStatus, WaitKind};

/// What a waiting step waits for.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WaitRow {
    pub step_row_id: String,
    pub workflow_run_id: String,
    pub kind: WaitKind,
    /// An approval's title, description, approvers, form and onTimeout (JSON).
    pub spec: String,
    pub signal_name: Option<String>,
    /// A sleep's wake time, or when an approval or signal wait times out.
    pub deadline: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

/// A pending wait with its step and run, as the API lists them.
#[derive(Debug, Clone)]
pub struct PendingWait {
    pub wait: WaitRow,
    pub step: StepRow,
}

/// A gate waiting for a decision, with the names the "needs you" list shows.
#[derive(Debug, Clone)]
pub struct OpenGate {
    pub wait: WaitRow,
    pub step: StepRow,
    pub run_name: String,
    pub project_id: String,
    pub workflow_name: String,
}

/// A signal sent to a run.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SignalRow {
    pub id: String,
    pub workflow_run_id: String,
    pub name: String,
    pub payload: String,
    pub idempotency_key: Option<String>,
    pub consumed_by: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
}

/// How a wait ends: the step's status, its `StepResult` (JSON) and error.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub status: StepStatus,
    pub result: String,
    pub error: Option<String>,
}

/// What a new wait needs besides its step's start.
pub struct NewWait<'a> {
    pub kind: WaitKind,
    pub spec: &'a str,
    pub signal_name: Option<&'a str>,
    pub deadline: Option<&'a str>,
    pub continue_on_error: bool,
}

/// How `begin_wait` went.
#[derive(Debug)]
pub enum Began {
    /// The step waits.
    Waiting(StepRow),
    /// It was resolved as it began (a signal sent earlier was waiting for it, or a sleep
    /// of nothing): the step, and the signal it took.
    Resolved(StepRow, Option<SignalRow>),
}

/// How `resolve` went.
#[derive(Debug)]
pub enum Resolved {
    /// This call resolved it: the step as it is now.
    Now(StepRow),
    /// It was not waiting (decided before, or its run ended): the step as it is.
    Already(StepRow),
}

/// What `send_signal` did.
#[derive(Debug)]
pub struct Sent {
    pub signal: SignalRow,
    /// The idempotency key was used before: nothing new was recorded.
    pub duplicate: bool,
    /// The waiting step the signal resolved, if one waited for it.
    pub delivered_to: Option<StepRow>,
}

impl WaitRow {
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<WaitRow> {
        Ok(WaitRow {
            step_row_id: r.get("step_row_id")?,
            workflow_run_id: r.get("workflow_run_id")?,
            kind: r.get("kind")?,
            spec: r.get("spec")?,
            signal_name: r.get("signal_name")?,
            deadline: r.get("deadline")?,
            created_at: r.get("created_at")?,
            resolved_at: r.get("resolved_at")?,
        })
    }

    /// Records that a step waits: its row (`waiting`, the next index or its old one with the
    /// attempt counted) and its wait, in one transaction. A signal wait finds the oldest
    /// signal of its name that no step took yet, if there is one; `at_once` says whether the
    /// wait ends as it begins (given that signal), and how: then it is resolved (the signal
    /// taken) in the same transaction instead of waiting.
    pub async fn begin_wait(
        store: &Store,
        s: StepStart<'_>,
        wait: NewWait<'_>,
        at_once: impl FnOnce(&StepRow, Option<&SignalRow>) -> Option<Resolution>,
    ) -> Result<Began> {
        let ts = now();
        let id = new_id();
        let fence = store.fence(s.run_id);
        if !store.is_lite() {
            return on_pg!(store, |pool| super::waits_pg::begin_wait(
                pool, s, wait, at_once, &id, &ts, &fence
            )
            .await
            .map_err(|e| store.tell_fenced(e, &fence)));
        }
        store
            .write_now(|db| {
                let tx = rusqlite::Transaction::new_unchecked(db, TransactionBehavior::Immediate)?;
                let step = {
                    let mut insert = tx.prepare_cached(super::waits_pg::WAIT_STEP)?;
                    super::first_direct(
                        &mut insert,
                        rusqlite::params![
                            id,
                            s.run_id,
                            s.step_id,
                            s.name,
                            s.phase,
                            s.kind,
                            wait.continue_on_error,
                            s.log_dir,
                            ts,
                            fence.owner,
                            fence.version
                        ],
                        StepRow::from_direct,
                    )?
                };
                // Fenced: another engine took the run over; the transaction rolls back.
                let Some(step) = step else {
                    return Ok(None);
                };
                tx.execute(
                    super::waits_pg::UPSERT_WAIT,
                    rusqlite::params![
                        step.id,
                        s.run_id,
                        wait.kind,
                        wait.spec,
                        wait.signal_name,
                        wait.deadline,
                        ts
                    ],
                )?;
                let waiting_signal = match wait.signal_name {
                    Some(name) => tx
                        .query_row(
                            "SELECT * FROM workflow_signals
                         WHERE workflow_run_id = ?1 AND name = ?2 AND consumed_by IS NULL
                         ORDER BY created_at, id LIMIT 1",
                            rusqlite::params![s.run_id, name],
                            SignalRow::from_direct,
                        )
                        .optional()?,
                    None => None,
                };
                let began = match at_once(&step, waiting_signal.as_ref()) {
                    Some(resolution) => {
                        let step = resolve_in(&tx, &step.id, &resolution, &ts, false)?
                            .expect("the step was just made waiting");
                        let signal = match waiting_signal {
                            Some(signal) => {
                                tx.execute(
                                    "UPDATE workflow_signals SET consumed_by = ?1 WHERE id = ?2",
                                    rusqlite::params![step.id, signal.id],
                                )?;
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
                tx.commit()?;
                Ok(Some(began))
            })?
            .ok_or_else(|| store.refused(s.run_id, &fence))
    }

    /// Resolves the waiting step `step_row_id` with `resolution` (only if it still waits),
    /// marks its wait resolved and (`wake`) its run due to be driven again, in one
    /// transaction. The drive that reaches a wait and resolves it at once does not wake it.
    pub async fn resolve(store: &Store, step_row_id: &str, resolution: &Resolution, wake: bool) -> Result<Resolved> {
        let ts = now();
        if !store.is_lite() {
            return on_pg!(store, |pool| super::waits_pg::resolve(
                pool,
                step_row_id,
                resolution,
                wake,
                &ts
            )
            .await);
        }
        store.write_now(|db| {
            let tx = rusqlite::Transaction::new_unchecked(db, TransactionBehavior::Immediate)?;
            let resolved = match resolve_in(&tx, step_row_id, resolution, &ts, wake)? {
                Some(step) => Resolved::Now(step),
                None => Resolved::Already(tx.query_row(
                    "SELECT * FROM workflow_run_steps WHERE id = ?1",
                    [step_row_id],
                    StepRow::from_direct,
                )?),
            };
            tx.commit()?;
            Ok(resolved)
        })
    }

    /// The waits of a run's steps that still wait and whose deadline has passed.
    pub async fn due(store: &Store, run_id: &str, at: &str) -> Result<Vec<PendingWait>> {
        if !store.is_lite() {
            return on_pg!(store, |pool| super::waits_pg::due(pool, run_id, at).await);
        }
        store.write_now(|db| {
            let mut select = db.prepare_cached(
                "SELECT w.*, s.* FROM workflow_waits w JOIN workflow_run_steps s ON s.id = w.step_row_id
                 WHERE w.workflow_run_id = ?1 AND s.status = 'waiting' AND w.deadline IS NOT NULL AND w.deadline <= ?2",
            )?;
            let rows = select.query_map(rusqlite::params![run_id, at], pending_from_direct)?;
            rows.collect()
        })
    }

    /// The waits of these runs that still wait (with their steps), oldest first.
    pub async fn pending_for_runs(store: &Store, run_ids: &[&str]) -> Result<Vec<PendingWait>> {
        if run_ids.is_empty() {
            return Ok(Vec::new());
        }
        if !store.is_lite() {
            return on_pg!(store, |pool| super::waits_pg::pending_for_runs(pool, run_ids).await);
        }
        let ids = serde_json::to_string(run_ids).expect("ids serialise");
        store.write_now(|db| {
            let mut select = db.prepare_cached(
                "SELECT w.*, s.* FROM workflow_waits w JOIN workflow_run_steps s ON s.id = w.step_row_id
                 WHERE w.workflow_run_id IN (SELECT value FROM json_each(?1)) AND s.status = 'waiting'
                 ORDER BY w.created_at",
            )?;
            let rows = select.query_map([ids], pending_from_direct)?;
            rows.collect()
        })
    }

    /// The waits of these step rows (decided ones too), for the steps' views.
    pub async fn for_steps(store: &Store, step_row_ids: &[&str]) -> Result<Vec<WaitRow>> {
        if step_row_ids.is_empty() {
            return Ok(Vec::new());
        }
        if !store.is_lite() {
            return on_pg!(store, |pool| super::waits_pg::for_steps(pool, step_row_ids).await);
        }
        let ids = serde_json::to_string(step_row_ids).expect("ids serialise");
        store.write_now(|db| {
            let mut select = db.prepare_cached(
                "SELECT * FROM workflow_waits WHERE step_row_id IN (SELECT value FROM json_each(?1))",
            )?;
            let rows = select.query_map([ids], WaitRow::from_direct)?;
            rows.collect()
        })
    }

    /// Sends a signal to a run: recorded (once per idempotency key), and handed at once to
    /// the oldest step waiting for its name, if one waits (`resolve` says how).
    pub async fn send_signal(
        store: &Store,
        run_id: &str,
        name: &str,
        payload: &str,
        idempotency_key: Option<&str>,
        created_by: Option<&str>,
        resolve: impl FnOnce(&StepRow, &SignalRow) -> Resolution,
    ) -> Result<Sent> {
        let ts = now();
        let id = new_id();
        if !store.is_lite() {
            return on_pg!(store, |pool| {
                super::waits_pg::send_signal(
                    pool,
                    run_id,
                    name,
                    payload,
                    idempotency_key,
                    created_by,
                    resolve,
                    &id,
                    &ts,
                )
                .await
            });
        }
        store.write_now(|db| {
            let tx = rusqlite::Transaction::new_unchecked(db, TransactionBehavior::Immediate)?;
            let inserted = tx.execute(
                "INSERT INTO workflow_signals (id, workflow_run_id, name, payload, idempotency_key, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (workflow_run_id, idempotency_key) DO NOTHING",
                rusqlite::params![id, run_id, name, payload, idempotency_key, created_by, ts],
            )?;
            if inserted == 0 {
                let signal = tx.query_row(
                    "SELECT * FROM workflow_signals WHERE workflow_run_id = ?1 AND idempotency_key = ?2",
                    rusqlite::params![run_id, idempotency_key],
                    SignalRow::from_direct,
                )?;
                tx.commit()?;
                return Ok(Sent {
                    signal,
                    duplicate: true,
                    delivered_to: None,
                });
            }
            let mut signal = tx.query_row(
                "SELECT * FROM workflow_signals WHERE id = ?1",
                [&id],
                SignalRow::from_direct,
            )?;
            let waiting = tx
                .query_row(
                    "SELECT s.* FROM workflow_waits w JOIN workflow_run_steps s ON s.id = w.step_row_id
                     WHERE w.workflow_run_id = ?1 AND w.kind = 'signal' AND w.signal_name = ?2 AND s.status = 'waiting'
                     ORDER BY w.created_at LIMIT 1",
                    rusqlite::params![run_id, name],
                    StepRow::from_direct,
                )
                .optional()?;
            let delivered_to = match waiting {
                Some(step) => {
                    let resolution = resolve(&step, &signal);
                    let step = resolve_in(&tx, &step.id, &resolution, &ts, true)?;
                    if let Some(step) = &step {
                        tx.execute(
                            "UPDATE workflow_signals SET consumed_by = ?1 WHERE id = ?2",
                            rusqlite::params![step.id, id],
                        )?;
                        signal.consumed_by = Some(step.id.clone());
                    }
                    step
                }
                None => None,
            };
            tx.commit()?;
            Ok(Sent {
                signal,
                duplicate: false,
                delivered_to,
            })
        })
    }
}

impl SignalRow {
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<SignalRow> {
        Ok(SignalRow {
            id: r.get("id")?,
            workflow_run_id: r.get("workflow_run_id")?,
            name: r.get("name")?,
            payload: r.get("payload")?,
            idempotency_key: r.get("idempotency_key")?,
            consumed_by: r.get("consumed_by")?,
            created_by: r.get("created_by")?,
            created_at: r.get("created_at")?,
        })
    }
}

/// A `SELECT w.*, s.*` row: the wait's eight columns first, then the step's.
pub(super) fn pending_from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<PendingWait> {
    let wait = WaitRow {
        step_row_id: r.get(0)?,
        workflow_run_id: r.get(1)?,
        kind: r.get(2)?,
        spec: r.get(3)?,
        signal_name: r.get(4)?,
        deadline: r.get(5)?,
        created_at: r.get(6)?,
        resolved_at: r.get(7)?,
    };
    let step = StepRow::from_direct_at(r, 8)?;
    Ok(PendingWait { wait, step })
}

/// Resolves a waiting step inside `tx`: its row, its wait, its run's `wake_at`. None when
/// the step was not waiting.
fn resolve_in(
    tx: &rusqlite::Transaction<'_>,
    step_row_id: &str,
    resolution: &Resolution,
    ts: &str,
    wake: bool,
) -> rusqlite::Result<Option<StepRow>> {
    let step = {
        let mut update = tx.prepare_cached(
            "UPDATE workflow_run_steps SET status = ?1, result = ?2, error_message = ?3, completed_at = ?4,
                 updated_at = ?4
             WHERE id = ?5 AND status = 'waiting' RETURNING *",
        )?;
        let mut rows = update.query(rusqlite::params![
            resolution.status,
            resolution.result,
            resolution.error,
            ts,
            step_row_id
        ])?;
        let step = rows.next()?.map(StepRow::from_direct).transpose()?;
        while rows.next()?.is_some() {}
        step
    };
    let Some(step) = step else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE workflow_waits SET resolved_at = ?1 WHERE step_row_id = ?2",
        rusqlite::params![ts, step_row_id],
    )?;
    if !wake {
        return Ok(Some(step));
    }
    // Due now, unless it is already due earlier.
    tx.execute(
        "UPDATE workflow_runs SET wake_at = CASE WHEN wake_at IS NOT NULL AND wake_at < ?1 THEN wake_at ELSE ?1 END,
             updated_at = ?1
         WHERE id = ?2",
        rusqlite::params![ts, step.workflow_run_id],
    )?;
    Ok(Some(step))
}
