//! `signal RUN NAME`: a signal sent from the terminal (`Engine::send_signal`), handed to the
//! step waiting for it or kept until one does; a delivered signal continues the run as
//! `approve` does (`approve::continue_run`).

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::approve::{continue_run, refused};
use super::invalid;
use super::runs::load_run;
use crate::engine::waits::Decider;
use crate::engine::Engine;

#[derive(Args, Debug)]
pub struct SignalArgs {
    run_id: String,
    /// The signal's name (what the workflow's signal step waits for).
    name: String,
    /// The signal's payload, as JSON (default: null).
    #[arg(long, value_name = "JSON")]
    payload: Option<String>,
    /// An idempotency key: the same key sends the signal once, however often it is repeated.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
    /// Send it and return: do not continue the run here.
    #[arg(long)]
    no_wait: bool,
    /// Show script output as it streams, when the run continues here.
    #[arg(long, short)]
    verbose: bool,
}

pub async fn signal(engine: &Engine, args: SignalArgs) -> ExitCode {
    let run = match load_run(engine.store(), &args.run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    let payload = match args.payload.as_deref().map(serde_json::from_str::<Value>).transpose() {
        Ok(p) => p.unwrap_or(Value::Null),
        Err(e) => return invalid(&format!("--payload is not JSON: {e}")),
    };
    let sent = match engine
        .send_signal(&run.id, &args.name, &payload, args.key.as_deref(), &Decider::terminal())
        .await
    {
        Ok(s) => s,
        Err(e) => return refused(e),
    };
    let name = &args.name;
    if sent.duplicate {
        println!(
            "signal \"{name}\" with key {} was sent before ({}): not sent again",
            args.key.as_deref().unwrap_or("?"),
            sent.signal.created_at
        );
        return ExitCode::SUCCESS;
    }
    match &sent.delivered_to {
        Some(step) => {
            println!("signal \"{name}\" delivered to \"{}\" of run {}", step.step_id, run.id);
            continue_run(engine, &run, args.no_wait, args.verbose).await
        }
        None => {
            println!(
                "signal \"{name}\" kept for run {}: the first step that waits for it takes it",
                run.id
            );
            ExitCode::SUCCESS
        }
    }
}
