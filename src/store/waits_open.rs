//! The needs-you list's query: the approval gates (and retry waits) open now, with their
//! runs' names (`WaitRow::pending_approvals`).

use super::steps::STEP_COLUMNS;
use super::waits::{pending_from_direct, OpenGate, PendingWait, WaitRow};
use super::{Result, Store};

impl WaitRow {
    /// The approval gates waiting now in these projects (`None`: every project), oldest
    /// first, at most `limit`.
    pub async fn pending_approvals(store: &Store, project_ids: Option<&[String]>, limit: i64) -> Result<Vec<OpenGate>> {
        if !store.is_lite() {
            return on_pg!(store, |pool| super::waits_pg::pending_approvals(
                pool,
                project_ids,
                limit
            )
            .await);
        }
        let ids = project_ids.map(|p| serde_json::to_string(p).expect("ids serialise"));
        store.write_now(|db| {
            let mut select = db.prepare_cached(
                // The index holds the open approvals and retry waits in this order (the
                // planner, without statistics, would rather read every open one by kind).
                "SELECT w.*, s.*, r.name, r.project_id, COALESCE(d.name, '')
                 FROM workflow_waits w INDEXED BY workflow_waits_needs_you
                 JOIN workflow_run_steps s ON s.id = w.step_row_id
                 JOIN workflow_runs r ON r.id = w.workflow_run_id
                 LEFT JOIN workflow_definitions d ON d.id = r.workflow_definition_id
                 WHERE w.resolved_at IS NULL AND w.kind IN ('approval', 'retry') AND s.status = 'waiting'
                   AND r.status IN ('waiting', 'running', 'pending')
                   AND (?1 IS NULL OR r.project_id IN (SELECT value FROM json_each(?1)))
                 ORDER BY w.created_at LIMIT ?2",
            )?;
            let rows = select.query_map(rusqlite::params![ids, limit], |r| {
                let PendingWait { wait, step } = pending_from_direct(r)?;
                Ok(OpenGate {
                    wait,
                    step,
                    run_name: r.get(8 + STEP_COLUMNS)?,
                    project_id: r.get(9 + STEP_COLUMNS)?,
                    workflow_name: r.get(10 + STEP_COLUMNS)?,
                })
            })?;
            rows.collect()
        })
    }
}
