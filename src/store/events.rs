//! `workflow_events`: the journal of every event, numbered by `seq`.
//!
//! The journal keeps what it is given: an event's wire type name and its data as JSON text,
//! written once by `crate::events` and read back as that same text, so nothing here knows
//! the events themselves.

use serde::Serialize;
use sqlx::FromRow;

use super::fence::{fence_sql, Fence};
use super::{now, Result, Store};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub project_id: String,
    pub execution_id: Option<String>,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// The event's data as the JSON text it was journaled with.
    pub data: String,
    pub created_at: String,
}

/// An event to append: whose it is, its type (`workflow.step.started`), its data as JSON,
/// and the lease its run's driver held when it emitted it (none for other events).
#[derive(Debug)]
pub struct NewEvent {
    pub project_id: String,
    pub execution_id: String,
    pub kind: String,
    pub data: String,
    pub fence: Fence,
}

/// The PostgreSQL advisory lock that orders appends to the journal (any fixed number no
/// other lock of ours uses).
pub const EVENTS_LOCK: i64 = 0x5746_4556; // "WFEV"

/// The channel a node hears new events on (`NOTIFY`, payload the newest seq).
pub const EVENTS_CHANNEL: &str = "workflow_engine_events";

impl EventRow {
    /// Appends events in order, in one transaction: a statement per event, prepared once.
    ///
    /// On PostgreSQL, where several nodes append at once, one statement appends the batch
    /// under a transaction lock, so `seq` is given out in commit order (a reader that has
    /// seen seq N never finds a smaller one later), and wakes every node's listener
    /// (`NOTIFY workflow_engine_events`, sent at commit, payload the batch's last seq).
    /// Its commit does not wait for the disk (`Store::lazy_pool`): the journal is what the
    /// board replays, not the memo.
    ///
    /// An event emitted by the driver of a held run is fenced (`NewEvent::fence`): once
    /// another engine took the run over, it is not appended. Returns how many were not.
    pub async fn insert_batch(store: &Store, events: &[NewEvent]) -> Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        let ts = now();
        if !store.is_lite() {
            let column = |f: fn(&NewEvent) -> &str| events.iter().map(|e| f(e).to_string()).collect::<Vec<String>>();
            let owners: Vec<Option<String>> = events.iter().map(|e| e.fence.owner.clone()).collect();
            let versions: Vec<Option<i64>> = events.iter().map(|e| e.fence.version).collect();
            let (added,): (i64,) = on_pg!(store, |pool| {
                sqlx::query_as(
                    "WITH turn AS (SELECT pg_advisory_xact_lock($6)),
                      added AS (
                        INSERT INTO workflow_events (project_id, execution_id, type, data, created_at)
                        SELECT e.p, e.x, e.t, e.d, $5
                          FROM turn, unnest($1::text[], $2::text[], $3::text[], $4::text[], $7::text[], $8::bigint[])
                               WITH ORDINALITY AS e(p, x, t, d, o, v, n)
                         WHERE e.o IS NULL OR EXISTS (SELECT 1 FROM workflow_runs fenced
                                WHERE fenced.id = e.x AND fenced.lease_owner = e.o AND fenced.lease_version = e.v)
                         ORDER BY e.n
                        RETURNING seq),
                      notified AS (
                        SELECT pg_notify('workflow_engine_events', CAST(MAX(seq) AS text)) FROM added
                        HAVING COUNT(*) > 0)
                 SELECT (SELECT COUNT(*) FROM added) + 0 * (SELECT COUNT(*) FROM notified)",
                )
                .bind(column(|e| &e.project_id))
                .bind(column(|e| &e.execution_id))
                .bind(column(|e| &e.kind))
                .bind(column(|e| &e.data))
                .bind(&ts)
                .bind(EVENTS_LOCK)
                .bind(owners)
                .bind(versions)
                .fetch_one(store.lazy_pool().unwrap_or(pool))
                .await
            })?;
            return Ok(events.len() - added as usize);
        }
        store.write_now(|db| {
            let tx = db.unchecked_transaction()?;
            let mut added = 0;
            {
                let mut insert = tx.prepare_cached(concat!(
                    "INSERT INTO workflow_events (project_id, execution_id, type, data, created_at)
                         SELECT ?1, ?2, ?3, ?4, ?5 WHERE ",
                    fence_sql!("?2", "6", "7")
                ))?;
                for event in events {
                    added += insert.execute(rusqlite::params![
                        event.project_id,
                        event.execution_id,
                        event.kind,
                        event.data,
                        ts,
                        event.fence.owner,
                        event.fence.version
                    ])?;
                }
            }
            tx.commit()?;
            Ok(events.len() - added)
        })
    }

    /// Events after `seq`, oldest first, at most `limit`.
    pub async fn after(store: &Store, seq: i64, limit: i64) -> Result<Vec<EventRow>> {
        Ok(on_read!(
            store,
            "SELECT * FROM workflow_events WHERE seq > ? ORDER BY seq LIMIT ?",
            |pool, sql| sqlx::query_as(sql).bind(seq).bind(limit).fetch_all(pool).await
        )?)
    }

    pub async fn max_seq(store: &Store) -> Result<i64> {
        let row: (Option<i64>,) = on_db!(store, "SELECT MAX(seq) FROM workflow_events", |pool, sql| {
            sqlx::query_as(sql).fetch_one(pool).await
        })?;
        Ok(row.0.unwrap_or(0))
    }
}
