//! `resume`: refuses a run it cannot drive before it announces anything, says which steps
//! run again and at which attempt, then drives the run like `run` does.

use std::process::ExitCode;

use super::run_file::drive;
use super::runs::{engine_gone, load_run};
use super::{invalid, report};
use crate::domain::{RunStatus, StepStatus};
use crate::engine::{Engine, EngineError};
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::StoreError;

pub async fn resume(engine: &Engine, run_id: &str, verbose: bool) -> ExitCode {
    // Refused before anything is announced: a refusal prints only why.
    let run = match check_resumable(engine, run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    println!("run {run_id} (resumed)");
    if let Err(e) = announce_reruns(engine, &run).await {
        return report(e.into());
    }
    drive(engine, run_id, None, verbose).await
}

/// Refuses to drive a run that cannot be resumed (exit 2), before anything is printed.
async fn check_resumable(engine: &Engine, run_id: &str) -> Result<RunRow, ExitCode> {
    let run = load_run(engine.store(), run_id).await?;
    match run.status {
        RunStatus::Completed | RunStatus::Cancelled => Err(report(EngineError::NotResumable {
            id: run.id,
            status: run.status,
        })),
        RunStatus::Running if !engine_gone(&run) => Err(invalid(&format!(
            "cannot resume run {run_id}: another engine process drives it ({}); \
             `workflow-engine pause {run_id}` or `cancel {run_id}` steers it",
            run.lease_owner.as_deref().unwrap_or("unknown")
        ))),
        _ => Ok(run),
    }
}

/// Says which steps run again on resume: those an engine's death interrupted, and those
/// whose failure failed the run; each at its next attempt.
async fn announce_reruns(engine: &Engine, run: &RunRow) -> Result<(), StoreError> {
    for step in StepRow::list_for_run(engine.store(), &run.id).await? {
        let why = match step.status {
            StepStatus::Running => "was interrupted",
            StepStatus::Failed if !step.continue_on_error => "failed",
            _ => continue,
        };
        println!(
            "step \"{}\" {why}; it runs again (attempt {})",
            step.step_id,
            step.attempt + 1
        );
    }
    Ok(())
}
