//! How a step ended, before it is recorded, and the `summary.md` and checkpoint written for it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::step::script;
use crate::store::steps::StepRow;

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

pub fn summary_md(row: &StepRow, status: &str, elapsed: Duration, outcome: &Outcome) -> String {
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
    if let Some(e) = &outcome.error {
        s.push_str(&format!("\n## Error\n\n{e}\n"));
    }
    if let (Some(data), "agent") = (&outcome.data, row.kind.as_str()) {
        s.push_str(&super::agent_result::agent_summary(data));
    } else if let Some(out) = outcome.output.as_deref().filter(|o| !o.trim().is_empty()) {
        let tail = script::tail(out, 8 * 1024);
        s.push_str(&format!("\n## Output\n\n```\n{}\n```\n", tail.trim_end()));
    } else if let Some(data) = outcome.data.as_ref().filter(|_| row.kind == "function") {
        s.push_str(&format!(
            "\n## Result\n\n```json\n{}\n```\n",
            serde_json::to_string_pretty(data).unwrap_or_default()
        ));
    }
    s
}

/// A checkpoint file's contents: `completed_step_ids` and `step_results` in step order.
pub(super) struct Checkpoint {
    pub execution_id: String,
    pub timestamp: Option<String>,
    pub current_phase: Option<String>,
    pub current_step_index: i64,
    /// (step id, StepResult) of every result handed out so far, in step order.
    pub results: Vec<Arc<(String, Value)>>,
}

impl serde::Serialize for Checkpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Completed<'a>(&'a [Arc<(String, Value)>]);
        impl serde::Serialize for Completed<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().filter(|r| r.1["status"] == "completed").map(|r| &r.0))
            }
        }
        struct Results<'a>(&'a [Arc<(String, Value)>]);
        impl serde::Serialize for Results<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|r| (&r.0, &r.1)))
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
