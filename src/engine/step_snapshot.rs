//! The snapshot taken when a script or agent step of a worktree run ends (completed or
//! failed, never for a memoized replay): the worktree recorded as a commit on
//! `refs/workflow-engine/<run-id>/<step-row-id>` on top of the run's previous snapshot (or
//! the worktree's base commit), its row in `step_snapshots`, and a `snapshot` record in the
//! step's `events.jsonl`. A snapshot that cannot be taken is said in the log and the step's
//! `events.jsonl`; it never fails the step.

use serde_json::json;

use super::host::StepHost;
use crate::store::snapshots::{NewSnapshot, SnapshotRow};
use crate::store::steps::StepRow;
use crate::workspace::snapshot::{self, snapshot_ref};

impl StepHost {
    /// Records the worktree after step `row` (its try `attempt`) ended, if the run has one.
    pub(super) async fn snapshot_step(&self, row: &StepRow, attempt: i64) {
        let Some(ws) = &self.workspace else { return };
        let record = match self.take_snapshot(row, &ws.path, &ws.start).await {
            Ok(snap) => json!({
                "ts": crate::store::now(), "type": "snapshot", "commit": snap.commit, "parent": snap.parent,
                "files_changed": snap.files_changed, "additions": snap.additions, "deletions": snap.deletions,
            }),
            Err(error) => {
                tracing::warn!(run = %self.run_id, step = %row.step_id, %error, "the step's snapshot could not be taken");
                json!({ "ts": crate::store::now(), "type": "snapshot_failed", "error": error })
            }
        };
        let (files, step_id) = (self.files.clone(), row.step_id.clone());
        self.write(move || files.append_attempt_event(&step_id, attempt, &record).map(drop));
    }

    async fn take_snapshot(
        &self,
        row: &StepRow,
        worktree: &std::path::Path,
        start: &str,
    ) -> Result<SnapshotRow, String> {
        let store = self.engine.store();
        // One snapshot of a worktree at a time: each one's parent is the one before.
        let _turn = snapshot::lock(worktree).await;
        // A step tried again keeps the parent of its first snapshot (what it changed is then
        // all its tries' changes); a first one's parent is the run's newest snapshot.
        let own = SnapshotRow::for_step(store, &row.id).await.map_err(|e| e.to_string())?;
        let parent = match own {
            Some(own) => own.parent,
            None => SnapshotRow::latest_for_run(store, &self.run_id)
                .await
                .map_err(|e| e.to_string())?
                .map_or_else(|| start.to_string(), |s| s.commit),
        };
        let message = format!("workflow-engine: run {} step {} ({})", self.run_id, row.step_id, row.id);
        let snap = snapshot::take(worktree, &parent, &snapshot_ref(&self.run_id, &row.id), &message)
            .await
            .map_err(|e| e.to_string())?;
        let new = NewSnapshot {
            step_row_id: &row.id,
            run_id: &self.run_id,
            commit: &snap.commit,
            parent: &snap.parent,
            files_changed: &snap.files,
            additions: snap.additions,
            deletions: snap.deletions,
            head: snap.head.as_deref(),
        };
        SnapshotRow::record(store, new).await.map_err(|e| e.to_string())
    }
}
