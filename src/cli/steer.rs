//! `pause` and `cancel` of a run another process drives (a `run` in another terminal, or a
//! server).
//!
//! The driving engine reads pause and cancel requests from the run's row about once a
//! second (`RunRow::request_control`); a run nobody drives (pending, paused, or left by an
//! engine that died) is changed here directly. The state rules are the API's.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use super::runs::{engine_gone, load_run};
use super::{invalid, report};
use crate::domain::{ControlRequest, RunStatus};
use crate::engine::Engine;
use crate::events::Event;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::{Store, StoreError};

/// How long `pause` waits for the steps in flight to finish before it leaves the request
/// to the driving engine and returns.
const PAUSE_WAIT: Duration = Duration::from_secs(5);
/// How long `cancel` waits for the driving engine to stop the run's steps.
const CANCEL_WAIT: Duration = Duration::from_secs(10);

pub async fn pause(engine: &Engine, run_id: &str, as_json: bool) -> ExitCode {
    let store = engine.store();
    let run = match load_run(store, run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    if run.status != RunStatus::Running {
        return refuse(&run, "pause", "only a running run can be paused");
    }
    if engine_gone(&run) {
        return invalid(&format!(
            "cannot pause run {run_id}: its engine is gone, so it is not running \
             (`workflow-engine resume {run_id}` continues it, `cancel` ends it)"
        ));
    }
    let waited = async {
        RunRow::request_control(store, run_id, ControlRequest::Pause).await?;
        wait_for_status(store, run_id, &RunStatus::STOPPED, PAUSE_WAIT).await
    };
    let run = match waited.await {
        Ok(r) => r,
        Err(e) => return report(e.into()),
    };
    let requested = run.status == RunStatus::Running;
    if as_json {
        let mut v = json!({ "id": run.id, "status": run.status, "paused_at": run.paused_at });
        if requested {
            v["pause_requested"] = json!(true);
        }
        println!("{v}");
    } else if requested {
        println!("run {run_id}: pause requested; it pauses when the steps in flight finish");
    } else {
        println!("run {run_id} {}", run.status);
    }
    ExitCode::SUCCESS
}

pub async fn cancel(engine: &Engine, run_id: &str, as_json: bool) -> ExitCode {
    let store = engine.store();
    let run = match load_run(store, run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    if run.status.is_terminal() {
        return refuse(&run, "cancel", "the run has already ended");
    }
    let run = match cancel_now(engine, &run).await {
        Ok(r) => r,
        Err(e) => return report(e.into()),
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

/// Cancels directly what nobody drives; asks the driving engine otherwise, and waits.
async fn cancel_now(engine: &Engine, run: &RunRow) -> Result<RunRow, StoreError> {
    let store = engine.store();
    let changed = if run.status == RunStatus::Running && !engine_gone(run) {
        RunRow::request_control(store, &run.id, ControlRequest::Cancel).await?;
        return wait_for_status(store, &run.id, &RunStatus::ENDED, CANCEL_WAIT).await;
    } else if run.status == RunStatus::Running {
        let cancelled = RunRow::cancel_abandoned(store, &run.id, run.lease_owner.as_deref()).await?;
        if cancelled.is_some() {
            StepRow::fail_running(store, &run.id, "cancelled with the run").await?;
        }
        cancelled
    } else {
        RunRow::cancel_idle(store, &run.id).await?
    };
    let Some(cancelled) = changed else {
        // Taken over or ended meanwhile: say what it is now.
        return wait_for_status(store, &run.id, &RunStatus::ENDED, Duration::ZERO).await;
    };
    // A server's board learns of it through the journal, as of a change the engine made.
    engine.events().emit(Event::StatusChanged {
        execution_id: cancelled.id.clone(),
        status: cancelled.status,
        project_id: cancelled.project_id.clone(),
        error_message: cancelled.error_message.clone(),
    });
    engine.events().flush().await;
    Ok(cancelled)
}

fn refuse(run: &RunRow, verb: &str, why: &str) -> ExitCode {
    invalid(&format!("cannot {verb} run {}: it is {} ({why})", run.id, run.status))
}

/// The run once it has one of `statuses`, or as it is when `max` has passed.
async fn wait_for_status(store: &Store, id: &str, statuses: &[RunStatus], max: Duration) -> Result<RunRow, StoreError> {
    RunRow::wait_for_status(store, id, statuses, max)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("run {id}")))
}
