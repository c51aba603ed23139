//! A step's `retry` policy (script, function and agent steps, YAML and TypeScript alike):
//! `{ attempts, initialDelay, backoff, maxDelay, retryOn?, onExhausted? }`, checked once here
//! into a `RetrySpec`, and the delays it gives between tries.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::duration::duration_from_json;
use super::StepKind;

/// The most tries a step may be given.
pub const MAX_ATTEMPTS: u64 = 100;
/// The wait before the first retry when `initialDelay` is not written.
pub const DEFAULT_INITIAL_DELAY_MS: u64 = 1_000;
/// The longest wait between tries when `maxDelay` is not written.
pub const DEFAULT_MAX_DELAY_MS: u64 = 5 * 60_000;
/// What an agent step may retry on (`agent::classify::FailureKind` names).
pub const AGENT_FAILURES: &[&str] = &[
    "auth",
    "rate_limit",
    "overloaded",
    "max_turns",
    "crashed",
    "timed_out",
    "stalled",
    "invalid_output",
    "error",
];
/// What a step does when its tries are used up.
pub const ON_EXHAUSTED: &[&str] = &["fail", "wait"];

/// A checked `retry` policy, as the definition snapshot and `input.json` keep it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetrySpec {
    /// Tries in all, the first included (1 = no retry).
    pub attempts: u32,
    pub initial_delay_ms: u64,
    /// Each wait is the one before times this (1 = fixed delays).
    pub backoff: f64,
    pub max_delay_ms: u64,
    /// Scripts: the exit codes retried (absent: every failure). Agents: failure classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on: Option<Vec<Value>>,
    /// `fail` (default) or `wait`: a person decides to retry, skip or fail the step.
    #[serde(default = "fail")]
    pub on_exhausted: String,
}

fn fail() -> String {
    "fail".into()
}

impl RetrySpec {
    /// The wait before try `next` (2, 3, ...): `initialDelay × backoff^(next-2)`, at most
    /// `maxDelay`.
    pub fn delay_before(&self, next: u32) -> Duration {
        let max = Duration::from_millis(self.max_delay_ms);
        backoff_delay(Duration::from_millis(self.initial_delay_ms), self.backoff, max, next)
    }

    pub fn waits_when_exhausted(&self) -> bool {
        self.on_exhausted == "wait"
    }

    /// Whether a script's exit code (None: it did not exit by itself) is retried.
    pub fn retries_exit(&self, code: Option<i64>) -> bool {
        match &self.retry_on {
            None => true,
            Some(codes) => code.is_some_and(|c| codes.iter().any(|v| v.as_i64() == Some(c))),
        }
    }
}

/// The wait before try `next` (2, 3, ...) of a policy: `initial × backoff^(next-2)`, at most
/// `max`, in whole milliseconds. One rule for every step's `retry` and the agents' configured
/// `agentRetry` (`agent::config::RetryPolicy`).
pub fn backoff_delay(initial: Duration, backoff: f64, max: Duration, next: u32) -> Duration {
    let factor = backoff.powi(next.saturating_sub(2).min(64) as i32);
    let ms = (initial.as_millis() as f64 * factor).min(max.as_millis() as f64);
    Duration::from_millis(ms.max(0.0) as u64)
}

/// The `retry` value of a step of `kind` as a `RetrySpec`, or what is wrong with it (after
/// the field's name: `retry.attempts must be ...`).
pub fn parse(value: &Value, kind: StepKind) -> Result<RetrySpec, String> {
    let Value::Object(map) = value else {
        return Err("must be an object like { attempts: 3, initialDelay: \"1s\" }".into());
    };
    for key in map.keys() {
        if ![
            "attempts",
            "initialDelay",
            "backoff",
            "maxDelay",
            "retryOn",
            "onExhausted",
        ]
        .contains(&key.as_str())
        {
            return Err(format!(
                "has an unknown field '{key}': use attempts, initialDelay, backoff, maxDelay, retryOn or onExhausted"
            ));
        }
    }
    let attempts = match map.get("attempts") {
        None => return Err("needs attempts: how many tries in all (1 to 100)".into()),
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_ATTEMPTS).contains(n))
            .ok_or_else(|| format!("is wrong: attempts must be a whole number from 1 to {MAX_ATTEMPTS}, found {v}"))?,
    };
    let delay = |key: &str, default: u64| -> Result<u64, String> {
        match map.get(key).filter(|v| !v.is_null()) {
            None => Ok(default),
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(0),
            Some(v) => duration_from_json(v).map_err(|e| format!("is wrong: {key}: {e}")),
        }
    };
    let initial_delay_ms = delay("initialDelay", DEFAULT_INITIAL_DELAY_MS)?;
    let max_delay_ms = delay("maxDelay", DEFAULT_MAX_DELAY_MS.max(initial_delay_ms))?;
    if max_delay_ms < initial_delay_ms {
        return Err("is wrong: maxDelay must not be shorter than initialDelay".into());
    }
    let backoff = match map.get("backoff").filter(|v| !v.is_null()) {
        None => 2.0,
        Some(Value::String(s)) if s == "exponential" => 2.0,
        Some(Value::String(s)) if s == "fixed" => 1.0,
        Some(v) => v.as_f64().filter(|f| (1.0..=10.0).contains(f)).ok_or_else(|| {
            format!("is wrong: backoff must be a number from 1 to 10, \"exponential\" (2) or \"fixed\" (1), found {v}")
        })?,
    };
    let retry_on = match map.get("retryOn").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => Some(retry_on(v, kind)?),
    };
    let on_exhausted = match map.get("onExhausted").filter(|v| !v.is_null()) {
        None => fail(),
        Some(Value::String(s)) if ON_EXHAUSTED.contains(&s.as_str()) => s.clone(),
        Some(v) => return Err(format!("is wrong: onExhausted must be \"fail\" or \"wait\", found {v}")),
    };
    Ok(RetrySpec {
        attempts: attempts as u32,
        initial_delay_ms,
        backoff,
        max_delay_ms,
        retry_on,
        on_exhausted,
    })
}

fn retry_on(value: &Value, kind: StepKind) -> Result<Vec<Value>, String> {
    let Value::Array(items) = value else {
        return Err(format!("is wrong: retryOn must be a list, found {value}"));
    };
    match kind {
        StepKind::Script => {
            for item in items {
                if !item.as_i64().is_some_and(|c| (1..=255).contains(&c)) {
                    return Err(format!(
                        "is wrong: retryOn of a script step lists exit codes (1 to 255), found {item}"
                    ));
                }
            }
        }
        StepKind::Agent => {
            for item in items {
                if !item.as_str().is_some_and(|c| AGENT_FAILURES.contains(&c)) {
                    return Err(format!(
                        "is wrong: retryOn of an agent step lists failure classes ({}), found {item}",
                        AGENT_FAILURES.join(", ")
                    ));
                }
            }
        }
        _ => {
            return Err(
                "is wrong: retryOn is for script steps (exit codes) and agent steps (failure classes); \
                 a function step retries every error not marked non-retryable (throw new NonRetryableError(...))"
                    .into(),
            )
        }
    }
    Ok(items.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_policy_is_read_with_its_defaults_and_its_delays_grow() {
        let spec = parse(
            &json!({"attempts": 4, "initialDelay": "100ms", "maxDelay": "300ms"}),
            StepKind::Script,
        )
        .unwrap();
        assert_eq!(
            (spec.attempts, spec.backoff, spec.on_exhausted.as_str()),
            (4, 2.0, "fail")
        );
        let delays: Vec<u64> = (2..=5).map(|n| spec.delay_before(n).as_millis() as u64).collect();
        assert_eq!(delays, [100, 200, 300, 300]);
        let fixed = parse(
            &json!({"attempts": 3, "initialDelay": "50ms", "backoff": "fixed"}),
            StepKind::Function,
        )
        .unwrap();
        assert_eq!(fixed.delay_before(3).as_millis(), 50);
    }

    #[test]
    fn bad_policies_say_which_field() {
        let bad = |v: Value, kind| parse(&v, kind).unwrap_err();
        assert!(bad(json!({}), StepKind::Script).contains("needs attempts"));
        assert!(bad(json!({"attempts": 0}), StepKind::Script).contains("is wrong: attempts must be"));
        assert!(bad(json!({"attempts": 2, "retryOn": ["x"]}), StepKind::Script).contains("exit codes"));
        assert!(bad(json!({"attempts": 2, "retryOn": [1]}), StepKind::Agent).contains("failure classes"));
        assert!(bad(json!({"attempts": 2, "retryOn": [1]}), StepKind::Function).contains("NonRetryableError"));
        assert!(bad(json!({"attempts": 2, "onExhausted": "pause"}), StepKind::Agent).contains("onExhausted"));
        assert!(bad(json!({"attempts": 2, "initialDelay": "soon"}), StepKind::Agent).contains("is wrong: initialDelay"));
        assert!(bad(json!({"attempts": 2, "tries": 3}), StepKind::Agent).contains("unknown field 'tries'"));
        assert!(bad(json!(3), StepKind::Agent).contains("must be an object"));
    }
}
