//! `agent_sessions`: an agent CLI's session, linked from the step that ran it.

use serde::Serialize;
use sqlx::FromRow;

use super::{Result, Store};

/// The agent CLI session behind an agent step.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = AgentSession)]
pub struct AgentSessionRow {
    pub id: String,
    pub agent: String,
    pub session_id: Option<String>,
    pub model: Option<String>,
    pub session_file_path: Option<String>,
    pub cost_usd: Option<f64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
