//! A run's budget in `workflow_runs` (`budget`, `budget_stop`) and what its agents spent, summed
//! from `agent_sessions` (every session of every step row of the run, a step's retries and
//! restarts included).

use std::collections::HashMap;

use sqlx::FromRow;

use super::runs::RunRow;
use super::{now, Result, Store};

/// Dollars and tokens the sessions of a run reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, FromRow)]
pub struct SessionSpend {
    pub usd: f64,
    /// Input + output tokens (cache reads not counted).
    pub tokens: i64,
}

/// A run a limit stopped, as "needs you" lists it.
#[derive(Debug, Clone, FromRow)]
pub struct BudgetStopped {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub budget_stop: String,
    pub updated_at: String,
    pub workflow_name: String,
}

impl RunRow {
    /// What the run's agents spent so far, as their sessions reported it.
    pub async fn spend(store: &Store, id: &str) -> Result<SessionSpend> {
        let sql = "SELECT COALESCE(SUM(a.cost_usd), 0.0) AS usd,
                    CAST(COALESCE(SUM(COALESCE(a.input_tokens, 0) + COALESCE(a.output_tokens, 0)), 0) AS BIGINT) AS tokens
             FROM agent_sessions a
             WHERE a.id IN (SELECT id FROM agent_sessions WHERE step_row_id IN
                                (SELECT id FROM workflow_run_steps WHERE workflow_run_id = ?1))
                OR a.id IN (SELECT agent_session_id FROM workflow_run_steps
                             WHERE workflow_run_id = ?1 AND agent_session_id IS NOT NULL)";
        Ok(on_db!(store, sql, |pool, sql| sqlx::query_as(sql)
            .bind(id)
            .fetch_one(pool)
            .await)?)
    }

    /// What the agents of each of `ids` spent, for a page of runs; runs without sessions are
    /// left out.
    pub async fn spend_of_runs(store: &Store, ids: &[&str]) -> Result<HashMap<String, SessionSpend>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let sql = format!(
            "SELECT s.workflow_run_id AS run_id, COALESCE(SUM(a.cost_usd), 0.0) AS usd,
                    CAST(COALESCE(SUM(COALESCE(a.input_tokens, 0) + COALESCE(a.output_tokens, 0)), 0) AS BIGINT) AS tokens
             FROM agent_sessions a JOIN workflow_run_steps s
               ON s.id = a.step_row_id OR (a.step_row_id IS NULL AND s.agent_session_id = a.id)
             WHERE s.workflow_run_id IN ({marks})
             GROUP BY s.workflow_run_id"
        );
        let rows: Vec<(String, f64, i64)> = on_read!(store, sql, |pool, sql| {
            let mut q = sqlx::query_as::<_, (String, f64, i64)>(sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(run, usd, tokens)| (run, SessionSpend { usd, tokens }))
            .collect())
    }

    /// Sets the run's budget (JSON), whatever its status but ended.
    pub async fn set_budget(store: &Store, id: &str, budget: Option<&str>) -> Result<Option<RunRow>> {
        Ok(super::first_row(on_db!(
            store,
            "UPDATE workflow_runs SET budget = ?, updated_at = ?
                 WHERE id = ? AND status NOT IN ('completed', 'cancelled') RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(budget)
                .bind(now())
                .bind(id)
                .fetch_all(pool)
                .await
        )?))
    }

    /// A limit stopped the run: it is `waiting` for a person (`stop`, JSON, says why), its
    /// lease given up, and nothing wakes it until its budget is raised (`continue_budget`).
    pub async fn stop_for_budget(store: &Store, id: &str, stop: &str) -> Result<RunRow> {
        let fence = store.fence(id);
        let rows: Vec<RunRow> = on_db!(
            store,
            "UPDATE workflow_runs SET status = 'waiting', budget_stop = ?1, wake_at = NULL, lease_owner = NULL,
                 lease_expires_at = NULL, control_request = NULL, error_message = NULL, updated_at = ?2
             WHERE id = ?3 AND (?4 IS NULL OR (lease_owner = ?4 AND lease_version = ?5)) RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(stop)
                .bind(now())
                .bind(id)
                .bind(fence.owner.as_deref())
                .bind(fence.version)
                .fetch_all(pool)
                .await
        )?;
        match rows.into_iter().next() {
            Some(row) => Ok(row),
            None if fence.is_held() => Err(store.refused(id, &fence)),
            None => Err(sqlx::Error::RowNotFound.into()),
        }
    }

    /// A person raised the budget of a run a limit stopped: its new budget is recorded, the
    /// stop forgotten, and the run due to wake now. None when it is not stopped by its budget
    /// (any more).
    pub async fn continue_budget(store: &Store, id: &str, budget: Option<&str>) -> Result<Option<RunRow>> {
        let ts = now();
        Ok(super::first_row(on_db!(
            store,
            "UPDATE workflow_runs SET budget = ?1, budget_stop = NULL, wake_at = ?2, updated_at = ?2
                 WHERE id = ?3 AND status = 'waiting' AND budget_stop IS NOT NULL RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(budget)
                .bind(&ts)
                .bind(id)
                .fetch_all(pool)
                .await
        )?))
    }

    /// Runs a limit stopped, waiting for a person, oldest first, of these projects (all for
    /// None), each with its workflow's name.
    pub async fn budget_stopped(
        store: &Store,
        project_ids: Option<&[String]>,
        limit: i64,
    ) -> Result<Vec<BudgetStopped>> {
        let ids = project_ids.map(|p| serde_json::to_string(p).expect("ids serialise"));
        // SQLite is told its index (`INDEXED BY` is SQLite's; PostgreSQL's planner has
        // statistics).
        let indexed = if store.is_lite() {
            " INDEXED BY workflow_runs_budget_stopped"
        } else {
            ""
        };
        Ok(on_read!(
            store,
            &format!(
                "SELECT r.id, r.name, r.project_id, r.budget_stop, r.updated_at, COALESCE(d.name, '') AS workflow_name
             FROM workflow_runs r{indexed}
             LEFT JOIN workflow_definitions d ON d.id = r.workflow_definition_id
             WHERE r.status = 'waiting' AND r.budget_stop IS NOT NULL
               AND (?1 IS NULL OR r.project_id IN (SELECT value FROM json_each(?1)))
             ORDER BY r.updated_at LIMIT ?2"
            ),
            |pool, sql| sqlx::query_as(sql).bind(ids).bind(limit).fetch_all(pool).await
        )?)
    }

    /// Forgets why a limit stopped the run (it is driven again: resumed from the CLI).
    pub async fn clear_budget_stop(store: &Store, id: &str) -> Result<()> {
        on_db!(
            store,
            "UPDATE workflow_runs SET budget_stop = NULL WHERE id = ? AND budget_stop IS NOT NULL",
            |pool, sql| sqlx::query(sql).bind(id).execute(pool).await.map(|r| r.rows_affected())
        )?;
        Ok(())
    }
}
