//! Why a `pending` run has not started, as the API shows it (`Run.queue`): the server's limit
//! on runs driven at once, or its concurrency key's limit (`Run.concurrency`), with its place
//! among the runs waiting for the same thing.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{QueueReason, RunStatus};
use crate::store::runs::RunRow;

/// A queued run's place.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct QueueInfo {
    pub reason: QueueReason,
    /// 1 for the run that starts next: among the runs waiting for a slot, or (reason
    /// `concurrency_key`) among the runs waiting for the same key.
    pub position: i64,
    /// Runs driven now.
    pub running: i64,
    /// The most runs driven at once.
    pub limit: i64,
    /// The concurrency key it waits for; null when it waits for a slot.
    pub key: Option<String>,
    /// Runs with that key running now (on any server or terminal); null when it waits for a slot.
    pub key_running: Option<i64>,
    /// The most runs with that key running at once; null when it waits for a slot.
    pub key_limit: Option<i64>,
}

/// A run's concurrency key and limit.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct ConcurrencyInfo {
    /// Rendered from the run's arguments when it was created (`repo:acme/api`).
    pub key: String,
    pub limit: i64,
}

impl ConcurrencyInfo {
    pub fn of(run: &RunRow) -> Option<ConcurrencyInfo> {
        Some(ConcurrencyInfo {
            key: run.concurrency_key.clone()?,
            limit: run.concurrency_limit.unwrap_or(1),
        })
    }
}

impl QueueInfo {
    /// The places of these runs among the Runner's queued runs that are still `pending`
    /// (runs cancelled while queued wait there for their turn, and are skipped). A run whose
    /// key is full waits for its key, placed among that key's waiting runs (the Runner's
    /// first, then those a terminal waits to drive, oldest first); the others wait for a slot.
    pub async fn of_runs(
        store: &crate::store::Store,
        runner: &crate::engine::scheduler::Runner,
        runs: &[&RunRow],
    ) -> Result<HashMap<String, QueueInfo>, crate::store::StoreError> {
        let mut out = HashMap::new();
        if !runs.iter().any(|r| r.status == RunStatus::Pending) {
            return Ok(out);
        }
        let queue = runner.queue();
        let pending: HashSet<String> = RunRow::pending_among(store, &queue.order).await?.into_iter().collect();
        let mut seen = HashSet::new();
        let queued: Vec<&String> = queue
            .order
            .iter()
            .filter(|id| pending.contains(*id) && seen.insert(*id))
            .collect();
        let queued_ids: Vec<String> = queued.iter().map(|id| id.to_string()).collect();
        let mut keys: HashMap<String, (String, i64)> = RunRow::keys_of(store, &queued_ids)
            .await?
            .into_iter()
            .map(|k| (k.run_id, (k.key, k.limit)))
            .collect();
        for r in runs.iter().filter(|r| r.status == RunStatus::Pending) {
            if let Some(key) = &r.concurrency_key {
                keys.insert(r.id.clone(), (key.clone(), r.concurrency_limit.unwrap_or(1)));
            }
        }
        let key_names: HashSet<&str> = keys.values().map(|(k, _)| k.as_str()).collect();
        let key_names: Vec<&str> = key_names.into_iter().collect();
        let running = RunRow::running_per_key(store, &key_names).await?;
        let full = |id: &str| -> Option<(String, i64, i64)> {
            let (key, limit) = keys.get(id)?;
            let now = running.get(key).copied().unwrap_or(0);
            (now >= *limit).then(|| (key.clone(), now, *limit))
        };
        let asked = |id: &str| runs.iter().any(|r| r.id == id && r.status == RunStatus::Pending);
        let (mut slot_place, mut key_places) = (0, HashMap::<String, i64>::new());
        for id in &queued {
            let info = match full(id) {
                Some((key, now, limit)) => {
                    let place = key_places.entry(key.clone()).or_default();
                    *place += 1;
                    key_info(*place, &queue, key, now, limit)
                }
                None => {
                    slot_place += 1;
                    QueueInfo {
                        reason: QueueReason::ConcurrencyLimit,
                        position: slot_place,
                        running: queue.running as i64,
                        limit: queue.limit as i64,
                        key: None,
                        key_running: None,
                        key_limit: None,
                    }
                }
            };
            if asked(id) {
                out.insert(id.to_string(), info);
            }
        }
        // Pending runs this server does not hold whose key is full: a terminal waits to
        // drive them (`workflow-engine run`).
        for r in runs.iter().filter(|r| r.status == RunStatus::Pending) {
            if out.contains_key(&r.id) {
                continue;
            }
            let Some((key, now, limit)) = full(&r.id) else {
                continue;
            };
            let waiting = RunRow::pending_with_key(store, &key).await?;
            let ahead = waiting
                .iter()
                .filter(|id| !seen.contains(id))
                .position(|id| *id == r.id)
                .unwrap_or(0) as i64;
            let before = key_places.get(&key).copied().unwrap_or(0);
            out.insert(r.id.clone(), key_info(before + ahead + 1, &queue, key, now, limit));
        }
        Ok(out)
    }
}

fn key_info(
    position: i64,
    queue: &crate::engine::scheduler::QueueSnapshot,
    key: String,
    running: i64,
    limit: i64,
) -> QueueInfo {
    QueueInfo {
        reason: QueueReason::ConcurrencyKey,
        position,
        running: queue.running as i64,
        limit: queue.limit as i64,
        key: Some(key),
        key_running: Some(running),
        key_limit: Some(limit),
    }
}
