//! A run the terminal is about to drive whose concurrency key has its limit of runs running
//! (on a server or another terminal) waits here, saying why ("waiting: 1 run with concurrency
//! key repo:x is running (limit 1)"), and is driven once one of them ends. Ctrl-C while it
//! waits cancels a run that never started (`pending`: nothing else would drive it) and leaves
//! a paused or failed one as it was; either way the command exits 130.

use std::process::ExitCode;
use std::time::Duration;

use tokio::signal::unix::Signal;

use super::report;
use crate::domain::RunStatus;
use crate::engine::{key_busy_text, Engine};
use crate::store::runs::RunRow;

/// How often the database is looked at while the key is full.
const POLL: Duration = Duration::from_millis(250);

/// Returns when the run's key has room (or it has none); `Err` with the exit code when the
/// person stopped waiting or the run was ended meanwhile.
pub(super) async fn until_key_free(engine: &Engine, run_id: &str, interrupt: &mut Signal) -> Result<(), ExitCode> {
    let store = engine.store();
    let mut said: Option<i64> = None;
    loop {
        let load = match RunRow::key_load(store, run_id).await {
            Ok(Some(load)) if load.is_full() => load,
            Ok(_) => return Ok(()),
            Err(e) => return Err(report(e.into())),
        };
        let run = match RunRow::get(store, run_id).await {
            Ok(Some(run)) => run,
            Ok(None) => return Ok(()),
            Err(e) => return Err(report(e.into())),
        };
        if run.status.is_terminal() {
            println!("run {run_id} is {} (it never started)", run.status);
            return Err(ExitCode::from(130));
        }
        if lease_ending(engine, &run) {
            let until = engine.lease_until();
            match RunRow::renew(store, run_id, engine.owner(), run.lease_version, &until).await {
                Ok(true) => {}
                // Taken meanwhile (this process stalled past its lease): the claim says by whom.
                Ok(false) => return Ok(()),
                Err(e) => return Err(report(e.into())),
            }
        }
        if said != Some(load.running) {
            println!("waiting: {}", key_busy_text(&load));
            said = Some(load.running);
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = interrupt.recv() => return Err(stop_waiting(engine, &run).await),
        }
    }
}

async fn stop_waiting(engine: &Engine, run: &RunRow) -> ExitCode {
    if run.status == RunStatus::Pending {
        match engine.cancel_run(&run.id, Duration::from_secs(5)).await {
            Ok(_) => println!("\ncancelled run {} while it waited for its concurrency key", run.id),
            Err(e) => eprintln!("\nerror: cannot cancel run {}: {e}", run.id),
        }
    } else {
        println!("\nstopped waiting: run {} stays {}", run.id, run.status);
    }
    ExitCode::from(130)
}

/// Whether the run is `pending` under this terminal's lease (`NewRun::held_by`: no server
/// takes it while the terminal waits) with less than two thirds of the lease left: renewed
/// then, as a driven run's lease is.
fn lease_ending(engine: &Engine, run: &RunRow) -> bool {
    let left = chrono::Duration::from_std(engine.config().lease * 2 / 3).unwrap_or(chrono::Duration::seconds(20));
    let soon = (chrono::Utc::now() + left).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    run.lease_owner.as_deref() == Some(engine.owner())
        && run.lease_expires_at.as_deref().is_some_and(|t| t < soon.as_str())
}
