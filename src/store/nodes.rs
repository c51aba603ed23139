//! `engine_nodes`: the engine processes that are alive. `serve` writes its row at start and
//! renews it; a CLI that records a decision or a signal asks whether a server will drive the
//! run on (`live_server`), or whether it should drive the run itself.

use super::{now, Result, Store};

/// How often a node renews its row.
pub const HEARTBEAT_SECS: i64 = 5;
/// A node whose row is older than this is taken for dead.
pub const ALIVE_SECS: i64 = 3 * HEARTBEAT_SECS;

pub struct NodeRow;

impl NodeRow {
    /// Records (or renews) this server node's heartbeat.
    pub async fn heartbeat(store: &Store, id: &str) -> Result<()> {
        let ts = now();
        on_db!(
            store,
            "INSERT INTO engine_nodes (id, kind, started_at, heartbeat_at) VALUES (?1, 'serve', ?2, ?2)
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            |pool, sql| sqlx::query(sql).bind(id).bind(&ts).execute(pool).await.map(drop)
        )?;
        Ok(())
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

    /// The ids of the server nodes whose heartbeat is recent.
    pub async fn live_servers(store: &Store) -> Result<Vec<String>> {
        let since = (chrono::Utc::now() - chrono::Duration::seconds(ALIVE_SECS))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let rows: Vec<(String,)> = on_db!(
            store,
            "SELECT id FROM engine_nodes WHERE kind = 'serve' AND heartbeat_at >= ?",
            |pool, sql| sqlx::query_as(sql).bind(&since).fetch_all(pool).await
        )?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
