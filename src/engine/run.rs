//! Driving one run: claim it, replay/run its steps through the step host, and record how
//! it ended. Pause, cancel, the run timeout and a crashing worker all end here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use super::control::{RunControl, Signal};
use super::host::{Begin, Interrupt, StepHost};
use super::step_end::StopWhy;
use super::ts_step_config::config_from_json;
use super::worker::WorkerHandle;
use super::{Engine, EngineError, Prepared};
use crate::definition::template::{self, Quote};
use crate::definition::{StepConfig, WorkflowDefinition};
use crate::domain::{CommentType, ControlRequest, RunStatus, StepResult, StepStatus};
use crate::events::Event;
use crate::js::protocol::{FromWorker, ToWorker};
use crate::store::runs::{ClaimFrom, RunRow};
use crate::store::steps::StepRow;

/// How long a claim on a run lasts without renewal; renewed at a third of it.
const LEASE_SECS: i64 = 30;

/// How a drive ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub run_id: String,
    /// `completed`, `failed`, `paused` or `cancelled`.
    pub status: RunStatus,
    pub error: Option<String>,
}

/// Why the run stopped before completing.
#[derive(Debug)]
enum Stop {
    Failed(String),
    /// The run's timeout passed (the run fails with this message).
    TimedOut(String),
    Paused,
    Cancelled,
}

pub(super) async fn drive(
    engine: &Engine,
    run: RunRow,
    project: PathBuf,
    prepared: Prepared,
    control: RunControl,
    from: ClaimFrom,
) -> Result<RunOutcome, EngineError> {
    let store = engine.store();
    let mut claimed = RunRow::claim(store, &run.id, from, engine.owner(), &lease_until(), None).await?;
    if claimed.is_none() {
        if let Some(dead) = run.lease_owner.as_deref().filter(|o| super::owner_is_dead(o)) {
            claimed = RunRow::claim(store, &run.id, from, engine.owner(), &lease_until(), Some(dead)).await?;
        }
    }
    let Some(run) = claimed else {
        return Err(not_claimable(engine, &run.id).await);
    };
    tracing::info!(run = %run.id, "run started");
    // Through the outbox, like the run's `created` event, so that it never comes first.
    engine.outbox().emit(
        engine.events(),
        Event::StatusChanged {
            execution_id: run.id.clone(),
            status: RunStatus::Running,
            project_id: run.project_id.clone(),
            error_message: None,
        },
    );
    let lease = tokio::spawn(keep_lease(engine.clone(), run.id.clone(), control.clone()));
    let (kill_tx, kill_rx) = watch::channel(false);
    let definition = prepared.definition;
    let host = Arc::new(
        StepHost::new(
            engine.clone(),
            &run,
            project,
            definition.phases.clone(),
            control.subscribe(),
            kill_rx,
        )
        .await?,
    );
    let timeout = run.timeout_ms.map(|t| Duration::from_millis(t as u64));
    let body = async {
        match prepared.worker {
            Some(worker) => drive_code(&host, &run, worker).await,
            None => drive_yaml(&host, &run, &definition).await,
        }
    };
    let mut stopped = tokio::select! {
        r = body => r.err(),
        _ = sleep_or_forever(timeout) => Some(Stop::TimedOut(format!(
            "the run timed out after {}", crate::definition::format_ms(timeout.unwrap_or_default().as_millis() as u64)))),
        _ = control.cancelled() => Some(Stop::Cancelled),
    };
    // Steps still in flight die with the run, unless it is only pausing (then they drained).
    if !matches!(stopped, None | Some(Stop::Paused)) {
        host.stopping(match &stopped {
            Some(Stop::Failed(e)) => StopWhy::Failed(e),
            Some(Stop::TimedOut(e)) => StopWhy::TimedOut(e),
            _ => StopWhy::Cancelled,
        });
        let _ = kill_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), host.drained(true)).await;
    }
    lease.abort();
    // The run's files are written and its events out before it says how it ended.
    if let Err(failed) = host.flush().await {
        stopped.get_or_insert(interrupt_to_stop(failed));
    }
    let (status, error) = match stopped {
        None => (RunStatus::Completed, None),
        Some(Stop::Paused) => (RunStatus::Paused, None),
        Some(Stop::Cancelled) => (RunStatus::Cancelled, None),
        Some(Stop::Failed(e) | Stop::TimedOut(e)) => (RunStatus::Failed, Some(e)),
    };
    if !matches!(status, RunStatus::Completed | RunStatus::Paused) {
        let why = match &error {
            Some(e) => format!("interrupted: {e}"),
            None => "cancelled with the run".to_string(),
        };
        StepRow::fail_running(store, &run.id, &why).await?;
    }
    if let Some(e) = &error {
        let _ = host
            .write_comment(&format!("Run failed: {e}"), None, CommentType::System)
            .await;
    }
    let row = RunRow::finish(store, &run.id, status, error.as_deref()).await?;
    tracing::info!(run = %row.id, status = %row.status, error = row.error_message.as_deref().unwrap_or(""), "run stopped");
    host.emit(Event::StatusChanged {
        execution_id: row.id.clone(),
        status: row.status,
        project_id: row.project_id.clone(),
        error_message: row.error_message.clone(),
    });
    engine.outbox().flush().await;
    Ok(RunOutcome {
        run_id: row.id,
        status: row.status,
        error: row.error_message,
    })
}

async fn not_claimable(engine: &Engine, id: &str) -> EngineError {
    match RunRow::get(engine.store(), id).await {
        Ok(Some(r)) if r.status == RunStatus::Running => EngineError::Leased {
            id: id.into(),
            owner: r.lease_owner.unwrap_or_default(),
            until: r.lease_expires_at.unwrap_or_default(),
        },
        Ok(Some(r)) => EngineError::NotResumable {
            id: id.into(),
            status: r.status,
        },
        Ok(None) => EngineError::RunNotFound(id.into()),
        Err(e) => e.into(),
    }
}

fn lease_until() -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(LEASE_SECS)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Renews the lease while the run is driven, and applies pause/cancel requests written by
/// another process (the server steering a CLI run).
async fn keep_lease(engine: Engine, run_id: String, control: RunControl) {
    let mut tick: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        tick += 1;
        if tick.is_multiple_of(LEASE_SECS as u64 / 3) {
            let _ = RunRow::renew_lease(engine.store(), &run_id, engine.owner(), &lease_until()).await;
        }
        match RunRow::control_request(engine.store(), &run_id).await.ok().flatten() {
            Some(ControlRequest::Pause) => control.pause(),
            Some(ControlRequest::Cancel) => control.cancel(),
            None => {}
        }
    }
}

async fn sleep_or_forever(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// YAML: the steps in order, templates rendered against the arguments and earlier results.
async fn drive_yaml(host: &Arc<StepHost>, run: &RunRow, definition: &WorkflowDefinition) -> Result<(), Stop> {
    let args = serde_json::from_str::<Value>(&run.args).unwrap_or(json!({}));
    for step in &definition.steps {
        let config = render_step(step, &args, &host.results()).map_err(Stop::Failed)?;
        // On its own task, so that a cancel or timeout that drops this loop still lets the
        // step record how it was stopped.
        let task_host = host.clone();
        let outcome = tokio::spawn(async move { task_host.step(config).await })
            .await
            .map_err(|e| Stop::Failed(format!("the step task failed: {e}")))?;
        let result = match outcome {
            Ok(Begin::Result(r)) => r,
            Ok(Begin::RunFunction) => return Err(Stop::Failed("function steps need a TypeScript workflow".into())),
            Err(i) => return Err(interrupt_to_stop(i)),
        };
        if StepResult::status_of(&result) == Some(StepStatus::Failed) && !step.continue_on_error {
            let error = result["error"].as_str().unwrap_or("failed");
            return Err(Stop::Failed(format!("step \"{}\" failed: {error}", step.id)));
        }
    }
    Ok(())
}

fn render_step(
    step: &StepConfig,
    args: &Value,
    results: &serde_json::Map<String, Value>,
) -> Result<StepConfig, String> {
    let render = |t: &str, q| template::render(t, args, results, q).map_err(|e| format!("step \"{}\": {e}", step.id));
    let mut out = step.clone();
    let written = step.command.iter().chain(&step.prompt).chain(step.env.values());
    out.secrets = Some(written.flat_map(|t| template::secret_names(t)).collect());
    out.command = step.command.as_deref().map(|c| render(c, Quote::Shell)).transpose()?;
    out.cwd = step.cwd.as_deref().map(|c| render(c, Quote::None)).transpose()?;
    out.prompt = step.prompt.as_deref().map(|c| render(c, Quote::None)).transpose()?;
    for (k, v) in out.env.iter_mut() {
        *v = render(&step.env[k], Quote::None)?;
    }
    Ok(out)
}

fn interrupt_to_stop(i: Interrupt) -> Stop {
    match i {
        Interrupt::Paused => Stop::Paused,
        Interrupt::Fatal(m) | Interrupt::Invalid(m) => Stop::Failed(m),
    }
}

/// TypeScript: the worker runs `execute(ctx)`; each of its calls is served on its own task
/// so that steps started together run together.
async fn drive_code(host: &Arc<StepHost>, run: &RunRow, mut worker: WorkerHandle) -> Result<(), Stop> {
    let args: Value = serde_json::from_str(&run.args).unwrap_or(json!({}));
    let results = host.memo_results().map_err(Stop::Failed)?;
    worker.send(ToWorker::Run {
        run_id: run.id.clone(),
        project_path: host.project.to_string_lossy().into_owned(),
        args,
        results: Value::Object(results),
        secrets_tag: host.secret_tag.clone(),
    });
    let (stop_tx, mut stop_rx) = mpsc::unbounded_channel::<Interrupt>();
    let mut pausing = false;
    // The worker starts new function steps without asking while the run is not pausing (it
    // announces each with `stepBegin` before its `fn` runs). Once told to pause it answers
    // `PauseSeen`, after which it starts nothing without asking: every step it began before
    // is then known here, and the run pauses only when those are drained too.
    let mut signal = host.signal();
    let mut told_to_pause = false;
    let mut pause_seen = false;
    loop {
        if !told_to_pause && *signal.borrow_and_update() != Signal::Run {
            worker.send(ToWorker::Pause);
            told_to_pause = true;
        }
        tokio::select! {
            changed = signal.changed(), if !told_to_pause => {
                // No sender left: nothing can ask the run to pause any more.
                told_to_pause = changed.is_err();
            }
            msg = worker.next() => match msg {
                // Recorded here, before the worker's next message is read: its `stepFinish`
                // finds the step started.
                Some(FromWorker::Call { method, params, .. }) if method == "stepBegin" => {
                    let id = params["id"].as_str().unwrap_or_default();
                    let begun = match config_from_json(id, &params["config"], host) {
                        Ok(config) => host.begin_function(config).await,
                        Err(refused) => Err(refused),
                    };
                    match begun {
                        Ok(()) => {}
                        Err(Interrupt::Invalid(e)) => host.refuse(id, e),
                        Err(other) => return Err(interrupt_to_stop(other)),
                    }
                }
                Some(FromWorker::Call { id, method, params }) => {
                    let (host, reply, stop) = (host.clone(), worker.sender(), stop_tx.clone());
                    tokio::spawn(async move {
                        let answer = match serve_call(&host, &method, params).await {
                            Ok(value) => ToWorker::Reply { id, value: Some(value), error: None },
                            Err(Interrupt::Invalid(e)) => ToWorker::Reply { id, value: None, error: Some(e) },
                            Err(other) => {
                                let _ = stop.send(other);
                                return;
                            }
                        };
                        // A pause asked for meanwhile reaches the worker before this answer,
                        // so the step after it asks first.
                        if *host.signal().borrow() != Signal::Run {
                            let _ = reply.send(ToWorker::Pause);
                        }
                        let _ = reply.send(answer);
                    });
                }
                Some(FromWorker::PauseSeen) => pause_seen = true,
                Some(FromWorker::Log { level, text, steps }) => host.log(&level, &text, &steps),
                Some(FromWorker::Done) => return Ok(()),
                Some(FromWorker::Failed { message }) => return Err(Stop::Failed(clean_stack(&message))),
                Some(other) => return Err(Stop::Failed(format!("the JS worker sent an unexpected message: {other:?}"))),
                None => {
                    let why = worker.exit_description().await;
                    return Err(Stop::Failed(format!("the workflow's JS worker crashed: it {why}")));
                }
            },
            Some(interrupt) = stop_rx.recv() => match interrupt {
                Interrupt::Paused => pausing = true,
                other => return Err(interrupt_to_stop(other)),
            },
            _ = host.drained(false), if pausing && pause_seen => return Err(Stop::Paused),
        }
    }
}

async fn serve_call(host: &StepHost, method: &str, params: Value) -> Result<Value, Interrupt> {
    match method {
        "stepStart" => {
            let id = params["id"].as_str().unwrap_or_default();
            let config = config_from_json(id, &params["config"], host)?;
            match host.step(config).await? {
                Begin::Result(result) => Ok(json!({ "action": "return", "result": result })),
                Begin::RunFunction => Ok(json!({ "action": "run" })),
            }
        }
        "stepFinish" => {
            let id = params["id"].as_str().unwrap_or_default();
            if let Some(refused) = host.take_refusal(id) {
                return Err(Interrupt::Invalid(refused));
            }
            host.finish_function(id, &params["outcome"]).await
        }
        "checkpoint" => host.checkpoint().map(|()| Value::Null),
        "comment" => {
            let text = params["text"].as_str().unwrap_or_default();
            host.comment(text, params["stepId"].as_str())
                .await
                .map(|()| Value::Null)
        }
        "exec" => {
            host.exec(params["command"].as_str().unwrap_or_default(), params["cwd"].as_str())
                .await
        }
        other => Err(Interrupt::Invalid(format!("unknown ctx call {other}"))),
    }
}

/// Drops the runtime's own frames from a stack: the user's frames are what matter.
fn clean_stack(text: &str) -> String {
    text.lines()
        .filter(|l| !(l.trim_start().starts_with("at ") && l.contains("workflow-engine:")))
        .collect::<Vec<_>>()
        .join("\n")
}
