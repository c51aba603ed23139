//! Claims of runs by engine nodes on one database, and the leases they hold.
//!
//! A claim makes a run `running` under the claimer's lease, bumps its `lease_version` (the
//! fencing token `fence` checks) and records the node in `node_id`. On PostgreSQL, nodes race
//! for the same rows: a claim locks the run with `FOR UPDATE SKIP LOCKED` (a run another node
//! is claiming is passed over, never waited for), and serialises the claims of one
//! concurrency key with `pg_advisory_xact_lock(hashtext(key))`, and all claims when a
//! cluster-wide limit is set, so that the counts its `UPDATE` checks are never read by two
//! claims at once. SQLite serialises every write already.
//!
//! The reaper's side: `requeue_expired` takes runs whose lease lapsed (their node died or
//! lost the database) back to `pending`, and `next_lease_expiry` says when to look again.

use super::runs::{ClaimFrom, RunRow};
use super::{now, Dialect, Result, Store};

/// Advisory lock key serialising claims under a cluster-wide limit.
const CLUSTER_LIMIT_LOCK: i64 = 0x0077_656c_696d_6974;

/// Who claims, and the limits the claim checks in its statement.
#[derive(Debug, Clone)]
pub struct Claimer<'a> {
    /// The lease owner (the engine process: `host/pid/nonce`).
    pub owner: &'a str,
    /// The node recorded in `workflow_runs.node_id` (its `engine_nodes` id: stable across a
    /// node's restarts).
    pub node: &'a str,
    /// When the lease ends unless renewed (`store::now()`'s format).
    pub lease_until: &'a str,
    /// Runs `running` under a live lease, cluster-wide, past which nothing more is claimed.
    pub cluster_max: Option<i64>,
}

/// A run counts as running (for the cluster-wide limit) while its lease is live.
const CLUSTER_HAS_ROOM: &str = "(CAST(?6 AS BIGINT) IS NULL OR (SELECT count(*) FROM workflow_runs c
      WHERE c.status = 'running' AND c.id <> workflow_runs.id
        AND (c.lease_expires_at IS NULL OR c.lease_expires_at >= ?4)) < ?6)";

/// The claim statement. Parameters: 1 owner, 2 lease end, 3 run id, 4 now, 5 dead owner,
/// 6 cluster limit, 7 node id; statuses spliced in.
fn claim_sql(statuses: &str) -> String {
    use super::concurrency::KEY_HAS_ROOM;
    format!(
        "UPDATE workflow_runs SET status = 'running', lease_owner = ?1, lease_expires_at = ?2,
             control_request = NULL, started_at = COALESCE(started_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), paused_at = NULL,
             error_message = NULL, completed_at = NULL, wake_at = NULL, budget_stop = NULL,
             updated_at = ?4, lease_version = lease_version + 1, node_id = ?7
         WHERE id = ?3 AND status IN ({statuses})
           AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_owner = ?5 OR lease_expires_at < ?4)
           AND {KEY_HAS_ROOM} AND {CLUSTER_HAS_ROOM}
         RETURNING *"
    )
}

fn statuses(from: ClaimFrom) -> &'static str {
    match from {
        ClaimFrom::Queue => "'pending'",
        ClaimFrom::Resume => "'pending', 'paused', 'failed', 'running', 'waiting'",
    }
}

impl RunRow {
    /// Claims run `id` for `who` (see the module): None when it is not in a status `from`
    /// takes, is leased by a live process, another node is claiming it this instant, or its
    /// concurrency key or the cluster has its limit of runs running. `dead_owner` takes over
    /// the lease of an owner known to have died.
    pub async fn claim_for(
        store: &Store,
        id: &str,
        from: ClaimFrom,
        who: &Claimer<'_>,
        dead_owner: Option<&str>,
    ) -> Result<Option<RunRow>> {
        let ts = now();
        let sql = claim_sql(statuses(from));
        if store.is_lite() {
            return Ok(super::first_row(on_db!(store, &sql, |pool, sql| sqlx::query_as(sql)
                .bind(who.owner)
                .bind(who.lease_until)
                .bind(id)
                .bind(&ts)
                .bind(dead_owner)
                .bind(who.cluster_max)
                .bind(who.node)
                .fetch_all(pool)
                .await)?));
        }
        on_pg!(store, |pool| {
            let mut tx = pool.begin().await?;
            // One claim of a key (and, under a cluster limit, one claim) at a time: the
            // counts below are then never read by two claims at once.
            sqlx::query(
                "SELECT pg_advisory_xact_lock(hashtext(concurrency_key)) FROM workflow_runs
                 WHERE id = $1 AND concurrency_key IS NOT NULL",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            if who.cluster_max.is_some() {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(CLUSTER_LIMIT_LOCK)
                    .fetch_all(&mut *tx)
                    .await?;
            }
            // Another node claiming this run now holds its row: pass it by.
            let free: Option<(String,)> =
                sqlx::query_as("SELECT id FROM workflow_runs WHERE id = $1 FOR UPDATE SKIP LOCKED")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if free.is_none() {
                return Ok(None);
            }
            let rows: Vec<RunRow> = sqlx::query_as(&pool.sql(&sql))
                .bind(who.owner)
                .bind(who.lease_until)
                .bind(id)
                .bind(&ts)
                .bind(dead_owner)
                .bind(who.cluster_max)
                .bind(who.node)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, super::StoreError>(rows.into_iter().next())
        })
    }

    /// The oldest `pending` runs of `projects` (JSON array of ids) that no other node is
    /// claiming this instant (`SKIP LOCKED`) and no live process holds (a terminal that
    /// drives its own run: `NewRun::held_by`), at most `limit`, each with its concurrency key:
    /// candidates for `claim_for`.
    pub async fn claimable(store: &Store, projects: &str, limit: i64) -> Result<Vec<(String, Option<String>)>> {
        let lock = if store.is_lite() { "" } else { " FOR UPDATE SKIP LOCKED" };
        let sql = format!(
            "SELECT id, concurrency_key FROM workflow_runs
             WHERE status = 'pending' AND project_id IN (SELECT value FROM json_each(?1))
               AND (lease_owner IS NULL OR lease_expires_at < ?3)
             ORDER BY created_at, id LIMIT ?2{lock}"
        );
        Ok(on_db!(store, &sql, |pool, sql| sqlx::query_as(sql)
            .bind(projects)
            .bind(limit)
            .bind(now())
            .fetch_all(pool)
            .await)?)
    }

    /// Extends our lease while we drive the run; false when it is not ours any more (taken
    /// over: another claim bumped its version, or the reaper requeued it).
    pub async fn renew(store: &Store, id: &str, owner: &str, version: i64, lease_until: &str) -> Result<bool> {
        let done = on_db!(
            store,
            "UPDATE workflow_runs SET lease_expires_at = ?
             WHERE id = ? AND lease_owner = ? AND lease_version = ?",
            |pool, sql| sqlx::query(sql)
                .bind(lease_until)
                .bind(id)
                .bind(owner)
                .bind(version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        Ok(done > 0)
    }

    /// Runs `running` whose lease lapsed go back to `pending` (their driver died, or lost the
    /// database and stopped): any node with their project claims them, and resumes them from
    /// their memo. At most `limit`; the runs requeued.
    pub async fn requeue_expired(store: &Store, limit: i64) -> Result<Vec<RunRow>> {
        let ts = now();
        let lock = if store.is_lite() { "" } else { " FOR UPDATE SKIP LOCKED" };
        let sql = format!(
            "UPDATE workflow_runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                 updated_at = ?1, lapsed_node = COALESCE(node_id, lease_owner), lapsed_at = lease_expires_at
             WHERE id IN (SELECT id FROM workflow_runs WHERE status = 'running'
                            AND lease_expires_at IS NOT NULL AND lease_expires_at < ?1
                          ORDER BY lease_expires_at LIMIT ?2{lock})
               AND status = 'running' AND lease_expires_at < ?1
             RETURNING *"
        );
        Ok(on_db!(store, &sql, |pool, sql| sqlx::query_as(sql)
            .bind(&ts)
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    /// The earliest lease end of the runs `running`, if any: when the reaper looks next.
    pub async fn next_lease_expiry(store: &Store) -> Result<Option<String>> {
        let row: (Option<String>,) = on_read!(
            store,
            "SELECT MIN(lease_expires_at) FROM workflow_runs WHERE status = 'running'",
            |pool, sql| sqlx::query_as(sql).fetch_one(pool).await
        )?;
        Ok(row.0)
    }
}

/// What a server starting up picks up.
impl RunRow {
    /// Runs a server should pick up at start: queued ones and ones left running by a crash,
    /// but none a live process holds (a terminal waiting to drive its own `pending` run).
    pub async fn orphaned(store: &Store) -> Result<Vec<RunRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_runs WHERE status IN ('pending', 'running')
                AND (lease_owner IS NULL OR lease_expires_at < ?) ORDER BY id",
            |pool, sql| sqlx::query_as(sql).bind(now()).fetch_all(pool).await
        )?)
    }

    /// Runs left running, or queued for the process that created them, whose lease is held
    /// by someone; the caller checks if they died.
    pub async fn leased(store: &Store) -> Result<Vec<RunRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_runs WHERE status IN ('running', 'pending') AND lease_owner IS NOT NULL",
            |pool, sql| sqlx::query_as(sql).fetch_all(pool).await
        )?)
    }
}
