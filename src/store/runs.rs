//! `workflow_runs`: one row per run, its status the state machine of the spec.

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};
use crate::domain::{ControlRequest, RunStatus};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct RunRow {
    pub id: String,
    pub project_id: String,
    pub user_id: Option<String>,
    pub workflow_definition_id: String,
    pub name: String,
    pub args: String,
    pub current_phase: Option<String>,
    pub current_step_index: i64,
    pub status: RunStatus,
    pub error_message: Option<String>,
    pub timeout_ms: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<String>,
    pub control_request: Option<ControlRequest>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub paused_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// When an engine must look at this `waiting` run again (a timer, a timeout, or now:
    /// a wait was resolved).
    pub wake_at: Option<String>,
    /// The run's spending limits as JSON (`definition::budget::Budget`); None for none.
    pub budget: Option<String>,
    /// Why a limit stopped the run, as JSON (`engine::budget::BudgetStop`), while it waits for
    /// a person to raise its budget or cancel it.
    pub budget_stop: Option<String>,
    /// The run this one was started from (run again, rerun from a step); `store::reruns`.
    pub parent_run_id: Option<String>,
    /// The step id a rerun began running for real at; None for a run again.
    pub forked_from_step: Option<String>,
    /// Warnings recorded on the run (a JSON array of strings), e.g. that it was resumed
    /// with the workflow's current code.
    pub warnings: Option<String>,
    /// The run's concurrency key, rendered from its arguments when it was created
    /// (`definition::concurrency`); None for a run without one.
    pub concurrency_key: Option<String>,
    /// How many runs with `concurrency_key` may be `running` at once.
    pub concurrency_limit: Option<i64>,
    /// Grows by one at each claim: the fencing token of the driver's writes (`fence`).
    pub lease_version: i64,
    /// The engine (node) that last drove the run; its run folder is on that node.
    pub node_id: Option<String>,
    /// The node whose lease ran out when the run was requeued to be taken over, and when
    /// it ran out; cleared once the node that took it over said so (`post_takeover`).
    #[sqlx(default)]
    #[serde(skip)]
    pub lapsed_node: Option<String>,
    #[sqlx(default)]
    #[serde(skip)]
    pub lapsed_at: Option<String>,
}

/// What `runs` lists: a run with its definition's name and project path.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct RunSummary {
    pub id: String,
    pub name: String,
    pub status: RunStatus,
    pub current_phase: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub project_path: String,
    pub definition_name: String,
}

/// Which statuses a drive may take a run from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimFrom {
    /// A run the server queued (`pending`): a run queued twice is driven once.
    Queue,
    /// A run resumed directly (the CLI): queued, paused, failed, or left running by an
    /// engine that died.
    Resume,
}

/// The fields a new run starts with.
pub struct NewRun<'a> {
    pub project_id: &'a str,
    pub user_id: Option<&'a str>,
    pub definition_id: &'a str,
    pub name: &'a str,
    pub args: &'a serde_json::Value,
    pub first_phase: Option<&'a str>,
    pub timeout_ms: Option<u64>,
    /// The budget as JSON, if any.
    pub budget: Option<String>,
    /// The rendered concurrency key and its limit, if the definition has one.
    pub concurrency: Option<(String, i64)>,
    /// The process that drives the run itself (a terminal's `run` or `rerun`) and the end of
    /// its lease: the `pending` run is that process's from the start, so no server takes it
    /// while it waits for its concurrency key (`cli::key_wait` renews the lease). None for a
    /// run any engine may take.
    pub held_by: Option<(&'a str, &'a str)>,
}

impl RunRow {
    pub async fn create(store: &Store, new: NewRun<'_>) -> Result<RunRow> {
        let ts = now();
        on_db!(
            store,
            "INSERT INTO workflow_runs
                 (id, project_id, user_id, workflow_definition_id, name, args, current_phase,
                  current_step_index, status, timeout_ms, budget, created_at, updated_at,
                  concurrency_key, concurrency_limit, lease_owner, lease_expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'pending', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(new_id())
                .bind(new.project_id)
                .bind(new.user_id)
                .bind(new.definition_id)
                .bind(new.name)
                .bind(new.args.to_string())
                .bind(new.first_phase)
                .bind(new.timeout_ms.map(|t| t as i64))
                .bind(new.budget)
                .bind(&ts)
                .bind(&ts)
                .bind(new.concurrency.as_ref().map(|c| c.0.as_str()))
                .bind(new.concurrency.as_ref().map(|c| c.1))
                .bind(new.held_by.map(|h| h.0))
                .bind(new.held_by.map(|h| h.1))
                .fetch_all(pool)
                .await
        )
        .map_err(super::StoreError::from)
        .and_then(super::only_row)
    }

    pub async fn get(store: &Store, id: &str) -> Result<Option<RunRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_runs WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?)
    }

    /// Takes the run for this engine process: it becomes `running` under our lease. Fails
    /// (returns None) when the run is not in a status `from` takes, or leased by a live
    /// process, or its concurrency key already has its limit of runs `running` (counted in
    /// the same statement, serialised per key: `claims`); `dead_owner` takes over the lease
    /// of an owner known to have died.
    pub async fn claim(
        store: &Store,
        id: &str,
        from: ClaimFrom,
        owner: &str,
        lease_until: &str,
        dead_owner: Option<&str>,
    ) -> Result<Option<RunRow>> {
        let who = super::claims::Claimer {
            owner,
            node: owner,
            lease_until,
            cluster_max: None,
        };
        RunRow::claim_for(store, id, from, &who, dead_owner).await
    }

    /// Queues a paused or failed run to be driven again (`resume` on the server): it becomes
    /// `pending` until a slot takes it. None when the run is in any other status (already
    /// queued, running or ended), so a second resume cannot queue it twice.
    pub async fn queue_resume(store: &Store, id: &str) -> Result<Option<RunRow>> {
        let ts = now();
        Ok(super::first_row(on_db!(
            store,
            "UPDATE workflow_runs SET status = 'pending', error_message = NULL, control_request = NULL,
                     completed_at = NULL, updated_at = ?
                 WHERE id = ? AND status IN ('paused', 'failed') RETURNING *",
            |pool, sql| sqlx::query_as(sql).bind(&ts).bind(id).fetch_all(pool).await
        )?))
    }

    /// Queues again a run left `running` by an engine that died (`lease_owner` is the dead
    /// owner, or None for an unowned one): it is `pending` until a slot takes it, not shown
    /// as running while nothing drives it.
    pub async fn requeue_orphan(store: &Store, id: &str, lease_owner: Option<&str>) -> Result<Option<RunRow>> {
        Ok(super::first_row(on_db!(
            store,
            "UPDATE workflow_runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                     updated_at = ?
                 WHERE id = ? AND status = 'running' AND lease_owner IS ? RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(now())
                .bind(id)
                .bind(lease_owner)
                .fetch_all(pool)
                .await
        )?))
    }

    /// Records how the run ended (or that it paused) and gives up the lease. Fenced: while
    /// this process holds the run (`Store::hold`) it changes nothing once another engine took
    /// the run over, and fails with `StoreError::Fenced`.
    pub async fn finish(store: &Store, id: &str, status: RunStatus, error: Option<&str>) -> Result<RunRow> {
        let ts = now();
        let fence = store.fence(id);
        let rows: Vec<RunRow> = on_db!(
            store,
            "UPDATE workflow_runs SET status = ?1, error_message = ?2, lease_owner = NULL,
                 lease_expires_at = NULL, control_request = NULL,
                 completed_at = CASE WHEN ?1 IN ('completed', 'failed') THEN ?3 ELSE completed_at END,
                 paused_at = CASE WHEN ?1 = 'paused' THEN ?3 ELSE paused_at END,
                 cancelled_at = CASE WHEN ?1 = 'cancelled' THEN ?3 ELSE cancelled_at END,
                 updated_at = ?3
             WHERE id = ?4 AND (?5 IS NULL OR (lease_owner = ?5 AND lease_version = ?6)) RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(status)
                .bind(error)
                .bind(&ts)
                .bind(id)
                .bind(fence.owner.as_deref())
                .bind(fence.version)
                .fetch_all(pool)
                .await
        )?;
        fenced_row(store, id, rows)
    }

    /// Moves the run's card to `phase` (when a step of a new phase starts). Fenced.
    pub async fn set_phase(store: &Store, id: &str, phase: &str) -> Result<bool> {
        let fence = store.fence(id);
        let done = on_db!(
            store,
            "UPDATE workflow_runs SET current_phase = ?1, updated_at = ?2
             WHERE id = ?3 AND (current_phase IS NULL OR current_phase <> ?1)
               AND (?4 IS NULL OR (lease_owner = ?4 AND lease_version = ?5))",
            |pool, sql| sqlx::query(sql)
                .bind(phase)
                .bind(now())
                .bind(id)
                .bind(fence.owner.as_deref())
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(id, &fence, done).await?;
        Ok(done > 0)
    }

    /// Marks cancelled a run left `running` by an engine that died (`dead_owner`) or whose
    /// lease lapsed: nothing drives it to apply a cancel request. None when an engine took it
    /// over (or it ended) meanwhile, as `claim` would.
    pub async fn cancel_abandoned(store: &Store, id: &str, dead_owner: Option<&str>) -> Result<Option<RunRow>> {
        let ts = now();
        Ok(super::first_row(on_db!(
            store,
            "UPDATE workflow_runs SET status = 'cancelled', cancelled_at = ?, lease_owner = NULL,
                     lease_expires_at = NULL, control_request = NULL, updated_at = ?
                 WHERE id = ? AND status = 'running'
                   AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ?)
                 RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(&ts)
                .bind(&ts)
                .bind(id)
                .bind(dead_owner)
                .bind(&ts)
                .fetch_all(pool)
                .await
        )?))
    }

    /// The run once it has one of `statuses` (polled), or as it is when `max` has passed;
    /// None when there is no such run. How a process that steers a run sees it change.
    pub async fn wait_for_status(
        store: &Store,
        id: &str,
        statuses: &[RunStatus],
        max: std::time::Duration,
    ) -> Result<Option<RunRow>> {
        let deadline = tokio::time::Instant::now() + max;
        loop {
            let run = RunRow::get(store, id).await?;
            let done = run.as_ref().is_none_or(|r| statuses.contains(&r.status));
            if done || tokio::time::Instant::now() >= deadline {
                return Ok(run);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Newest runs first, across every project.
    pub async fn list_recent(store: &Store, limit: i64) -> Result<Vec<RunSummary>> {
        Ok(on_db!(
            store,
            "SELECT r.id, r.name, r.status, r.current_phase, r.created_at, r.started_at,
                    r.completed_at, p.path AS project_path, d.name AS definition_name
             FROM workflow_runs r
             JOIN projects p ON p.id = r.project_id
             JOIN workflow_definitions d ON d.id = r.workflow_definition_id
             ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
            |pool, sql| sqlx::query_as(sql).bind(limit).fetch_all(pool).await
        )?)
    }

    /// Asks whichever process drives the run to pause or cancel it. A request only overtakes
    /// a weaker one (pause < pause now < cancel): a pause asked after a cancel does not undo it.
    /// On PostgreSQL the driver is told at once (`Store::notify_control`); its poll of the
    /// row stays as the fallback.
    pub async fn request_control(store: &Store, id: &str, request: ControlRequest) -> Result<()> {
        let changed = on_db!(
            store,
            "UPDATE workflow_runs SET control_request = ?1 WHERE id = ?2 AND status = 'running'
                 AND (CASE control_request WHEN 'pause' THEN 1 WHEN 'pause_now' THEN 2 WHEN 'cancel' THEN 3 ELSE 0 END)
                   < (CASE ?1 WHEN 'pause' THEN 1 WHEN 'pause_now' THEN 2 WHEN 'cancel' THEN 3 ELSE 0 END)",
            |pool, sql| sqlx::query(sql)
                .bind(request)
                .bind(id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        if changed > 0 {
            store.notify_control(id).await;
        }
        Ok(())
    }

    /// A pause or cancel request for a run this process drives, if any.
    pub async fn control_request(store: &Store, id: &str) -> Result<Option<ControlRequest>> {
        let row: Option<(Option<ControlRequest>,)> = on_db!(
            store,
            "SELECT control_request FROM workflow_runs WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?;
        Ok(row.and_then(|r| r.0))
    }

    /// Marks a run that is not being driven (pending or paused) as cancelled.
    pub async fn cancel_idle(store: &Store, id: &str) -> Result<Option<RunRow>> {
        let ts = now();
        Ok(on_db!(
            store,
            "UPDATE workflow_runs SET status = 'cancelled', cancelled_at = ?, updated_at = ?,
                 lease_owner = NULL, lease_expires_at = NULL
             WHERE id = ? AND status IN ('pending', 'paused', 'waiting') RETURNING *",
            |pool, sql| sqlx::query_as(sql).bind(&ts).bind(&ts).bind(id).fetch_all(pool).await
        )
        .map(super::first_row)?)
    }

    /// Pauses a `waiting` run (nothing drives it): its waits stay, and a decision made
    /// meanwhile is delivered when it is resumed.
    pub async fn pause_waiting(store: &Store, id: &str) -> Result<Option<RunRow>> {
        let ts = now();
        Ok(on_db!(
            store,
            "UPDATE workflow_runs SET status = 'paused', paused_at = ?, lease_owner = NULL,
                 lease_expires_at = NULL, updated_at = ?
             WHERE id = ? AND status = 'waiting' RETURNING *",
            |pool, sql| sqlx::query_as(sql).bind(&ts).bind(&ts).bind(id).fetch_all(pool).await
        )
        .map(super::first_row)?)
    }

    /// The drive stopped at waits: the run is `waiting`, its lease given up, and due to be
    /// looked at again at its earliest deadline, or at once if one of its waits was
    /// resolved while it was driven (or none is left).
    pub async fn suspend(store: &Store, id: &str) -> Result<RunRow> {
        let ts = now();
        let fence = store.fence(id);
        let rows: Vec<RunRow> = on_db!(
            store,
            "UPDATE workflow_runs SET status = 'waiting', lease_owner = NULL, lease_expires_at = NULL,
                 control_request = NULL, updated_at = ?1,
                 wake_at = COALESCE(wake_at,
                     (SELECT MIN(w.deadline) FROM workflow_waits w JOIN workflow_run_steps s ON s.id = w.step_row_id
                       WHERE w.workflow_run_id = ?2 AND s.status = 'waiting'),
                     CASE WHEN NOT EXISTS (SELECT 1 FROM workflow_run_steps
                                            WHERE workflow_run_id = ?2 AND status = 'waiting') THEN ?1 END)
             WHERE id = ?2 AND (?3 IS NULL OR (lease_owner = ?3 AND lease_version = ?4)) RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(&ts)
                .bind(id)
                .bind(fence.owner.as_deref())
                .bind(fence.version)
                .fetch_all(pool)
                .await
        )?;
        fenced_row(store, id, rows)
    }

    /// Takes a `waiting` run whose time has come back to `pending`, for exactly one engine:
    /// None when it is not waiting any more, or a live process other than `owner` attends
    /// it (a terminal asking for the decision). `owner` (the attending process, with the end
    /// of its lease) keeps the `pending` run's lease until it claims it, so that no server
    /// takes the run in between; without one, any engine may take it.
    pub async fn wake(store: &Store, id: &str, owner: Option<(&str, &str)>) -> Result<Option<RunRow>> {
        let ts = now();
        Ok(super::first_row(on_db!(
            store,
            "UPDATE workflow_runs SET status = 'pending', wake_at = NULL, lease_owner = ?3,
                     lease_expires_at = ?4, updated_at = ?1
                 WHERE id = ?2 AND status = 'waiting'
                   AND (lease_owner IS NULL OR lease_owner = ?3 OR lease_expires_at < ?1)
                 RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(&ts)
                .bind(id)
                .bind(owner.map(|o| o.0))
                .bind(owner.map(|o| o.1))
                .fetch_all(pool)
                .await
        )?))
    }

    /// `waiting` runs whose `wake_at` has come and that no live process attends, earliest
    /// first, at most `limit`.
    pub async fn due_to_wake(store: &Store, limit: i64) -> Result<Vec<String>> {
        let ts = now();
        let rows: Vec<(String,)> = on_read!(
            store,
            "SELECT id FROM workflow_runs
             WHERE wake_at IS NOT NULL AND wake_at <= ?1 AND status = 'waiting'
               AND (lease_owner IS NULL OR lease_expires_at < ?1)
             ORDER BY wake_at LIMIT ?2",
            |pool, sql| sqlx::query_as(sql).bind(&ts).bind(limit).fetch_all(pool).await
        )?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The earliest `wake_at` of the waiting runs, if any.
    pub async fn next_wake(store: &Store) -> Result<Option<String>> {
        let row: (Option<String>,) = on_read!(
            store,
            "SELECT MIN(wake_at) FROM workflow_runs WHERE wake_at IS NOT NULL AND status = 'waiting'",
            |pool, sql| sqlx::query_as(sql).fetch_one(pool).await
        )?;
        Ok(row.0)
    }

    /// A process attends a `waiting` run (a terminal asking for its decision): while its
    /// lease lasts, no other engine wakes the run. False when another live process does.
    pub async fn attend(store: &Store, id: &str, owner: &str, lease_until: &str) -> Result<bool> {
        let ts = now();
        let done = on_db!(
            store,
            "UPDATE workflow_runs SET lease_owner = ?1, lease_expires_at = ?2
             WHERE id = ?3 AND status = 'waiting'
               AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_expires_at < ?4)",
            |pool, sql| sqlx::query(sql)
                .bind(owner)
                .bind(lease_until)
                .bind(id)
                .bind(&ts)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        Ok(done > 0)
    }

    /// Gives up attending a `waiting` run.
    pub async fn leave(store: &Store, id: &str, owner: &str) -> Result<()> {
        on_db!(
            store,
            "UPDATE workflow_runs SET lease_owner = NULL, lease_expires_at = NULL
             WHERE id = ? AND status = 'waiting' AND lease_owner = ?",
            |pool, sql| sqlx::query(sql)
                .bind(id)
                .bind(owner)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        Ok(())
    }
}

/// The one row a fenced update of run `id` returned; `Fenced` when it changed nothing
/// because another engine took the run over, `NotFound` when there is no such run.
fn fenced_row(store: &Store, id: &str, rows: Vec<RunRow>) -> Result<RunRow> {
    match rows.into_iter().next() {
        Some(row) => Ok(row),
        None if store.fence(id).is_held() => Err(store.refused(id, &store.fence(id))),
        None => Err(sqlx::Error::RowNotFound.into()),
    }
}
