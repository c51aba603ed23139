//! Retries of a step, on the step host: a step's `retry` policy and its `timeout` decide
//! whether a failed try is followed by another and after which wait (the timeout bounds every
//! try and every wait); each try of a retried step is recorded (`store::attempts`) with its
//! own log folder. Script steps retry here (`retry_script`), function steps in the JS worker,
//! which asks `retry_function` after each failed try; agent steps in `agent::exec`, whose
//! tries `end_try`/`start_try` record.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::host::{fatal, Interrupt, StepHost};
use super::outcome::Outcome;
use crate::definition::retry::RetrySpec;
use crate::definition::{format_ms, StepConfig};
use crate::domain::AttemptOutcome;
use crate::events::{Event, LogMark};
use crate::js::protocol::FunctionOutcome;
use crate::store::attempts::AttemptRow;
use crate::store::steps::StepRow;
use crate::subprocess::group::stop_requested;
use crate::subprocess::script::STOPPED;

/// A running step's retry policy, timeout and tries so far.
#[derive(Debug, Clone, Default)]
pub(super) struct Tries {
    pub(super) spec: Option<RetrySpec>,
    pub(super) timeout: Option<Duration>,
    /// Tries made in this drive, the one running included.
    pub(super) made: u32,
    /// The number of the try running (it continues the step's earlier tries).
    pub(super) attempt: i64,
    /// The last try failed in a way its policy does not retry (a `NonRetryableError`, an exit
    /// code or agent failure class not in `retryOn`): it fails even with `onExhausted: "wait"`.
    pub(super) not_retryable: bool,
}

impl Tries {
    /// Whether this step's tries are recorded: it was retried in this drive (each try after
    /// the first is recorded as it starts), so its last try's end is recorded too.
    pub(super) fn recorded(&self) -> bool {
        self.made > 1
    }

    pub(super) fn new(config: &StepConfig) -> Tries {
        Tries {
            spec: config.retry.clone(),
            timeout: config.timeout_ms.map(Duration::from_millis),
            made: 1,
            attempt: 1,
            not_retryable: false,
        }
    }
}

/// What follows a failed try.
#[derive(Debug, PartialEq)]
pub(super) enum Plan {
    /// No retry: the policy does not retry it, or its tries are used up.
    Done,
    /// The wait before another try would pass the step's timeout: the step ends now, with
    /// this error.
    NoTime(String),
    /// Another try, after this wait.
    Retry(Duration),
}

/// The plan after a failed try, from the policy, the tries made and the time left.
fn plan(tries: &Tries, started: Instant, retryable: bool, retry_after: Option<Duration>, error: &str) -> Plan {
    let Some(spec) = &tries.spec else { return Plan::Done };
    if !retryable || tries.made >= spec.attempts {
        return Plan::Done;
    }
    let delay = retry_after.unwrap_or_else(|| spec.delay_before(tries.made + 1));
    match tries.timeout {
        Some(t) if started.elapsed() + delay >= t => Plan::NoTime(format!(
            "timed out: the step's {} timeout leaves no time to wait {} and try again; the last try failed: {error}",
            format_ms(t.as_millis() as u64),
            format_ms(delay.as_millis() as u64)
        )),
        _ => Plan::Retry(delay),
    }
}

/// `retryAfter` of a thrown error: milliseconds, or a duration string.
fn retry_after(value: Option<&Value>) -> Option<Duration> {
    match value? {
        Value::Number(n) => n
            .as_f64()
            .filter(|ms| *ms >= 0.0)
            .map(|ms| Duration::from_millis(ms as u64)),
        Value::String(s) => crate::definition::duration::parse_duration(s)
            .ok()
            .map(Duration::from_millis),
        _ => None,
    }
}

impl StepHost {
    /// The plan after a failed try of the running step `id`.
    fn plan_for(&self, id: &str, retryable: bool, after: Option<Duration>, error: &str) -> Plan {
        let state = self.state.lock().expect("host lock");
        match state.running.get(id) {
            Some(r) => plan(&r.tries, r.started, retryable, after, error),
            None => Plan::Done,
        }
    }

    /// The running step's row and the time left before its timeout (None: no timeout).
    fn time_left(&self, id: &str) -> Option<Duration> {
        let state = self.state.lock().expect("host lock");
        let r = state.running.get(id)?;
        r.tries.timeout.map(|t| t.saturating_sub(r.started.elapsed()))
    }

    /// Records that the running try of step `id` failed with `error`; its number.
    pub(super) async fn end_try(&self, row: &StepRow, error: &str) -> Result<i64, Interrupt> {
        let files = self.files.clone();
        let key = row.step_id.clone();
        let error = self.mask.text(error);
        AttemptRow::end_current(self.engine.store(), row, AttemptOutcome::Failed, Some(&error), |n| {
            files.attempt_dir_rel(&key, n)
        })
        .await
        .map_err(fatal)
    }

    /// Records that try `attempt` of step `row` starts now.
    pub(super) async fn start_try(&self, row: &StepRow, attempt: i64) -> Result<(), Interrupt> {
        let dir = self.files.attempt_dir_rel(&row.step_id, attempt);
        AttemptRow::start(self.engine.store(), &self.run_id, &row.id, attempt, &dir)
            .await
            .map_err(fatal)?;
        let mut state = self.state.lock().expect("host lock");
        if let Some(r) = state.running.get_mut(&row.step_id) {
            r.tries.made += 1;
            r.tries.attempt = attempt;
        }
        Ok(())
    }

    /// A step that ran before starts its first try of this drive with the next number.
    pub(super) async fn continue_tries(&self, row: &StepRow) -> Result<(), Interrupt> {
        let next = AttemptRow::next_number(self.engine.store(), &row.id)
            .await
            .map_err(fatal)?;
        if let Some(r) = self.state.lock().expect("host lock").running.get_mut(&row.step_id) {
            r.tries.attempt = next;
        }
        Ok(())
    }

    /// Notes that the running step's last try failed in a way its policy does not retry.
    pub(super) fn mark_not_retryable(&self, id: &str) {
        if let Some(r) = self.state.lock().expect("host lock").running.get_mut(id) {
            r.tries.not_retryable = true;
        }
    }

    /// The number of the try of step `id` running now (1 when it is not running).
    pub(super) fn current_try(&self, id: &str) -> i64 {
        let state = self.state.lock().expect("host lock");
        state.running.get(id).map_or(1, |r| r.tries.attempt)
    }

    /// Ends the last try of a retried step with how the step ended.
    pub(super) async fn end_last_try(
        &self,
        row: &StepRow,
        recorded: bool,
        outcome: AttemptOutcome,
        error: Option<&str>,
    ) {
        if !recorded {
            return;
        }
        if let Err(e) = AttemptRow::end_running(self.engine.store(), &self.run_id, &row.id, outcome, error).await {
            tracing::warn!(step = %row.step_id, error = %e, "cannot record the end of the step's last try");
        }
    }

    /// After a failed try with another to come: records it, says so (the step's events and
    /// `events.jsonl`), waits `delay` and records the next try's start; its number. Err
    /// with the error to report when the run stopped during the wait.
    async fn wait_and_start_next(&self, row: &StepRow, error: &str, delay: Duration) -> Result<i64, Interrupt> {
        let failed = self.end_try(row, error).await?;
        let next = failed + 1;
        let error = self.mask.text(error);
        let record = json!({ "ts": crate::store::now(), "type": "retry", "attempt": next,
                             "delayMs": delay.as_millis() as u64, "reason": error });
        let log = self
            .files
            .append_attempt_event(&row.step_id, failed, &record)
            .ok()
            .map(|log_end| LogMark {
                attempt: failed,
                log_end,
                ts: record["ts"].as_str().unwrap_or_default().to_string(),
            });
        self.emit(Event::StepProgress {
            execution_id: self.run_id.clone(),
            step_id: row.id.clone(),
            step_key: row.step_id.clone(),
            stream: "retry".into(),
            // As an agent step's retries say it (`agent_result::progress`).
            output: format!("{error}; try {next} in {}", format_ms(delay.as_millis() as u64)),
            detail: Some(record),
            log,
            project_id: self.project_id.clone(),
        });
        let mut kill = self.kill.clone();
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop_requested(&mut kill) => return Err(Interrupt::Stopping),
        }
        self.start_try(row, next).await?;
        Ok(next)
    }

    /// Runs a script step's further tries while its policy retries the failure; the
    /// outcome of the last.
    pub(super) async fn retry_script(&self, config: &StepConfig, row: &StepRow, mut outcome: Outcome) -> Outcome {
        loop {
            if outcome.ok || outcome.error.as_deref() == Some(STOPPED) {
                return outcome;
            }
            let code = outcome.data.as_ref().and_then(|d| d["exitCode"].as_i64());
            let retryable = config.retry.as_ref().is_some_and(|s| s.retries_exit(code));
            if !retryable {
                self.mark_not_retryable(&config.id);
            }
            let error = outcome.error.clone().unwrap_or_default();
            let delay = match self.plan_for(&config.id, retryable, None, &error) {
                Plan::Done => return outcome,
                Plan::NoTime(message) => {
                    outcome.error = Some(message);
                    return outcome;
                }
                Plan::Retry(delay) => delay,
            };
            match self.wait_and_start_next(row, &error, delay).await {
                Ok(_) => {}
                Err(Interrupt::Fatal(e)) => return Outcome::failed(e, None),
                Err(_) => return Outcome::failed(STOPPED.to_string(), None),
            };
            let mut config = config.clone();
            config.timeout_ms = self.time_left(&config.id).map(|d| d.as_millis() as u64);
            let (row_tx, row_rx) = oneshot::channel();
            let _ = row_tx.send(row.clone());
            let (_abort_tx, abort_rx) = oneshot::channel();
            outcome = self.run_script(&config, row_rx, abort_rx).await;
        }
    }

    /// `StepRetry` from the JS worker: a try of function step `id` failed. Answers, after the
    /// wait before the next try, `{retry: true}`; else `{retry: false}`, with the `error` to
    /// report instead when there is one (no time left, the run stopped).
    pub async fn retry_function(&self, id: &str, outcome: &FunctionOutcome) -> Result<Value, Interrupt> {
        let row = {
            let state = self.state.lock().expect("host lock");
            match state.running.get(id) {
                Some(r) => r.row.clone(),
                None => return Err(Interrupt::Invalid(format!("step \"{id}\" is not running"))),
            }
        };
        let error = outcome.error.clone().unwrap_or_else(|| "the function threw".into());
        let after = retry_after(outcome.retry_after.as_ref());
        match self.plan_for(id, !outcome.non_retryable, after, &error) {
            Plan::Done => Ok(json!({ "retry": false })),
            Plan::NoTime(message) => Ok(json!({ "retry": false, "error": message })),
            Plan::Retry(delay) => match self.wait_and_start_next(&row, &error, delay).await {
                Ok(_) => Ok(json!({ "retry": true })),
                Err(Interrupt::Fatal(e)) => Err(Interrupt::Fatal(e)),
                Err(_) => Ok(json!({ "retry": false, "error": STOPPED })),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tries(made: u32, attempts: u32, timeout_ms: Option<u64>) -> Tries {
        let spec = crate::definition::retry::parse(
            &json!({"attempts": attempts, "initialDelay": "100ms"}),
            crate::domain::StepKind::Script,
        )
        .unwrap();
        Tries {
            spec: Some(spec),
            timeout: timeout_ms.map(Duration::from_millis),
            made,
            attempt: made as i64,
            not_retryable: false,
        }
    }

    #[test]
    fn a_failure_is_retried_while_tries_and_time_are_left() {
        let now = Instant::now();
        assert_eq!(
            plan(&tries(1, 3, None), now, true, None, "x"),
            Plan::Retry(Duration::from_millis(100))
        );
        assert_eq!(
            plan(&tries(2, 3, None), now, true, None, "x"),
            Plan::Retry(Duration::from_millis(200))
        );
        assert_eq!(plan(&tries(3, 3, None), now, true, None, "x"), Plan::Done);
        assert_eq!(plan(&tries(1, 3, None), now, false, None, "x"), Plan::Done);
        let after = Some(Duration::from_millis(7));
        assert_eq!(
            plan(&tries(1, 3, None), now, true, after, "x"),
            Plan::Retry(Duration::from_millis(7))
        );
        let Plan::NoTime(message) = plan(&tries(1, 3, Some(50)), now, true, None, "boom") else {
            panic!("a wait past the timeout is not started")
        };
        assert!(message.contains("50ms timeout leaves no time to wait 100ms") && message.ends_with("boom"));
        assert_eq!(plan(&Tries::default(), now, true, None, "x"), Plan::Done);
    }

    #[test]
    fn retry_after_is_milliseconds_or_a_duration() {
        assert_eq!(retry_after(Some(&json!(250))), Some(Duration::from_millis(250)));
        assert_eq!(retry_after(Some(&json!("2s"))), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(Some(&json!(true))), None);
        assert_eq!(retry_after(None), None);
    }
}
