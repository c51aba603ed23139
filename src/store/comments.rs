//! `workflow_comments`: notes on a run or a step, by users, the engine or agents.

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Dialect, Result, Store};
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
        let unfenced = super::fence::Fence::default();
        CommentRow::insert_under(store, &unfenced, run_id, step_row_id, text, comment_type, created_by).await
    }

    /// A comment the driver of a run posts (`ctx.comment`, its system notes): fenced, as
    /// its other writes (a person's comment is not).
    pub async fn insert_held(
        store: &Store,
        run_id: &str,
        step_row_id: Option<&str>,
        text: &str,
        comment_type: CommentType,
    ) -> Result<CommentRow> {
        let fence = store.fence(run_id);
        CommentRow::insert_under(store, &fence, run_id, step_row_id, text, comment_type, None).await
    }

    async fn insert_under(
        store: &Store,
        fence: &super::fence::Fence,
        run_id: &str,
        step_row_id: Option<&str>,
        text: &str,
        comment_type: CommentType,
        created_by: Option<&str>,
    ) -> Result<CommentRow> {
        let ts = now();
        let rows: Vec<CommentRow> = on_db!(
            store,
            concat!(
                "INSERT INTO workflow_comments
                     (id, workflow_run_id, workflow_run_step_id, text, comment_type, created_by, created_at, updated_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7 WHERE ",
                super::fence::fence_sql!("?2", "8", "9"),
                " RETURNING *"
            ),
            |pool, sql| sqlx::query_as(sql)
                .bind(new_id())
                .bind(run_id)
                .bind(step_row_id)
                .bind(text)
                .bind(comment_type)
                .bind(created_by)
                .bind(&ts)
                .bind(&fence.owner)
                .bind(fence.version)
                .fetch_all(pool)
                .await
        )?;
        match rows.into_iter().next() {
            Some(row) => Ok(row),
            None if fence.is_held() => Err(store.refused(run_id, fence)),
            None => Err(sqlx::Error::RowNotFound.into()),
        }
    }

    /// The node that took run `run_id` over says so: if the run was requeued because another
    /// node's lease ran out (`RunRow::requeue_expired` kept which and when), `text(node,
    /// at)` is posted as a system comment and that record cleared, in one transaction,
    /// fenced; None when there was nothing to say (or it was said already).
    pub async fn post_takeover(
        store: &Store,
        run_id: &str,
        text: impl FnOnce(&str, &str) -> String,
    ) -> Result<Option<CommentRow>> {
        let fence = store.fence(run_id);
        let ts = now();
        on_db!(store, |pool| {
            let mut tx = pool.begin().await?;
            let lapsed: Option<(String, Option<String>)> = sqlx::query_as(
                &pool.sql("SELECT lapsed_node, lapsed_at FROM workflow_runs WHERE id = ?1 AND lapsed_node IS NOT NULL"),
            )
            .bind(run_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((node, at)) = lapsed else {
                return Ok(None);
            };
            let cleared = sqlx::query(&pool.sql(concat!(
                "UPDATE workflow_runs SET lapsed_node = NULL, lapsed_at = NULL WHERE id = ?1 AND ",
                super::fence::fence_sql!("?1", "2", "3")
            )))
            .bind(run_id)
            .bind(&fence.owner)
            .bind(fence.version)
            .execute(&mut *tx)
            .await?;
            if cleared.rows_affected() == 0 {
                return Err(store.refused(run_id, &fence));
            }
            let row: CommentRow = sqlx::query_as(&pool.sql(
                "INSERT INTO workflow_comments
                     (id, workflow_run_id, workflow_run_step_id, text, comment_type, created_at, updated_at)
                 VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?5) RETURNING *",
            ))
            .bind(new_id())
            .bind(run_id)
            .bind(text(&node, at.as_deref().unwrap_or("an unknown time")))
            .bind(CommentType::System)
            .bind(&ts)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(row))
        })
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
