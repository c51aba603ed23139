//! Steering a run from outside its driver: Ctrl-C in the CLI, and the one path of pause,
//! resume and cancel that the API and the CLI share (`Engine::pause_run`, `resume_run`,
//! `cancel_run`), each allowed only from the statuses the spec's state machine permits.
//!
//! Two pauses: `PauseMode::Drain` lets the steps in flight finish and stops at the next step
//! boundary; `PauseMode::Now` refuses new steps the same way and stops the steps in flight
//! (`pause_now`). A pending pause of either kind may be overtaken: a drain by a pause-now, and
//! both by a cancel; never the other way round (`RunControl` and `RunRow::request_control`
//! only move forward: run → pause → pause now → cancel).
//!
//! A run this process drives is signalled through its `RunControl`; one another process
//! drives (a CLI run, a server) through its row (`RunRow::request_control`), which that
//! engine reads at once when the request's `NOTIFY` reaches it (a server node on
//! PostgreSQL), else at its next poll (about once a second); one nobody drives (pending, paused, or left `running`
//! by an engine that died) is changed here directly, and the status event goes out through
//! the outbox like the engine's other events.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::source::SourceCheck;
use super::Engine;
use crate::domain::{ControlRequest, RunStatus};
use crate::events::Event;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::StoreError;

/// What the run has been asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signal {
    #[default]
    Run,
    /// Stop at the next step boundary, after the steps in flight finish.
    Pause,
    /// Stop now: no new step starts, the steps in flight are stopped (agents interrupted
    /// first) and recorded as interrupted, and the run ends `paused` (`pause_now`).
    PauseNow,
    /// Stop now, killing the steps in flight.
    Cancel,
}

#[derive(Clone, Debug, Default)]
pub struct RunControl {
    tx: Arc<watch::Sender<Signal>>,
    /// Rings when the run's row may hold a new request (another node's `NOTIFY`): its
    /// driver reads it at once instead of at its next poll (`run::keep_lease`).
    recheck: Arc<tokio::sync::Notify>,
}

impl RunControl {
    pub fn pause(&self) {
        self.tx.send_if_modified(|s| {
            let change = *s == Signal::Run;
            if change {
                *s = Signal::Pause;
            }
            change
        });
    }

    /// Pauses now (see `Signal::PauseNow`); overtakes a pending drain pause, not a cancel.
    pub fn pause_now(&self) {
        self.tx.send_if_modified(|s| {
            let change = matches!(*s, Signal::Run | Signal::Pause);
            if change {
                *s = Signal::PauseNow;
            }
            change
        });
    }

    pub fn cancel(&self) {
        self.tx.send_replace(Signal::Cancel);
    }

    pub fn current(&self) -> Signal {
        *self.tx.borrow()
    }

    pub fn subscribe(&self) -> watch::Receiver<Signal> {
        self.tx.subscribe()
    }

    /// Applies a request, from this process or read from the run's row (`run::keep_lease`).
    pub fn apply(&self, request: ControlRequest) {
        match request {
            ControlRequest::Pause => self.pause(),
            ControlRequest::PauseNow => self.pause_now(),
            ControlRequest::Cancel => self.cancel(),
        }
    }

    /// Says that the run's row may hold a new pause or cancel request (heard from the
    /// database); kept until the driver looks, if it is not waiting for it now.
    pub fn recheck_requests(&self) {
        self.recheck.notify_one();
    }

    /// Resolves when `recheck_requests` was called since the last time this resolved.
    pub async fn recheck_asked(&self) {
        self.recheck.notified().await;
    }

    /// Resolves once the run is asked to cancel.
    pub async fn cancelled(&self) {
        let mut rx = self.subscribe();
        let _ = rx.wait_for(|s| *s == Signal::Cancel).await;
    }

    /// Resolves once the run is asked to pause now.
    pub async fn paused_now(&self) {
        let mut rx = self.subscribe();
        let _ = rx.wait_for(|s| *s == Signal::PauseNow).await;
    }
}

/// Which pause `Engine::pause_run` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PauseMode {
    /// The steps in flight finish, then the run stops (`Signal::Pause`).
    #[default]
    Drain,
    /// The steps in flight are stopped and run again on resume (`Signal::PauseNow`).
    Now,
}

/// Why a pause, resume or cancel did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("run {0} not found")]
    NotFound(String),
    /// The run's status does not allow the request; `why` says so in words.
    #[error("it is {} ({why})", .run.status)]
    InvalidState { run: Box<RunRow>, why: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A TypeScript run whose files changed since it recorded them, resumed without
    /// `use_current`.
    #[error("{}", super::source::changed_message(&run.id, changes))]
    SourceChanged {
        run: Box<RunRow>,
        changes: Vec<crate::definition::source::SourceChange>,
    },
    /// `rerun_step` names no step of the run.
    #[error("rerun_step: the run has no step \"{0}\"")]
    NoSuchStep(String),
    #[error(transparent)]
    Engine(Box<super::EngineError>),
}

/// How a resume goes, beyond replaying.
#[derive(Debug, Clone, Default)]
pub struct ResumeOptions {
    /// Resume a TypeScript run whose source changed with its current code (a warning is
    /// recorded on the run).
    pub use_current: bool,
    /// Forget this step's memo, and that of every step recorded after it, first.
    pub rerun_step: Option<String>,
}

/// A resumed run, and what a person should be told about it.
#[derive(Debug)]
pub struct Resumed {
    pub run: RunRow,
    pub notes: Vec<String>,
}

fn engine_error(e: super::EngineError) -> ControlError {
    ControlError::Engine(Box::new(e))
}

fn refused(run: RunRow, why: &'static str) -> ControlError {
    ControlError::InvalidState {
        run: Box::new(run),
        why,
    }
}

/// What `before_resume` found: the notes so far, the changed files a person accepted
/// (`use_current`), the step to rerun from, and where the run is.
struct ResumeChecked {
    notes: Vec<String>,
    changes: Vec<crate::definition::source::SourceChange>,
    rerun_from: Option<StepRow>,
    place: super::source::RunPlace,
}

impl Engine {
    /// Asks a running run to pause: with `PauseMode::Drain` the steps in flight finish, then
    /// it stops; with `PauseMode::Now` they are stopped (and run again on resume). Returns the
    /// run once it has stopped, or as it is after `wait` (still `running` while a step is in
    /// flight: the pause lands when it finishes, or when it has been stopped).
    pub async fn pause_run(&self, id: &str, mode: PauseMode, wait: Duration) -> Result<RunRow, ControlError> {
        let run = self.run_to_steer(id).await?;
        if run.status == RunStatus::Waiting {
            return self.pause_waiting(run, mode, wait).await;
        }
        if run.status != RunStatus::Running {
            return Err(refused(run, "only a running or waiting run can be paused"));
        }
        let request = match mode {
            PauseMode::Drain => ControlRequest::Pause,
            PauseMode::Now => ControlRequest::PauseNow,
        };
        self.signal(id, request).await?;
        self.wait_for_status(id, &RunStatus::STOPPED, wait).await
    }

    /// Cancels a run: one nobody drives at once, one that is driven by asking its engine
    /// to kill the steps in flight, waiting up to `wait` for it to.
    pub async fn cancel_run(&self, id: &str, wait: Duration) -> Result<RunRow, ControlError> {
        let run = self.run_to_steer(id).await?;
        if run.status.is_terminal() {
            return Err(refused(run, "the run has already ended"));
        }
        let driven = self.control(id).is_some() || !engine_gone(&run);
        let cancelled = if run.status == RunStatus::Running && driven {
            self.signal(id, ControlRequest::Cancel).await?;
            return self.wait_for_status(id, &RunStatus::ENDED, wait).await;
        } else if run.status == RunStatus::Running {
            self.cancel_abandoned(&run).await?
        } else {
            let cancelled = RunRow::cancel_idle(self.store(), id).await?;
            if cancelled.is_some() {
                StepRow::fail_waiting(self.store(), id, "cancelled with the run").await?;
            }
            cancelled
        };
        let Some(cancelled) = cancelled else {
            // Taken over or ended meanwhile: say what it is now.
            return self.wait_for_status(id, &RunStatus::ENDED, Duration::ZERO).await;
        };
        // A paused or waiting run's worktree, kept or removed now that it has ended.
        if let Some(note) = super::workspace::close(self, id, cancelled.status).await {
            tracing::info!(run = %id, "{note}");
            let system = crate::domain::CommentType::System;
            let _ = crate::store::comments::CommentRow::insert(self.store(), id, None, &note, system, None).await;
        }
        self.announce_status(&cancelled).await;
        Ok(cancelled)
    }

    /// Queues a paused or failed run to be driven again (`pending`; completed steps are not
    /// run again). The caller starts it (`scheduler::Runner`). A TypeScript run whose source
    /// changed is refused unless `options.use_current`; `options.rerun_step` forgets that
    /// step's memo and everything recorded after it first.
    pub async fn resume_run(&self, id: &str, options: &ResumeOptions) -> Result<Resumed, ControlError> {
        let run = self.run_to_steer(id).await?;
        // Checked and applied while it is still paused or failed (a refused option leaves
        // it so); a resume racing this one is refused below.
        let notes = match run.status {
            RunStatus::Paused | RunStatus::Failed => {
                let checked = self.before_resume(&run, options).await?;
                self.apply_resume_options(&run, checked).await?
            }
            _ => Vec::new(),
        };
        let Some(queued) = RunRow::queue_resume(self.store(), id).await? else {
            // Queued already (`pending`), running, or ended: one resume drives a run once.
            let why = match run.status {
                RunStatus::Pending => "it is already queued to run",
                RunStatus::Running => "it is already running",
                _ => "only a paused or failed run can be resumed",
            };
            let now = RunRow::get(self.store(), id).await?.unwrap_or(run);
            return Err(refused(now, why));
        };
        if run.status == RunStatus::Failed {
            // A gate whose rejection (or timeout) failed the run asks again.
            StepRow::rearm_failed_waits(self.store(), id).await?;
        }
        self.announce_status(&queued).await;
        Ok(Resumed { run: queued, notes })
    }

    /// Checks that this process may drive `id` again itself, in the foreground (the CLI's
    /// `resume`): any run neither completed nor cancelled that no live engine drives, so a
    /// pending run and one whose engine died are taken too (`resume_run` queues only paused
    /// and failed runs, for a server's scheduler). Refused runs come back as `InvalidState`;
    /// the source and `options` are handled as `resume_run` does.
    pub async fn check_resume_here(&self, id: &str, options: &ResumeOptions) -> Result<Resumed, ControlError> {
        let run = self.run_to_steer(id).await?;
        if matches!(run.status, RunStatus::Completed | RunStatus::Cancelled) {
            return Err(refused(run, "the run has ended"));
        }
        if run.status == RunStatus::Running && !engine_gone(&run) {
            return Err(refused(run, "another engine process drives it"));
        }
        let checked = self.before_resume(&run, options).await?;
        let notes = self.apply_resume_options(&run, checked).await?;
        if run.status == RunStatus::Failed {
            StepRow::rearm_failed_waits(self.store(), id).await?;
        }
        Ok(Resumed { run, notes })
    }

    /// What must hold before a run is resumed: the step to rerun exists, and a TypeScript
    /// run's source is unchanged or accepted. Returns what it found, with the notes for a
    /// person (a YAML run runs its snapshot). Changes nothing.
    async fn before_resume(&self, run: &RunRow, options: &ResumeOptions) -> Result<ResumeChecked, ControlError> {
        let rerun_from = match &options.rerun_step {
            Some(step) => Some(self.step_to_rerun(run, step).await?),
            None => None,
        };
        let place = self.run_place(run).await.map_err(engine_error)?;
        let (notes, changes) = match self.check_source_at(run, &place).await.map_err(engine_error)? {
            SourceCheck::Changed(changes) if !options.use_current => {
                return Err(ControlError::SourceChanged {
                    run: Box::new(run.clone()),
                    changes,
                })
            }
            SourceCheck::Changed(changes) => (Vec::new(), changes),
            SourceCheck::Yaml { file_changed } => (vec![super::source::yaml_note(&run.id, file_changed)], Vec::new()),
            SourceCheck::Unchanged => (Vec::new(), Vec::new()),
        };
        Ok(ResumeChecked {
            notes,
            changes,
            rerun_from,
            place,
        })
    }

    /// Accepts the current source (`use_current`, when it changed) and forgets the memo from
    /// `rerun_step` on; returns the notes with what was done.
    async fn apply_resume_options(&self, run: &RunRow, checked: ResumeChecked) -> Result<Vec<String>, ControlError> {
        let ResumeChecked {
            mut notes,
            changes,
            rerun_from,
            place,
        } = checked;
        if !changes.is_empty() {
            notes.push(self.accept_current_source(run, &changes).await.map_err(engine_error)?);
        }
        if let Some(row) = rerun_from {
            let forgotten = StepRow::forget_from(self.store(), &run.id, row.step_index).await?;
            let files = crate::store::files::RunFiles::new(&place.project, &run.id);
            if let Err(e) = files.forget_checkpoints_from(row.step_index) {
                tracing::warn!(run = %run.id, error = %e, "cannot remove the forgotten steps' checkpoints");
            }
            notes.push(format!(
                "forgot the results of {} step(s) from \"{}\" on ({}); they run again",
                forgotten.len(),
                row.step_id,
                forgotten.join(", ")
            ));
        }
        Ok(notes)
    }

    /// The step `step` (its id or row id) of the run, for `rerun_step`.
    async fn step_to_rerun(&self, run: &RunRow, step: &str) -> Result<StepRow, ControlError> {
        StepRow::find_in_run(self.store(), &run.id, step)
            .await?
            .ok_or_else(|| ControlError::NoSuchStep(step.to_string()))
    }

    /// A `waiting` run is paused at once (nothing drives it); its waits stay, and what is
    /// decided meanwhile is delivered when it is resumed.
    async fn pause_waiting(&self, run: RunRow, mode: PauseMode, wait: Duration) -> Result<RunRow, ControlError> {
        match RunRow::pause_waiting(self.store(), &run.id).await? {
            Some(paused) => {
                self.announce_status(&paused).await;
                Ok(paused)
            }
            // Woken meanwhile: pause it as a running run.
            None => Box::pin(self.pause_run(&run.id, mode, wait)).await,
        }
    }

    async fn run_to_steer(&self, id: &str) -> Result<RunRow, ControlError> {
        RunRow::get(self.store(), id)
            .await?
            .ok_or_else(|| ControlError::NotFound(id.to_string()))
    }

    /// Pauses (either way) or cancels a running run: directly when this process drives it,
    /// else through the database for the process that does.
    async fn signal(&self, id: &str, request: ControlRequest) -> Result<(), StoreError> {
        match self.control(id) {
            Some(control) => control.apply(request),
            None => RunRow::request_control(self.store(), id, request).await?,
        }
        Ok(())
    }

    /// A run left `running` by an engine that died: cancelled here, its steps in flight
    /// with it, since nothing would apply a request.
    async fn cancel_abandoned(&self, run: &RunRow) -> Result<Option<RunRow>, StoreError> {
        let store = self.store();
        let cancelled = RunRow::cancel_abandoned(store, &run.id, run.lease_owner.as_deref()).await?;
        if cancelled.is_some() {
            StepRow::fail_running(store, &run.id, "cancelled with the run").await?;
        }
        Ok(cancelled)
    }

    /// The run once it has one of `statuses`, or as it is when `max` has passed.
    async fn wait_for_status(&self, id: &str, statuses: &[RunStatus], max: Duration) -> Result<RunRow, ControlError> {
        RunRow::wait_for_status(self.store(), id, statuses, max)
            .await?
            .ok_or_else(|| ControlError::NotFound(id.to_string()))
    }

    /// Emits the run's new status through the outbox, and waits until it is in the journal:
    /// a CLI that exits next must not take it with it, and a board learns of it from there.
    pub(crate) async fn announce_status(&self, run: &RunRow) {
        let event = Event::StatusChanged {
            execution_id: run.id.clone(),
            status: run.status,
            project_id: run.project_id.clone(),
            error_message: run.error_message.clone(),
        };
        self.outbox().emit(self.events(), event);
        self.outbox().flush().await;
        self.events().flush().await;
    }
}

/// A `running` run whose lease has no live owner: the process that drove it died (or its
/// lease lapsed), so nothing applies pause or cancel requests and `resume` may take it over.
/// The same test `RunRow::claim` makes before it lets another engine drive the run.
pub fn engine_gone(run: &RunRow) -> bool {
    if run.status != RunStatus::Running {
        return false;
    }
    let Some(owner) = run.lease_owner.as_deref() else {
        return true;
    };
    let lapsed = run
        .lease_expires_at
        .as_deref()
        .is_none_or(|until| until < crate::store::now().as_str());
    lapsed || super::owner_is_dead(owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_overtakes_a_weaker_one_and_never_a_stronger_one() {
        let control = RunControl::default();
        control.pause();
        assert_eq!(control.current(), Signal::Pause);
        control.pause_now();
        assert_eq!(
            control.current(),
            Signal::PauseNow,
            "pause now overtakes a pending pause"
        );
        control.pause();
        assert_eq!(control.current(), Signal::PauseNow, "a pause does not undo a pause now");
        control.apply(ControlRequest::Cancel);
        assert_eq!(control.current(), Signal::Cancel, "cancel overtakes either pause");
        control.apply(ControlRequest::PauseNow);
        control.apply(ControlRequest::Pause);
        assert_eq!(control.current(), Signal::Cancel, "nothing undoes a cancel");
    }

    #[tokio::test]
    async fn paused_now_resolves_for_a_pause_now_and_not_for_a_pause() {
        let control = RunControl::default();
        control.pause();
        let early = tokio::time::timeout(Duration::from_millis(20), control.paused_now()).await;
        assert!(early.is_err(), "a drain pause is not a pause now");
        control.pause_now();
        tokio::time::timeout(Duration::from_secs(1), control.paused_now())
            .await
            .expect("pause now seen");
    }
}
