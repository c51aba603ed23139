//! The engine's vocabulary as types: every status, kind and mode that the database stores in
//! a `CHECK`ed TEXT column, the API and events send as a string, and the code branches on.
//!
//! Pure types, no IO. Each enum is declared once with its wire string (`wire_enum!`), which
//! is at once its serde name, its sqlx name, its rusqlite value and its `as_str()`, so the
//! column, the JSON and the code cannot disagree; `tests` checks the value sets against the
//! migrations' `CHECK` lists. `run` has a run's status and control request, `step` a step's
//! status, kind and result, `agent` the agent CLIs, their permission modes and sessions,
//! `files` comment and artifact types and the definition's format.

#[macro_use]
mod wire;
pub mod agent;
pub mod budget;
pub mod changes;
pub mod files;
pub mod run;
pub mod step;
#[cfg(test)]
mod tests;
pub mod workspace;

pub use agent::{AgentKind, OnInterrupt, Permission, SessionStatus};
pub use budget::BudgetLimit;
pub use changes::{FileChange, FileChangeStatus};
pub use files::{CommentType, DefinitionKind, FileType};
pub use run::{ControlRequest, QueueReason, RunStatus};
pub use step::{AttemptOutcome, StepKind, StepResult, StepStatus, WaitKind};
pub use workspace::{Isolation, KeepPolicy, WorkspaceState};

/// A string that is not one of an enum's wire values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {what}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}
