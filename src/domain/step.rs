//! A step's status and kind (`workflow_run_steps.status`, `.type`) and the `StepResult` a
//! step hands back to the workflow and stores as its output.

use serde::{Deserialize, Serialize};
use serde_json::Value;

wire_enum! {
    /// Where a step is: `pending` → `running` → `completed` | `failed` (or `skipped`); an
    /// approval, sleep or signal step is `waiting` until it is decided, due or signalled.
    pub enum StepStatus {
        Pending = "pending",
        Running = "running",
        Waiting = "waiting",
        Completed = "completed",
        Failed = "failed",
        Skipped = "skipped",
    }
}

wire_enum! {
    /// What kind of work a step does.
    pub enum StepKind {
        Script = "script",
        Agent = "agent",
        Function = "function",
        /// A gate a person decides (`ctx.approval`, `type: approval`).
        Approval = "approval",
        /// A durable timer (`ctx.sleep`, `type: sleep`).
        Sleep = "sleep",
        /// A wait for a signal sent to the run (`ctx.waitForSignal`, `type: signal`).
        Signal = "signal",
    }
}

wire_enum! {
    /// How one try of a step went (`workflow_step_attempts.outcome`).
    pub enum AttemptOutcome {
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        /// A pause-now or a stop ended it; it is not counted against the step.
        Interrupted = "interrupted",
    }
}

wire_enum! {
    /// What a waiting step waits for (`workflow_waits.kind`): the step kinds that wait.
    pub enum WaitKind {
        Approval = "approval",
        Sleep = "sleep",
        Signal = "signal",
        /// A script, function or agent step whose retries ran out (`retry.onExhausted:
        /// "wait"`): a person retries it, skips it with a value, or fails it.
        Retry = "retry",
    }
}

impl WaitKind {
    /// The step kind that is this wait (approval, sleep, signal); None for a retry wait,
    /// which a step of any kind that runs something can be.
    pub fn step_kind(self) -> Option<StepKind> {
        match self {
            WaitKind::Approval => Some(StepKind::Approval),
            WaitKind::Sleep => Some(StepKind::Sleep),
            WaitKind::Signal => Some(StepKind::Signal),
            WaitKind::Retry => None,
        }
    }

    /// Whether a person resolves it (a gate or a retry wait), as opposed to time or a signal.
    pub fn needs_a_person(self) -> bool {
        matches!(self, WaitKind::Approval | WaitKind::Retry)
    }
}

impl StepKind {
    /// Whether the step runs outside the JS worker (a process: script or agent CLI), which
    /// is what the run's limit on concurrent steps counts.
    pub fn is_external(self) -> bool {
        matches!(self, StepKind::Script | StepKind::Agent)
    }

    /// The wait this kind of step is (approval, sleep, signal), if it is one: such a step
    /// runs nothing; the run waits, holding no process, until it is resolved.
    pub fn wait(self) -> Option<WaitKind> {
        match self {
            StepKind::Approval => Some(WaitKind::Approval),
            StepKind::Sleep => Some(WaitKind::Sleep),
            StepKind::Signal => Some(WaitKind::Signal),
            StepKind::Script | StepKind::Agent | StepKind::Function => None,
        }
    }
}

/// What a finished step hands back to the workflow (the spec's `StepResult`), stored as the
/// step's `result` and `output.json`: `{ "stepId", "status", "data"?, "error"? }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub step_id: String,
    pub status: StepStatus,
    /// The step's data: a script's `stdout`/`exitCode`, an agent's answer and usage, a
    /// function's return value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl StepResult {
    /// The status of a result held as JSON (a memo read back, or a checkpoint entry); None
    /// when it has none (a reference to the file that holds it names its status too).
    pub fn status_of(result: &Value) -> Option<StepStatus> {
        result.get("status").and_then(Value::as_str).and_then(StepStatus::parse)
    }
}
