//! `pause` (`--now` stops the steps in flight) and `cancel` (also while a pause is pending)
//! of a run another process drives (a `run` in another terminal, or a server), through the
//! engine's run-control path (`engine::control`), which the API uses too; what is the CLI's
//! own is the wording, and refusing to pause a run whose engine is gone.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use super::runs::{engine_gone, load_run};
use super::{invalid, report};
use crate::domain::RunStatus;
use crate::engine::control::{ControlError, PauseMode};
use crate::engine::Engine;

/// How long `pause` waits for the steps in flight to finish before it leaves the request
/// to the driving engine and returns.
const PAUSE_WAIT: Duration = Duration::from_secs(5);
/// How long `cancel` and `pause --now` wait for the driving engine to stop the run's steps.
const CANCEL_WAIT: Duration = Duration::from_secs(10);

pub async fn pause(engine: &Engine, run_id: &str, now: bool, as_json: bool) -> ExitCode {
    let run = match load_run(engine.store(), run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    if run.status == RunStatus::Running && engine_gone(&run) {
        return invalid(&format!(
            "cannot pause run {run_id}: its engine is gone, so it is not running \
             (`workflow-engine resume {run_id}` continues it, `cancel` ends it)"
        ));
    }
    let was_waiting = run.status == RunStatus::Waiting;
    let (mode, wait) = match now {
        true => (PauseMode::Now, CANCEL_WAIT),
        false => (PauseMode::Drain, PAUSE_WAIT),
    };
    let run = match engine.pause_run(run_id, mode, wait).await {
        Ok(r) => r,
        Err(e) => return refused(e, "pause"),
    };
    let requested = run.status == RunStatus::Running;
    if as_json {
        let mut v = json!({ "id": run.id, "status": run.status, "paused_at": run.paused_at });
        if requested {
            v["pause_requested"] = json!(true);
        }
        println!("{v}");
    } else if requested && now {
        println!("run {run_id}: pause requested; its engine has not stopped the steps in flight yet");
    } else if requested {
        println!("run {run_id}: pause requested; it pauses when the steps in flight finish");
    } else if was_waiting && run.status == RunStatus::Paused {
        println!("run {run_id} paused while it waited; `workflow-engine resume {run_id}` waits again");
    } else {
        println!("run {run_id} {}", run.status);
    }
    ExitCode::SUCCESS
}

pub async fn cancel(engine: &Engine, run_id: &str, as_json: bool) -> ExitCode {
    if let Err(code) = load_run(engine.store(), run_id).await {
        return code;
    }
    let run = match engine.cancel_run(run_id, CANCEL_WAIT).await {
        Ok(r) => r,
        Err(e) => return refused(e, "cancel"),
    };
    if as_json {
        println!(
            "{}",
            json!({ "id": run.id, "status": run.status, "cancelled_at": run.cancelled_at })
        );
    } else if run.status == RunStatus::Running {
        println!("run {run_id}: cancel requested; its engine has not stopped it yet");
    } else {
        println!("run {run_id} {}", run.status);
    }
    ExitCode::SUCCESS
}

/// A refusal (exit 2) says why; a database failure is reported as any other.
fn refused(e: ControlError, verb: &str) -> ExitCode {
    match e {
        ControlError::InvalidState { run, why } => {
            invalid(&format!("cannot {verb} run {}: it is {} ({why})", run.id, run.status))
        }
        ControlError::NotFound(id) => super::runs::no_run(&id),
        ControlError::Store(e) => report(e.into()),
        // Resume's own refusals; pause and cancel make none of these.
        e @ (ControlError::SourceChanged { .. } | ControlError::NoSuchStep(_)) => invalid(&e.to_string()),
        ControlError::Engine(e) => report(*e),
    }
}
