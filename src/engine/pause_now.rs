//! Pause now: the second kind of pause, which stops the steps in flight instead of waiting
//! for them (`Signal::PauseNow`, asked through `Engine::pause_run` with `PauseMode::Now`).
//!
//! What it does, step by step:
//! - No new step starts: the step host refuses them as it does for a drain pause
//!   (`Interrupt::Pausing`).
//! - The run's body is dropped at once (`run::run_until_stopped`), as for a cancel, and the
//!   steps in flight are stopped through the host's kill switch: a script step's process
//!   group gets SIGTERM, then SIGKILL after `subprocess::group::KILL_GRACE`; an agent CLI gets
//!   SIGINT first (so that it ends its turn and saves its session), then SIGTERM and SIGKILL
//!   (`subprocess::group::interrupt_group`).
//! - Function steps of a TypeScript run are not let finish: dropping the body stops the JS
//!   worker with them (a function's `await` may be anything, and a pause-now is asked for
//!   because something must stop now). They are recorded like the other stopped steps.
//! - Each stopped step is recorded as interrupted: status `failed` with the error
//!   `INTERRUPTED`, never accepted by `continueOnError`, so the memo does not answer it and it
//!   runs again at its next attempt when the run resumes (`workflow-engine resume` says "step
//!   X was interrupted; it runs again (attempt N)"). The run ends `paused`, not `failed`.
//! - On resume an agent step with `onInterrupt: "resume"` continues its CLI session: its
//!   interrupted row is the `previous` row whose session `agent_session::resume_point` reopens,
//!   the path a step interrupted by an engine crash takes.
//!
//! A pause-now may overtake a pending drain pause, and a cancel may overtake either
//! (`RunControl`); a cancel that arrives while the steps are being stopped ends the run
//! `cancelled` (`settle`).

use super::control::{RunControl, Signal};
use super::stop::Stop;
use super::Engine;
use crate::store::steps::StepRow;
use crate::store::StoreError;

/// The error of a step a pause-now stopped; such a step runs again on resume.
pub const INTERRUPTED: &str = "interrupted by pause now";

/// Whether a step row was stopped by a pause-now (and so runs again on resume).
pub fn was_interrupted(row: &StepRow) -> bool {
    row.error_message.as_deref().is_some_and(is_interruption)
}

/// Whether a step's error says a pause-now stopped it (a limit of the run's budget stops
/// steps the same way: `budget::BUDGET_STOPPED`).
pub fn is_interruption(error: &str) -> bool {
    error == INTERRUPTED || error.starts_with(super::budget::BUDGET_STOPPED)
}

/// How a run stopped by a pause-now ends, once its steps in flight were stopped: `cancelled`
/// if a cancel overtook the pause meanwhile, else `paused`, with the steps still recorded
/// as running (function steps, whose worker was stopped, or a CLI slower to die than the
/// drain allows) marked interrupted (`interrupted`: how, `StepHost::interrupted_text`). Any
/// other stop is returned as it is.
pub(super) async fn settle(
    engine: &Engine,
    run_id: &str,
    stopped: Option<Stop>,
    control: &RunControl,
    interrupted: &str,
) -> Result<Option<Stop>, StoreError> {
    if !matches!(stopped, Some(Stop::PausedNow)) {
        return Ok(stopped);
    }
    if control.current() == Signal::Cancel {
        return Ok(Some(Stop::Cancelled));
    }
    StepRow::fail_running(engine.store(), run_id, interrupted).await?;
    Ok(stopped)
}
