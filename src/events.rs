//! The events a run emits, serialised as the spec's `{ "type": "workflow.…", "data": {…} }`.
//!
//! The engine publishes on one broadcast bus; the CLI's progress display and the server's
//! WebSocket are subscribers. `step_id` is the step row's id, as in the spec; `step_key` is
//! the id the workflow gave the step.

use serde::Serialize;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    #[serde(rename = "workflow.execution.created")]
    ExecutionCreated {
        execution_id: String,
        project_id: String,
        name: String,
        status: String,
    },
    #[serde(rename = "workflow.execution.status_changed")]
    StatusChanged {
        execution_id: String,
        status: String,
        project_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_message: Option<String>,
    },
    #[serde(rename = "workflow.execution.phase_changed")]
    PhaseChanged {
        execution_id: String,
        current_phase: String,
        project_id: String,
    },
    #[serde(rename = "workflow.step.started")]
    StepStarted {
        execution_id: String,
        step_id: String,
        step_key: String,
        step_name: String,
        step_type: String,
        phase: String,
        project_id: String,
    },
    #[serde(rename = "workflow.step.completed")]
    StepCompleted {
        execution_id: String,
        step_id: String,
        step_key: String,
        status: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        duration_ms: u64,
        project_id: String,
    },
    #[serde(rename = "workflow.step.progress")]
    StepProgress {
        execution_id: String,
        step_id: String,
        step_key: String,
        /// `stdout`, `stderr`, or an agent event kind.
        stream: String,
        output: String,
        project_id: String,
    },
    #[serde(rename = "workflow.comment.created")]
    CommentCreated {
        execution_id: String,
        comment_id: String,
        step_id: Option<String>,
        project_id: String,
    },
    /// The workflow's own console output (`console.log` in a TS workflow).
    #[serde(rename = "workflow.execution.log")]
    RunLog {
        execution_id: String,
        level: String,
        message: String,
        project_id: String,
    },
}

impl Event {
    pub fn execution_id(&self) -> &str {
        match self {
            Event::ExecutionCreated { execution_id, .. }
            | Event::StatusChanged { execution_id, .. }
            | Event::PhaseChanged { execution_id, .. }
            | Event::StepStarted { execution_id, .. }
            | Event::StepCompleted { execution_id, .. }
            | Event::StepProgress { execution_id, .. }
            | Event::CommentCreated { execution_id, .. }
            | Event::RunLog { execution_id, .. } => execution_id,
        }
    }
}

/// Capacity of the bus: a subscriber further behind than this misses events (and is told so
/// by `RecvError::Lagged`).
pub const EVENT_BUS_CAPACITY: usize = 4096;

/// The one place events are published.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(EVENT_BUS_CAPACITY).0,
        }
    }
}

impl EventBus {
    pub fn emit(&self, event: Event) {
        // No subscriber is not an error: events are also derivable from the database.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
