//! How a step ended, before it is recorded, and the `summary.md` and checkpoint written for it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::domain::{StepKind, StepResult, StepStatus};
use crate::store::steps::StepRow;
use crate::subprocess::script;

/// How a step ended, before it is recorded.
pub struct Outcome {
    pub ok: bool,
    pub data: Option<Value>,
    pub error: Option<String>,
    /// Text for the summary (stdout, or a stack).
    pub output: Option<String>,
}

impl Outcome {
    pub fn failed(error: String, output: Option<String>) -> Outcome {
        Outcome {
            ok: false,
            data: None,
            error: Some(error),
            output,
        }
    }
}

pub fn summary_md(row: &StepRow, status: StepStatus, elapsed: Duration, outcome: &Outcome) -> String {
    let mut s = format!(
        "# {}\n\n- Step: `{}` ({})\n- Phase: {}\n- Status: {}\n- Attempt: {}\n- Duration: {}\n",
        row.name,
        row.step_id,
        row.kind,
        row.phase,
        status,
        row.attempt,
        crate::definition::format_ms(elapsed.as_millis() as u64)
    );
    match (&outcome.error, status) {
        (Some(why), StepStatus::Skipped) => s.push_str(&format!("\n## Skipped\n\n{why}\n")),
        (Some(e), _) => s.push_str(&format!("\n## Error\n\n{e}\n")),
        (None, _) => {}
    }
    if let (Some(data), StepKind::Agent) = (&outcome.data, row.kind) {
        s.push_str(&super::agent_result::agent_summary(data));
    } else if let Some(out) = outcome.output.as_deref().filter(|o| !o.trim().is_empty()) {
        let tail = script::tail(out, 8 * 1024);
        s.push_str(&format!("\n## Output\n\n```\n{}\n```\n", tail.trim_end()));
    } else if let Some(data) = outcome.data.as_ref().filter(|_| row.kind == StepKind::Function) {
        let json = serde_json::to_string_pretty(data).unwrap_or_default();
        s.push_str(&format!(
            "\n## Result\n\n```json\n{}\n```\n",
            cut(&json, SUMMARY_PART_BYTES)
        ));
    }
    cap_summary(s)
}

/// How much of a step's output or result `summary.md` quotes; all of it is in its files.
const SUMMARY_PART_BYTES: usize = 8 * 1024;
/// `summary.md` is a summary: never more than this, whatever the step produced.
pub(super) const SUMMARY_MAX_BYTES: usize = 32 * 1024;

/// A step's error message is kept whole in its files; its row and events hold this much.
pub(super) const ROW_ERROR_MAX_BYTES: usize = 16 * 1024;

/// The start of `text` up to `max` bytes (on a character boundary), marked when cut.
pub(super) fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n… ({} bytes more in the step's files)",
        &text[..end],
        text.len() - end
    )
}

fn cap_summary(s: String) -> String {
    if s.len() <= SUMMARY_MAX_BYTES {
        return s;
    }
    let mut capped = cut(&s, SUMMARY_MAX_BYTES);
    capped.push('\n');
    capped
}

/// A step result kept in checkpoints inline only up to this size (serialised); a larger one
/// is referenced by its `output.json`, so that every checkpoint does not copy it again.
pub(super) const INLINE_RESULT_BYTES: usize = 4 * 1024;

/// A result handed to the workflow, as checkpoints list it.
pub(super) struct Entry {
    pub step_id: String,
    /// The `StepResult` (`stepId`, `status`, `data`, `error`).
    pub result: Value,
    /// Too large to repeat in every checkpoint (`INLINE_RESULT_BYTES`).
    pub large: bool,
}

impl Entry {
    /// `serialized_len`, when known (a row's stored text), saves serialising it again.
    pub fn new(step_id: String, result: Value, serialized_len: Option<usize>) -> Arc<Entry> {
        let len = serialized_len.unwrap_or_else(|| serde_json::to_vec(&result).map(|v| v.len()).unwrap_or(0));
        Arc::new(Entry {
            step_id,
            result,
            large: len > INLINE_RESULT_BYTES,
        })
    }
}

impl serde::Serialize for Entry {
    /// Inline, the `StepResult`; large, a reference to the `output.json` that holds it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.large {
            reference(&self.step_id, &self.result).serialize(s)
        } else {
            self.result.serialize(s)
        }
    }
}

/// A step result's row holds it whole only up to this size; a larger one is kept in its
/// `output.json` and the row holds a `reference` (the memo reads it back from there).
pub(super) const ROW_RESULT_MAX_BYTES: usize = 256 * 1024;

/// A result stood in for by the file that holds all of it: its `stepId`, `status` and (a
/// short) `error`, and `output_file`, the run-relative path of its `output.json`.
pub(super) fn reference(step_id: &str, result: &Value) -> Value {
    let mut map = serde_json::Map::new();
    for key in ["stepId", "status", "error"] {
        if let Some(v) = result.get(key).filter(|v| v.as_str().is_some_and(|t| t.len() <= 1024)) {
            map.insert(key.to_string(), v.clone());
        }
    }
    map.insert("output_file".into(), Value::String(output_file(step_id)));
    Value::Object(map)
}

fn output_file(step_id: &str) -> String {
    format!("logs/{step_id}/output.json")
}

/// A stored result as the workflow sees it: the row's, or, for a `reference`, the file's.
pub(super) fn load_result(row_result: Option<&str>, files: &crate::store::files::RunFiles) -> Result<Value, String> {
    let stored: Value = row_result
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    let Some(file) = stored.get("output_file").and_then(Value::as_str) else {
        return Ok(stored);
    };
    let path = files.root.join(file);
    std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        .map_err(|e| {
            format!(
                "the result of a completed step is kept in {}, which cannot be read: {e}",
                path.display()
            )
        })
}

/// A checkpoint file's contents: `completed_step_ids` and `step_results` in step order.
pub(super) struct Checkpoint {
    pub execution_id: String,
    pub timestamp: Option<String>,
    pub current_phase: Option<String>,
    pub current_step_index: i64,
    /// Every result handed out so far, in step order.
    pub results: Vec<Arc<Entry>>,
}

impl serde::Serialize for Checkpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Completed<'a>(&'a [Arc<Entry>]);
        impl serde::Serialize for Completed<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(
                    self.0
                        .iter()
                        .filter(|r| StepResult::status_of(&r.result) == Some(StepStatus::Completed))
                        .map(|r| &r.step_id),
                )
            }
        }
        struct Results<'a>(&'a [Arc<Entry>]);
        impl serde::Serialize for Results<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|r| (&r.step_id, r.as_ref())))
            }
        }
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("execution_id", &self.execution_id)?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        map.serialize_entry("current_phase", &self.current_phase)?;
        map.serialize_entry("current_step_index", &self.current_step_index)?;
        map.serialize_entry("completed_step_ids", &Completed(&self.results))?;
        map.serialize_entry("step_results", &Results(&self.results))?;
        map.end()
    }
}
