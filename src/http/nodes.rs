//! `GET /api/nodes`: the engine nodes on this database (admins only): where each is reached,
//! its labels, the projects whose folder it has, whether its heartbeat is recent, and how many runs it drives.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::ApiError;
use super::AppState;
use crate::store::nodes::{is_alive, NodeRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_nodes))
}

/// One engine node (`workflow-engine serve` process).
#[derive(Serialize, ToSchema, Debug)]
pub struct NodeView {
    /// The node's id (`host/pid/nonce`), as runs' `node_id` names it.
    pub id: String,
    /// Its internal base URL (`--advertise-url`), where other nodes fetch its runs' files.
    pub address: Option<String>,
    pub hostname: Option<String>,
    /// Its `--node-labels`.
    pub labels: Vec<String>,
    /// The ids of the projects whose folder it has (renewed with its heartbeat): requests that
    /// need a project's folder are forwarded to a live node listing it.
    pub projects: Vec<String>,
    pub started_at: String,
    pub heartbeat_at: String,
    /// Its heartbeat is recent (a node is taken for dead 15 s after its last one).
    pub alive: bool,
    /// Runs `running` under its lease now.
    pub runs_driven: i64,
    /// This is the node that answered.
    pub this_node: bool,
}

#[utoipa::path(
    get,
    path = "/nodes",
    tag = "nodes",
    summary = "List the engine nodes (admin)",
    description = "Every `serve` process on this database, newest first, with its address, labels, \
        heartbeat and the runs it drives. A node that stopped cleanly removes its row; one that died \
        stays, `alive: false`, for a day.",
    responses(
        (status = 200, description = "The nodes.", body = Data<Vec<NodeView>>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "The caller is not an admin.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_nodes(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Data<Vec<NodeView>>>, ApiError> {
    if !user.is_admin() {
        return Err(ApiError::Forbidden("only an admin may list the engine nodes".into()));
    }
    let me = state.engine.node_id();
    let nodes = NodeRow::list(state.engine.store())
        .await?
        .into_iter()
        .map(|n| NodeView {
            alive: is_alive(&n.heartbeat_at),
            labels: serde_json::from_str(&n.labels).unwrap_or_default(),
            projects: serde_json::from_str(&n.projects).unwrap_or_default(),
            this_node: n.id == me,
            id: n.id,
            address: n.address,
            hostname: n.hostname,
            started_at: n.started_at,
            heartbeat_at: n.heartbeat_at,
            runs_driven: n.runs_driven,
        })
        .collect();
    Ok(ok(nodes))
}
