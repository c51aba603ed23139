//! The HTTP API and WebSocket, over the same engine the CLI uses.
//!
//! One route file per resource, each ending in `router()`; handlers are `<verb>_<resource>`.
//! Every handler checks access through `access`, so another user's id is a 404.

pub mod access;
pub mod artifacts;
pub mod auth;
pub mod comments;
pub mod definitions;
pub mod error;
pub mod login;
pub mod openapi;
pub mod project_paths;
pub mod projects;
pub mod run_control;
pub mod runs;
pub mod secrets;
pub mod steps;
pub mod throttle;
pub mod web;
pub mod ws;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::post;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

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

/// The whole API under `/api` (unknown routes there are JSON 404s); the web UI at `/`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(login::login))
        .route("/auth/logout", post(login::logout))
        .merge(projects::router())
        .merge(definitions::router())
        .merge(runs::router())
        .merge(steps::router())
        .merge(artifacts::router())
        .merge(comments::router())
        .merge(secrets::router())
        .merge(ws::router())
        .merge(openapi::router())
        .fallback(web::api_not_found)
        .layer(DefaultBodyLimit::max(error::MAX_JSON_BODY_BYTES));
    Router::new()
        .nest("/api", api)
        .fallback(web::fallback)
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address throttles sign-ins (`throttle`).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
