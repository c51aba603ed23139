//! A run's git workspace: whether it gets a worktree, what happens to it when the run ends,
//! and the state its row (`run_workspaces.state`) is in.

wire_enum! {
    /// `workspace.isolation`: the run works in the project checkout, or in a git worktree
    /// of its own.
    pub enum Isolation {
        None = "none",
        Worktree = "worktree",
    }
}

wire_enum! {
    /// `workspace.keep`: what becomes of the worktree when the run ends.
    pub enum KeepPolicy {
        Always = "always",
        OnFailure = "on-failure",
        Never = "never",
    }
}

wire_enum! {
    /// Where a run's worktree is in its life (`run_workspaces.state`).
    pub enum WorkspaceState {
        /// Recorded, not yet (or not completely) made.
        Creating = "creating",
        /// On disk; the run's steps work in it.
        Active = "active",
        /// The run ended and the worktree was left on disk (its keep policy).
        Kept = "kept",
        /// The run ended and the worktree was removed (the branch stays unless asked).
        Removed = "removed",
        /// It could not be made or found again; `error` says why.
        Failed = "failed",
    }
}
