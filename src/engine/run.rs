//! Driving one run: claim it, replay/run its steps through the step host, and record how
//! it ended. Pause (either kind, `pause_now`), cancel, the run timeout and a crashing JS
//! worker all end here. A YAML
//! run's steps are run here (each prepared by `yaml_step`); a TypeScript run's body is
//! `ts_run`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use super::control::RunControl;
use super::host::{Begin, StepHost};
use super::stop::Stop;
use super::ts_run::run_typescript;
use super::{Engine, EngineError, Prepared};
use crate::definition::WorkflowDefinition;
use crate::domain::{CommentType, RunStatus, StepResult, StepStatus};
use crate::events::Event;
use crate::store::claims::Claimer;
use crate::store::runs::{ClaimFrom, RunRow};
use crate::store::steps::StepRow;

/// How a drive ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub run_id: String,
    /// `completed`, `failed`, `paused` or `cancelled`.
    pub status: RunStatus,
    pub error: Option<String>,
}

/// Claims the run, runs it (new, resumed or taken over) until it ends or pauses, and
/// records how it ended.
pub(super) async fn claim_and_run(
    engine: &Engine,
    run: RunRow,
    project: PathBuf,
    prepared: Prepared,
    control: RunControl,
    from: ClaimFrom,
) -> Result<RunOutcome, EngineError> {
    let run = claim(engine, run, from).await?;
    tracing::info!(run = %run.id, "run started");
    super::cluster::say_taken_over(engine, &run).await?;
    // Timers that came due while nothing drove the run fire before it replays.
    engine.resolve_due_waits(&run.id, &run.project_id).await?;
    // Through the outbox, like the run's `created` event, so that it never comes first.
    engine.outbox().emit_held(
        engine.events(),
        Event::StatusChanged {
            execution_id: run.id.clone(),
            status: RunStatus::Running,
            project_id: run.project_id.clone(),
            error_message: None,
        },
        engine.store().fence(&run.id),
    );
    let (lost_tx, lost_rx) = watch::channel(false);
    // A write of this drive refused because another engine took the run over (`fence`).
    let fenced_out = engine.store().fenced_out(&run.id);
    let lease = tokio::spawn(keep_lease(engine.clone(), run.clone(), control.clone(), lost_tx));
    let (kill_tx, kill_rx) = watch::channel(false);
    let phases = prepared.definition.phases.clone();
    // The run's worktree, made before its first step (found again on a resume).
    let (workspace, workspace_error) = match super::workspace::open(engine, &run.id, &project).await {
        Ok(Some((ws, workdir, note))) => (Some((ws, workdir)), note.map(Ok)),
        Ok(None) => (None, None),
        Err(e) => (None, Some(Err(e))),
    };
    let signal = control.subscribe();
    let host = Arc::new(StepHost::new(engine.clone(), &run, project, workspace, phases, signal, kill_rx).await?);
    let drive = drive(
        engine,
        &host,
        &run,
        prepared,
        &control,
        workspace_error,
        &kill_tx,
        lease,
    );
    tokio::select! {
        outcome = drive => outcome,
        () = lost(lost_rx, fenced_out) => {
            // Taken over (or not renewed in time): its steps are stopped at once, and nothing
            // more is recorded for it here; the node that has it resumes it from its memo.
            tracing::warn!(run = %run.id, "lease lost: stopping the run's steps; another node takes it over");
            host.stopping(super::step_end::StopWhy::Failed("this node lost the run's lease"));
            let _ = kill_tx.send(true);
            let _ = tokio::time::timeout(Duration::from_secs(5), host.drained(true)).await;
            Err(EngineError::LeaseLost(run.id.clone()))
        }
    }
}

/// Resolves once the run is lost to this node: its lease was not renewed in time or was
/// taken over (`keep_lease`), or one of its writes was refused (`Store::fenced_out`).
async fn lost(mut lease_lost: watch::Receiver<bool>, fenced_out: Option<watch::Receiver<bool>>) {
    let lease = async {
        if lease_lost.changed().await.is_err() {
            // The renewing task ended (the drive is recording its end): only a refused write
            // says the run is lost now.
            std::future::pending::<()>().await;
        }
    };
    let refused = async {
        let told = match fenced_out {
            Some(mut f) => f.wait_for(|refused| *refused).await.is_ok(),
            None => false,
        };
        if !told {
            // Released (the drive recorded its end) or never held.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = lease => {}
        () = refused => {}
    }
}

/// The drive once its step host is ready: the run's body, then how it ended. `lease` (the
/// renewing task) is stopped before the end is recorded.
#[allow(clippy::too_many_arguments)]
async fn drive(
    engine: &Engine,
    host: &Arc<StepHost>,
    run: &RunRow,
    prepared: Prepared,
    control: &RunControl,
    workspace_error: Option<Result<String, String>>,
    kill_tx: &watch::Sender<bool>,
    lease: tokio::task::JoinHandle<()>,
) -> Result<RunOutcome, EngineError> {
    let stopped = match workspace_error {
        Some(Err(e)) => Some(Stop::Failed(e)),
        note => {
            if let Some(Ok(note)) = note {
                let _ = host.write_comment(&note, None, CommentType::System).await;
            }
            run_until_stopped(host, run, prepared, control).await
        }
    };
    if let Some(why) = stopped.as_ref().and_then(Stop::kills_steps) {
        host.stopping(why);
        let _ = kill_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), host.drained(true)).await;
    }
    host.close_held_starts().await;
    let interrupted = host.interrupted_text();
    let mut stopped = super::pause_now::settle(engine, &run.id, stopped, control, &interrupted).await?;
    lease.abort();
    // The run's files are written and its events out before it says how it ended.
    if let Err(failed) = host.flush().await {
        stopped.get_or_insert(Stop::from(failed));
    }
    if let (Some(Stop::PausedNow), Some(limit)) = (&stopped, host.budget_stop()) {
        // A limit of its budget stopped it: it waits for a person to raise it or cancel.
        let _ = host
            .write_comment(&format!("Budget reached: {}", limit.message), None, CommentType::System)
            .await;
        let row = engine.stop_for_budget(&run.id, &limit).await?;
        return Ok(RunOutcome {
            run_id: row.id,
            status: row.status,
            error: None,
        });
    }
    record_end(engine, host, &run.id, stopped).await
}

/// Takes the run's lease; from a dead process of this machine without waiting for its lease
/// to run out.
async fn claim(engine: &Engine, run: RunRow, from: ClaimFrom) -> Result<RunRow, EngineError> {
    let store = engine.store();
    if from == ClaimFrom::Resume
        && run.status == RunStatus::Running
        && run.lease_owner.as_deref() == Some(engine.owner())
    {
        // Claimed by this engine already (`scheduler`'s pull from the cluster's queue).
        store.hold(&run.id, engine.owner(), run.lease_version);
        return Ok(run);
    }
    let until = engine.lease_until();
    let who = Claimer {
        owner: engine.owner(),
        node: engine.node_id(),
        lease_until: &until,
        cluster_max: engine.config().cluster_max_runs,
    };
    let mut claimed = RunRow::claim_for(store, &run.id, from, &who, None).await?;
    if claimed.is_none() {
        if let Some(dead) = run.lease_owner.as_deref().filter(|o| super::owner_is_dead(o)) {
            claimed = RunRow::claim_for(store, &run.id, from, &who, Some(dead)).await?;
        }
    }
    match claimed {
        Some(run) => {
            // From now on its writes check that the lease is still ours at this version.
            store.hold(&run.id, engine.owner(), run.lease_version);
            Ok(run)
        }
        None => Err(not_claimable(engine, &run.id, from).await),
    }
}

/// Runs the run's steps until they end, the run times out, is cancelled or paused now;
/// `None` when it completed.
async fn run_until_stopped(
    host: &Arc<StepHost>,
    run: &RunRow,
    prepared: Prepared,
    control: &RunControl,
) -> Option<Stop> {
    let timeout = run.timeout_ms.map(|t| Duration::from_millis(t as u64));
    let Prepared { definition, child } = prepared;
    let body = async {
        match child {
            Some(child) => run_typescript(host, run, child).await,
            None => run_yaml(host, run, &definition).await,
        }
    };
    tokio::select! {
        r = body => r.err(),
        _ = sleep_or_forever(timeout) => Some(Stop::TimedOut(format!(
            "the run timed out after {}", crate::definition::format_ms(timeout.unwrap_or_default().as_millis() as u64)))),
        _ = control.cancelled() => Some(Stop::Cancelled),
        _ = control.paused_now() => Some(Stop::PausedNow),
    }
}

/// Records how the run ended: its steps still marked running, the failure comment, the
/// run's row and the event saying so.
async fn record_end(
    engine: &Engine,
    host: &StepHost,
    run_id: &str,
    stopped: Option<Stop>,
) -> Result<RunOutcome, EngineError> {
    let store = engine.store();
    if store.is_fenced_out(run_id) {
        // Another engine took the run over: it records what becomes of it, not this one.
        return Err(crate::store::StoreError::Fenced(run_id.to_string()).into());
    }
    let (status, error) = match stopped {
        None => (RunStatus::Completed, None),
        Some(Stop::Waiting) => return suspend(engine, run_id).await,
        Some(Stop::Paused | Stop::PausedNow) => (RunStatus::Paused, None),
        Some(Stop::Cancelled) => (RunStatus::Cancelled, None),
        Some(Stop::Failed(e) | Stop::TimedOut(e)) => (RunStatus::Failed, Some(e)),
    };
    if !matches!(status, RunStatus::Completed | RunStatus::Paused) {
        let why = match &error {
            Some(e) => format!("interrupted: {e}"),
            None => "cancelled with the run".to_string(),
        };
        StepRow::fail_running(store, run_id, &why).await?;
    }
    if let Some(e) = &error {
        let _ = host
            .write_comment(&format!("Run failed: {e}"), None, CommentType::System)
            .await;
    }
    // Its worktree kept or removed by its keep policy, before the run is said to have ended:
    // whoever sees it ended sees what became of its worktree.
    if let Some(note) = super::workspace::close(engine, run_id, status).await {
        tracing::info!(run = %run_id, "{note}");
        let _ = host.write_comment(&note, None, CommentType::System).await;
    }
    events_out(engine).await;
    let row = RunRow::finish(store, run_id, status, error.as_deref()).await?;
    // Its lease given up: what this drive says from now on is not fenced.
    store.release(run_id);
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

/// The drive stopped at waits: the run is `waiting`, holding nothing, until one of them is
/// resolved (at once if one was while it ran).
async fn suspend(engine: &Engine, run_id: &str) -> Result<RunOutcome, EngineError> {
    events_out(engine).await;
    let row = RunRow::suspend(engine.store(), run_id).await?;
    engine.store().release(run_id);
    tracing::info!(run = %row.id, wake_at = row.wake_at.as_deref().unwrap_or(""), "run waiting");
    engine.outbox().emit(
        engine.events(),
        Event::StatusChanged {
            execution_id: row.id.clone(),
            status: row.status,
            project_id: row.project_id.clone(),
            error_message: None,
        },
    );
    engine.outbox().flush().await;
    if row
        .wake_at
        .as_deref()
        .is_some_and(|at| at <= crate::store::now().as_str())
    {
        engine.wake_soon();
    }
    Ok(RunOutcome {
        run_id: row.id,
        status: row.status,
        error: None,
    })
}

/// Before the drive gives its lease up: every event it emitted is in the journal, where
/// each was checked against the lease (`EventBus::emit_held`); after, none would pass.
pub(super) async fn events_out(engine: &Engine) {
    engine.outbox().flush().await;
    engine.events().flush().await;
}

/// Why the claim of run `id` took nothing. A run of its concurrency key held the key at the
/// claim (`KeyBusy`) even when the key has freed by now: the caller waits for the key and
/// claims again, rather than taking a run that merely lost a race for what it may have.
async fn not_claimable(engine: &Engine, id: &str, from: ClaimFrom) -> EngineError {
    let run = match RunRow::get(engine.store(), id).await {
        Ok(Some(r)) => r,
        Ok(None) => return EngineError::RunNotFound(id.into()),
        Err(e) => return e.into(),
    };
    let leased = || EngineError::Leased {
        id: id.into(),
        owner: run.lease_owner.clone().unwrap_or_default(),
        until: run.lease_expires_at.clone().unwrap_or_default(),
    };
    let takes = match from {
        ClaimFrom::Queue => run.status == RunStatus::Pending,
        ClaimFrom::Resume => matches!(
            run.status,
            RunStatus::Pending | RunStatus::Paused | RunStatus::Failed | RunStatus::Waiting
        ),
    };
    if run.status == RunStatus::Running {
        return leased();
    }
    if !takes {
        return EngineError::NotResumable {
            id: id.into(),
            status: run.status,
        };
    }
    // A live terminal waiting to drive the run it created, or attending it (a dead one's
    // run the claim took over already, or lost to a run of its key).
    let now = crate::store::now();
    let held_by_another = run
        .lease_owner
        .as_deref()
        .is_some_and(|o| o != engine.owner() && !super::owner_is_dead(o))
        && run
            .lease_expires_at
            .as_deref()
            .is_none_or(|until| until >= now.as_str());
    if held_by_another {
        return leased();
    }
    match RunRow::key_load(engine.store(), id).await {
        Ok(Some(load)) => EngineError::KeyBusy { id: id.into(), load },
        Ok(None) => EngineError::NotResumable {
            id: id.into(),
            status: run.status,
        },
        Err(e) => e.into(),
    }
}

/// Renews the lease (at a third of its length) while the run is driven, and applies
/// pause/cancel requests written by another process (the server steering a CLI run, another
/// node): read at once when the request's `NOTIFY` rings the run's control
/// (`RunControl::recheck_requests`), and polled as the fallback (`control_poll`). Says
/// `lost` when the lease is not ours any more: another node took the run over, or no
/// renewal succeeded for a whole lease (this node lost the database: by now another node may
/// have taken the run).
async fn keep_lease(engine: Engine, run: RunRow, control: RunControl, lost: watch::Sender<bool>) {
    use tokio::time::{timeout, Instant};
    let lease = engine.config().lease;
    let every = (lease / 3).max(Duration::from_millis(200));
    let tick = every.min(Duration::from_secs(1));
    let poll = control_poll();
    let start = Instant::now();
    // The lease as the database has it, counted from before the claim's statement was sent.
    let mut valid_until = start + lease;
    let mut next_renewal = start + every;
    let mut next_poll = start + poll;
    loop {
        let rung = tokio::select! {
            _ = tokio::time::sleep_until(next_renewal.min(next_poll).min(valid_until)) => false,
            _ = control.recheck_asked() => true,
        };
        if Instant::now() >= next_renewal {
            let sent = Instant::now();
            let until = engine.lease_until();
            // A database that does not answer must not hold this up past the lease's end.
            let left = valid_until
                .saturating_duration_since(sent)
                .max(Duration::from_millis(50));
            let renew = RunRow::renew(engine.store(), &run.id, engine.owner(), run.lease_version, &until);
            next_renewal = match timeout(left, renew).await {
                Ok(Ok(true)) => {
                    valid_until = sent + lease;
                    Instant::now() + every
                }
                Ok(Ok(false)) => {
                    tracing::warn!(run = %run.id, "lease taken over by another node");
                    let _ = lost.send(true);
                    return;
                }
                Ok(Err(e)) => {
                    tracing::warn!(run = %run.id, error = %e, "cannot renew the run's lease");
                    Instant::now() + every.min(Duration::from_millis(500))
                }
                Err(_) => Instant::now(),
            };
        }
        if Instant::now() >= valid_until {
            tracing::warn!(run = %run.id, "lease not renewed in time (the database is unreachable?): stopping");
            let _ = lost.send(true);
            return;
        }
        if rung || Instant::now() >= next_poll {
            next_poll = Instant::now() + poll;
            let left = valid_until.saturating_duration_since(Instant::now());
            if let Ok(Ok(Some(request))) =
                timeout(left.min(tick), RunRow::control_request(engine.store(), &run.id)).await
            {
                control.apply(request);
            }
        }
    }
}

/// How often a driver reads its run's row for a pause or cancel request nobody told it of:
/// a second, or `WORKFLOW_ENGINE_CONTROL_POLL_MS` (undocumented: the tests set it high to
/// show that a `NOTIFY` alone delivers requests).
fn control_poll() -> Duration {
    std::env::var("WORKFLOW_ENGINE_CONTROL_POLL_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(|ms| Duration::from_millis(ms.max(10)))
        .unwrap_or(Duration::from_secs(1))
}

async fn sleep_or_forever(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// YAML: the steps in order, each skipped, failed or rendered against the arguments and the
/// earlier results (`yaml_step`) and handed to the step host.
async fn run_yaml(host: &Arc<StepHost>, run: &RunRow, definition: &WorkflowDefinition) -> Result<(), Stop> {
    let args = serde_json::from_str::<Value>(&run.args).unwrap_or(json!({}));
    for step in &definition.steps {
        let next = super::yaml_step::next(host, step, &args);
        // On its own task, so that a cancel or timeout that drops this loop still lets the
        // step record how it was stopped.
        let outcome = tokio::spawn(super::yaml_step::take(host.clone(), next))
            .await
            .map_err(|e| Stop::Failed(format!("the step task failed: {e}")))?;
        let result = match outcome {
            Ok(Begin::Result(r)) => r,
            Ok(Begin::RunFunction) => return Err(Stop::Failed("function steps need a TypeScript workflow".into())),
            Ok(Begin::Wait) => return Err(Stop::Waiting),
            Err(i) => return Err(Stop::from(i)),
        };
        if StepResult::status_of(&result) == Some(StepStatus::Failed) && !step.continue_on_error {
            let error = result["error"].as_str().unwrap_or("failed");
            return Err(Stop::Failed(format!("step \"{}\" failed: {error}", step.id)));
        }
    }
    Ok(())
}
