//! A run's git workspace: the worktree a run with `workspace: { isolation: "worktree" }`
//! works in, outside the project's working tree. `git` runs the system git with a clean
//! environment; `worktree` makes, finds again and removes a worktree. The engine decides
//! when (`engine::workspace`, with the row in `store::workspaces`); this module only knows
//! git. `snapshot` records a worktree's tree after each step as a commit of its own, and
//! `changes` says what changed between two of them (the file list, the capped diff).

pub mod changes;
pub mod git;
pub mod snapshot;
#[cfg(test)]
mod snapshot_tests;
pub mod worktree;

use std::path::PathBuf;

pub use git::{git, GitError};

/// A run's worktree, as its steps see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunWorkspace {
    /// The worktree's folder (the run's working copy).
    pub path: PathBuf,
    /// The project checkout it was made from (`ctx.repoPath`, `WORKFLOW_REPO_PATH`).
    pub repo: PathBuf,
    pub branch: String,
    /// The commit the worktree's branch started from.
    pub base_commit: String,
    /// The tree its files started as: `base_commit`, or for a rerun from a step the
    /// parent's snapshot put over it (the parent of the run's first snapshot).
    pub start: String,
    /// What its steps may reach of the repository (found when it was made); None where git
    /// could not say, and then they reach only the worktree.
    pub git: Option<crate::subprocess::confine::GitAccess>,
}

/// The folder worktrees are made in: the configured one, else `<data-dir>/worktrees`.
pub fn worktrees_root(configured: Option<&std::path::Path>, data_dir: &std::path::Path) -> PathBuf {
    configured
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| data_dir.join("worktrees"))
}
