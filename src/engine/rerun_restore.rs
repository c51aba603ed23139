//! Where a rerun from a step of a worktree run starts its worktree: its branch at the commit
//! the parent's branch was on when the snapshot before that step was taken (the newest
//! snapshot of a step before it in step order), with that snapshot's files put over it as
//! uncommitted changes; or at the parent's base commit when no step before it has one. So the
//! code is as it was before the step, not as the failed attempt left it, and the branch's
//! history is the parent's (no snapshot commit of the engine's lands on it).

use super::{Engine, EngineError};
use crate::store::snapshots::SnapshotRow;
use crate::store::steps::StepRow;
use crate::store::workspaces::WorkspaceRow;

impl Engine {
    /// Where a rerun of `parent_id` from step `from` starts its worktree: (the commit its
    /// branch starts at, the snapshot whose files go over it); None if the parent has no
    /// worktree (or never made it).
    pub(super) async fn restore_point(
        &self,
        parent_id: &str,
        from: &StepRow,
    ) -> Result<Option<(String, Option<String>)>, EngineError> {
        let store = self.store();
        let Some(ws) = WorkspaceRow::get(store, parent_id).await? else {
            return Ok(None);
        };
        let before = SnapshotRow::before_step(store, parent_id, from.step_index).await?;
        Ok(match (before, ws.base_commit) {
            // A snapshot without the branch's commit (git could not say): its commit is all
            // there is to start from.
            (Some(snap), base) => Some((
                snap.head.or(base).unwrap_or_else(|| snap.commit.clone()),
                Some(snap.commit),
            )),
            (None, Some(base)) => Some((base, None)),
            (None, None) => None,
        })
    }
}
