//! Concurrency keys in `workflow_runs` (`concurrency_key`, `concurrency_limit`): how many
//! runs with a key are `running` (whichever process drives them: a server or a
//! `workflow-engine run`), for the claim that refuses a run past its limit (`KEY_HAS_ROOM`, used
//! by `RunRow::claim`), the server's queue and the terminal that waits for its turn.

use std::collections::HashMap;

use super::runs::RunRow;
use super::{Result, Store};

/// A run `o` counts for its key while it is `running` under a live lease: a `workflow-engine
/// run` killed with -9 leaves its run `running`, but its lease (renewed every 10 s, 30 s long)
/// lapses and the key is free again. Timestamps are `store::now()`'s format, which SQLite's
/// `strftime` gives too.
macro_rules! live_running {
    () => {
        "o.status = 'running' AND (o.lease_expires_at IS NULL
            OR o.lease_expires_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
    };
}

/// The condition `RunRow::claim` adds to its `UPDATE workflow_runs ... WHERE`: the run has no
/// key, or fewer than its limit of other runs with its key are `running` (lease live).
pub(super) const KEY_HAS_ROOM: &str = concat!(
    "(concurrency_key IS NULL OR
    (SELECT count(*) FROM workflow_runs o
      WHERE o.concurrency_key = workflow_runs.concurrency_key AND ",
    live_running!(),
    " AND o.id <> workflow_runs.id) < COALESCE(concurrency_limit, 1))"
);

/// `KEY_HAS_ROOM` on PostgreSQL (`store::dialect` rewrites the one into the other): the same
/// count, under a lock of the key, in a snapshot taken after it (the PG migration's
/// `workflow_engine_key_has_room`). A statement's snapshot is taken when it starts, so
/// without it two claims of two runs of a key at once would each count neither.
pub(super) const KEY_HAS_ROOM_PG: &str = "(concurrency_key IS NULL OR workflow_engine_key_has_room(workflow_runs.id, \
     workflow_runs.concurrency_key, COALESCE(concurrency_limit, 1)))";

/// A run's key, its limit, and how many other runs with that key are `running` now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLoad {
    pub key: String,
    pub limit: i64,
    pub running: i64,
}

impl KeyLoad {
    /// Whether a run of this key must wait: its limit is reached.
    pub fn is_full(&self) -> bool {
        self.running >= self.limit
    }
}

/// A queued run's key and limit (`RunRow::keys_of`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    pub run_id: String,
    pub key: String,
    pub limit: i64,
    pub created_at: String,
}

impl RunRow {
    /// The run's key with the other runs of it `running` now (lease live); None for a run
    /// without a key (or no such run).
    pub async fn key_load(store: &Store, id: &str) -> Result<Option<KeyLoad>> {
        let row: Option<(String, i64, i64)> = on_read!(
            store,
            concat!(
                "SELECT r.concurrency_key, COALESCE(r.concurrency_limit, 1),
                    (SELECT count(*) FROM workflow_runs o
                      WHERE o.concurrency_key = r.concurrency_key AND ",
                live_running!(),
                " AND o.id <> r.id)
             FROM workflow_runs r WHERE r.id = ? AND r.concurrency_key IS NOT NULL"
            ),
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?;
        Ok(row.map(|(key, limit, running)| KeyLoad { key, limit, running }))
    }

    /// The keys of those of `ids` that have one.
    pub async fn keys_of(store: &Store, ids: &[String]) -> Result<Vec<RunKey>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT id, concurrency_key, COALESCE(concurrency_limit, 1), created_at FROM workflow_runs
                 WHERE id IN ({marks}) AND concurrency_key IS NOT NULL"
            );
            let rows: Vec<(String, String, i64, String)> = on_read!(store, sql, |pool, sql| {
                let mut q = sqlx::query_as::<_, (String, String, i64, String)>(sql);
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(pool).await
            })?;
            out.extend(rows.into_iter().map(|(run_id, key, limit, created_at)| RunKey {
                run_id,
                key,
                limit,
                created_at,
            }));
        }
        Ok(out)
    }

    /// The runs `running` now (lease live) with a key: (run id, key). Few: a server drives a
    /// handful.
    pub async fn running_keys(store: &Store) -> Result<Vec<(String, String)>> {
        Ok(on_read!(
            store,
            concat!(
                "SELECT id, concurrency_key FROM workflow_runs o WHERE concurrency_key IS NOT NULL AND ",
                live_running!()
            ),
            |pool, sql| sqlx::query_as(sql).fetch_all(pool).await
        )?)
    }

    /// How many runs with each of `keys` are `running` now, lease live (a key none runs is
    /// absent).
    pub async fn running_per_key(store: &Store, keys: &[&str]) -> Result<HashMap<String, i64>> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT concurrency_key, count(*) FROM workflow_runs o
                 WHERE concurrency_key IN ({marks}) AND {} GROUP BY concurrency_key",
                live_running!()
            );
            let rows: Vec<(String, i64)> = on_read!(store, sql, |pool, sql| {
                let mut q = sqlx::query_as::<_, (String, i64)>(sql);
                for k in chunk {
                    q = q.bind(*k);
                }
                q.fetch_all(pool).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// The `pending` runs with `key`, oldest first: (run id).
    pub async fn pending_with_key(store: &Store, key: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_read!(
            store,
            "SELECT id FROM workflow_runs WHERE concurrency_key = ? AND status = 'pending'
             ORDER BY created_at, id",
            |pool, sql| sqlx::query_as(sql).bind(key).fetch_all(pool).await
        )?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
