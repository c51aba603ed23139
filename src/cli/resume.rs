//! `resume`: refuses a run it cannot drive (the engine's rule, `Engine::check_resume_here`:
//! also a TypeScript run whose files changed, unless `--use-current`) before it announces
//! anything, says what it does (a YAML run's snapshot, the current code accepted, the steps
//! `--rerun` forgot) and which steps run again and at which attempt, then drives the run
//! like `run` does.

use std::process::ExitCode;

use super::run_file::run_in_foreground;
use super::{invalid, report};
use crate::domain::{RunStatus, StepStatus};
use crate::engine::control::{ControlError, ResumeOptions};
use crate::engine::pause_now;
use crate::engine::{Engine, EngineError};
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::StoreError;

pub async fn resume(engine: &Engine, run_id: &str, verbose: bool, options: &ResumeOptions) -> ExitCode {
    // Refused before anything is announced: a refusal prints only why.
    let (run, notes) = match check_resumable(engine, run_id, options).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    println!("run {run_id} (resumed)");
    for note in notes {
        println!("note: {note}");
    }
    if let Err(e) = announce_reruns(engine, &run).await {
        return report(e.into());
    }
    run_in_foreground(engine, run_id, None, verbose).await
}

/// Refuses to drive a run that cannot be resumed (exit 2), before anything is printed. The
/// rule is the engine's (`Engine::check_resume_here`); the wording is the CLI's.
async fn check_resumable(
    engine: &Engine,
    run_id: &str,
    options: &ResumeOptions,
) -> Result<(RunRow, Vec<String>), ExitCode> {
    match engine.check_resume_here(run_id, options).await {
        Ok(resumed) => Ok((resumed.run, resumed.notes)),
        Err(ControlError::InvalidState { run, .. }) if run.status == RunStatus::Running => Err(invalid(&format!(
            "cannot resume run {run_id}: another engine process drives it ({}); \
             `workflow-engine pause {run_id}` or `cancel {run_id}` steers it",
            run.lease_owner.as_deref().unwrap_or("unknown")
        ))),
        Err(ControlError::InvalidState { run, .. }) => Err(report(EngineError::NotResumable {
            id: run.id,
            status: run.status,
        })),
        Err(ControlError::NotFound(_)) => Err(super::runs::no_run(run_id)),
        Err(ControlError::Store(e)) => Err(report(e.into())),
        Err(ControlError::SourceChanged { changes, .. }) => Err(report(EngineError::SourceChanged {
            id: run_id.to_string(),
            changes,
        })),
        Err(ControlError::NoSuchStep(step)) => Err(invalid(&format!("--rerun: run {run_id} has no step \"{step}\""))),
        Err(ControlError::Engine(e)) => Err(report(*e)),
    }
}

/// Says which steps run again on resume: those an engine's death or a pause-now interrupted,
/// and those whose failure failed the run; each at its next attempt.
async fn announce_reruns(engine: &Engine, run: &RunRow) -> Result<(), StoreError> {
    for step in StepRow::list_for_run(engine.store(), &run.id).await? {
        let why = match step.status {
            StepStatus::Running => "was interrupted",
            StepStatus::Failed if pause_now::was_interrupted(&step) => "was interrupted",
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
