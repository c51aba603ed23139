//! `logs RUN [STEP] [-f]`: the output lines a run's steps wrote to their `events.jsonl`, in
//! step order; `-f` keeps reading the files until the step (or the run) ends.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;

use super::runs::{engine_gone, load_run};
use super::{invalid, report};
use crate::domain::StepStatus;
use crate::engine::{Engine, EngineError};
use crate::store::files::RunFiles;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::{Store, StoreError};

/// How often `-f` looks for new lines and for the end of what it follows.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

pub struct LogsRequest {
    pub run_id: String,
    pub step: Option<String>,
    pub follow: bool,
    pub json: bool,
}

pub async fn logs(engine: &Engine, req: LogsRequest) -> ExitCode {
    let store = engine.store();
    let run = match load_run(store, &req.run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    let project = match ProjectRow::get(store, &run.project_id).await {
        Ok(p) => p.map(|p| p.path).unwrap_or_default(),
        Err(e) => return report(e.into()),
    };
    let mut reader = LogReader {
        files: RunFiles::new(Path::new(&project), &run.id),
        json: req.json,
        offsets: HashMap::new(),
        last_step: None,
    };
    if let Some(step) = &req.step {
        if let Err(code) = check_step(store, &run.id, step).await {
            return code;
        }
    }
    match follow(store, &mut reader, &run.id, req.step.as_deref(), req.follow).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(e),
    }
}

/// Refuses a step the run has not started (exit 2), naming the ones it has.
async fn check_step(store: &Store, run_id: &str, step: &str) -> Result<(), ExitCode> {
    let steps = StepRow::list_for_run(store, run_id)
        .await
        .map_err(|e| report(e.into()))?;
    if steps.iter().any(|s| s.step_id == step) {
        return Ok(());
    }
    let known: Vec<&str> = steps.iter().map(|s| s.step_id.as_str()).collect();
    let known = if known.is_empty() {
        "it has started none yet".to_string()
    } else {
        format!("its steps so far: {}", known.join(", "))
    };
    Err(invalid(&format!("run {run_id} has no step \"{step}\" ({known})")))
}

/// Prints what the steps wrote so far; with `follow`, again and again until what is followed
/// has ended. The status is read before the files, so the last pass sees every line the
/// step wrote before it ended.
async fn follow(
    store: &Store,
    reader: &mut LogReader,
    run_id: &str,
    only: Option<&str>,
    follow: bool,
) -> Result<(), EngineError> {
    loop {
        let run = RunRow::get(store, run_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("run {run_id}")))?;
        let steps: Vec<StepRow> = StepRow::list_for_run(store, run_id)
            .await?
            .into_iter()
            .filter(|s| only.is_none_or(|id| s.step_id == id))
            .collect();
        let ended = match only {
            Some(_) => steps.iter().all(|s| s.status != StepStatus::Running),
            None => !run.status.is_active(),
        };
        for step in &steps {
            reader.print_new(&step.step_id)?;
        }
        if !follow || ended || engine_gone(&run) {
            return Ok(());
        }
        tokio::time::sleep(FOLLOW_POLL).await;
    }
}

/// Reads each step's `events.jsonl` from where it stopped last time.
struct LogReader {
    files: RunFiles,
    json: bool,
    /// Bytes of each step's file already printed (whole lines only).
    offsets: HashMap<String, u64>,
    /// The step whose lines were printed last, so a header marks each change of step.
    last_step: Option<String>,
}

impl LogReader {
    /// Prints the complete lines added since the last call; a line still being written
    /// waits for the next.
    fn print_new(&mut self, step_id: &str) -> std::io::Result<()> {
        let offset = self.offsets.get(step_id).copied().unwrap_or(0);
        // A quiet step writes no file.
        let Some(bytes) = self.files.read_events_from(step_id, offset)? else {
            return Ok(());
        };
        let Some(end) = bytes.iter().rposition(|b| *b == b'\n') else {
            return Ok(());
        };
        self.offsets.insert(step_id.to_string(), offset + end as u64 + 1);
        let mut out = std::io::stdout().lock();
        for line in String::from_utf8_lossy(&bytes[..end]).lines() {
            if self.json {
                writeln!(out, "{}", json_line(step_id, line))?;
                continue;
            }
            if self.last_step.as_deref() != Some(step_id) {
                writeln!(out, "── {step_id} ──")?;
                self.last_step = Some(step_id.to_string());
            }
            writeln!(out, "{}", text_line(line))?;
        }
        out.flush()
    }
}

/// A record of the file with the step it belongs to; a line that is not JSON kept as `raw`.
fn json_line(step_id: &str, line: &str) -> Value {
    let mut v = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(o)) => Value::Object(o),
        _ => serde_json::json!({ "raw": line }),
    };
    v["step"] = Value::String(step_id.to_string());
    v
}

/// Output lines as the step wrote them; an agent's retries said in words; anything else as
/// the file has it.
fn text_line(line: &str) -> String {
    let Ok(record) = serde_json::from_str::<Value>(line) else {
        return line.to_string();
    };
    if record["type"] == "retry" {
        return format!(
            "(retrying: attempt {} in {}ms: {})",
            record["attempt"],
            record["delayMs"],
            record["reason"].as_str().unwrap_or_default()
        );
    }
    if record["type"] == "snapshot" {
        return snapshot_line(&record);
    }
    if record["type"] == "snapshot_failed" {
        return format!("(no snapshot: {})", record["error"].as_str().unwrap_or_default());
    }
    match record["text"].as_str().or(record["message"].as_str()) {
        Some(text) => text.to_string(),
        None => line.to_string(),
    }
}

/// A worktree snapshot in words: "(snapshot 361ba7cbf4: 2 files, +2 −1: M a.txt, A b.txt)".
fn snapshot_line(record: &Value) -> String {
    let files = record["files_changed"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let listed: Vec<String> = files
        .iter()
        .take(10)
        .map(|f| {
            let mark = match f["status"].as_str().unwrap_or_default() {
                "added" => "A",
                "deleted" => "D",
                "renamed" => "R",
                _ => "M",
            };
            format!("{mark} {}", f["path"].as_str().unwrap_or_default())
        })
        .collect();
    let more = files.len().saturating_sub(listed.len());
    let commit = record["commit"].as_str().unwrap_or_default();
    format!(
        "(snapshot {}: {} file{}, +{} \u{2212}{}{}{}{})",
        &commit[..commit.len().min(10)],
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        record["additions"],
        record["deletions"],
        if listed.is_empty() { "" } else { ": " },
        listed.join(", "),
        if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_snapshot_record_is_said_in_words() {
        let line = r#"{"type":"snapshot","commit":"361ba7cbf4f7995672cf","files_changed":[{"path":"a.txt","status":"modified"},{"path":"b.txt","status":"added"}],"additions":2,"deletions":1}"#;
        assert_eq!(
            super::text_line(line),
            "(snapshot 361ba7cbf4: 2 files, +2 \u{2212}1: M a.txt, A b.txt)"
        );
        let failed = r#"{"type":"snapshot_failed","error":"git add failed"}"#;
        assert_eq!(super::text_line(failed), "(no snapshot: git add failed)");
    }
}
