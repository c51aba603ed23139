//! `/api/workflow-steps`: a step with its session, artifacts and comments, and its logs.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::auth::CurrentUser;
use super::error::ApiError;
use super::{access, AppState};
use crate::store::steps::StepRow;
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new().route("/workflow-steps/{id}", get(get_step))
}

/// The agent session linked from an agent step, or null.
pub async fn session_json(store: &Store, step: &StepRow) -> Result<Value, ApiError> {
    let Some(id) = &step.agent_session_id else {
        return Ok(Value::Null);
    };
    let row: Option<(
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<f64>,
        Option<i64>,
        Option<i64>,
    )> = sqlx::query_as(
        "SELECT id, agent, session_id, model, session_file_path, cost_usd, input_tokens, output_tokens
             FROM agent_sessions WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map_or(
        Value::Null,
        |(id, agent, session_id, model, path, cost, input, output)| {
            json!({ "id": id, "agent": agent, "session_id": session_id, "model": model, "session_file_path": path,
                "cost_usd": cost, "input_tokens": input, "output_tokens": output })
        },
    ))
}

/// `GET /api/workflow-steps/{id}`
pub async fn get_step(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let (step, _, _) = access::step(store, &user, &id).await?;
    let mut v = super::runs::step_json(&step);
    v["session"] = session_json(store, &step).await?;
    Ok(Json(json!({ "data": v })))
}
