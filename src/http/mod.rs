//! The HTTP API and WebSocket, over the same engine the CLI uses.
//!
//! One route file per resource, each ending in `router()`; handlers are `<verb>_<resource>`
//! and return typed bodies (`envelope::Data<T>`), their types beside them (`run_view` and
//! `step_view` for the two shown in more than one place). `api()` is the one route list: it
//! routes the requests and builds the OpenAPI document from the same handlers.
//! Every handler checks access through `access`, so another user's id is a 404.

pub mod access;
pub mod artifact_form;
pub mod artifact_links;
pub mod artifacts;
pub mod attempts;
pub mod auth;
pub mod board;
pub mod budgets;
pub mod comments;
pub mod definitions;
pub mod diffs;
pub mod envelope;
pub mod error;
pub mod file_proxy;
pub mod login;
pub mod nodes;
pub mod openapi;
pub mod project_paths;
pub mod projects;
pub mod queue_view;
pub mod reruns;
pub mod run_control;
pub mod run_names;
pub mod run_view;
pub mod runs;
pub mod secrets;
pub mod step_view;
pub mod steps;
pub mod throttle;
pub mod waits;
pub mod web;
pub mod ws;
pub mod ws_messages;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::{Extension, Router};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::engine::scheduler::Runner;
use crate::engine::Engine;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// Starts runs in the background under the concurrency limit.
    pub runner: Runner,
    pub auth: auth::Auth,
    /// Fans the event journal out to WebSocket clients.
    pub hub: ws::Hub,
    /// Re-reads a project's definitions when its files change.
    pub discovery: Arc<crate::engine::discovery::Discovery>,
    pub data_dir: PathBuf,
    /// Which directories may be registered as projects.
    pub project_paths: Arc<project_paths::ProjectPaths>,
    /// The built web UI (`web/dist`), served at `/`.
    pub web_dir: PathBuf,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the API, at `/api`, each with its operation in the OpenAPI document.
fn api() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(login::router())
        .merge(projects::router())
        .merge(definitions::router())
        .merge(run_names::router())
        .merge(runs::router())
        .merge(steps::router())
        .merge(diffs::router())
        .merge(artifacts::router())
        .merge(artifact_links::router())
        .merge(comments::router())
        .merge(secrets::router())
        .merge(waits::router())
        .merge(nodes::router())
        .merge(ws::router())
        .routes(routes!(openapi::openapi_json))
        .fallback(web::api_not_found)
        .layer(DefaultBodyLimit::max(error::MAX_JSON_BODY_BYTES));
    let doc = openapi::base().merge_from(ws_messages::WsMessages::openapi());
    OpenApiRouter::with_openapi(doc).nest("/api", api)
}

/// The OpenAPI document of the whole API, as `GET /api/openapi.json` serves it (and
/// `workflow-engine openapi` prints it).
pub fn document() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The whole API under `/api` (unknown routes there are JSON 404s); the web UI at `/`.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api().split_for_parts();
    let doc = openapi::DocumentJson(doc.to_json().expect("the document serialises").into());
    api.layer(Extension(doc))
        .fallback(web::fallback)
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        // gzip or brotli, as the client accepts; small bodies, images and streams as they are.
        .layer(CompressionLayer::new().compress_when(compressible()))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Which responses are compressed: tower-http's default (not tiny bodies, images, gRPC or event
/// streams), and not the artifacts whose bytes are compressed already (video, audio, archives,
/// fonts), which would only cost CPU and lose their `Content-Length` (and so range requests).
fn compressible() -> Compressible {
    Compressible(tower_http::compression::DefaultPredicate::new())
}

#[derive(Clone)]
struct Compressible(tower_http::compression::DefaultPredicate);

impl tower_http::compression::Predicate for Compressible {
    fn should_compress<B: axum::body::HttpBody>(&self, response: &axum::http::Response<B>) -> bool {
        const ALREADY_COMPRESSED: [&str; 10] = [
            "video/",
            "audio/",
            "font/woff",
            "application/zip",
            "application/gzip",
            "application/x-gzip",
            "application/zstd",
            "application/x-xz",
            "application/x-bzip2",
            "application/x-7z-compressed",
        ];
        let kind = response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        self.0.should_compress(response) && !ALREADY_COMPRESSED.iter().any(|t| kind.starts_with(t))
    }
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address throttles sign-ins (`throttle`).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Building the routes and the OpenAPI document allocates and frees a few MB that glibc
    // would otherwise keep for the life of the server.
    crate::sys::memory::trim_heap();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::comments::{PostedCommentType, POSTED_COMMENT_TYPE};
    use crate::domain::{AgentKind, CommentType, FileType, RunStatus, SessionStatus, StepKind, StepStatus};

    fn names<T: Serialize>(values: &[T]) -> Vec<String> {
        values
            .iter()
            .map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn enums_match_what_the_handlers_accept() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let listed = |schema: &str| doc["components"]["schemas"][schema]["enum"].clone();
        assert_eq!(listed("FileType"), serde_json::json!(names(&FileType::ALL)));
        assert_eq!(listed("CommentType"), serde_json::json!(names(&CommentType::ALL)));
        assert_eq!(listed("RunStatus"), serde_json::json!(names(&RunStatus::ALL)));
        assert_eq!(listed("StepStatus"), serde_json::json!(names(&StepStatus::ALL)));
        assert_eq!(listed("StepKind"), serde_json::json!(names(&StepKind::ALL)));
        let agents = names(&AgentKind::ALL);
        assert_eq!(listed("AgentKind"), serde_json::json!(agents));
        let sessions = names(&SessionStatus::ALL);
        assert_eq!(listed("SessionStatus"), serde_json::json!(sessions));
        assert_eq!(names(&[PostedCommentType::User]), [POSTED_COMMENT_TYPE.as_str()]);
    }

    #[test]
    fn the_document_has_the_crate_version() {
        let doc = serde_json::to_value(super::document()).unwrap();
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
        assert_eq!(limit["schema"]["maximum"], super::board::MAX_PAGE);
    }
}
