//! `agent_sessions`: an agent CLI's session, linked from the step that ran it.

use serde::Serialize;
use sqlx::FromRow;

use super::{Result, Store};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct AgentSessionRow {
    pub id: String,
    pub agent: String,
    pub session_id: Option<String>,
    pub model: Option<String>,
    pub session_file_path: Option<String>,
    pub cost_usd: Option<f64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl AgentSessionRow {
    pub async fn get(store: &Store, id: &str) -> Result<Option<AgentSessionRow>> {
        Ok(sqlx::query_as("SELECT * FROM agent_sessions WHERE id = ?")
            .bind(id)
            .fetch_optional(&store.pool)
            .await?)
    }
}
