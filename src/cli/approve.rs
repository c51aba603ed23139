//! `approve RUN [STEP]`: the terminal's decision at an approval gate (`Engine::decide`, as
//! `Decider::terminal()`), then the run continued: by a live server if there is one, by the
//! terminal attending the run if one does, else here in the foreground like `resume`.

use std::process::ExitCode;

use clap::Args;

use super::run_file::run_in_foreground;
use super::runs::load_run;
use super::{invalid, report};
use crate::domain::RunStatus;
use crate::engine::waits::{Decider, Decision, DecisionInput, WaitError};
use crate::engine::Engine;
use crate::store::nodes::NodeRow;
use crate::store::runs::RunRow;

#[derive(Args, Debug)]
pub struct ApproveArgs {
    run_id: String,
    /// The gate's step id (`approve-plan`); may be left out when exactly one gate waits.
    step: Option<String>,
    /// Reject: the gate's step fails (and with it the run, unless it continues on error).
    #[arg(long, conflicts_with_all = ["request_changes", "retry", "skip", "fail"])]
    reject: bool,
    /// At a step whose retries ran out: run it again, with fresh tries.
    #[arg(long, conflicts_with_all = ["request_changes", "skip", "fail"])]
    retry: bool,
    /// At a step whose retries ran out: go on as if it completed, with `--value` as its data.
    #[arg(long, conflicts_with_all = ["request_changes", "fail"])]
    skip: bool,
    /// The skipped step's data, as JSON (with --skip).
    #[arg(long, value_name = "JSON", requires = "skip")]
    value: Option<String>,
    /// At a step whose retries ran out: fail it (and with it the run, unless the workflow catches it).
    #[arg(long, conflicts_with = "request_changes")]
    fail: bool,
    /// Request changes (needs `-m`): the workflow gets the comment and decides what to do.
    #[arg(long)]
    request_changes: bool,
    /// A comment, kept with the decision and on the gate's thread.
    #[arg(short = 'm', long = "message", value_name = "TEXT")]
    message: Option<String>,
    /// The gate's form filled in, as JSON (checked against the form).
    #[arg(long, value_name = "JSON")]
    input: Option<String>,
    /// Record the decision and return: do not continue the run here.
    #[arg(long)]
    no_wait: bool,
    /// Show script output as it streams, when the run continues here.
    #[arg(long, short)]
    verbose: bool,
}

pub async fn approve(engine: &Engine, args: ApproveArgs) -> ExitCode {
    let run = match load_run(engine.store(), &args.run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    let input = match decision_input(&args) {
        Ok(i) => i,
        Err(message) => return invalid(&message),
    };
    let step = match args.step.clone() {
        Some(s) => s,
        None => match the_one_gate(engine, &run).await {
            Ok(s) => s,
            Err(code) => return code,
        },
    };
    let decider = Decider::terminal();
    let decided = match engine.decide(&run.id, &step, &decider, input.clone()).await {
        Ok(d) => d,
        Err(e) => return refused(e),
    };
    println!(
        "{} \"{}\" of run {} as {}",
        input.decision.outcome().replace('_', " "),
        decided.step_id,
        run.id,
        decider.label
    );
    continue_run(engine, &run, args.no_wait, args.verbose).await
}

/// The decision, its comment and input as the flags say; why not, for bad flags.
fn decision_input(args: &ApproveArgs) -> Result<DecisionInput, String> {
    let decision = if args.retry {
        Decision::Retry
    } else if args.skip {
        Decision::Skip
    } else if args.fail {
        Decision::Fail
    } else if args.reject {
        Decision::Reject
    } else if args.request_changes {
        Decision::RequestChanges
    } else {
        Decision::Approve
    };
    let comment = args.message.clone().filter(|m| !m.trim().is_empty());
    if decision == Decision::RequestChanges && comment.is_none() {
        return Err("--request-changes needs a comment: -m \"what to change\"".into());
    }
    let input = match &args.input {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| format!("--input is not JSON: {e}"))?),
        None => None,
    };
    let value = match &args.value {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| format!("--value is not JSON: {e}"))?),
        None => None,
    };
    Ok(DecisionInput {
        decision,
        comment,
        input,
        value,
    })
}

/// The step key of the run's only waiting gate; none or several are refused (exit 2),
/// several listed.
async fn the_one_gate(engine: &Engine, run: &RunRow) -> Result<String, ExitCode> {
    let waits = super::attend::pending(engine, &run.id).await?;
    let gates: Vec<_> = waits.iter().filter(|p| p.wait.kind.needs_a_person()).collect();
    match gates.as_slice() {
        [one] => Ok(one.step.step_id.clone()),
        [] if ended(run.status) => Err(refused(WaitError::RunEnded(run.status))),
        [] => Err(invalid(&format!(
            "run {} has no approval gate waiting (it is {})",
            run.id, run.status
        ))),
        several => {
            eprintln!("run {} waits at {} gates; name one:", run.id, several.len());
            for p in several {
                eprintln!("  workflow-engine approve {} {}", run.id, p.step.step_id);
            }
            Err(ExitCode::from(2))
        }
    }
}

fn ended(status: RunStatus) -> bool {
    matches!(status, RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled)
}

/// A decision or signal not recorded: why (exit 2), or a database failure (exit 1).
pub(super) fn refused(e: WaitError) -> ExitCode {
    match e {
        WaitError::RunNotFound(id) => super::runs::no_run(&id),
        WaitError::Store(e) => report(e.into()),
        WaitError::BadInput(problems) => {
            eprintln!("error: the input does not match the gate's form:");
            for p in problems {
                eprintln!("  {p}");
            }
            ExitCode::from(2)
        }
        other => invalid(&other.to_string()),
    }
}

/// After a decision or a signal: the run is left to a live server or to the terminal that
/// attends it; else continued here (unless `no_wait`), as `resume` would. `before`: the run
/// as read before the decision.
pub(super) async fn continue_run(engine: &Engine, before: &RunRow, no_wait: bool, verbose: bool) -> ExitCode {
    let run_id = before.id.as_str();
    // A terminal that attended the run when it was decided has it: the decision wakes it at
    // once, often before the run is read again below (it is `running` by then).
    if before.status == RunStatus::Waiting && attended_elsewhere(engine, before) {
        println!("run {run_id} continues in the terminal that attends it");
        return ExitCode::SUCCESS;
    }
    let run = match load_run(engine.store(), run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    if run.status != RunStatus::Waiting {
        let hint = if run.status == RunStatus::Paused {
            format!("; `workflow-engine resume {run_id}` continues it")
        } else {
            String::new()
        };
        println!("run {run_id} is {}{hint}", run.status);
        return ExitCode::SUCCESS;
    }
    if attended_elsewhere(engine, &run) {
        println!("run {run_id} continues in the terminal that attends it");
        return ExitCode::SUCCESS;
    }
    match NodeRow::live_servers(engine.store()).await {
        Ok(servers) if !servers.is_empty() => {
            println!("run {run_id}: the server continues it (`workflow-engine show {run_id}` follows it)");
            return ExitCode::SUCCESS;
        }
        Ok(_) => {}
        Err(e) => return report(e.into()),
    }
    if no_wait {
        println!("run {run_id} waits to be continued: `workflow-engine resume {run_id}`");
        return ExitCode::SUCCESS;
    }
    match engine.wake_run(run_id, None).await {
        Ok(Some(_)) => {
            println!("run {run_id} (continued)");
            run_in_foreground(engine, run_id, None, verbose).await
        }
        Ok(None) => {
            println!("run {run_id}: another process continues it");
            ExitCode::SUCCESS
        }
        Err(e) => report(e.into()),
    }
}

/// Whether another live process holds the waiting run's lease (a terminal asking for it).
fn attended_elsewhere(engine: &Engine, run: &RunRow) -> bool {
    let Some(owner) = run.lease_owner.as_deref() else {
        return false;
    };
    let live = run
        .lease_expires_at
        .as_deref()
        .is_some_and(|until| until > crate::store::now().as_str());
    owner != engine.owner() && live && !crate::engine::owner_is_dead(owner)
}
