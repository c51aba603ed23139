//! What a run derives from its database rows — the files under its folder and the events it
//! emits — written in order on one thread, off the step's critical path.
//!
//! The database is the truth (ARCHITECTURE §3): a step counts as recorded once its row is
//! committed, and that is all the workflow waits for. Creating the step's files costs more
//! than the commit (five new inodes a step, each a search of the inode bitmap), so they are
//! written here while the workflow goes on. Jobs run first in, first out, and a run's events
//! go through the same queue, so a client that sees `workflow.step.completed` finds the
//! step's `output.json` and `summary.md` already written. `flush` waits for everything queued
//! so far; a run flushes before it reports how it ended. Files of completed steps that a
//! crash kept from being written are rewritten from the rows when the run resumes.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::events::{Event, EventBus};
use crate::store::fence::Fence;

type Job = Box<dyn FnOnce() + Send>;

/// A cheap-clone handle on the writer thread.
#[derive(Clone)]
pub struct Outbox {
    /// `std` channel: the thread blocks on it, and senders are async tasks that never wait.
    jobs: mpsc::Sender<Job>,
}

/// The first write that failed in a run, reported to the run at its next step.
pub type WriteFailure = Arc<Mutex<Option<String>>>;

impl Outbox {
    pub fn start() -> Outbox {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("run-outbox".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    job();
                }
            })
            .expect("cannot start the run-outbox thread");
        Outbox { jobs }
    }

    /// Runs `write` on the writer thread; its error, if any, is kept in `failure` (the first
    /// one wins) for the run to fail on.
    pub fn write(&self, failure: &WriteFailure, write: impl FnOnce() -> std::io::Result<()> + Send + 'static) {
        let failure = failure.clone();
        self.push(move || record(&failure, write()));
    }

    /// Runs `write` (as `write` does), then emits `event` of a run driven under `fence`
    /// (`EventBus::emit_held`): one job, one wake-up of the thread.
    pub fn write_then_emit(
        &self,
        failure: &WriteFailure,
        write: impl FnOnce() -> std::io::Result<()> + Send + 'static,
        bus: &EventBus,
        event: Event,
        fence: Fence,
    ) {
        let (failure, bus) = (failure.clone(), bus.clone());
        self.push(move || {
            record(&failure, write());
            bus.emit_held(event, fence);
        });
    }

    /// Emits the event once everything queued before it is done.
    pub fn emit(&self, bus: &EventBus, event: Event) {
        self.emit_held(bus, event, Fence::default());
    }

    /// `emit`, for an event of a run driven under `fence` (its lease when it was emitted).
    pub fn emit_held(&self, bus: &EventBus, event: Event, fence: Fence) {
        let bus = bus.clone();
        self.push(move || bus.emit_held(event, fence));
    }

    /// Resolves once every job queued before the call has run.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel::<()>();
        self.push(move || {
            let _ = done.send(());
        });
        let _ = wait.await;
    }

    fn push(&self, job: impl FnOnce() + Send + 'static) {
        // The thread runs until the last handle is dropped; a send cannot fail before.
        let _ = self.jobs.send(Box::new(job));
    }
}

/// Logs a failed write and keeps the run's first failure.
fn record(failure: &WriteFailure, written: std::io::Result<()>) {
    if let Err(e) = written {
        tracing::error!(error = %e, "cannot write a run's file");
        failure.lock().expect("failure lock").get_or_insert(e.to_string());
    }
}
