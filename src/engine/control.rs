//! Steering a run from outside its driver: Ctrl-C in the CLI, the API's pause and cancel.

use std::sync::Arc;

use tokio::sync::watch;

/// What the run has been asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signal {
    #[default]
    Run,
    /// Stop at the next step boundary, after the steps in flight finish.
    Pause,
    /// Stop now, killing the steps in flight.
    Cancel,
}

#[derive(Clone, Debug, Default)]
pub struct RunControl {
    tx: Arc<watch::Sender<Signal>>,
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

    pub fn cancel(&self) {
        self.tx.send_replace(Signal::Cancel);
    }

    pub fn current(&self) -> Signal {
        *self.tx.borrow()
    }

    pub fn subscribe(&self) -> watch::Receiver<Signal> {
        self.tx.subscribe()
    }

    /// Resolves once the run is asked to cancel.
    pub async fn cancelled(&self) {
        let mut rx = self.subscribe();
        let _ = rx.wait_for(|s| *s == Signal::Cancel).await;
    }
}
