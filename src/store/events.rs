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
    /// Appends events in order, a few hundred per statement (one round trip each).
    pub async fn insert_batch(store: &Store, events: &[Event]) -> Result<()> {
        let ts = now();
        for chunk in events.chunks(200) {
            let mut sql =
                String::from("INSERT INTO workflow_events (project_id, execution_id, type, data, created_at) VALUES ");
            for i in 0..chunk.len() {
                sql.push_str(if i == 0 { "(?, ?, ?, ?, ?)" } else { ", (?, ?, ?, ?, ?)" });
            }
            let mut query = sqlx::query(&sql);
            for event in chunk {
                let value = serde_json::to_value(event).expect("events serialise");
                query = query
                    .bind(event.project_id().to_string())
                    .bind(event.execution_id().to_string())
                    .bind(value["type"].as_str().unwrap_or_default().to_string())
                    .bind(value["data"].to_string())
                    .bind(ts.clone());
            }
            query.execute(&store.pool).await?;
        }
        Ok(())
    }

    /// Events after `seq`, oldest first, at most `limit`.
    pub async fn after(store: &Store, seq: i64, limit: i64) -> Result<Vec<EventRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM workflow_events WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(seq)
                .bind(limit)
                .fetch_all(&store.read)
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
