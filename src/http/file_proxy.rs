//! Files of runs driven on another node. Step logs, outputs, checkpoints and artifacts stay
//! in the run's folder on the node that ran the step; any node answers for them. A request
//! for a file whose run folder is not on this node goes to the node recorded as the run's
//! (`workflow_runs.node_id`), at the address that node registered (`engine_nodes.address`,
//! `--advertise-url`), with the caller's `Authorization` and cookies (the nodes share
//! `JWT_SECRET`, so the caller's token is valid there) and a header that marks it forwarded:
//! a forwarded request is never forwarded again. A node that is gone answers 503, saying so.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::store::files::RunFiles;
use crate::store::nodes::NodeRow;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;

/// Marks a request one node forwarded to another.
pub const FORWARDED: &str = "x-workflow-engine-forwarded";
/// The headers passed on: who the caller is, and what it accepts.
const PASSED: [&str; 4] = ["authorization", "cookie", "accept", "range"];
const TIMEOUT: Duration = Duration::from_secs(30);

/// The answer of the node that has `run`'s folder, when this node does not have it; None to
/// serve the request here (the folder is here, the run never ran elsewhere, or the request
/// was forwarded already).
pub async fn elsewhere(
    state: &AppState,
    run: &RunRow,
    project: &ProjectRow,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    if headers.contains_key(FORWARDED) {
        return None;
    }
    let files = RunFiles::new(std::path::Path::new(&project.path), &run.id);
    if files.root.is_dir() {
        return None;
    }
    let node = run.node_id.as_deref().filter(|n| *n != state.engine.node_id())?;
    let (address, alive) = match NodeRow::address_of(state.engine.store(), node).await {
        Ok(Some((Some(address), alive))) => (address, alive),
        Ok(_) => {
            return Some(gone(
                node,
                "it is not a serving node (a terminal run, or a node that left)",
            ))
        }
        Err(e) => return Some(super::error::ApiError::from(e).into_response()),
    };
    if !alive {
        return Some(gone(node, &format!("its heartbeat stopped (it was at {address})")));
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    let mut request = client
        .get(format!("{address}{path}"))
        .header(FORWARDED, state.engine.node_id());
    for name in PASSED {
        for value in headers.get_all(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let answer = match request.send().await {
        Ok(a) => a,
        Err(e) => return Some(gone(node, &format!("it does not answer at {address}: {e}"))),
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = HeaderMap::new();
    for (name, value) in answer.headers() {
        let keep = matches!(
            name.as_str(),
            "content-type" | "content-disposition" | "content-range" | "accept-ranges" | "cache-control"
        );
        if let (true, Ok(v)) = (keep, HeaderValue::from_bytes(value.as_bytes())) {
            if let Ok(n) = axum::http::HeaderName::from_bytes(name.as_str().as_bytes()) {
                out.insert(n, v);
            }
        }
    }
    let body = match answer.bytes().await {
        Ok(b) => b,
        Err(e) => return Some(gone(node, &format!("its answer broke off: {e}"))),
    };
    Some((status, out, Body::from(body)).into_response())
}

/// 503: the files are on a node that cannot be reached.
fn gone(node: &str, why: &str) -> Response {
    let body = json!({ "error": {
        "code": "node_unavailable",
        "message": format!("this run's files are on node {node}, which cannot be reached: {why}"),
    }});
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}
