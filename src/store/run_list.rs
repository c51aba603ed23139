//! The board's run list: a page of `workflow_runs` under the filters the caller gives, and
//! the comment and artifact counts shown on each card.

use sqlx::FromRow;

use super::runs::RunRow;
use super::{Result, Store};
use crate::domain::RunStatus;

/// Which runs `RunRow::list` returns, newest first; a field left `None` does not filter.
#[derive(Debug, Clone, Copy)]
pub struct RunFilter<'a> {
    pub project_id: Option<&'a str>,
    /// Only runs of the projects this user owns or is a member of; `None` for every project
    /// (an admin, or a `project_id` whose access the caller has checked).
    pub visible_to: Option<&'a str>,
    pub status: Option<RunStatus>,
    pub workflow_definition_id: Option<&'a str>,
    /// Only runs older than this run id (the previous page's last run).
    pub before: Option<&'a str>,
    /// Most runs returned.
    pub limit: i64,
}

/// How many comments and artifacts a run has.
#[derive(Debug, Clone, FromRow)]
pub struct RunCounts {
    pub run_id: String,
    pub comments: i64,
    pub artifacts: i64,
}

impl RunRow {
    /// One page of runs, newest first. Only the filters given become SQL, so that SQLite can
    /// walk the index that fits (`workflow_runs_project_id` for the board's `project_id`
    /// query) instead of scanning every run for the rows of a project whose runs are old.
    pub async fn list(store: &Store, filter: &RunFilter<'_>) -> Result<Vec<RunRow>> {
        let mut sql = sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT r.* FROM workflow_runs r WHERE 1 = 1");
        if let Some(p) = filter.project_id {
            sql.push(" AND r.project_id = ").push_bind(p);
        }
        if let Some(user) = filter.visible_to {
            sql.push(" AND r.project_id IN (SELECT id FROM projects WHERE owner_id = ")
                .push_bind(user)
                .push(" UNION SELECT project_id FROM project_members WHERE user_id = ")
                .push_bind(user)
                .push(")");
        }
        if let Some(s) = filter.status {
            sql.push(" AND r.status = ").push_bind(s);
        }
        if let Some(d) = filter.workflow_definition_id {
            sql.push(" AND r.workflow_definition_id = ").push_bind(d);
        }
        if let Some(c) = filter.before {
            sql.push(" AND r.id < ").push_bind(c);
        }
        sql.push(" ORDER BY r.id DESC LIMIT ").push_bind(filter.limit);
        Ok(sql.build_query_as().fetch_all(&store.read).await?)
    }

    /// The comment and artifact counts of these runs, in one query.
    pub async fn counts(store: &Store, run_ids: &[&str]) -> Result<Vec<RunCounts>> {
        Ok(sqlx::query_as(
            "SELECT r.value AS run_id,
                (SELECT COUNT(*) FROM workflow_comments c WHERE c.workflow_run_id = r.value) AS comments,
                (SELECT COUNT(*) FROM workflow_artifacts a JOIN workflow_run_steps s ON s.id = a.workflow_run_step_id
                  WHERE s.workflow_run_id = r.value) AS artifacts
             FROM json_each(?) r",
        )
        .bind(serde_json::to_string(run_ids).expect("ids serialise"))
        .fetch_all(&store.read)
        .await?)
    }
}
