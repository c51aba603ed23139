//! What a step changed in a run's worktree: one file's change between two snapshots
//! (`files_changed` on a step's snapshot and the diff endpoints).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

wire_enum! {
    /// How a file changed between two commits.
    pub enum FileChangeStatus {
        Added = "added",
        Modified = "modified",
        Deleted = "deleted",
        Renamed = "renamed",
    }
}

/// One file changed between two commits, with its line counts (0 for a binary file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileChange {
    /// The path in the tree (the new path of a renamed file).
    pub path: String,
    /// A renamed file's path before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: FileChangeStatus,
    pub additions: u64,
    pub deletions: u64,
    pub binary: bool,
}
