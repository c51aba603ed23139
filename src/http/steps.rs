//! `/api/workflow-steps`: a step with its session, artifacts and comments, and its logs.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::comments::Comment;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiQuery};
use super::step_view::{self, Step};
use super::{access, AppState};
use crate::store::agent_sessions::AgentSessionRow;
use crate::store::artifacts::ArtifactRow;
use crate::store::files::{RunFiles, StepFile};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_step))
        .routes(routes!(get_step_log))
}

/// A step with its agent session, artifacts and comments.
#[derive(Serialize, ToSchema)]
pub struct StepDetail {
    #[serde(flatten)]
    pub step: Step,
    pub session: Option<AgentSessionRow>,
    /// Oldest first.
    pub artifacts: Vec<ArtifactRow>,
    /// Oldest first.
    pub comments: Vec<Comment>,
}

/// Which log of a step.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum LogType {
    /// `input.json`
    Input,
    /// `output.json`
    Output,
    /// `events.jsonl`: what a running step has written so far.
    Events,
    /// `summary.md`
    Summary,
}

impl LogType {
    fn parse(name: &str) -> Result<LogType, ApiError> {
        match name {
            "input" => Ok(LogType::Input),
            "output" => Ok(LogType::Output),
            "events" => Ok(LogType::Events),
            "summary" => Ok(LogType::Summary),
            other => Err(ApiError::bad(
                "invalid_log_type",
                format!("type: '{other}' is not one of {}", StepFile::NAMES.join(", ")),
            )),
        }
    }

    /// The file of the step's folder that holds it.
    fn file(self) -> StepFile {
        match self {
            LogType::Input => StepFile::Input,
            LogType::Output => StepFile::Output,
            LogType::Events => StepFile::Events,
            LogType::Summary => StepFile::Summary,
        }
    }
}

/// Which try's log (`logs/<step>/attempt-N`); the first when absent.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// A try's number, as `Step.attempts` lists them (1 = the step's own folder).
    attempt: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct StepLog {
    #[serde(rename = "type")]
    pub kind: LogType,
    pub step_id: String,
    /// The log's text; empty when it has not been written (yet). For `events`, whole lines
    /// only: a record still being written is left for the next read.
    pub content: String,
    /// How many bytes of the file `content` is: a live `workflow.step.progress` event of this
    /// try whose `log.log_end` is at most this is already in it.
    pub size: u64,
}

/// `GET /api/workflow-steps/{id}`
#[utoipa::path(
    get,
    path = "/workflow-steps/{id}",
    tag = "workflow-steps",
    summary = "Read a step",
    description = "With its agent session, its artifacts and its comments.",
    params(("id" = String, Path, description = "The step's row id.")),
    responses(
        (status = 200, description = "The step.", body = Data<StepDetail>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such step the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_step(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Data<StepDetail>>, ApiError> {
    let store = state.engine.store();
    let (step, _, _) = access::step(store, &user, &id).await?;
    let mut view = Step::from(&step);
    step_view::attach_waits(store, &mut [&mut view], Some(&user.0.email)).await?;
    super::diffs::attach_snapshots(store, &mut [&mut view]).await?;
    super::attempts::attach_attempts(store, &step.workflow_run_id, &mut [&mut view]).await?;
    Ok(ok(StepDetail {
        step: view,
        session: step_view::session(store, &step).await?,
        artifacts: ArtifactRow::list_for_step(store, &step.id).await?,
        comments: super::comments::for_step(store, &step.id).await?,
    }))
}

/// `GET /api/workflow-steps/{id}/logs/{type}`: `input`, `output`, `events` (what a running
/// step has written so far) or `summary`; a log not written yet is empty.
#[utoipa::path(
    get,
    path = "/workflow-steps/{id}/logs/{type}",
    tag = "workflow-steps",
    summary = "Read a step's log",
    description = "`input`, `output`, `events` (what a running step has written so far, whole lines \
        only) or `summary`; a log not written yet is empty. `size` is the bytes of the file read: live \
        progress events of the same try with `log.log_end` <= `size` are already in `content`.",
    params(
        ("id" = String, Path, description = "The step's row id."),
        ("type" = LogType, Path, description = "Which log."),
        LogQuery,
    ),
    responses(
        (status = 200, description = "The log's text.", body = Data<StepLog>),
        (status = 400, description = "An unknown log type (`invalid_log_type`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such step the caller may see.", body = ErrorBody),
        (status = 503, description = "The run's folder is on another engine node, which cannot be reached \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_step_log(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<LogQuery>,
    req: axum::extract::Request,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let kind = LogType::parse(&kind)?;
    let store = state.engine.store();
    let (step, run, project) = access::step(store, &user, &id).await?;
    // Written on the node that ran the step: served by it.
    if let Ok(answer) = super::file_proxy::for_run(&state, &run, &project, req).await {
        return Ok(answer);
    }
    let files = RunFiles::new(std::path::Path::new(&project.path), &run.id);
    let attempt = q.attempt.unwrap_or(1);
    if attempt < 1 {
        return Err(ApiError::bad("invalid_query", "attempt: must be 1 or more"));
    }
    let mut bytes = match files.read_attempt_log(&step.step_id, attempt, kind.file()).await {
        Ok(bytes) => bytes.unwrap_or_default(),
        Err(e) => return Err(ApiError::Internal(e.to_string())),
    };
    if matches!(kind, LogType::Events) {
        bytes.truncate(whole_lines(&bytes));
    }
    Ok(ok(StepLog {
        kind,
        step_id: step.id,
        size: bytes.len() as u64,
        content: String::from_utf8_lossy(&bytes).into_owned(),
    })
    .into_response())
}

/// How long the part of `bytes` made of whole lines is (a line being written has no `\n` yet).
fn whole_lines(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_being_written_is_left_out() {
        assert_eq!(super::whole_lines(b""), 0);
        assert_eq!(super::whole_lines(b"{\"a\":1}\n{\"b\""), 8);
        assert_eq!(super::whole_lines(b"one\ntwo\n"), 8);
        assert_eq!(super::whole_lines(b"partial"), 0);
    }
}
