//! `workflow_events`: the journal of every event, numbered by `seq`.
//!
//! The journal keeps what it is given: an event's wire type name and its data as JSON text,
//! written once by `crate::events` and read back as that same text, so nothing here knows
//! the events themselves.

use serde::Serialize;
use sqlx::FromRow;

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

/// An event to append: whose it is, its type (`workflow.step.started`), its data as JSON.
#[derive(Debug)]
pub struct NewEvent {
    pub project_id: String,
    pub execution_id: String,
    pub kind: String,
    pub data: String,
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
    pub async fn insert_batch(store: &Store, events: &[NewEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let ts = now();
        if !store.is_lite() {
            let column = |f: fn(&NewEvent) -> &str| events.iter().map(|e| f(e).to_string()).collect::<Vec<String>>();
            on_pg!(store, |pool| {
                sqlx::query(
                "WITH turn AS (SELECT pg_advisory_xact_lock($6)),
                      added AS (
                        INSERT INTO workflow_events (project_id, execution_id, type, data, created_at)
                        SELECT e.p, e.x, e.t, e.d, $5
                          FROM turn, unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(p, x, t, d, n)
                         ORDER BY e.n
                        RETURNING seq)
                 SELECT pg_notify('workflow_engine_events', CAST(MAX(seq) AS text)) FROM added"
            )
            .bind(column(|e| &e.project_id))
            .bind(column(|e| &e.execution_id))
            .bind(column(|e| &e.kind))
            .bind(column(|e| &e.data))
            .bind(&ts)
            .bind(EVENTS_LOCK)
            .execute(store.lazy_pool().unwrap_or(pool))
            .await
            })?;
            return Ok(());
        }
        store.write_now(|db| {
            let tx = db.unchecked_transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO workflow_events (project_id, execution_id, type, data, created_at)
                         VALUES (?, ?, ?, ?, ?)",
                )?;
                for event in events {
                    insert.execute(rusqlite::params![
                        event.project_id,
                        event.execution_id,
                        event.kind,
                        event.data,
                        ts
                    ])?;
                }
            }
            tx.commit()
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
