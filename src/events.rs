//! The events a run emits, serialised as the spec's `{ "type": "workflow.…", "data": {…} }`.
//!
//! The engine publishes on one broadcast bus; the CLI's progress display and the server's
//! WebSocket are subscribers. `step_id` is the step row's id, as in the spec; `step_key` is
//! the id the workflow gave the step.
//!
//! The journal is written from here: each event is serialised once, and `store::events`
//! keeps its type and data as that text, knowing nothing of `Event` (this module imports the
//! store, never the other way round); the WebSocket sends the same text on.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot, Notify};

use crate::domain::{RunStatus, StepKind, StepStatus, WaitKind};
use crate::store::events::{EventRow, NewEvent};
use crate::store::fence::Fence;
use crate::store::Store;

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    #[serde(rename = "workflow.execution.created")]
    ExecutionCreated {
        execution_id: String,
        project_id: String,
        name: String,
        status: RunStatus,
        /// The definition the run follows, its name and phases (the board's columns), and
        /// the phase the run starts in: enough to place a new card from events alone.
        workflow_definition_id: String,
        workflow_name: String,
        phases: Vec<String>,
        current_phase: Option<String>,
    },
    #[serde(rename = "workflow.execution.status_changed")]
    StatusChanged {
        execution_id: String,
        status: RunStatus,
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
        step_type: StepKind,
        phase: String,
        project_id: String,
    },
    #[serde(rename = "workflow.step.completed")]
    StepCompleted {
        execution_id: String,
        step_id: String,
        step_key: String,
        status: StepStatus,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        duration_ms: u64,
        project_id: String,
        /// The step's `warnings` (denied tool calls, a rerun's fork that could not be made);
        /// left out when there are none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
    #[serde(rename = "workflow.step.progress")]
    StepProgress {
        execution_id: String,
        step_id: String,
        step_key: String,
        /// `stdout` or `stderr` for lines; for agent steps also `session`, `assistant`,
        /// `thinking`, `tool_call`, `tool_result`, `warning`, `retry` and `result`.
        stream: String,
        /// A line of text for people (tool inputs and results cut short).
        output: String,
        /// Structured detail for agent events: the tool's name, id and input, a result's
        /// `isError`, a session's id and model.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        detail: Option<serde_json::Value>,
        /// Where the event is in the step's `events.jsonl`, when it comes from a record there:
        /// a log read of that try at least `log_end` bytes long already holds it.
        #[serde(skip_serializing_if = "Option::is_none")]
        log: Option<LogMark>,
        project_id: String,
    },
    #[serde(rename = "workflow.comment.created")]
    CommentCreated {
        execution_id: String,
        comment_id: String,
        step_id: Option<String>,
        project_id: String,
    },
    /// A file uploaded to a step (`POST /api/workflow-executions/{id}/artifacts`).
    #[serde(rename = "workflow.artifact.created")]
    ArtifactCreated {
        execution_id: String,
        artifact_id: String,
        step_id: String,
        project_id: String,
    },
    #[serde(rename = "workflow.artifact.attached")]
    ArtifactAttached {
        execution_id: String,
        artifact_id: String,
        comment_id: String,
        project_id: String,
    },
    /// A step began to wait: an approval gate for a person, a timer, or a signal. The run
    /// goes `waiting` (its own event) once nothing else of it runs.
    #[serde(rename = "workflow.step.waiting")]
    StepWaiting {
        execution_id: String,
        step_id: String,
        step_key: String,
        step_name: String,
        kind: WaitKind,
        phase: String,
        /// An approval's title.
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// A signal wait's signal name.
        #[serde(skip_serializing_if = "Option::is_none")]
        signal_name: Option<String>,
        /// When a sleep wakes, or when an approval or signal wait times out (RFC 3339).
        #[serde(skip_serializing_if = "Option::is_none")]
        deadline: Option<String>,
        project_id: String,
    },
    /// An approval gate was decided: by a person (API, board, CLI) or by its timeout.
    #[serde(rename = "workflow.approval.decided")]
    ApprovalDecided {
        execution_id: String,
        step_id: String,
        step_key: String,
        /// `approved`, `rejected` or `changes_requested`.
        decision: String,
        /// Who decided: a user's email, `cli:<user>` for the terminal, `timeout`.
        by: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
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
    pub fn project_id(&self) -> &str {
        match self {
            Event::ExecutionCreated { project_id, .. }
            | Event::StatusChanged { project_id, .. }
            | Event::PhaseChanged { project_id, .. }
            | Event::StepStarted { project_id, .. }
            | Event::StepCompleted { project_id, .. }
            | Event::StepProgress { project_id, .. }
            | Event::CommentCreated { project_id, .. }
            | Event::ArtifactCreated { project_id, .. }
            | Event::ArtifactAttached { project_id, .. }
            | Event::StepWaiting { project_id, .. }
            | Event::ApprovalDecided { project_id, .. }
            | Event::RunLog { project_id, .. } => project_id,
        }
    }

    pub fn execution_id(&self) -> &str {
        match self {
            Event::ExecutionCreated { execution_id, .. }
            | Event::StatusChanged { execution_id, .. }
            | Event::PhaseChanged { execution_id, .. }
            | Event::StepStarted { execution_id, .. }
            | Event::StepCompleted { execution_id, .. }
            | Event::StepProgress { execution_id, .. }
            | Event::CommentCreated { execution_id, .. }
            | Event::ArtifactCreated { execution_id, .. }
            | Event::ArtifactAttached { execution_id, .. }
            | Event::StepWaiting { execution_id, .. }
            | Event::ApprovalDecided { execution_id, .. }
            | Event::RunLog { execution_id, .. } => execution_id,
        }
    }
}

/// Where a progress event's record is in its step's `events.jsonl`, so that a client joining
/// the file it read with the live events keeps each line once (the file is written before the
/// event is sent, buffered: either may be ahead of the other).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LogMark {
    /// The try whose `events.jsonl` holds the record (1 = the step's own folder).
    pub attempt: i64,
    /// Where the record ends in that file (bytes): a read of at least this size holds it.
    pub log_end: u64,
    /// When the record was written (its `ts`).
    pub ts: String,
}

/// The most text one event carries in a field (a line of output, a log message, an error):
/// the whole of it is in the run's files. Events are kept in memory (the live bus, the
/// WebSocket's subscribers) and in the journal, so one 50 MB line must not travel as one.
pub const EVENT_TEXT_MAX_BYTES: usize = 8 * 1024;

impl Event {
    /// This event with its text fields cut to `EVENT_TEXT_MAX_BYTES` (marked as cut) and an
    /// agent event's structured detail dropped when larger than that.
    pub fn capped(mut self) -> Event {
        match &mut self {
            Event::StepProgress { output, detail, .. } => {
                cap_text(output);
                let large = detail
                    .as_ref()
                    .is_some_and(|d| serde_json::to_vec(d).map_or(0, |v| v.len()) > EVENT_TEXT_MAX_BYTES);
                if large {
                    *detail = Some(serde_json::json!({ "truncated": true }));
                }
            }
            Event::RunLog { message, .. } => cap_text(message),
            Event::StepCompleted { error: Some(e), .. }
            | Event::StatusChanged {
                error_message: Some(e), ..
            } => cap_text(e),
            _ => {}
        }
        self
    }
}

fn cap_text(text: &mut String) {
    if text.len() <= EVENT_TEXT_MAX_BYTES {
        return;
    }
    let mut end = EVENT_TEXT_MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… ({more} bytes more in the run's files)"));
}

impl Event {
    /// This event as the journal keeps it: its type and its data serialised once, the text
    /// the WebSocket later sends as it is.
    fn journaled(&self, fence: Fence) -> NewEvent {
        /// The two halves of a serialised event, borrowed from its text.
        #[derive(serde::Deserialize)]
        struct Parts<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            #[serde(borrow)]
            data: &'a serde_json::value::RawValue,
        }
        let text = serde_json::to_string(self).expect("events serialise");
        let parts: Parts = serde_json::from_str(&text).expect("an event is { type, data }");
        NewEvent {
            project_id: self.project_id().to_string(),
            execution_id: self.execution_id().to_string(),
            kind: parts.kind.to_string(),
            data: parts.data.get().to_string(),
            fence,
        }
    }
}

/// Capacity of the live bus: a subscriber further behind than this misses events (and is
/// told so by `RecvError::Lagged`); the journal still has them.
pub const EVENT_BUS_CAPACITY: usize = 4096;

/// The one place events are published: to live subscribers at once (the CLI's display), and
/// to the journal (`workflow_events`), written in order by one task, in batches.
#[derive(Clone, Debug)]
pub struct EventBus {
    live: broadcast::Sender<Event>,
    journal: Option<mpsc::UnboundedSender<JournalMsg>>,
    /// Woken after each journal write, so readers of the journal need not poll hard.
    written: Arc<Notify>,
}

#[derive(Debug)]
enum JournalMsg {
    /// An event, with the lease its run's driver held (none for other events).
    Event(Box<Event>, Fence),
    Flush(oneshot::Sender<()>),
}

impl Default for EventBus {
    /// A bus without a journal (tests of parts that do not need one).
    fn default() -> Self {
        EventBus {
            live: broadcast::channel(EVENT_BUS_CAPACITY).0,
            journal: None,
            written: Arc::default(),
        }
    }
}

impl EventBus {
    /// A bus whose events are also kept in the database.
    pub fn with_journal(store: Store) -> EventBus {
        let (tx, rx) = mpsc::unbounded_channel();
        let written = Arc::new(Notify::new());
        tokio::spawn(write_journal(store, rx, written.clone()));
        EventBus {
            live: broadcast::channel(EVENT_BUS_CAPACITY).0,
            journal: Some(tx),
            written,
        }
    }

    pub fn emit(&self, event: Event) {
        self.emit_held(event, Fence::default());
    }

    /// Emits an event of a run this process drives, under the lease it holds (`fence`): it
    /// is journaled only while that lease is still the run's (`store::fence`); refused, it
    /// is dropped (live subscribers of this process have seen it).
    pub fn emit_held(&self, event: Event, fence: Fence) {
        let event = event.capped();
        if let Some(j) = &self.journal {
            let _ = j.send(JournalMsg::Event(Box::new(event.clone()), fence));
        }
        // No live subscriber is not an error.
        let _ = self.live.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.live.subscribe()
    }

    /// Resolves after the next journal write.
    pub fn written(&self) -> Arc<Notify> {
        self.written.clone()
    }

    /// Waits until every event emitted so far is in the journal.
    pub async fn flush(&self) {
        if let Some(j) = &self.journal {
            let (tx, rx) = oneshot::channel();
            if j.send(JournalMsg::Flush(tx)).is_ok() {
                let _ = rx.await;
            }
        }
    }
}

/// How long the journal waits after an event for more to write with it. Each write is a
/// transaction (on SQLite on the hot write connection, which steps queue behind; on
/// PostgreSQL a statement that wakes a backend and every node's listener); a run emits events
/// a few hundred microseconds apart, and one transaction for several costs much less than
/// one each. On PostgreSQL, where the journal feeds the WebSocket through `NOTIFY`, a few
/// milliseconds more gather a step's start and end events and the next step's start. A
/// flush ends the wait at once.
fn journal_coalesce(store: &Store) -> Duration {
    Duration::from_millis(if store.is_lite() { 1 } else { 4 })
}

/// Writes events in the order they were emitted; whatever queued up meanwhile goes in the
/// same batch, in one transaction.
async fn write_journal(store: Store, mut rx: mpsc::UnboundedReceiver<JournalMsg>, written: Arc<Notify>) {
    let mut batch = Vec::new();
    let mut flushes = Vec::new();
    let coalesce = journal_coalesce(&store);
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        if matches!(next, Some(JournalMsg::Event(..))) {
            // Gather until the wait is over or somebody waits for the journal.
            let wait = tokio::time::sleep(coalesce);
            tokio::pin!(wait);
            while let Some(msg) = next.take() {
                let flush = matches!(msg, JournalMsg::Flush(_));
                take(msg, &mut batch, &mut flushes);
                if flush || batch.len() >= 512 {
                    break;
                }
                next = tokio::select! {
                    () = &mut wait => None,
                    msg = rx.recv() => msg,
                };
            }
        }
        while let Some(msg) = next {
            take(msg, &mut batch, &mut flushes);
            next = if batch.len() < 512 { rx.try_recv().ok() } else { None };
        }
        if !batch.is_empty() {
            match EventRow::insert_batch(&store, &batch).await {
                Ok(0) => {}
                Ok(refused) => {
                    tracing::debug!("{refused} events of runs another engine took over were not journaled (fenced)")
                }
                Err(e) => tracing::error!("cannot journal {} events: {e}", batch.len()),
            }
            batch.clear();
            written.notify_waiters();
        }
        for ack in flushes.drain(..) {
            let _ = ack.send(());
        }
    }
}

fn take(msg: JournalMsg, batch: &mut Vec<NewEvent>, flushes: &mut Vec<oneshot::Sender<()>>) {
    match msg {
        JournalMsg::Event(e, fence) => batch.push(e.journaled(fence)),
        JournalMsg::Flush(ack) => flushes.push(ack),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The journal's text for an event is what serialising its data alone gives, byte for
    /// byte: key order, escapes, numbers (the WebSocket sends it as it is).
    #[test]
    fn an_event_is_journaled_as_its_data_serialised_once() {
        let event = Event::StepProgress {
            execution_id: "run1".into(),
            step_id: "s1".into(),
            step_key: "build".into(),
            stream: "tool_call".into(),
            output: "ran \"cargo\" — ✓\n\ttab".into(),
            detail: Some(serde_json::json!({ "z": 1, "a": [0.1, 1e300, -0.0], "n": null, "u": "\u{1}" })),
            log: Some(LogMark {
                attempt: 2,
                log_end: 120,
                ts: "2026-01-01T00:00:00.000Z".into(),
            }),
            project_id: "p1".into(),
        };
        let value = serde_json::to_value(&event).unwrap();
        let journaled = event.journaled(Fence::default());
        assert_eq!(journaled.kind, "workflow.step.progress");
        assert_eq!(journaled.data, value["data"].to_string());
        assert_eq!(journaled.project_id, "p1");
        assert_eq!(journaled.execution_id, "run1");
    }
}
