//! Deciding gates and sending signals (`engine::waits`): `POST .../approvals/{step}`,
//! `POST .../signals/{name}`, and `GET /api/approvals`, the gates waiting for the caller
//! across every project they may see (the board's "needs you").

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::step_view::{attach_waits, Step};
use super::{access, AppState};
use crate::definition::step_rules::signal_name_problem;
use crate::engine::waits::{ApprovalSpec, Decider, Decision, DecisionInput, WaitError};
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;
use crate::store::waits::WaitRow;

/// The most text a decision's comment may have.
const MAX_COMMENT_BYTES: usize = 64 * 1024;
/// The most gates `GET /api/approvals` lists.
const MAX_APPROVALS: i64 = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(decide))
        .routes(routes!(send_signal))
        .routes(routes!(list_approvals))
}

/// A decision at an approval gate, or at a step whose tries ran out (a retry wait).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// At a gate: `approve`, `reject` or `request_changes`. At a retry wait: `retry` (run the
    /// step again with fresh tries), `skip` (it completes with `value` as its data) or `fail`.
    decision: Decision,
    /// A skip's value: the skipped step's data (any JSON; null when left out).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    value: Option<Value>,
    /// Why; becomes a comment on the gate. Asked for when requesting changes.
    #[serde(default)]
    comment: Option<String>,
    /// The gate's form, filled in (checked against its JSON Schema).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    input: Option<Value>,
}

/// `POST /api/workflow-executions/{id}/approvals/{step}`
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/approvals/{step}",
    tag = "workflow-executions",
    summary = "Decide an approval gate or a step whose tries ran out",
    description = "Approves, rejects or requests changes at the gate `step` (its id in the workflow, \
        e.g. `approve-plan`, or its row id). Exactly one decision is recorded; the run then goes on \
        (a rejection fails it unless the gate has `continueOnError`). The comment becomes a comment \
        on the gate. At a step waiting because its retries ran out (`retry.onExhausted: \"wait\"`): \
        `retry` runs it again with fresh tries, `skip` completes it with `value` as its data, `fail` \
        fails it.",
    params(
        ("id" = String, Path, description = "The run's id."),
        ("step" = String, Path, description = "The gate's step id or row id."),
    ),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "The decided gate.", body = Data<Step>),
        (status = 400, description = "A bad body (`invalid_body`) or an input that does not match the gate's form (`invalid_input`, each problem naming its field).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "The caller is not among the gate's approvers (`forbidden`).", body = ErrorBody),
        (status = 404, description = "No such run the caller may see, or no such gate in it.", body = ErrorBody),
        (status = 409, description = "The gate is not waiting: decided already (the message says by whom), or the run has ended (`invalid_state`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, step)): Path<(String, String)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<Data<Step>>, ApiError> {
    let store = state.engine.store();
    access::run(store, &user, &id).await?;
    let comment = body.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.len() > MAX_COMMENT_BYTES) {
        return Err(ApiError::bad(
            "invalid_body",
            format!("comment: longer than {MAX_COMMENT_BYTES} bytes"),
        ));
    }
    if body.decision == Decision::RequestChanges && comment.is_none() {
        return Err(ApiError::bad(
            "invalid_body",
            "comment: say what should change when requesting changes",
        ));
    }
    let decider = decider(&user);
    let input = DecisionInput {
        decision: body.decision,
        comment,
        input: body.input,
        value: body.value,
    };
    let decided = state
        .engine
        .decide(&id, &step, &decider, input)
        .await
        .map_err(wait_error)?;
    let mut view = Step::from(&decided);
    attach_waits(store, &mut [&mut view], Some(&user.0.email)).await?;
    Ok(ok(view))
}

/// A signal sent to a run.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SignalBody {
    /// Any JSON; what `waitForSignal` returns.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    payload: Option<Value>,
    /// A signal sent again with the same key is recorded once.
    #[serde(default)]
    idempotency_key: Option<String>,
}

/// What a signal did.
#[derive(Serialize, ToSchema)]
pub struct SignalSent {
    pub id: String,
    pub name: String,
    /// The key was used before: nothing new was recorded (`id` is the first signal's).
    pub duplicate: bool,
    /// The row id of the waiting step it was handed to; null when kept for a later wait.
    pub delivered_to: Option<String>,
}

/// `POST /api/workflow-executions/{id}/signals/{name}`
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/signals/{name}",
    tag = "workflow-executions",
    summary = "Send a signal to a run",
    description = "Hands the payload to the run's step waiting for the signal `name` \
        (`ctx.waitForSignal`), or keeps it for the first that will. An `idempotency_key` sent \
        again records nothing new.",
    params(
        ("id" = String, Path, description = "The run's id."),
        ("name" = String, Path, description = "The signal's name."),
    ),
    request_body = SignalBody,
    responses(
        (status = 202, description = "Recorded.", body = Data<SignalSent>),
        (status = 400, description = "A bad body or signal name.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 409, description = "The run has ended (`invalid_state`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn send_signal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, name)): Path<(String, String)>,
    body: Option<ApiJson<SignalBody>>,
) -> Result<(StatusCode, Json<Data<SignalSent>>), ApiError> {
    let store = state.engine.store();
    access::run(store, &user, &id).await?;
    if let Some(problem) = signal_name_problem(&name) {
        return Err(ApiError::bad("invalid_body", format!("name: {problem}")));
    }
    let body = body.map(|b| b.0).unwrap_or_default();
    if body
        .idempotency_key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.len() > 200)
    {
        return Err(ApiError::bad("invalid_body", "idempotency_key: 1 to 200 characters"));
    }
    let sender = decider(&user);
    let payload = body.payload.unwrap_or(Value::Null);
    let sent = state
        .engine
        .send_signal(&id, &name, &payload, body.idempotency_key.as_deref(), &sender)
        .await
        .map_err(wait_error)?;
    let answer = SignalSent {
        id: sent.signal.id,
        name: sent.signal.name,
        duplicate: sent.duplicate,
        delivered_to: sent.delivered_to.map(|s| s.id),
    };
    Ok((StatusCode::ACCEPTED, ok(answer)))
}

/// A gate waiting for a decision.
#[derive(Serialize, ToSchema)]
pub struct PendingApproval {
    pub execution_id: String,
    pub execution_name: String,
    pub project_id: String,
    pub project_name: String,
    /// The name of the run's workflow.
    pub workflow_name: String,
    /// The step's row id.
    pub step_id: String,
    /// The gate's id in the workflow.
    pub step_key: String,
    pub title: String,
    pub phase: String,
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    /// Whether the caller may decide it (is among its approvers, or it names none).
    pub can_decide: bool,
    /// Not a gate: a run a limit of its budget stopped, waiting for someone to raise the
    /// budget (`POST .../budget`) or cancel it. Its `step_id` is `budget:<run id>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub budget_stop: Option<crate::engine::budget::BudgetStop>,
}

/// `GET /api/approvals`
#[utoipa::path(
    get,
    path = "/approvals",
    tag = "workflow-executions",
    summary = "Gates waiting for a decision",
    description = "The approval gates waiting now in every project the caller may see, oldest first \
        (at most 500), each saying whether the caller may decide it; then the runs a limit of their \
        budget stopped (`budget_stop`), which anyone who may see them may continue or cancel.",
    responses(
        (status = 200, description = "The gates.", body = Data<Vec<PendingApproval>>),
        (status = 401, description = "No valid token.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_approvals(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Data<Vec<PendingApproval>>>, ApiError> {
    let store = state.engine.store();
    let projects = ProjectRow::list_visible(store, user.id(), user.is_admin()).await?;
    let ids: Vec<String> = projects.iter().map(|p| p.id.clone()).collect();
    let pending = WaitRow::pending_approvals(store, Some(&ids), MAX_APPROVALS).await?;
    let mut out = Vec::with_capacity(pending.len());
    for p in pending {
        let project_name = projects
            .iter()
            .find(|pr| pr.id == p.project_id)
            .map(|pr| pr.name.clone())
            .unwrap_or_default();
        let spec = ApprovalSpec::parse(&p.wait.spec);
        out.push(PendingApproval {
            workflow_name: p.workflow_name,
            execution_id: p.wait.workflow_run_id.clone(),
            execution_name: p.run_name,
            project_id: p.project_id,
            project_name,
            step_id: p.step.id,
            step_key: p.step.step_id,
            can_decide: spec.may_decide(Some(&user.0.email)),
            title: spec.title,
            phase: p.step.phase,
            since: p.wait.created_at,
            deadline: p.wait.deadline,
            budget_stop: None,
        });
    }
    for stopped in RunRow::budget_stopped(store, Some(&ids), MAX_APPROVALS).await? {
        let Ok(stop) = serde_json::from_str::<crate::engine::budget::BudgetStop>(&stopped.budget_stop) else {
            continue;
        };
        out.push(PendingApproval {
            project_name: projects
                .iter()
                .find(|pr| pr.id == stopped.project_id)
                .map(|pr| pr.name.clone())
                .unwrap_or_default(),
            step_id: format!("budget:{}", stopped.id),
            step_key: stop.step_key.clone().unwrap_or_default(),
            title: format!("Budget reached: {}", stop.message),
            phase: String::new(),
            since: stop.since.clone(),
            deadline: None,
            can_decide: true,
            execution_id: stopped.id,
            execution_name: stopped.name,
            project_id: stopped.project_id,
            workflow_name: stopped.workflow_name,
            budget_stop: Some(stop),
        });
    }
    Ok(ok(out))
}

/// The signed-in user, as the decision or signal names them (by email).
fn decider(user: &CurrentUser) -> Decider {
    Decider {
        user_id: Some(user.id().to_string()),
        email: Some(user.0.email.clone()),
        label: user.0.email.clone(),
    }
}

/// How a refused decision or signal is answered.
fn wait_error(e: WaitError) -> ApiError {
    match e {
        WaitError::RunNotFound(id) => ApiError::not_found(format!("workflow execution {id}")),
        WaitError::StepNotFound { run, step } => ApiError::not_found(format!("approval step \"{step}\" of run {run}")),
        WaitError::NotWaiting { message, run_status } => ApiError::Conflict {
            message,
            current_status: Some(run_status),
        },
        WaitError::RunEnded(status) => ApiError::Conflict {
            message: format!("the run is {status}: it takes no decisions or signals any more"),
            current_status: Some(status),
        },
        e @ WaitError::NotApprover { .. } => ApiError::Forbidden(e.to_string()),
        WaitError::WrongDecision(message) => ApiError::bad("invalid_body", message),
        WaitError::BadInput(problems) => ApiError::BadRequest {
            code: "invalid_input",
            message: format!("the input does not match the gate's form: {}", problems.join("; ")),
            details: Some(problems),
        },
        WaitError::Store(e) => e.into(),
    }
}
