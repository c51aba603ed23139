//! Stall detection: when the CLI last wrote a byte to stdout or stderr, and a future that ends
//! once it has written nothing for the step's `stallTimeout`.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The default `stallTimeout`: how long an agent may print nothing before it is stopped.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// When the CLI last printed anything; the readers touch it, the waiter watches it.
#[derive(Clone)]
pub struct LastOutput(watch::Sender<Instant>);

impl LastOutput {
    pub fn new() -> LastOutput {
        LastOutput(watch::Sender::new(Instant::now()))
    }

    pub fn touch(&self) {
        self.0.send_replace(Instant::now());
    }

    /// Ends once nothing was printed for `limit`; never, without a limit.
    pub async fn silent_for(&self, limit: Option<Duration>) {
        let Some(limit) = limit else {
            return std::future::pending().await;
        };
        let rx = self.0.subscribe();
        loop {
            let last = *rx.borrow();
            if last.elapsed() >= limit {
                return;
            }
            tokio::time::sleep_until(last + limit).await;
        }
    }
}

impl Default for LastOutput {
    fn default() -> Self {
        LastOutput::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_puts_the_stall_off() {
        let last = LastOutput::new();
        let toucher = last.clone();
        let started = Instant::now();
        let touching = tokio::spawn(async move {
            for _ in 0..4 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                toucher.touch();
            }
        });
        last.silent_for(Some(Duration::from_millis(120))).await;
        touching.await.unwrap();
        // Touched at 50..200 ms: silent for 120 ms only from 200 ms on.
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
    }
}
