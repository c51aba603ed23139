//! `agent_sessions`: an agent CLI's session, linked from the step that ran it.

use serde::Serialize;
use sqlx::FromRow;

use super::fence::fence_sql;
use super::{new_id, now, Result, Store};
use crate::domain::{AgentKind, SessionStatus};

/// The agent CLI session behind an agent step.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = AgentSession)]
pub struct AgentSessionRow {
    pub id: String,
    pub agent: AgentKind,
    /// The CLI's own session (thread) id.
    pub session_id: Option<String>,
    pub model: Option<String>,
    /// The CLI's own transcript of the session (JSONL), where the CLI keeps it.
    pub session_file_path: Option<String>,
    pub cost_usd: Option<f64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub status: SessionStatus,
    /// Whether the CLI persisted the session, so that `--resume` can continue it.
    pub resumable: bool,
    pub cached_tokens: Option<i64>,
    pub num_turns: Option<i64>,
    /// How a failed session failed: `auth`, `rate_limit`, `overloaded`, `max_turns`,
    /// `timed_out`, `cancelled`, `crashed` or `error`.
    pub error_kind: Option<String>,
}

/// How a session ended, for [`AgentSessionRow::finish`].
#[derive(Debug)]
pub struct SessionEnd<'a> {
    pub status: SessionStatus,
    pub model: Option<&'a str>,
    pub session_file_path: Option<&'a str>,
    pub cost_usd: Option<f64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cached_tokens: Option<i64>,
    pub num_turns: Option<i64>,
    pub error_kind: Option<&'a str>,
}

impl AgentSessionRow {
    pub async fn get(store: &Store, id: &str) -> Result<Option<AgentSessionRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM agent_sessions WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?)
    }

    /// Records a session the moment its id is known and links it from the step, in one
    /// transaction. Fenced (run `run_id`'s lease checked first), as every write here.
    pub async fn start(
        store: &Store,
        run_id: &str,
        step_row_id: &str,
        agent: AgentKind,
        session_id: &str,
        model: Option<&str>,
        session_file_path: Option<&str>,
    ) -> Result<AgentSessionRow> {
        let ts = now();
        let fence = store.fence(run_id);
        // On the hot connection, in one transaction that never waits on the runtime: a
        // transaction held across awaits could keep the hot writers (which wait on this
        // thread) from SQLite's write lock.
        if !store.is_lite() {
            return on_pg!(store, |pool| {
                let mut tx = pool.begin().await?;
                if !super::fence::holds_pg(&mut tx, run_id, &fence).await? {
                    return Err(store.refused(run_id, &fence));
                }
                let row: AgentSessionRow = sqlx::query_as(
                    "INSERT INTO agent_sessions
                         (id, agent, session_id, model, session_file_path, created_at, updated_at, step_row_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING *",
                )
                .bind(new_id())
                .bind(agent)
                .bind(session_id)
                .bind(model)
                .bind(session_file_path)
                .bind(&ts)
                .bind(step_row_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("UPDATE workflow_run_steps SET agent_session_id = $1, updated_at = $2 WHERE id = $3")
                    .bind(&row.id)
                    .bind(&ts)
                    .bind(step_row_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row)
            });
        }
        let row = store.write_now(|db| {
            let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
            if !super::fence::holds_lite(&tx, run_id, &fence)? {
                return Ok(None);
            }
            let row = tx
                .prepare_cached(
                    "INSERT INTO agent_sessions
                         (id, agent, session_id, model, session_file_path, created_at, updated_at, step_row_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7) RETURNING *",
                )?
                .query_row(
                    rusqlite::params![new_id(), agent, session_id, model, session_file_path, ts, step_row_id],
                    AgentSessionRow::from_direct,
                )?;
            tx.prepare_cached("UPDATE workflow_run_steps SET agent_session_id = ?1, updated_at = ?2 WHERE id = ?3")?
                .execute(rusqlite::params![row.id, ts, step_row_id])?;
            tx.commit()?;
            Ok(Some(row))
        })?;
        row.ok_or_else(|| store.refused(run_id, &fence))
    }

    /// A row read by `Store::write_now`.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<AgentSessionRow> {
        Ok(AgentSessionRow {
            id: r.get("id")?,
            agent: r.get("agent")?,
            session_id: r.get("session_id")?,
            model: r.get("model")?,
            session_file_path: r.get("session_file_path")?,
            cost_usd: r.get("cost_usd")?,
            input_tokens: r.get("input_tokens")?,
            output_tokens: r.get("output_tokens")?,
            created_at: r.get("created_at")?,
            updated_at: r.get("updated_at")?,
            status: r.get("status")?,
            resumable: r.get("resumable")?,
            cached_tokens: r.get("cached_tokens")?,
            num_turns: r.get("num_turns")?,
            error_kind: r.get("error_kind")?,
        })
    }

    /// A session continued by `--resume` is running again.
    pub async fn reopen(store: &Store, run_id: &str, id: &str) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE agent_sessions SET status = 'running', error_kind = NULL, updated_at = ?1
                 WHERE id = ?2 AND ",
                fence_sql!("?3", "4", "5")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(now())
                .bind(id)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// The CLI has written the session: from now on it can be resumed.
    pub async fn mark_resumable(store: &Store, run_id: &str, id: &str, session_file_path: Option<&str>) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE agent_sessions SET resumable = TRUE,
                     session_file_path = COALESCE(?1, session_file_path), updated_at = ?2 WHERE id = ?3 AND ",
                fence_sql!("?4", "5", "6")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(session_file_path)
                .bind(now())
                .bind(id)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    /// Usage the CLI reported before its end (tokens so far, dollars if it says), so that
    /// the run's spend is current while the step runs.
    pub async fn record_usage(
        store: &Store,
        run_id: &str,
        id: &str,
        input_tokens: Option<i64>,
        output_tokens: Option<i64>,
        cost_usd: Option<f64>,
    ) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE agent_sessions SET input_tokens = COALESCE(?1, input_tokens),
                     output_tokens = COALESCE(?2, output_tokens), cost_usd = COALESCE(?3, cost_usd), updated_at = ?4
                 WHERE id = ?5 AND ",
                fence_sql!("?6", "7", "8")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(input_tokens)
                .bind(output_tokens)
                .bind(cost_usd)
                .bind(now())
                .bind(id)
                .bind(run_id)
                .bind(&fence.owner)
                .bind(fence.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        store.check_fence(run_id, &fence, changed).await
    }

    pub async fn finish(store: &Store, run_id: &str, id: &str, end: &SessionEnd<'_>) -> Result<()> {
        let fence = store.fence(run_id);
        let changed = on_db!(
            store,
            concat!(
                "UPDATE agent_sessions SET status = ?1, model = COALESCE(?2, model),
                     session_file_path = COALESCE(?3, session_file_path), cost_usd = ?4, input_tokens = ?5,
                     output_tokens = ?6, cached_tokens = ?7, num_turns = ?8, error_kind = ?9, updated_at = ?10
                 WHERE id = ?11 AND ",
                fence_sql!("?12", "13", "14")
            ),
            |pool, sql| sqlx::query(sql)
                .bind(end.status)
                .bind(end.model)
                .bind(end.session_file_path)
                .bind(end.cost_usd)
                .bind(end.input_tokens)
                .bind(end.output_tokens)
                .bind(end.cached_tokens)
                .bind(end.num_turns)
                .bind(end.error_kind)
                .bind(now())
                .bind(id)
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
