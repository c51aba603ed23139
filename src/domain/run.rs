//! A run's status (`workflow_runs.status`, the spec's state machine) and the pause or cancel
//! request another process leaves for the engine driving it (`workflow_runs.control_request`).

wire_enum! {
    /// Where a run is in its life: `pending` → `running` → `completed` | `failed` |
    /// `cancelled`, with `paused` (and a failed run) able to go back to `pending`/`running`,
    /// and `waiting` (for a person, a timer or a signal; no process holds it) going back to
    /// `pending` when what it waits for arrives.
    pub enum RunStatus {
        Pending = "pending",
        Running = "running",
        Waiting = "waiting",
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

    /// Whether the run has not ended: queued, driven, or waiting for a decision, a timer
    /// or a signal (a `waiting` run may still be paused or cancelled).
    pub fn is_live(self) -> bool {
        matches!(self, RunStatus::Pending | RunStatus::Running | RunStatus::Waiting)
    }
}

wire_enum! {
    /// What another process asks of the engine driving a run.
    pub enum ControlRequest {
        Pause = "pause",
        /// Pause and stop the steps in flight (they run again on resume).
        PauseNow = "pause_now",
        Cancel = "cancel",
    }
}

wire_enum! {
    /// Why a `pending` run has not started (`Run.queue.reason`).
    pub enum QueueReason {
        /// Every slot of the server's limit on runs driven at once is taken.
        ConcurrencyLimit = "concurrency_limit",
        /// Its concurrency key has its limit of runs running (`Run.concurrency`).
        ConcurrencyKey = "concurrency_key",
    }
}
