//! A run that stopped at waits, attended by the terminal that drives it (`run`, `resume`,
//! `approve`, `signal`): this process holds the waiting run's lease (`RunRow::attend`, so a
//! server's waker leaves it alone), asks each approval gate on the terminal
//! (`cli::prompt`), and watches the database meanwhile, so that a decision made elsewhere
//! (the board, another terminal), a timer or a signal continues the run at once. When the run
//! is due it takes it back (`Engine::wake_run`) and the caller drives it again.
//!
//! Not on a terminal, a run waiting for a person or a signal is left waiting: the commands
//! that continue it are printed and the process exits with `EXIT_WAITING`. A run that only
//! sleeps is waited for, as a script that sleeps is expected to finish.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// Ctrl-C as a stream; listened to before a drive, so that one pressed as the run stops at a
/// wait is not lost.
pub(super) fn interrupts() -> Result<Signal, ExitCode> {
    signal(SignalKind::interrupt()).map_err(|e| {
        eprintln!("error: cannot watch for Ctrl-C: {e}");
        ExitCode::from(1)
    })
}

use super::prompt::{self, Asked};
use super::{report, wait_text, EXIT_WAITING};
use crate::domain::{RunStatus, StepStatus, WaitKind};
use crate::engine::waits::{ApprovalSpec, Decider, WaitError};
use crate::engine::Engine;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::waits::{PendingWait, WaitRow};

/// How often the database is looked at while the run waits.
const POLL: Duration = Duration::from_millis(250);
/// How often the attendant renews its lease on the waiting run, and how long one lasts.
const RENEW: Duration = Duration::from_secs(10);
const LEASE_SECS: i64 = 30;

/// How a look at the waiting run went.
pub(super) enum Watch {
    /// Nothing changed: keep waiting.
    Waiting,
    /// The run is ours again (`pending`): drive it.
    Woken,
    /// The run is not ours to wait for any more: exit with this code.
    Done(ExitCode),
}

/// Waits with the run until it is due, then takes it back for this process: `Ok` means
/// drive it again; `Err` is the exit code when the run stays waiting (or ended elsewhere).
/// `interrupt`: Ctrl-C, listened to since before the drive, so that none is lost between.
pub(super) async fn until_woken(engine: &Engine, run_id: &str, interrupt: &mut Signal) -> Result<(), ExitCode> {
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if let Some(stop) = super::budget::stopped(engine, run_id).await? {
        return super::budget::attend(engine, run_id, &stop, interactive, interrupt).await;
    }
    let waits = pending(engine, run_id).await?;
    let sleeps_only = waits.iter().all(|p| p.wait.kind == WaitKind::Sleep);
    if !interactive && !sleeps_only {
        // Resolved meanwhile (a signal, a decision while it was driven): go on at once.
        return match look(engine, run_id).await? {
            Watch::Woken => Ok(()),
            Watch::Done(code) => Err(code),
            Watch::Waiting => Err(leave_waiting(engine, run_id, &waits).await),
        };
    }
    attended(engine, run_id, watch(engine, run_id, interactive, interrupt)).await
}

/// Attends a waiting run while `body` runs: its lease is taken (so no server drives it
/// meanwhile) and renewed, and given up if `body` ends without the run woken. Another
/// process attending it already leaves it to that one (`EXIT_WAITING`).
pub(super) async fn attended(
    engine: &Engine,
    run_id: &str,
    body: impl std::future::Future<Output = Result<(), ExitCode>>,
) -> Result<(), ExitCode> {
    if !attend(engine, run_id).await? {
        println!("another process attends run {run_id}; it continues the run there");
        return Err(ExitCode::from(EXIT_WAITING));
    }
    let renewal = tokio::spawn(renew(engine.clone(), run_id.to_string()));
    let result = body.await;
    renewal.abort();
    if result.is_err() {
        let _ = RunRow::leave(engine.store(), run_id, engine.owner()).await;
    }
    result
}

/// Not on a terminal: how to continue each wait, then `EXIT_WAITING`; the run stays waiting.
async fn leave_waiting(engine: &Engine, run_id: &str, waits: &[PendingWait]) -> ExitCode {
    println!("run {run_id} is waiting; continue it with:");
    for line in wait_text::how_to_continue(run_id, waits) {
        println!("{line}");
    }
    if let Ok(servers) = crate::store::nodes::NodeRow::live_servers(engine.store()).await {
        if !servers.is_empty() {
            println!("  or decide it on the server's board (Approvals)");
        }
    }
    ExitCode::from(EXIT_WAITING)
}

/// The loop: a gate asked on the terminal, or a pause of `POLL`, then a look at the run.
async fn watch(engine: &Engine, run_id: &str, interactive: bool, interrupt: &mut Signal) -> Result<(), ExitCode> {
    let mut told = HashSet::new();
    let mut no_input = !interactive;
    loop {
        match look(engine, run_id).await? {
            Watch::Woken => return Ok(()),
            Watch::Done(code) => return Err(code),
            Watch::Waiting => {}
        }
        let waits = pending(engine, run_id).await?;
        tell_new(run_id, &waits, &mut told, no_input);
        let gate = waits.iter().find(|p| p.wait.kind.needs_a_person());
        let asked = match gate.filter(|_| !no_input) {
            Some(gate) => ask_gate(engine, run_id, gate, interrupt).await?,
            None => pause(interrupt).await,
        };
        match asked {
            Asked::Interrupted => return Err(interrupted(run_id)),
            Asked::NoInput => {
                no_input = true;
                told.clear();
                println!("no more input: waiting for a decision from elsewhere");
            }
            Asked::Answered | Asked::Changed => {}
        }
    }
}

/// Says once what each wait that is not asked on the terminal waits for, and how to
/// continue it.
fn tell_new(run_id: &str, waits: &[PendingWait], told: &mut HashSet<String>, no_input: bool) {
    for p in waits {
        if p.wait.kind.needs_a_person() && !no_input {
            continue;
        }
        if !told.insert(p.step.id.clone()) {
            continue;
        }
        if p.wait.kind == WaitKind::Sleep {
            let until = p
                .wait
                .deadline
                .as_deref()
                .map_or_else(|| "?".into(), wait_text::local_time);
            println!(
                "  {}  waiting here until {until} (Ctrl-C leaves the run waiting)",
                p.step.step_id
            );
            continue;
        }
        for line in wait_text::how_to_continue(run_id, std::slice::from_ref(p)) {
            println!("{line}");
        }
    }
}

/// Nothing to ask: waits `POLL`, or for Ctrl-C.
async fn pause(interrupt: &mut Signal) -> Asked {
    tokio::select! {
        _ = tokio::time::sleep(POLL) => Asked::Changed,
        _ = interrupt.recv() => Asked::Interrupted,
    }
}

/// Asks one gate on the terminal while watching whether it is decided elsewhere, or the run
/// becomes due; records the answer as the terminal's decision.
async fn ask_gate(
    engine: &Engine,
    run_id: &str,
    gate: &PendingWait,
    interrupt: &mut Signal,
) -> Result<Asked, ExitCode> {
    let spec = ApprovalSpec::parse(&gate.wait.spec);
    prompt::print_gate(&gate.step.step_id, &spec);
    loop {
        let answer = {
            let asking = prompt::ask(&spec, gate.wait.kind == WaitKind::Retry);
            tokio::pin!(asking);
            let mut tick = tokio::time::interval(POLL);
            loop {
                tokio::select! {
                    answer = &mut asking => break answer,
                    _ = tick.tick() => if changed(engine, run_id, &gate.step.id).await? {
                        return Ok(Asked::Changed);
                    },
                    _ = interrupt.recv() => return Ok(Asked::Interrupted),
                }
            }
        };
        let Some(input) = answer else {
            return Ok(Asked::NoInput);
        };
        let decider = Decider::terminal();
        match engine.decide(run_id, &gate.step.id, &decider, input.clone()).await {
            Ok(_) => {
                println!("  {} by {}", input.decision.outcome().replace('_', " "), decider.label);
                return Ok(Asked::Answered);
            }
            Err(WaitError::BadInput(problems)) => {
                for p in problems {
                    println!("  {p}");
                }
            }
            Err(WaitError::Store(e)) => return Err(report(e.into())),
            Err(e) => {
                println!("  {e}");
                return Ok(Asked::Changed);
            }
        }
    }
}

/// Whether the asked gate is no longer ours to ask: decided elsewhere (said so), or the
/// run is due or not waiting any more.
async fn changed(engine: &Engine, run_id: &str, step_row_id: &str) -> Result<bool, ExitCode> {
    let store = engine.store();
    let step = StepRow::by_row_id(store, step_row_id)
        .await
        .map_err(|e| report(e.into()))?;
    if let Some(step) = step.filter(|s| s.status != StepStatus::Waiting) {
        println!("\n  decided elsewhere: {}", decided_by(&step));
        return Ok(true);
    }
    let run = RunRow::get(store, run_id).await.map_err(|e| report(e.into()))?;
    let changed = run.is_none_or(|r| r.status != RunStatus::Waiting || is_due(&r));
    if changed {
        println!();
    }
    Ok(changed)
}

/// `approved by bob@example.com: "looks good"`, from a decided gate's result.
pub(super) fn decided_by(step: &StepRow) -> String {
    let result: serde_json::Value = step
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    let data = &result["data"];
    let Some(decision) = data["decision"].as_str() else {
        return step.status.to_string();
    };
    let by = data["by"].as_str().unwrap_or("?");
    let comment = data["comment"]
        .as_str()
        .map(|c| format!(": \"{c}\""))
        .unwrap_or_default();
    format!("{} by {by}{comment}", decision.replace('_', " "))
}

/// Looks at the run: due (woken for this process), still waiting, or gone elsewhere.
pub(super) async fn look(engine: &Engine, run_id: &str) -> Result<Watch, ExitCode> {
    let store = engine.store();
    let run = match RunRow::get(store, run_id).await {
        Ok(Some(run)) => run,
        Ok(None) => return Err(super::runs::no_run(run_id)),
        Err(e) => return Err(report(e.into())),
    };
    let code = |n: u8| Ok(Watch::Done(ExitCode::from(n)));
    match run.status {
        RunStatus::Waiting if is_due(&run) => match engine.wake_run(run_id, Some(engine.owner())).await {
            Ok(Some(_)) => Ok(Watch::Woken),
            Ok(None) => Ok(Watch::Waiting),
            Err(e) => Err(report(e.into())),
        },
        RunStatus::Waiting => Ok(Watch::Waiting),
        RunStatus::Paused => {
            println!("run {run_id} was paused; continue with: workflow-engine resume {run_id}");
            code(130)
        }
        RunStatus::Cancelled => {
            println!("run {run_id} was cancelled");
            code(130)
        }
        RunStatus::Completed => {
            println!("run {run_id} completed");
            code(0)
        }
        RunStatus::Failed => {
            println!(
                "run {run_id} failed: {}",
                run.error_message.as_deref().unwrap_or("unknown error")
            );
            code(1)
        }
        RunStatus::Pending | RunStatus::Running => {
            println!("run {run_id} is {}: another process drives it", run.status);
            code(EXIT_WAITING)
        }
    }
}

fn is_due(run: &RunRow) -> bool {
    run.wake_at
        .as_deref()
        .is_some_and(|w| w <= crate::store::now().as_str())
}

/// The run's waits that still wait, oldest first.
pub(super) async fn pending(engine: &Engine, run_id: &str) -> Result<Vec<PendingWait>, ExitCode> {
    WaitRow::pending_for_runs(engine.store(), &[run_id])
        .await
        .map_err(|e| report(e.into()))
}

/// Takes (or renews) this process's lease on the waiting run; false when another live
/// process attends it.
async fn attend(engine: &Engine, run_id: &str) -> Result<bool, ExitCode> {
    let until = (chrono::Utc::now() + chrono::Duration::seconds(LEASE_SECS))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    RunRow::attend(engine.store(), run_id, engine.owner(), &until)
        .await
        .map_err(|e| report(e.into()))
}

async fn renew(engine: Engine, run_id: String) {
    loop {
        tokio::time::sleep(RENEW).await;
        let _ = attend(&engine, &run_id).await;
    }
}

/// Ctrl-C while waiting: the run stays waiting (the lease is given up by the caller).
pub(super) fn interrupted(run_id: &str) -> ExitCode {
    println!("\nrun {run_id} left waiting; continue it with: workflow-engine resume {run_id}");
    ExitCode::from(130)
}
