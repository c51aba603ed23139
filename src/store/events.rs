//! `workflow_events`: the journal of every event, numbered by `seq`.

use serde::Serialize;
use sqlx::FromRow;

use super::{now, Result, Store};
use crate::events::Event;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub project_id: String,
    pub execution_id: Option<String>,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub data: String,
    pub created_at: String,
}

impl EventRow {
    pub async fn insert_batch(store: &Store, events: &[Event]) -> Result<()> {
        let ts = now();
        let mut tx = store.pool.begin().await?;
        for event in events {
            let value = serde_json::to_value(event).expect("events serialise");
            sqlx::query(
                "INSERT INTO workflow_events (project_id, execution_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(event.project_id())
            .bind(event.execution_id())
            .bind(value["type"].as_str())
            .bind(value["data"].to_string())
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Events after `seq`, oldest first, at most `limit`.
    pub async fn after(store: &Store, seq: i64, limit: i64) -> Result<Vec<EventRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM workflow_events WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(seq)
                .bind(limit)
                .fetch_all(&store.pool)
                .await?,
        )
    }

    pub async fn max_seq(store: &Store) -> Result<i64> {
        let row: (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM workflow_events")
            .fetch_one(&store.pool)
            .await?;
        Ok(row.0.unwrap_or(0))
    }
}
