//! Any node answers any request. What is in a run's folder (step logs, outputs, checkpoints,
//! artifacts, the definition it started with) and in a project's git repository (snapshots,
//! diffs) stays on the node that ran the run; what needs a project's folder (creating a run,
//! reading a workflow file) can only be done on a node that has it. A request this node cannot
//! answer from its own disk is forwarded, whole (method, path and query, body streamed), to
//! the node that can:
//! - for a run's files: the node recorded as the run's (`workflow_runs.node_id`), at the
//!   address it registered (`engine_nodes.address`, `--advertise-url`) — `for_run`;
//! - for a project's folder: a live node whose heartbeat lists the project
//!   (`engine_nodes.projects`) — `for_project`;
//! - a rerun or a resume: the run's node while it is alive, else a node with the project
//!   (`for_run_or_project`).
//!
//! The caller's `Authorization` and cookies go with it (the nodes share `JWT_SECRET`, so the
//! caller's token is valid there, and the node that answers checks access again; handlers
//! check it here first, so a caller without access gets this node's 404), and a header that
//! marks it forwarded: a forwarded request is never forwarded again. The answer is streamed
//! back. A node that is gone, or a project no live node has, answers 503 `node_unavailable`,
//! saying so.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::AppState;
use crate::store::files::RunFiles;
use crate::store::nodes::NodeRow;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;

/// Marks a request one node forwarded to another.
pub const FORWARDED: &str = "x-workflow-engine-forwarded";
/// The request headers passed on: who the caller is, what it accepts, what it sends.
const PASSED: [&str; 8] = [
    "authorization",
    "cookie",
    "accept",
    "range",
    "if-range",
    "content-type",
    "content-length",
    "x-request-id",
];
/// The answer's headers passed back (the rest is the connection's own).
const KEPT: [&str; 10] = [
    "content-type",
    "content-length",
    "content-disposition",
    "content-range",
    "accept-ranges",
    "cache-control",
    "x-content-type-options",
    "content-security-policy",
    "location",
    "retry-after",
];
/// How long the other node may take to accept the connection.
const CONNECT: Duration = Duration::from_secs(10);
/// The longest silence while its answer streams (a big artifact takes as long as it takes).
const READ: Duration = Duration::from_secs(60);

/// Where a request is answered.
pub enum Route {
    Here,
    /// Node `id`, reached at `address`.
    Node {
        id: String,
        address: String,
    },
    /// Nowhere: what it needs is on a node that cannot be reached (the 503 that says so).
    Unavailable(Response),
}

/// Where a request about `run`'s files is answered: here when its folder is here (or the run
/// never ran elsewhere, or on SQLite, one machine, or the request was forwarded already), else
/// on the run's node.
pub async fn run_route(state: &AppState, run: &RunRow, project: &ProjectRow, headers: &HeaderMap) -> Route {
    if headers.contains_key(FORWARDED) || state.engine.store().is_lite() {
        return Route::Here;
    }
    let files = RunFiles::new(std::path::Path::new(&project.path), &run.id);
    if files.root.is_dir() {
        return Route::Here;
    }
    let Some(node) = run.node_id.as_deref().filter(|n| *n != state.engine.node_id()) else {
        return Route::Here;
    };
    match NodeRow::address_of(state.engine.store(), node).await {
        Ok(Some((Some(address), true))) => Route::Node {
            id: node.to_string(),
            address,
        },
        Ok(Some((Some(address), false))) => {
            Route::Unavailable(gone(node, &format!("its heartbeat stopped (it was at {address})")))
        }
        Ok(_) => Route::Unavailable(gone(
            node,
            "it is not a serving node (a terminal run, or a node that left)",
        )),
        Err(e) => Route::Unavailable(ApiError::from(e).into_response()),
    }
}

/// Where a request that needs `project`'s folder is answered: here when the folder is here
/// (or on SQLite, one node, or the request was forwarded already), else on a live node whose
/// heartbeat lists the project (other than `skip`, a node that just did not answer).
pub async fn project_route(state: &AppState, project: &ProjectRow, headers: &HeaderMap, skip: Option<&str>) -> Route {
    let store = state.engine.store();
    if headers.contains_key(FORWARDED) || store.is_lite() || std::path::Path::new(&project.path).is_dir() {
        tracing::debug!(project = %project.id, path = %project.path, "the project's folder is here");
        return Route::Here;
    }
    match NodeRow::live_elsewhere(store, state.engine.node_id(), Some(&project.id)).await {
        Ok(nodes) => match nodes.into_iter().find(|(id, _)| Some(id.as_str()) != skip) {
            Some((id, address)) => Route::Node { id, address },
            None => Route::Unavailable(no_folder(project)),
        },
        Err(e) => Route::Unavailable(ApiError::from(e).into_response()),
    }
}

/// The answer of `run`'s node for a request about its files; the request back to serve here.
pub async fn for_run(state: &AppState, run: &RunRow, project: &ProjectRow, req: Request) -> Result<Response, Request> {
    let route = run_route(state, run, project, req.headers()).await;
    take(state, route, req).await
}

/// The answer of a node with `project`'s folder; the request back to serve here.
pub async fn for_project(state: &AppState, project: &ProjectRow, req: Request) -> Result<Response, Request> {
    let route = project_route(state, project, req.headers(), None).await;
    take(state, route, req).await
}

/// A rerun or a resume: on `run`'s node, which has its folder, while it is alive; else on a
/// node with the project (as a run whose node died resumes from the database). A run's node
/// that died since its last heartbeat does not answer: the request (its small JSON body kept
/// for that) then goes to a node with the project, so a resume does not wait for the dead
/// node's heartbeat to go stale.
pub async fn for_run_or_project(
    state: &AppState,
    run: &RunRow,
    project: &ProjectRow,
    req: Request,
) -> Result<Response, Request> {
    let (id, address) = match run_route(state, run, project, req.headers()).await {
        Route::Node { id, address } => (id, address),
        Route::Unavailable(_) | Route::Here => return for_project(state, project, req).await,
    };
    let (parts, bytes) = match buffered(state, req).await {
        Ok(read) => read,
        Err(e) => return Ok(e.into_response()),
    };
    match forward(state, &id, &address, replay(&parts, &bytes)).await {
        Ok(answer) => Ok(answer),
        Err(gone) => match project_route(state, project, &parts.headers, Some(&id)).await {
            Route::Unavailable(_) => Ok(gone),
            route => {
                tracing::info!(node = %id, run = %run.id, "the run's node does not answer: served by a node with the project");
                take(state, route, replay(&parts, &bytes)).await
            }
        },
    }
}

async fn take(state: &AppState, route: Route, req: Request) -> Result<Response, Request> {
    match route {
        Route::Here => Err(req),
        Route::Unavailable(answer) => Ok(answer),
        Route::Node { id, address } => Ok(forward(state, &id, &address, req).await.unwrap_or_else(|gone| gone)),
    }
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(CONNECT)
            .read_timeout(READ)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client without TLS builds")
    })
}

/// Sends `req` to node `node` at `address` and streams its answer back; `Err` is the 503 of
/// a node that does not answer.
pub async fn forward(state: &AppState, node: &str, address: &str, req: Request) -> Result<Response, Response> {
    let (parts, body) = req.into_parts();
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let mut request = client()
        .request(parts.method.clone(), format!("{address}{path}"))
        .header(FORWARDED, state.engine.node_id());
    for name in PASSED {
        for value in parts.headers.get_all(name) {
            request = request.header(name, value.clone());
        }
    }
    let has_body = parts.headers.contains_key("content-length") || parts.headers.contains_key("transfer-encoding");
    if has_body {
        request = request.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    }
    let answer = request
        .send()
        .await
        .map_err(|e| gone(node, &format!("it does not answer at {address}: {e}")))?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = HeaderMap::new();
    for name in KEPT {
        for value in answer.headers().get_all(name) {
            out.append(HeaderName::from_static(name), value.clone());
        }
    }
    tracing::debug!(%node, path = %uri.path(), %status, "forwarded");
    Ok((status, out, Body::from_stream(answer.bytes_stream())).into_response())
}

/// A request whose body was read (at most the JSON limit): its head and bytes, to parse here
/// and forward or serve as it came (`replay`).
pub async fn buffered(state: &AppState, req: Request) -> Result<(Parts, Bytes), ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = super::error::body_bytes(Request::from_parts(parts.clone(), body), state).await?;
    Ok((parts, bytes))
}

/// The first success (2xx) of the other live nodes for a request this node refused for what
/// its disk lacks (registering a project whose folder is on some nodes only), tried one after
/// the other; None when none succeeds (or on SQLite, or when the request was forwarded).
pub async fn success_elsewhere(state: &AppState, parts: &Parts, bytes: &Bytes) -> Option<Response> {
    let store = state.engine.store();
    if store.is_lite() || parts.headers.contains_key(FORWARDED) {
        return None;
    }
    let nodes = NodeRow::live_elsewhere(store, state.engine.node_id(), None)
        .await
        .ok()?;
    for (id, address) in nodes {
        if let Ok(answer) = forward(state, &id, &address, replay(parts, bytes)).await {
            if answer.status().is_success() {
                return Some(answer);
            }
        }
    }
    None
}

/// The request `buffered` read, again.
pub fn replay(parts: &Parts, bytes: &Bytes) -> Request {
    Request::from_parts(parts.clone(), Body::from(bytes.clone()))
}

/// The JSON body of a `buffered` request, parsed as the handler's extractor would.
pub async fn json<T: serde::de::DeserializeOwned>(
    state: &AppState,
    parts: &Parts,
    bytes: &Bytes,
) -> Result<T, ApiError> {
    let super::error::ApiJson(value) = super::error::ApiJson::<T>::from_request(replay(parts, bytes), state).await?;
    Ok(value)
}

/// 503: what the request needs is on a node that cannot be reached.
fn gone(node: &str, why: &str) -> Response {
    unavailable(format!(
        "the files this request needs are on node {node}, which cannot be reached: {why}"
    ))
}

/// 503: no live node has the project's folder.
fn no_folder(project: &ProjectRow) -> Response {
    unavailable(format!(
        "project {} ({}) has no folder on this node, and no live node has its folder {}: start a node \
         where it is, or try again when one is back",
        project.name, project.id, project.path
    ))
}

fn unavailable(message: String) -> Response {
    let body = json!({ "error": { "code": "node_unavailable", "message": message } });
    let mut answer = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    answer
        .headers_mut()
        .insert("retry-after", HeaderValue::from_static("5"));
    answer
}
