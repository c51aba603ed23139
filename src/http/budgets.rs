//! `POST /api/workflow-executions/{id}/budget`: set or raise a run's spending limits; a run a
//! limit stopped (`waiting`, `budget_stop`) continues, its stopped agent resuming its session.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::run_view::Run;
use super::{access, AppState};
use crate::definition::budget::Budget;
use crate::engine::budget::{self, BudgetError};

/// A budget as a body gives it: `{usd?, tokens?, duration?}`; a 400 names the field.
pub fn budget_body(v: &Value) -> Result<Budget, ApiError> {
    Budget::from_json(v).map_err(|(_, e)| ApiError::bad("invalid_body", format!("budget: {e}")))
}

/// The limits to set: those given replace the run's, the others stay.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)] // The body is read as JSON by `Budget::from_json`; this is its schema.
pub struct RaiseBudget {
    /// Most US dollars the run's agents may spend in all.
    usd: Option<f64>,
    /// Most input + output tokens.
    tokens: Option<u64>,
    /// Most wall time since the run first started: milliseconds, or text like "30m".
    #[schema(value_type = Option<String>)]
    duration: Option<Value>,
}

/// `POST /api/workflow-executions/{id}/budget`
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/budget",
    tag = "workflow-executions",
    summary = "Set or raise a run's budget",
    description = "Sets the limits given (the others are kept). A run a limit stopped (`status` \
        `waiting` with `budget_stop`) continues: the step that was stopped runs again and its agent \
        resumes its session. A run stopped by a step's own `maxCostUsd`/`maxTokens` continues with \
        an empty body `{}`: the step gets the same allowance again.",
    params(("id" = String, Path, description = "The run's id.")),
    request_body = RaiseBudget,
    responses(
        (status = 200, description = "The run with its new budget; one a limit stopped has no `budget_stop` any \
            more and is woken at once (the server's waker drives it again).", body = Data<Run>),
        (status = 400, description = "A limit that is not a positive number, or an unknown key (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 409, description = "The run has ended, or the new budget is still reached by what was spent.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn raise_budget(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Data<Run>>, ApiError> {
    let store = state.engine.store();
    let (run, _) = access::run(store, &user, &id).await?;
    let raise = budget_body(&body)?;
    let row = state.engine.raise_budget(&run.id, raise).await.map_err(|e| match e {
        BudgetError::NotFound(id) => ApiError::not_found(format!("workflow execution {id}")),
        BudgetError::Ended(status) => ApiError::Conflict {
            message: format!("the run is {status}: its budget cannot change any more"),
            current_status: Some(status),
        },
        BudgetError::StillExceeded(message) => ApiError::Conflict {
            message,
            current_status: Some(run.status),
        },
        BudgetError::Store(e) => e.into(),
    })?;
    let mut view = Run::from(&row);
    view.spend = budget::spend(&state.engine, &row).await?;
    Ok(ok(view))
}
