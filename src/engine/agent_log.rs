//! An agent step's `events.jsonl`, a try at a time: every raw line the CLI printed and each
//! retry, flushed when nothing more waits, and where its last record ends (`LogMark`) for the
//! progress events it gave.

use std::io::{BufWriter, Write};

use serde_json::{json, Value};

use super::host::StepHost;
use crate::agent::exec::Output;
use crate::events::LogMark;

/// The `events.jsonl` line for a raw output line or a retry; `Null` for a parsed event, which
/// its raw line already recorded.
pub(super) fn raw_record(out: &Output) -> Value {
    match out {
        Output::Raw { stream, text } => json!({ "ts": crate::store::now(), "type": stream, "text": text }),
        Output::Retry {
            next_attempt,
            delay,
            reason,
            ..
        } => json!({ "ts": crate::store::now(), "type": "retry", "attempt": next_attempt,
                      "delayMs": delay.as_millis() as u64, "reason": reason }),
        Output::Event(_) | Output::TryStarted { .. } => Value::Null,
    }
}

/// The step's `events.jsonl`, if it could be opened: a step whose log cannot be written
/// still runs.
/// A try's `events.jsonl` being written, and where its last record ends (for `LogMark`).
pub(super) struct EventsLog {
    file: Option<BufWriter<std::fs::File>>,
    attempt: i64,
    end: u64,
    /// The last record's `ts`; None before the first.
    ts: Option<String>,
}

impl EventsLog {
    /// The log of try `attempt` (`logs/<step>/attempt-N/events.jsonl`), appended to.
    pub(super) fn open_try(host: &StepHost, step_id: &str, attempt: i64) -> Self {
        let file = host.files.open_attempt_events(step_id, attempt).ok();
        let end = file.as_ref().and_then(|f| f.metadata().ok()).map_or(0, |m| m.len());
        EventsLog {
            file: file.map(BufWriter::new),
            attempt,
            end,
            ts: None,
        }
    }

    /// Writes `record` unless it is `Null`. With nothing more waiting (`idle`), what was read
    /// so far reaches the file (and so `GET .../logs/events`) now, not at the end of the step.
    pub(super) fn write(&mut self, record: &Value, idle: bool) {
        let Some(f) = self.file.as_mut() else { return };
        if !record.is_null() {
            let line = format!("{record}\n");
            if f.write_all(line.as_bytes()).is_ok() {
                self.end += line.len() as u64;
                self.ts = record["ts"].as_str().map(str::to_string);
            }
        }
        if idle {
            let _ = f.flush();
        }
    }

    /// Where the last record written is, for the events it gave.
    pub(super) fn mark(&self) -> Option<LogMark> {
        Some(LogMark {
            attempt: self.attempt,
            log_end: self.end,
            ts: self.ts.clone()?,
        })
    }

    pub(super) fn finish(mut self) {
        if let Some(f) = self.file.as_mut() {
            let _ = f.flush();
        }
    }
}
