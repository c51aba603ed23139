//! Why a run stopped before completing (`Stop`), as the run's body reports it to
//! `run::claim_and_run`, which records it; shared by the YAML body (`run`) and the
//! TypeScript one (`ts_run`).

use super::host::Interrupt;
use super::step_end::StopWhy;

/// Why the run stopped before completing.
#[derive(Debug)]
pub(super) enum Stop {
    Failed(String),
    /// The run's timeout passed (the run fails with this message).
    TimedOut(String),
    Paused,
    /// Paused now: the steps in flight are stopped and recorded as interrupted (`pause_now`).
    PausedNow,
    Cancelled,
    /// The workflow reached waits (approval, sleep, signal) and nothing else of it runs:
    /// the run is `waiting` until one is resolved.
    Waiting,
}

impl Stop {
    /// Why the steps still in flight are killed; `None` for a (drain) pause, which lets them
    /// finish.
    pub(super) fn kills_steps(&self) -> Option<StopWhy<'_>> {
        match self {
            Stop::Failed(e) => Some(StopWhy::Failed(e)),
            Stop::TimedOut(e) => Some(StopWhy::TimedOut(e)),
            Stop::Cancelled => Some(StopWhy::Cancelled),
            Stop::PausedNow => Some(StopWhy::PausedNow),
            Stop::Paused | Stop::Waiting => None,
        }
    }
}

impl From<Interrupt> for Stop {
    /// How a step host call that did not return normally stops the run.
    fn from(i: Interrupt) -> Stop {
        match i {
            Interrupt::Pausing => Stop::Paused,
            Interrupt::Stopping => Stop::Cancelled,
            Interrupt::Fatal(m) | Interrupt::Invalid(m) => Stop::Failed(m),
        }
    }
}
