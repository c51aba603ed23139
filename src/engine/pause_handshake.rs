//! The pause handshake between the engine and the JS worker process of a TypeScript run.
//!
//! While a run is not pausing, the child starts a new function step at once and announces it
//! (`StepBegin`) as its `fn` starts: user code waits for no round trip. To pause, the engine
//! must know every step in flight, so it tells the child `Pause`; the child answers
//! `PauseSeen` once, after announcing every step it began (its side is a latch,
//! `js::ops::PauseLatch`), and from then on asks before starting any step (`StepStart`),
//! which the step host refuses while the run is pausing (`Interrupt::Pausing`). The run
//! pauses once the child has answered, a step was refused (the workflow waits on it), and no
//! step is in flight.
//!
//! ```text
//!             pause asked, or a step refused              PauseSeen
//!   Running ──────────(send Pause)─────────► Asked ─────────────────► Seen
//!      │                                                               ▲
//!      ├────────────────────────── PauseSeen ──────────────────────────┘
//!      └── control gone ──► Unpausable
//!
//!   Asked and Seen remember whether a step was refused; Seen with one, and no step in
//!   flight, is the pause.
//! ```
//!
//! A pause-now (`Signal::PauseNow`) starts the same handshake, but does not wait for it:
//! `run::run_until_stopped` drops the run's body at once, which stops the worker with the
//! function steps it runs, and the steps in flight are stopped (`pause_now`).
//!
//! `PauseSeen` can reach a `Running` handshake: a reply task sends `Pause` ahead of its
//! answer when the run is pausing, so that the step after that answer asks first.

use super::control::Signal;

/// Where the handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum PauseHandshake {
    /// No pause asked: the child starts function steps at once and announces each.
    #[default]
    Running,
    /// `Pause` sent, not yet answered: the child may still announce steps it began.
    Asked { step_refused: bool },
    /// The child answered: every step it began is known, and it starts none without asking.
    Seen { step_refused: bool },
    /// Nothing can ask this run to pause any more (its control is gone).
    Unpausable,
}

/// What moves the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PauseEvent {
    /// The run's signal as it is now.
    Signalled(Signal),
    /// The run's control was dropped.
    ControlGone,
    /// The child answered `Pause` (`PauseSeen`).
    ChildSawPause,
    /// The step host refused to start a step because the run is pausing.
    StepRefused,
}

impl PauseHandshake {
    /// Applies `event`; true when the child must be sent `Pause` now.
    pub(super) fn on(&mut self, event: PauseEvent) -> bool {
        use PauseEvent::*;
        use PauseHandshake::*;
        let (next, send_pause) = match (*self, event) {
            (Running, Signalled(signal)) if signal != Signal::Run => (Asked { step_refused: false }, true),
            (Running, ControlGone) => (Unpausable, false),
            (Running | Unpausable, StepRefused) => (Asked { step_refused: true }, true),
            (Asked { .. }, StepRefused) => (Asked { step_refused: true }, false),
            (Seen { .. }, StepRefused) => (Seen { step_refused: true }, false),
            (Asked { step_refused }, ChildSawPause) => (Seen { step_refused }, false),
            (Running | Unpausable, ChildSawPause) => (Seen { step_refused: false }, false),
            (state, _) => (state, false),
        };
        *self = next;
        send_pause
    }

    /// Whether the run's signal still matters: only until `Pause` is sent.
    pub(super) fn watches_signal(&self) -> bool {
        *self == PauseHandshake::Running
    }

    /// Whether the run pauses as soon as no step is in flight.
    pub(super) fn pauses_when_drained(&self) -> bool {
        *self == PauseHandshake::Seen { step_refused: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(events: &[PauseEvent]) -> (PauseHandshake, Vec<bool>) {
        let mut handshake = PauseHandshake::default();
        let sent = events.iter().map(|e| handshake.on(*e)).collect();
        (handshake, sent)
    }

    #[test]
    fn a_pause_is_sent_once_and_the_run_pauses_after_the_child_saw_it_and_a_step_was_refused() {
        use PauseEvent::*;
        let (state, sent) = after(&[Signalled(Signal::Run), Signalled(Signal::Pause)]);
        assert_eq!(sent, [false, true]);
        assert_eq!(state, PauseHandshake::Asked { step_refused: false });
        let (state, sent) = after(&[Signalled(Signal::Pause), Signalled(Signal::Pause), ChildSawPause]);
        assert_eq!(sent, [true, false, false]);
        assert!(
            !state.pauses_when_drained(),
            "no step refused yet: the workflow may still end"
        );
        let (state, _) = after(&[Signalled(Signal::Pause), ChildSawPause, StepRefused]);
        assert!(state.pauses_when_drained());
    }

    #[test]
    fn a_refused_step_before_the_signal_is_seen_sends_the_pause_and_is_remembered() {
        use PauseEvent::*;
        let (state, sent) = after(&[StepRefused, Signalled(Signal::Pause), ChildSawPause]);
        assert_eq!(sent, [true, false, false]);
        assert!(state.pauses_when_drained());
    }

    #[test]
    fn a_pause_seen_before_the_engine_sent_one_counts() {
        use PauseEvent::*;
        let (state, sent) = after(&[ChildSawPause, Signalled(Signal::Pause), StepRefused]);
        assert_eq!(sent, [false, false, false]);
        assert!(state.pauses_when_drained());
        assert!(!state.watches_signal());
    }

    #[test]
    fn a_run_without_control_stops_watching_its_signal() {
        let (state, sent) = after(&[PauseEvent::ControlGone]);
        assert_eq!(sent, [false]);
        assert!(!state.watches_signal());
        assert!(!state.pauses_when_drained());
    }
}
