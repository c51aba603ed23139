//! Resuming a run whose files a crash kept from being written: the outbox writes a step's
//! files after its row is committed, so a run killed in between has rows without files.
//! They are rewritten from the rows (the truth) before the run goes on.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::outbox::WriteFailure;
use super::outcome::{summary_md, Checkpoint, Entry, Outcome};
use super::Engine;
use crate::domain::StepStatus;
use crate::store::files::RunFiles;
use crate::store::steps::StepRow;

/// Rewrites what a crash kept the outbox from writing for steps an earlier attempt completed:
/// their `output.json` and `summary.md`, and the newest checkpoint, from the rows (which are
/// the truth). Returns the step index of that checkpoint, which the next one replaces.
pub(super) fn repair_files(
    engine: &Engine,
    run_id: &str,
    files: &RunFiles,
    memo: &HashMap<String, StepRow>,
    failure: &WriteFailure,
) -> Option<i64> {
    let mut done: Vec<&StepRow> = memo.values().filter(|r| r.is_memoized()).collect();
    done.sort_by_key(|r| r.step_index);
    let mut results = Vec::new();
    for row in &done {
        let result: Value = row
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Value::Null);
        results.push(Entry::new(
            row.step_id.clone(),
            result.clone(),
            row.result.as_ref().map(String::len),
        ));
        // A result kept only in its file (a reference in the row) cannot be rebuilt here.
        let referenced = result.get("output_file").is_some();
        if !referenced && !files.step_dir(&row.step_id).join("output.json").exists() {
            let outcome = Outcome {
                ok: row.status == StepStatus::Completed,
                data: result.get("data").cloned(),
                error: row.error_message.clone(),
                output: None,
            };
            let elapsed = step_duration(row);
            let summary = summary_md(row, row.status, elapsed, &outcome);
            let (files, id) = (files.clone(), row.step_id.clone());
            engine
                .outbox()
                .write(failure, move || files.write_step_output(&id, &result, &summary));
        }
    }
    let last = *done.last()?;
    let index = last.step_index;
    if !files.root.join(format!("checkpoints/step-{index}.json")).exists() {
        let checkpoint = Checkpoint {
            execution_id: run_id.to_string(),
            timestamp: last.completed_at.clone(),
            current_phase: Some(last.phase.clone()),
            current_step_index: index + 1,
            results,
        };
        let files = files.clone();
        engine
            .outbox()
            .write(failure, move || files.write_checkpoint(index, &checkpoint, None));
    }
    Some(index)
}

/// How long a recorded step took, from its row's timestamps.
fn step_duration(row: &StepRow) -> Duration {
    let parse = |t: Option<&str>| chrono::DateTime::parse_from_rfc3339(t?).ok();
    match (parse(row.started_at.as_deref()), parse(row.completed_at.as_deref())) {
        (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default(),
        _ => Duration::ZERO,
    }
}
