//! `run` and `validate`: a workflow file run in the terminal (Ctrl-C pauses, twice cancels;
//! at waits the terminal attends the run, `cli::attend`), or only checked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{invalid, progress, report};
use crate::definition::budget::Budget;
use crate::definition::workspace::WorkspaceSpec;
use crate::definition::{duration, schema};
use crate::domain::RunStatus;
use crate::engine::{Engine, EngineError, NewRunSpec, RunControl};

/// A file under `X/.agent/workflows/definitions/` belongs to project X.
pub(super) fn project_for(file: &Path) -> PathBuf {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    for dir in abs.ancestors() {
        if dir.ends_with(".agent/workflows/definitions") {
            if let Some(root) = dir.parent().and_then(Path::parent).and_then(Path::parent) {
                return root.to_path_buf();
            }
        }
    }
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

pub(super) struct RunRequest {
    pub(super) file: PathBuf,
    pub(super) args: Vec<String>,
    pub(super) args_json: Option<String>,
    pub(super) project: PathBuf,
    pub(super) timeout: Option<String>,
    pub(super) name: Option<String>,
    /// `--budget usd=5,tokens=200000,duration=30m`.
    pub(super) budget: Option<String>,
    /// `--worktree`, `--no-worktree`, `--base`, `--branch`, `--keep`.
    pub(super) worktree: super::args::WorktreeFlags,
    pub(super) verbose: bool,
}

/// The run's own workspace settings from its flags; None when none was given.
fn workspace_flags(f: &super::args::WorktreeFlags) -> Result<Option<WorkspaceSpec>, String> {
    use serde_json::{Map, Value};
    let mut map = Map::new();
    if f.worktree {
        map.insert("isolation".into(), "worktree".into());
    }
    if f.no_worktree {
        map.insert("isolation".into(), "none".into());
    }
    for (key, v) in [("base", &f.base), ("branch", &f.branch), ("keep", &f.keep)] {
        if let Some(v) = v {
            map.insert(key.into(), Value::String(v.clone()));
        }
    }
    if map.is_empty() {
        return Ok(None);
    }
    WorkspaceSpec::from_json(&Value::Object(map))
        .map(Some)
        .map_err(|(key, e)| match key {
            Some(k) => format!("--{k}: {}", e.strip_prefix(&format!("{k}: ")).unwrap_or(&e)),
            None => e,
        })
}

pub(super) async fn run(engine: &Engine, req: RunRequest) -> ExitCode {
    let timeout_ms = match req.timeout.as_deref().map(duration::parse_duration).transpose() {
        Ok(t) => t,
        Err(e) => return invalid(&format!("--timeout: {e}")),
    };
    let budget = match req.budget.as_deref().map(Budget::parse_flag).transpose() {
        Ok(b) => b,
        Err(e) => return invalid(&format!("--budget: {e}")),
    };
    let workspace = match workspace_flags(&req.worktree) {
        Ok(w) => w,
        Err(e) => return invalid(&e),
    };
    let project = match std::path::absolute(&req.project) {
        Ok(p) if p.is_dir() => p,
        _ => return invalid(&format!("--project {}: not a directory", req.project.display())),
    };
    let mut prepared = match engine.prepare(&req.file, &project).await {
        Ok(p) => p,
        Err(e) => return report(e),
    };
    let args = match schema::args_from_cli(
        prepared.definition.args_schema.as_ref(),
        req.args_json.as_deref(),
        &req.args,
    ) {
        Ok(a) => a,
        Err(errors) => return report(EngineError::InvalidArgs(errors)),
    };
    let args = match engine.check_args(&mut prepared, args).await {
        Ok(a) => a,
        Err(e) => return report(e),
    };
    let name = match req.name.clone() {
        Some(name) => name,
        None => match engine.run_name(&mut prepared, &args).await {
            Ok(n) => n,
            Err(e) => return report(e),
        },
    };
    let definition = prepared.definition.clone();
    let spec = NewRunSpec {
        name: Some(&name),
        timeout_ms,
        budget,
        workspace: workspace.as_ref(),
        driven_here: true,
        ..NewRunSpec::default()
    };
    let run = match engine.create_run_with(&definition, &project, args, spec).await {
        Ok(r) => r,
        Err(e) => return report(e),
    };
    println!("run {}", run.id);
    if let Ok(Some(w)) = crate::store::workspaces::WorkspaceRow::get(engine.store(), &run.id).await {
        println!(
            "worktree {} on branch {} (from {}; keep {})",
            w.path, w.branch, w.base, w.keep
        );
    }
    run_in_foreground(engine, &run.id, Some(prepared), req.verbose).await
}

/// Drives the run in this terminal until it ends or pauses; a run that stops at waits is
/// attended (`attend::until_woken`) and driven again when what it waits for has come. A run
/// whose concurrency key is full waits for it first (`key_wait`).
pub(super) async fn run_in_foreground(
    engine: &Engine,
    run_id: &str,
    prepared: Option<crate::engine::Prepared>,
    verbose: bool,
) -> ExitCode {
    let mut prepared = prepared;
    let mut interrupt = match super::attend::interrupts() {
        Ok(i) => i,
        Err(code) => return code,
    };
    loop {
        if let Err(code) = super::key_wait::until_key_free(engine, run_id, &mut interrupt).await {
            return code;
        }
        let outcome = match drive(engine, run_id, prepared.take(), verbose).await {
            Ok(o) => o,
            // A run of its key held it at the claim (it may have ended since): wait again,
            // after a breath, so that a key freed and taken at once is not claimed in a spin.
            Err(EngineError::KeyBusy { .. }) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return report(e),
        };
        if outcome.status != RunStatus::Waiting {
            progress::print_outcome(&outcome);
            return match outcome.status {
                RunStatus::Completed => ExitCode::SUCCESS,
                RunStatus::Paused | RunStatus::Cancelled => ExitCode::from(130),
                _ => ExitCode::from(1),
            };
        }
        if let Err(code) = super::attend::until_woken(engine, run_id, &mut interrupt).await {
            return code;
        }
    }
}

/// One drive of the run, its progress shown, until it ends, pauses or waits.
async fn drive(
    engine: &Engine,
    run_id: &str,
    prepared: Option<crate::engine::Prepared>,
    verbose: bool,
) -> Result<crate::engine::run::RunOutcome, EngineError> {
    let control = RunControl::default();
    let display = progress::Display::start(engine.events().subscribe(), run_id.to_string(), verbose);
    let interrupts = tokio::spawn(handle_ctrl_c(control.clone()));
    let outcome = engine.execute(run_id, prepared, control).await;
    interrupts.abort();
    engine.events().flush().await;
    display.finish().await;
    outcome
}

/// First Ctrl-C pauses at the next step boundary; the second cancels.
async fn handle_ctrl_c(control: RunControl) {
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("\npausing after the steps in flight finish (Ctrl-C again to cancel)");
        control.pause();
    }
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("\ncancelling");
        control.cancel();
    }
}

pub(super) async fn validate(engine: &Engine, files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for file in files {
        let project = project_for(file);
        match engine.prepare(file, &project).await {
            Ok(p) => {
                let d = &p.definition;
                let steps = if d.steps.is_empty() {
                    String::new()
                } else {
                    format!(", {} steps", d.steps.len())
                };
                println!(
                    "ok   {}: \"{}\" (phases: {}{steps})",
                    file.display(),
                    d.name,
                    d.phases.join(", ")
                );
            }
            Err(e) => {
                ok = false;
                println!("FAIL {}:\n{}", file.display(), indent(&e.to_string()));
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}
