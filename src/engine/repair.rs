//! Resuming a run whose files a crash kept from being written: the outbox writes a step's
//! files after its row is committed, so a run killed in between has rows without files.
//! They are rewritten from the rows (the truth) before the run goes on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::outbox::WriteFailure;
use super::outcome::{summary_md, Checkpoint, Outcome};
use super::Engine;
use crate::store::files::RunFiles;
use crate::store::steps::StepRow;

/// Rewrites what a crash kept the outbox from writing for steps an earlier attempt completed:
/// their `output.json`, `summary.md` and checkpoints, from the rows (which are the truth).
pub(super) fn repair_files(engine: &Engine, files: &RunFiles, memo: &HashMap<String, StepRow>, failure: &WriteFailure) {
    let mut done: Vec<&StepRow> = memo.values().filter(|r| r.is_memoized()).collect();
    done.sort_by_key(|r| r.step_index);
    let execution_id = files.root.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut results = Vec::new();
    for row in done {
        let result: Value = row
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Value::Null);
        results.push(Arc::new((row.step_id.clone(), result.clone())));
        if !files.step_dir(&row.step_id).join("output.json").exists() {
            let outcome = Outcome {
                ok: row.status == "completed",
                data: result.get("data").cloned(),
                error: row.error_message.clone(),
                output: None,
            };
            let elapsed = step_duration(row);
            let summary = summary_md(row, &row.status, elapsed, &outcome);
            let (files, id) = (files.clone(), row.step_id.clone());
            engine
                .outbox()
                .write(failure, move || files.write_step_output(&id, &result, &summary));
        }
        let index = row.step_index;
        if !files.root.join(format!("checkpoints/step-{index}.json")).exists() {
            let checkpoint = Checkpoint {
                execution_id: execution_id.clone().unwrap_or_default(),
                timestamp: row.completed_at.clone(),
                current_phase: Some(row.phase.clone()),
                current_step_index: index + 1,
                results: results.clone(),
            };
            let files = files.clone();
            engine
                .outbox()
                .write(failure, move || files.write_checkpoint(index, &checkpoint));
        }
    }
}

/// How long a recorded step took, from its row's timestamps.
fn step_duration(row: &StepRow) -> Duration {
    let parse = |t: Option<&str>| chrono::DateTime::parse_from_rfc3339(t?).ok();
    match (parse(row.started_at.as_deref()), parse(row.completed_at.as_deref())) {
        (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default(),
        _ => Duration::ZERO,
    }
}
