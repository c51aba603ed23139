//! `budget RUN [--usd N] [--tokens N] [--duration D]`: set or raise a run's spending limits
//! (`Engine::raise_budget`); a run a limit stopped then continues: by a live server if there
//! is one, by the terminal attending the run if one does, else here in the foreground.

use std::process::ExitCode;

use clap::Args;

use super::approve::continue_run;
use super::runs::load_run;
use super::{invalid, report};
use crate::definition::budget::Budget;
use crate::engine::budget::{self, BudgetError};
use crate::engine::Engine;

#[derive(Args, Debug)]
pub struct BudgetArgs {
    run_id: String,
    /// Most US dollars the run's agents may spend in all.
    #[arg(long, value_name = "USD")]
    usd: Option<String>,
    /// Most input + output tokens the run's agents may use in all.
    #[arg(long, value_name = "N")]
    tokens: Option<String>,
    /// Most wall time since the run first started (e.g. 30m, 2h).
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
    /// Record the budget and return: do not continue the run here.
    #[arg(long)]
    no_wait: bool,
    /// Show script output as it streams, when the run continues here.
    #[arg(long, short)]
    verbose: bool,
}

pub async fn budget(engine: &Engine, args: BudgetArgs) -> ExitCode {
    let run = match load_run(engine.store(), &args.run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    let given = [
        ("usd", &args.usd),
        ("tokens", &args.tokens),
        ("duration", &args.duration),
    ];
    let flag: Vec<String> = given
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    let raise = if flag.is_empty() {
        // No new limit: continue a run a step's own limit stopped (the step gets its
        // allowance again).
        Budget::default()
    } else {
        match Budget::parse_flag(&flag.join(",")) {
            Ok(b) => b,
            Err(e) => return invalid(&format!("--{e}")),
        }
    };
    let stopped = budget::stop_of(&run);
    let row = match engine.raise_budget(&run.id, raise).await {
        Ok(r) => r,
        Err(BudgetError::Store(e)) => return report(e.into()),
        Err(e) => return invalid(&e.to_string()),
    };
    let limits = budget::budget_of(&row).unwrap_or_default().describe();
    println!("run {}: budget {limits}", row.id);
    if stopped.is_none() {
        return ExitCode::SUCCESS;
    }
    continue_run(engine, &run, args.no_wait, args.verbose).await
}

/// Why a limit stopped the run, if one did.
pub(super) async fn stopped(engine: &Engine, run_id: &str) -> Result<Option<budget::BudgetStop>, ExitCode> {
    let run = load_run(engine.store(), run_id).await?;
    Ok(budget::stop_of(&run).filter(|_| run.status == crate::domain::RunStatus::Waiting))
}

/// A run a limit stopped, attended by the terminal that drives it: on a terminal it asks for
/// a raise (`usd=10`) or a cancel, and notices one made elsewhere; off a terminal it says how
/// to continue and exits `EXIT_WAITING`.
pub(super) async fn attend(
    engine: &Engine,
    run_id: &str,
    stop: &budget::BudgetStop,
    interactive: bool,
    interrupt: &mut tokio::signal::unix::Signal,
) -> Result<(), ExitCode> {
    use super::attend::{look, Watch};
    println!("run {run_id} stopped by its budget: {}", stop.message);
    if !interactive {
        println!("continue it with: workflow-engine budget {run_id} --usd N (or --tokens N, --duration D)");
        println!("  or cancel it:   workflow-engine cancel {run_id}");
        return Err(ExitCode::from(super::EXIT_WAITING));
    }
    return super::attend::attended(engine, run_id, ask(engine, run_id, interrupt)).await;

    /// Asks until the run is woken (raised here or elsewhere) or gone.
    async fn ask(engine: &Engine, run_id: &str, interrupt: &mut tokio::signal::unix::Signal) -> Result<(), ExitCode> {
        let question = "  raise the budget (e.g. usd=10,tokens=500000), [c]ancel the run, or Enter to wait: ";
        let mut asking = true;
        loop {
            match look(engine, run_id).await? {
                Watch::Woken => return Ok(()),
                Watch::Done(code) => return Err(code),
                Watch::Waiting => {}
            }
            if !asking {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => continue,
                    _ = interrupt.recv() => return Err(super::attend::interrupted(run_id)),
                }
            }
            let line = {
                let reading = super::prompt::read_line(question);
                tokio::pin!(reading);
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
                loop {
                    tokio::select! {
                        line = &mut reading => break line,
                        _ = tick.tick() => match look(engine, run_id).await? {
                            Watch::Woken => { println!(); return Ok(()) }
                            Watch::Done(code) => return Err(code),
                            Watch::Waiting => {}
                        },
                        _ = interrupt.recv() => return Err(super::attend::interrupted(run_id)),
                    }
                }
            };
            let Some(line) = line else {
                asking = false;
                println!("no more input: waiting for the budget to be raised elsewhere");
                continue;
            };
            match line.as_str() {
                "" => asking = false,
                "c" | "cancel" => {
                    if let Err(e) = engine.cancel_run(run_id, std::time::Duration::from_secs(10)).await {
                        println!("  {e}");
                    }
                }
                text => match Budget::parse_flag(text) {
                    Ok(raise) => match engine.raise_budget(run_id, raise).await {
                        Ok(row) => {
                            let limits = budget::budget_of(&row).unwrap_or_default().describe();
                            println!("  budget {limits}");
                        }
                        Err(e) => println!("  {e}"),
                    },
                    Err(e) => println!("  {e}"),
                },
            }
        }
    }
}
