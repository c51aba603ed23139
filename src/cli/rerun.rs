//! `rerun RUN [--from STEP] [--args JSON] [--arg k=v ...]`: a new run of a run's workflow
//! (`Engine::rerun`), driven in this terminal like `run`. It says which run it came from,
//! the steps whose results it reuses, and whether the workflow changed since.

use std::process::ExitCode;

use serde_json::Value;

use super::run_file::run_in_foreground;
use super::{invalid, report};
use crate::definition::schema;
use crate::engine::rerun::{RerunError, RerunRequest};
use crate::engine::{Engine, EngineError};
use crate::store::definitions::DefinitionRow;

pub(super) struct RerunArgs {
    pub from: Option<String>,
    pub args: Vec<String>,
    pub args_json: Option<String>,
    pub verbose: bool,
}

pub(super) async fn rerun(engine: &Engine, run_id: &str, req: RerunArgs) -> ExitCode {
    let args = match edited_args(engine, run_id, &req).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    let request = RerunRequest {
        from_step: req.from.clone(),
        args,
        user_id: None,
        driven_here: true,
    };
    let rerun = match engine.rerun(run_id, request).await {
        Ok(r) => r,
        Err(RerunError::NotFound(_)) => return super::runs::no_run(run_id),
        Err(e @ RerunError::NoSuchStep { .. }) => return invalid(&e.to_string().replacen("from_step_id", "--from", 1)),
        Err(RerunError::Engine(e)) => return report(e),
    };
    let id = rerun.run.id.clone();
    match &req.from {
        Some(step) => println!("run {id} (rerun of {run_id} from step \"{step}\")"),
        None => println!("run {id} (run again of {run_id})"),
    }
    if !rerun.reused.is_empty() {
        println!(
            "reusing the results of {} step(s): {}",
            rerun.reused.len(),
            rerun.reused.join(", ")
        );
    }
    for note in &rerun.notes {
        println!("note: {note}");
    }
    run_in_foreground(engine, &id, Some(rerun.prepared), req.verbose).await
}

/// The arguments the rerun is given: None (the run's own) without `--args` or `--arg`; else
/// `--args` (or the run's), with each `--arg` typed by the workflow's schema on top.
async fn edited_args(engine: &Engine, run_id: &str, req: &RerunArgs) -> Result<Option<Value>, ExitCode> {
    if req.args.is_empty() && req.args_json.is_none() {
        return Ok(None);
    }
    let store = engine.store();
    let run = super::runs::load_run(store, run_id).await?;
    let schema_text = match DefinitionRow::get(store, &run.workflow_definition_id).await {
        Ok(d) => d.and_then(|d| d.args_schema),
        Err(e) => return Err(report(e.into())),
    };
    let schema = schema_text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let base = req.args_json.clone().unwrap_or_else(|| run.args.clone());
    schema::args_from_cli(schema.as_ref(), Some(&base), &req.args)
        .map(Some)
        .map_err(|errors| report(EngineError::InvalidArgs(errors)))
}
