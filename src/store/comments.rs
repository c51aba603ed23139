//! `workflow_comments`: notes on a run or a step, by users, the engine or agents.

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};
use crate::domain::CommentType;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CommentRow {
    pub id: String,
    pub workflow_run_id: String,
    pub workflow_run_step_id: Option<String>,
    pub text: String,
    pub comment_type: CommentType,
    pub created_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Which comments `CommentRow::list` returns; a field left `None` does not filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommentFilter<'a> {
    pub run_id: Option<&'a str>,
    /// The step's row id.
    pub step_row_id: Option<&'a str>,
}

/// A comment with who wrote it (a user that was deleted, or none for the engine's: `None`).
#[derive(Debug, Clone, FromRow)]
pub struct CommentWithCreator {
    #[sqlx(flatten)]
    pub comment: CommentRow,
    pub creator_email: Option<String>,
    pub creator_name: Option<String>,
}

impl CommentRow {
    /// Writes a comment; `step_row_id` is the step's row id, not its workflow step id.
    pub async fn insert(
        store: &Store,
        run_id: &str,
        step_row_id: Option<&str>,
        text: &str,
        comment_type: CommentType,
        created_by: Option<&str>,
    ) -> Result<CommentRow> {
        let ts = now();
        let row = on_db!(
            store,
            "INSERT INTO workflow_comments
                 (id, workflow_run_id, workflow_run_step_id, text, comment_type, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(new_id())
                .bind(run_id)
                .bind(step_row_id)
                .bind(text)
                .bind(comment_type)
                .bind(created_by)
                .bind(&ts)
                .bind(&ts)
                .fetch_all(pool)
                .await
        )
        .map_err(super::StoreError::from)
        .and_then(super::only_row)?;
        Ok(row)
    }

    /// Comments of a run and/or a step, oldest first, each with its creator's email and name.
    pub async fn list(store: &Store, filter: &CommentFilter<'_>) -> Result<Vec<CommentWithCreator>> {
        Ok(on_read!(
            store,
            "SELECT c.*, u.email AS creator_email, u.name AS creator_name
             FROM workflow_comments c LEFT JOIN users u ON u.id = c.created_by
             WHERE (?1 IS NULL OR c.workflow_run_id = ?1) AND (?2 IS NULL OR c.workflow_run_step_id = ?2)
             ORDER BY c.created_at, c.id",
            |pool, sql| sqlx::query_as(sql)
                .bind(filter.run_id)
                .bind(filter.step_row_id)
                .fetch_all(pool)
                .await
        )?)
    }

    pub async fn list_for_run(store: &Store, run_id: &str) -> Result<Vec<CommentRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_comments WHERE workflow_run_id = ? ORDER BY created_at, id",
            |pool, sql| sqlx::query_as(sql).bind(run_id).fetch_all(pool).await
        )?)
    }
}
