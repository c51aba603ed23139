//! The board's run list: a page of `workflow_runs` under the filters the caller gives (project,
//! visibility, status, definition, a search and a creation-time range, as SQL), and the
//! comment and artifact counts shown on each card. `board` groups the same filters by column.

use sqlx::FromRow;

use super::runs::RunRow;
use super::sql::Sql;
use super::{Result, Store};
use crate::domain::RunStatus;

/// Which runs `RunRow::list` returns, newest first; a field left `None` does not filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunFilter<'a> {
    pub project_id: Option<&'a str>,
    /// Only runs of the projects this user owns or is a member of; `None` for every project
    /// (an admin, or a `project_id` whose access the caller has checked).
    pub visible_to: Option<&'a str>,
    pub status: Option<RunStatus>,
    pub workflow_definition_id: Option<&'a str>,
    /// Runs whose name, id, argument values, error, or a step's name, key or error contain
    /// this text (case-insensitive for ASCII letters).
    pub q: Option<&'a str>,
    /// Only runs created at or after this time (RFC 3339, UTC, as `store::now` writes).
    pub created_after: Option<&'a str>,
    /// Only runs created before this time.
    pub created_before: Option<&'a str>,
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

/// `text` as a LIKE pattern that matches it anywhere, its wildcards escaped with `\`.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Appends ` AND ...` for each filter given (not `before` nor `limit`) to a query over
/// `workflow_runs r`.
pub(super) fn push_filters(sql: &mut Sql, filter: &RunFilter<'_>) {
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
    if let Some(after) = filter.created_after {
        sql.push(" AND r.created_at >= ").push_bind(after);
    }
    if let Some(before) = filter.created_before {
        sql.push(" AND r.created_at < ").push_bind(before);
    }
    if let Some(q) = filter.q.map(str::trim).filter(|q| !q.is_empty()) {
        let p = contains_pattern(q);
        let like = |sql: &mut Sql, column: &str| {
            sql.push(format!("{column} LIKE "))
                .push_bind(p.clone())
                .push(" ESCAPE '\\'");
        };
        sql.push(" AND (");
        like(sql, "r.name");
        sql.push(" OR ");
        like(sql, "r.id");
        sql.push(" OR ");
        like(sql, "r.error_message");
        // Argument values (not their keys), at any depth.
        if sql.is_pg() {
            sql.push(
                " OR EXISTS (SELECT 1 FROM jsonb_path_query(CAST(r.args AS jsonb), 'strict $.**') j(v) \
                 WHERE jsonb_typeof(j.v) NOT IN ('object', 'array') AND ",
            );
            like(sql, "(j.v #>> '{}')");
        } else {
            sql.push(
                " OR EXISTS (SELECT 1 FROM json_tree(CASE WHEN json_valid(r.args) THEN r.args ELSE '{}' END) j \
                 WHERE j.type NOT IN ('object', 'array') AND ",
            );
            like(sql, "CAST(j.atom AS TEXT)");
        }
        sql.push(") OR EXISTS (SELECT 1 FROM workflow_run_steps s WHERE s.workflow_run_id = r.id AND (");
        like(sql, "s.name");
        sql.push(" OR ");
        like(sql, "s.step_id");
        sql.push(" OR ");
        like(sql, "s.error_message");
        sql.push(")))");
    }
}

impl RunRow {
    /// One page of runs, newest first. Only the filters given become SQL, so that SQLite can
    /// walk the index that fits (`workflow_runs_project_id` for the board's `project_id`
    /// query) instead of scanning every run for the rows of a project whose runs are old.
    pub async fn list(store: &Store, filter: &RunFilter<'_>) -> Result<Vec<RunRow>> {
        let mut sql = Sql::new(store, "SELECT r.* FROM workflow_runs r WHERE 1 = 1");
        push_filters(&mut sql, filter);
        if let Some(c) = filter.before {
            sql.push(" AND r.id < ").push_bind(c);
        }
        sql.push(" ORDER BY r.id DESC LIMIT ").push_bind(filter.limit);
        sql.fetch_all(store).await
    }

    /// The comment and artifact counts of these runs, in one query.
    pub async fn counts(store: &Store, run_ids: &[&str]) -> Result<Vec<RunCounts>> {
        Ok(on_read!(
            store,
            "SELECT r.value AS run_id,
                (SELECT COUNT(*) FROM workflow_comments c WHERE c.workflow_run_id = r.value) AS comments,
                (SELECT COUNT(*) FROM workflow_artifacts a JOIN workflow_run_steps s ON s.id = a.workflow_run_step_id
                  WHERE s.workflow_run_id = r.value) AS artifacts
             FROM json_each(?) r",
            |pool, sql| sqlx::query_as(sql)
                .bind(serde_json::to_string(run_ids).expect("ids serialise"))
                .fetch_all(pool)
                .await
        )?)
    }

    /// Which of these runs are `pending` now (the queue's runs not cancelled meanwhile).
    pub async fn pending_among(store: &Store, run_ids: &[String]) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_read!(
            store,
            "SELECT r.id FROM workflow_runs r JOIN json_each(?) j ON j.value = r.id WHERE r.status = 'pending'",
            |pool, sql| sqlx::query_as(sql)
                .bind(serde_json::to_string(run_ids).expect("ids serialise"))
                .fetch_all(pool)
                .await
        )?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_search_escapes_like_wildcards() {
        assert_eq!(super::contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
