//! Nodes waking each other through PostgreSQL's `LISTEN/NOTIFY`.
//!
//! Three channels: `workflow_engine_events` (payload: the last `seq` of an event batch, sent by
//! the journal's insert at commit) wakes every node's journal tail, so its WebSocket clients
//! get events whichever node produced them; `workflow_engine_wake` (payload: a run id, sent by
//! `Store::notify_wake`) tells every node's scheduler that a run became claimable or that
//! what its driver must do changed (a decision, a signal); `workflow_engine_control`
//! (payload: a run id, sent by `Store::notify_control` when a pause or cancel request is
//! written to the run's row) tells the node driving that run to read the request now.
//! On SQLite (one process drives everything) both are no-ops. Polling stays as the fallback:
//! a notification lost while a listener reconnects is found by the next poll, and every
//! reconnection is reported as a wake-up of every kind.

use std::time::Duration;

use super::Store;

pub const EVENTS_CHANNEL: &str = "workflow_engine_events";
pub const WAKE_CHANNEL: &str = "workflow_engine_wake";
pub const CONTROL_CHANNEL: &str = "workflow_engine_control";

/// What a listener heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// New events in the journal, up to this `seq`.
    Events(i64),
    /// Run `id` has something for a scheduler to do.
    Wake(String),
    /// Run `id` has a new pause or cancel request in its row, for the node driving it.
    Control(String),
    /// The listener (re)connected: anything may have been missed meanwhile.
    Connected,
}

impl Store {
    /// Tells every node that run `run_id` may be claimed now, or that its driver has something
    /// to apply (no-op on SQLite). Best effort: a lost wake-up is found by polling.
    pub async fn notify_wake(&self, run_id: &str) {
        self.notify(WAKE_CHANNEL, run_id).await
    }

    /// Tells the node driving run `run_id` that its row has a new pause or cancel request
    /// (no-op on SQLite). Best effort: the driver's poll of the row finds a lost one.
    pub async fn notify_control(&self, run_id: &str) {
        self.notify(CONTROL_CHANNEL, run_id).await
    }

    async fn notify(&self, channel: &str, run_id: &str) {
        if self.is_lite() {
            return;
        }
        let sent = on_pg!(self, |pool| sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(run_id)
            .execute(pool)
            .await);
        if let Err(e) = sent {
            tracing::debug!(run = %run_id, %channel, error = %e, "cannot send a notification");
        }
    }

    /// Listens on every channel until the process ends, reconnecting, calling `heard` for
    /// each notification (None on SQLite: nothing to listen to).
    pub fn listen<F>(&self, heard: F) -> Option<tokio::task::JoinHandle<()>>
    where
        F: Fn(Heard) + Send + Sync + 'static,
    {
        let url = self.database_url()?.to_string();
        if self.is_lite() {
            return None;
        }
        Some(tokio::spawn(async move {
            loop {
                match listen_once(&url, &heard).await {
                    Ok(()) => {}
                    Err(e) => tracing::warn!(error = %e, "the database's notifications stopped; reconnecting"),
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }))
    }
}

async fn listen_once<F: Fn(Heard)>(url: &str, heard: &F) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener
        .listen_all([EVENTS_CHANNEL, WAKE_CHANNEL, CONTROL_CHANNEL])
        .await?;
    heard(Heard::Connected);
    loop {
        let n = listener.try_recv().await?;
        let Some(n) = n else {
            return Ok(());
        };
        match n.channel() {
            EVENTS_CHANNEL => heard(Heard::Events(n.payload().parse().unwrap_or(0))),
            WAKE_CHANNEL => heard(Heard::Wake(n.payload().to_string())),
            CONTROL_CHANNEL => heard(Heard::Control(n.payload().to_string())),
            _ => {}
        }
    }
}
