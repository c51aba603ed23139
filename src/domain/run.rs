//! A run's status (`workflow_runs.status`, the spec's state machine) and the pause or cancel
//! request another process leaves for the engine driving it (`workflow_runs.control_request`).

wire_enum! {
    /// Where a run is in its life: `pending` → `running` → `completed` | `failed` |
    /// `cancelled`, with `paused` (and a failed run) able to go back to `pending`/`running`.
    pub enum RunStatus {
        Pending = "pending",
        Running = "running",
        Paused = "paused",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl RunStatus {
    /// The run has ended for good or for now: nothing drives it and none of its steps run.
    pub const STOPPED: [RunStatus; 4] = [
        RunStatus::Paused,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];
    /// The run has ended: `completed`, `failed` or `cancelled`.
    pub const ENDED: [RunStatus; 3] = [RunStatus::Completed, RunStatus::Failed, RunStatus::Cancelled];

    /// Whether the run has ended (`completed`, `failed` or `cancelled`). A failed run can
    /// still be resumed; this says only that nothing drives it any more.
    pub fn is_terminal(self) -> bool {
        RunStatus::ENDED.contains(&self)
    }

    /// Whether `resume` may queue the run again (on the server): it is paused or failed.
    pub fn is_resumable(self) -> bool {
        matches!(self, RunStatus::Paused | RunStatus::Failed)
    }

    /// Whether the run is waiting for or under an engine: `pending` or `running`.
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Pending | RunStatus::Running)
    }
}

wire_enum! {
    /// What another process asks of the engine driving a run.
    pub enum ControlRequest {
        Pause = "pause",
        Cancel = "cancel",
    }
}
