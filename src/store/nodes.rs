//! `engine_nodes`: the engine processes that are alive. `serve` writes its row at start and
//! renews it; a CLI that records a decision or a signal asks whether a server will drive the
//! run on (`live_server`), or whether it should drive the run itself. With several nodes on
//! one PostgreSQL the row also says where the node is reached (`address`, for the files of
//! the runs it drove), its `labels` and `hostname` (`GET /api/nodes`), and which projects'
//! folders it has (`projects`, renewed with the heartbeat: requests that need a folder go to
//! a live node that has it, `http::file_proxy`).

use serde::Serialize;
use sqlx::FromRow;

use super::{now, Result, Store};

/// What a node says about itself when it starts.
#[derive(Debug, Clone)]
pub struct NodeInfo<'a> {
    pub id: &'a str,
    /// The process starting under this id (its lease owner, `host/pid/nonce`).
    pub process: &'a str,
    /// Its internal base URL (`http://10.0.0.5:4820`), for the other nodes.
    pub address: &'a str,
    pub labels: &'a [String],
    pub hostname: &'a str,
    /// The projects whose folder is on this node, a JSON array of ids.
    pub projects: &'a str,
}

/// A node as `GET /api/nodes` lists it.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct NodeListRow {
    pub id: String,
    pub address: Option<String>,
    pub hostname: Option<String>,
    /// The labels as JSON text (the API parses them).
    #[serde(skip)]
    pub labels: String,
    /// The ids of the projects whose folder it has, as JSON text.
    #[serde(skip)]
    pub projects: String,
    pub started_at: String,
    pub heartbeat_at: String,
    /// Runs `running` under this node's lease now.
    pub runs_driven: i64,
}

/// How often a node renews its row.
pub const HEARTBEAT_SECS: i64 = 5;
/// A node whose row is older than this is taken for dead.
pub const ALIVE_SECS: i64 = 3 * HEARTBEAT_SECS;

pub struct NodeRow;

impl NodeRow {
    /// Records (or renews) this server node's heartbeat; with `projects` (a JSON array of
    /// ids), the projects whose folder it has now.
    pub async fn heartbeat(store: &Store, id: &str, projects: Option<&str>) -> Result<()> {
        let ts = now();
        on_db!(
            store,
            "INSERT INTO engine_nodes (id, kind, started_at, heartbeat_at, projects)
                 VALUES (?1, 'serve', ?2, ?2, COALESCE(?3, '[]'))
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at,
                 projects = COALESCE(?3, engine_nodes.projects)",
            |pool, sql| sqlx::query(sql)
                .bind(id)
                .bind(&ts)
                .bind(projects)
                .execute(pool)
                .await
                .map(drop)
        )?;
        Ok(())
    }

    /// The live server nodes other than `except` that have an address (and project
    /// `project`'s folder, when given), freshest heartbeat first: (id, address).
    pub async fn live_elsewhere(store: &Store, except: &str, project: Option<&str>) -> Result<Vec<(String, String)>> {
        let since = alive_since();
        Ok(on_db!(
            store,
            "SELECT id, address FROM engine_nodes
             WHERE kind = 'serve' AND heartbeat_at >= ?1 AND id <> ?2 AND address IS NOT NULL
               AND (?3 IS NULL OR ?3 IN (SELECT value FROM json_each(projects)))
             ORDER BY heartbeat_at DESC, id",
            |pool, sql| sqlx::query_as(sql)
                .bind(&since)
                .bind(except)
                .bind(project)
                .fetch_all(pool)
                .await
        )?)
    }

    /// Records this node (at start): its address, labels and hostname, and a first heartbeat.
    /// A node restarted under its stable id takes its old row over (`started_at` is then
    /// the new process's start).
    pub async fn register(store: &Store, node: &NodeInfo<'_>) -> Result<()> {
        let ts = now();
        let labels = serde_json::to_string(node.labels).unwrap_or_else(|_| "[]".into());
        on_db!(
            store,
            "INSERT INTO engine_nodes (id, kind, started_at, heartbeat_at, address, labels, hostname, process, projects)
                 VALUES (?1, 'serve', ?2, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at,
                 heartbeat_at = excluded.heartbeat_at, address = excluded.address,
                 labels = excluded.labels, hostname = excluded.hostname, process = excluded.process,
                 projects = excluded.projects",
            |pool, sql| sqlx::query(sql)
                .bind(node.id)
                .bind(&ts)
                .bind(node.address)
                .bind(&labels)
                .bind(node.hostname)
                .bind(node.process)
                .bind(node.projects)
                .execute(pool)
                .await
                .map(drop)
        )?;
        Ok(())
    }

    /// Every node with a row, newest first, with how many runs each drives now.
    pub async fn list(store: &Store) -> Result<Vec<NodeListRow>> {
        Ok(on_db!(
            store,
            "SELECT n.id, n.address, n.hostname, n.labels, n.projects, n.started_at, n.heartbeat_at,
                    (SELECT count(*) FROM workflow_runs r WHERE r.status = 'running' AND r.node_id = n.id)
                        AS runs_driven
             FROM engine_nodes n ORDER BY n.started_at DESC, n.id",
            |pool, sql| sqlx::query_as(sql).fetch_all(pool).await
        )?)
    }

    /// Node `id`'s address and whether its heartbeat is recent; None for no such node.
    pub async fn address_of(store: &Store, id: &str) -> Result<Option<(Option<String>, bool)>> {
        let row: Option<(Option<String>, String)> = on_db!(
            store,
            "SELECT address, heartbeat_at FROM engine_nodes WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?;
        Ok(row.map(|(address, beat)| (address, is_alive(&beat))))
    }

    /// The process that last started under node id `id`, if its heartbeat is recent.
    pub async fn live_process(store: &Store, id: &str) -> Result<Option<String>> {
        let row: Option<(Option<String>, String)> = on_db!(
            store,
            "SELECT process, heartbeat_at FROM engine_nodes WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?;
        Ok(row.filter(|(_, beat)| is_alive(beat)).and_then(|(process, _)| process))
    }

    /// Removes this node's row (a clean shutdown), and rows long dead.
    pub async fn leave(store: &Store, id: &str) -> Result<()> {
        let old = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        on_db!(
            store,
            "DELETE FROM engine_nodes WHERE id = ? OR heartbeat_at < ?",
            |pool, sql| { sqlx::query(sql).bind(id).bind(&old).execute(pool).await.map(drop) }
        )?;
        Ok(())
    }

    /// The live server nodes, as placement reads them: (id, labels, projects), the last two
    /// as JSON text.
    pub async fn live_placement(store: &Store) -> Result<Vec<(String, String, String)>> {
        let since = alive_since();
        Ok(on_db!(
            store,
            "SELECT id, labels, projects FROM engine_nodes WHERE kind = 'serve' AND heartbeat_at >= ? ORDER BY id",
            |pool, sql| sqlx::query_as(sql).bind(&since).fetch_all(pool).await
        )?)
    }

    /// The ids of the server nodes whose heartbeat is recent.
    pub async fn live_servers(store: &Store) -> Result<Vec<String>> {
        let since = alive_since();
        let rows: Vec<(String,)> = on_db!(
            store,
            "SELECT id FROM engine_nodes WHERE kind = 'serve' AND heartbeat_at >= ?",
            |pool, sql| sqlx::query_as(sql).bind(&since).fetch_all(pool).await
        )?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

/// Whether a heartbeat written at `heartbeat_at` is recent enough for a live node.
pub fn is_alive(heartbeat_at: &str) -> bool {
    heartbeat_at >= alive_since().as_str()
}

/// The oldest heartbeat of a live node, as stored.
fn alive_since() -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(ALIVE_SECS)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
