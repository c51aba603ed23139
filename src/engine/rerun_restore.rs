//! Where a rerun from a step of a worktree run starts its worktree: at the snapshot taken
//! before that step (the newest snapshot of a step before it in step order), or at the
//! parent's base commit when no step before it has one; so the code is as it was before the
//! step, not as the failed attempt left it.

use super::{Engine, EngineError};
use crate::store::snapshots::SnapshotRow;
use crate::store::steps::StepRow;
use crate::store::workspaces::WorkspaceRow;

impl Engine {
    /// The commit a rerun of `parent_id` from step `from` starts its worktree at; None if
    /// the parent has no worktree (or never made it).
    pub(super) async fn restore_point(&self, parent_id: &str, from: &StepRow) -> Result<Option<String>, EngineError> {
        let store = self.store();
        let Some(ws) = WorkspaceRow::get(store, parent_id).await? else {
            return Ok(None);
        };
        let before = SnapshotRow::before_step(store, parent_id, from.step_index).await?;
        Ok(before.map(|s| s.commit).or(ws.base_commit))
    }
}
