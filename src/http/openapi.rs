//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the whole API, generated from the
//! handlers' `#[utoipa::path]` annotations and the schemas below. Served without a token, so
//! clients can discover the API.
//!
//! Rows whose JSON is what the API sends (`ProjectRow`, `UserRow`, `ArtifactRow`,
//! `AgentSessionRow`) derive their schema themselves; the shapes handlers build with `json!`
//! (a run with its args parsed, a step with its session, ...) are described here.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::AppState;
use crate::definition::{DefinitionError, DefinitionKind, StepConfig, StepKind};
pub use crate::domain::{CommentType, FileType, RunStatus, StepStatus};
use crate::events::Event;
use crate::store::agent_sessions::AgentSessionRow;
use crate::store::artifacts::ArtifactRow;
use crate::store::users::UserRow;

/// The name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";
/// The name of the `?token=` security scheme (the WebSocket only).
pub const TOKEN_QUERY: &str = "token_query";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "workflow-engine",
        description = "A durable workflow engine for AI-agent work. Every route but `POST /api/auth/login` \
            and `GET /api/openapi.json` takes `Authorization: Bearer <jwt>` (from login). Successful JSON \
            responses are `{ \"data\": ... }`; errors are `{ \"error\": { \"code\", \"message\" } }`. \
            Anything the caller may not see is reported as not found (404)."
    ),
    paths(
        super::login::login,
        super::login::logout,
        super::projects::list_projects,
        super::projects::create_project,
        super::definitions::list_definitions,
        super::definitions::get_definition,
        super::runs::create_run,
        super::runs::list_runs,
        super::runs::get_run,
        super::run_control::pause_run,
        super::run_control::resume_run,
        super::run_control::cancel_run,
        super::steps::get_step,
        super::steps::get_step_log,
        super::artifacts::upload_artifact,
        super::artifacts::download_artifact,
        super::artifacts::attach_artifact,
        super::artifacts::detach_artifact,
        super::comments::create_comment,
        super::comments::list_comments,
        super::secrets::list_secrets,
        super::secrets::set_secret,
        super::secrets::delete_secret,
        super::ws::connect,
        openapi_json,
    ),
    components(schemas(ErrorBody, WsMessage, JournalEvent, StreamLagged, Event)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in and sign-out."),
        (name = "projects", description = "The directories a user works in."),
        (name = "workflow-definitions", description = "The workflow files found in a project's `.agent/workflows/definitions/`."),
        (name = "workflow-executions", description = "Runs of a workflow: start, list, read, pause, resume, cancel."),
        (name = "workflow-steps", description = "A run's steps and their logs."),
        (name = "artifacts", description = "Files uploaded to a step, attachable to a comment of the same run."),
        (name = "comments", description = "Notes on a run or one of its steps."),
        (name = "secrets", description = "A project's secrets: names listed, values write-only."),
        (name = "events", description = "The live event stream (WebSocket)."),
        (name = "meta", description = "This document."),
    )
)]
pub struct ApiDoc;

/// Adds the security schemes the operations refer to.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`Authorization: Bearer <token>`, the token from `POST /api/auth/login` (HS256, valid 7 days).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            TOKEN_QUERY,
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "The same JWT as `?token=`, for WebSocket clients that cannot set headers.",
            ))),
        );
    }
}

/// The document, with the crate's name and version.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.title = "workflow-engine".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc
}

/// Built once: the document cannot change while the process runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| document().to_json().expect("the document serialises"));

/// `/openapi.json`, without a token.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

/// `GET /api/openapi.json`
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    operation_id = "get_openapi",
    summary = "This OpenAPI 3.1 document",
    description = "Needs no token.",
    responses((status = 200, description = "The OpenAPI document.", body = Object))
)]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}

// ---- Envelopes and errors ----

/// The envelope of every successful JSON response.
#[derive(Serialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// Every error response: `{ "error": { "code", "message" } }`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for programs: `invalid_body`, `invalid_query`, `invalid_args`,
    /// `invalid_definition`, `invalid_log_type` (400), `unauthorized` (401), `not_found` (404),
    /// `invalid_state` (409), `payload_too_large` (413), `internal` (500).
    #[schema(example = "not_found")]
    pub code: String,
    /// What went wrong, for people; a field's problem starts with its name (`name: ...`).
    pub message: String,
    /// With `invalid_args`: each way the arguments miss the workflow's `argsSchema`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<Vec<String>>,
    /// With `invalid_state` (409): the run's status, which did not allow the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub current_status: Option<RunStatus>,
}

// ---- Auth ----

#[derive(Serialize, ToSchema)]
pub struct Login {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: UserRow,
}

// ---- Definitions ----

/// A workflow definition: one file of the project's definitions folder. A file that does not
/// load keeps its row, with `load_error`.
#[derive(Serialize, ToSchema)]
pub struct Definition {
    pub id: String,
    pub project_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: DefinitionKind,
    /// Absolute path of the file.
    pub path: String,
    pub phases: Vec<String>,
    /// The JSON Schema a run's `args` must match; null when the workflow declares none.
    #[schema(value_type = Option<Object>)]
    pub args_schema: Option<Value>,
    /// Why the file does not load; null when it does.
    pub load_error: Option<LoadError>,
    pub is_template: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoadError {
    /// Every problem, one a line.
    pub message: String,
    pub errors: Vec<DefinitionError>,
}

/// A definition with its steps, when they are known before a run (YAML that loads).
#[derive(Serialize, ToSchema)]
pub struct DefinitionDetail {
    #[serde(flatten)]
    pub definition: Definition,
    /// Present for YAML definitions that load; TypeScript steps are known only as they run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub steps: Option<Vec<StepConfig>>,
}

// ---- Runs ----

/// A workflow execution (run).
#[derive(Serialize, ToSchema)]
pub struct Run {
    pub id: String,
    pub project_id: String,
    /// Who started it; null for runs started from the CLI.
    pub user_id: Option<String>,
    pub workflow_definition_id: String,
    pub name: String,
    /// The arguments it was started with.
    #[schema(value_type = Object)]
    pub args: Value,
    pub current_phase: Option<String>,
    pub current_step_index: i64,
    pub status: RunStatus,
    pub error_message: Option<String>,
    pub timeout_ms: Option<i64>,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct Counts {
    pub comments: i64,
    pub artifacts: i64,
}

/// A run as the list shows it: with its steps, its definition and counts.
#[derive(Serialize, ToSchema)]
pub struct RunSummary {
    #[serde(flatten)]
    pub run: Run,
    pub steps: Vec<Step>,
    /// Null when the definition's row is gone.
    pub workflow_definition: Option<Definition>,
    #[serde(rename = "_count")]
    pub count: Counts,
}

/// A run with its steps (and their agent sessions) and comments.
#[derive(Serialize, ToSchema)]
pub struct RunDetail {
    #[serde(flatten)]
    pub run: Run,
    pub steps: Vec<StepWithSession>,
    pub workflow_definition: Option<Definition>,
    #[serde(rename = "_count")]
    pub count: Counts,
    /// Oldest first.
    pub comments: Vec<Comment>,
    /// The definition as the run started it (`definition.json` in the run's folder).
    #[schema(value_type = Option<Object>)]
    pub definition_snapshot: Option<serde_json::Value>,
    /// A pause was asked for and lands when the steps in flight finish.
    pub pause_requested: bool,
}

/// A page of runs, newest first.
#[derive(Serialize, ToSchema)]
pub struct RunPage {
    pub data: Vec<RunSummary>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PauseResult {
    pub id: String,
    pub status: RunStatus,
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    /// True when a step is still in flight: the run pauses when it finishes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub pause_requested: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ResumeResult {
    pub id: String,
    pub status: RunStatus,
}

#[derive(Serialize, ToSchema)]
pub struct CancelResult {
    pub id: String,
    pub status: RunStatus,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
}

// ---- Steps ----

/// A step of a run.
#[derive(Serialize, ToSchema)]
pub struct Step {
    /// The step row's id, as `/api/workflow-steps/{id}` takes it.
    pub id: String,
    pub workflow_run_id: String,
    /// The id the workflow gave the step.
    pub step_id: String,
    pub step_index: i64,
    pub name: String,
    pub phase: String,
    #[serde(rename = "type")]
    pub kind: StepKind,
    pub status: StepStatus,
    /// What the step returned (any JSON); null until it ends.
    pub result: Value,
    pub continue_on_error: bool,
    pub attempt: i64,
    /// Relative to the project; holds the step's logs.
    pub log_directory_path: Option<String>,
    pub agent_session_id: Option<String>,
    pub error_message: Option<String>,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A step with the agent session behind it (null unless an agent step).
#[derive(Serialize, ToSchema)]
pub struct StepWithSession {
    #[serde(flatten)]
    pub step: Step,
    pub session: Option<AgentSessionRow>,
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
#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct StepLog {
    #[serde(rename = "type")]
    pub kind: LogType,
    pub step_id: String,
    /// The log's text; empty when it has not been written (yet).
    pub content: String,
}

// ---- Comments ----

/// The type of a comment a user posts: only `user` (the engine writes `system` and `agent`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostedCommentType {
    User,
}

/// Who wrote a comment.
#[derive(Serialize, ToSchema)]
pub struct Creator {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
}

/// A note on a run, or on one of its steps.
#[derive(Serialize, ToSchema)]
pub struct Comment {
    pub id: String,
    pub workflow_run_id: String,
    /// The step's row id, for a step-level comment.
    pub workflow_run_step_id: Option<String>,
    pub text: String,
    pub comment_type: CommentType,
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Null for comments written by the engine or an agent.
    pub creator: Option<Creator>,
    /// The artifacts attached to it.
    pub artifacts: Vec<ArtifactRow>,
}

// ---- Artifacts ----

/// The `multipart/form-data` fields of an upload, in any order.
#[derive(ToSchema)]
pub struct ArtifactUpload {
    /// The file, at most 100 MB.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
    /// The row id of the run's step it belongs to.
    pub step_id: String,
    /// The name to keep it under (sanitised; ` (1)`, ` (2)`, ... when taken); defaults to the
    /// uploaded file's name.
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// Defaults to what the name and the content say.
    #[schema(nullable = false)]
    pub file_type: Option<FileType>,
}

/// A file's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

// ---- WebSocket ----

/// One WebSocket text message: a journal event, or a note that the connection fell behind.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum WsMessage {
    Event(Box<JournalEvent>),
    Lagged(StreamLagged),
}

/// An event from the journal: `{ "seq", "type", "data" }`.
#[derive(Serialize, ToSchema)]
pub struct JournalEvent {
    /// The event's position in the journal; reconnect with `?since=<seq>` to miss nothing.
    pub seq: i64,
    #[serde(flatten)]
    pub event: Event,
}

#[derive(Serialize, ToSchema)]
pub enum LaggedType {
    #[serde(rename = "stream.lagged")]
    StreamLagged,
}

#[derive(Serialize, ToSchema)]
pub struct Missed {
    /// How many events were skipped.
    pub missed: u64,
}

/// The connection fell behind the live stream and skipped events: reconnect with
/// `?since=<last seq seen>` to replay them.
#[derive(Serialize, ToSchema)]
pub struct StreamLagged {
    #[serde(rename = "type")]
    pub kind: LaggedType,
    pub data: Missed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: Serialize>(values: &[T]) -> Vec<String> {
        values
            .iter()
            .map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn enums_match_what_the_handlers_accept() {
        let doc = serde_json::to_value(document()).unwrap();
        let listed = |schema: &str| doc["components"]["schemas"][schema]["enum"].clone();
        assert_eq!(listed("FileType"), serde_json::json!(names(&FileType::ALL)));
        assert_eq!(listed("CommentType"), serde_json::json!(names(&CommentType::ALL)));
        assert_eq!(listed("RunStatus"), serde_json::json!(names(&RunStatus::ALL)));
        assert_eq!(listed("StepStatus"), serde_json::json!(names(&StepStatus::ALL)));
        assert_eq!(listed("StepKind"), serde_json::json!(names(&StepKind::ALL)));
        let agents = names(&crate::domain::AgentKind::ALL);
        assert_eq!(listed("AgentKind"), serde_json::json!(agents));
        let sessions = names(&crate::domain::SessionStatus::ALL);
        assert_eq!(listed("SessionStatus"), serde_json::json!(sessions));
        assert_eq!(
            names(&[PostedCommentType::User]),
            [super::super::comments::POSTED_COMMENT_TYPE.as_str()]
        );
    }

    #[test]
    fn the_document_has_the_crate_version() {
        let doc = serde_json::to_value(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(doc["info"]["title"], "workflow-engine");
        let limit = doc["paths"]["/api/workflow-executions"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap()
            .clone();
        assert_eq!(limit["schema"]["maximum"], super::super::runs::MAX_PAGE);
    }
}
