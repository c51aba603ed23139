//! Run again and rerun from a step: a new run of a run's definition (its file as it is now),
//! with the same or edited arguments. From a step, the new run reuses the memo of every step
//! the original recorded before that one (by `step_index`: the order the run started them)
//! and runs that step and everything after it for real. The new run records its parent and
//! the step it forked at; a rerun whose definition changed since the original says so.

use std::path::Path;

use serde_json::Value;

use super::create::NewRunSpec;
use super::{Engine, EngineError, Prepared};
use crate::definition::{DefinitionKind, WorkflowDefinition};
use crate::store::files::RunFiles;
use crate::store::reruns::Fork;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;

/// What to rerun.
#[derive(Debug, Default, Clone)]
pub struct RerunRequest {
    /// The step (its id, e.g. `build`, or its row id) to run for real from; None runs every step.
    pub from_step: Option<String>,
    /// New arguments (the whole object); None keeps the original's.
    pub args: Option<Value>,
    pub user_id: Option<String>,
    /// The process asking drives the rerun itself (a terminal): see `NewRunSpec::driven_here`.
    pub driven_here: bool,
}

/// A rerun, recorded and ready to drive.
pub struct Rerun {
    pub run: RunRow,
    pub prepared: Prepared,
    /// The step ids whose results it reuses, in step order.
    pub reused: Vec<String>,
    /// What a person should know (the definition changed since the original); also the
    /// new run's `warnings`.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RerunError {
    #[error("run {0} not found")]
    NotFound(String),
    /// `from_step_id` names no step of the run.
    #[error("from_step_id: run {run} has no step \"{step}\" (its steps: {known})")]
    NoSuchStep { run: String, step: String, known: String },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<crate::store::StoreError> for RerunError {
    fn from(e: crate::store::StoreError) -> RerunError {
        RerunError::Engine(e.into())
    }
}

impl Engine {
    /// Records a rerun of `parent_id` (see the module's comment). The caller drives it.
    pub async fn rerun(&self, parent_id: &str, request: RerunRequest) -> Result<Rerun, RerunError> {
        let store = self.store();
        let parent = RunRow::get(store, parent_id)
            .await?
            .ok_or_else(|| RerunError::NotFound(parent_id.to_string()))?;
        let place = self.run_place(&parent).await?;
        let from = match request.from_step.as_deref() {
            Some(step) => Some(find_step(store, &parent.id, step).await?),
            None => None,
        };
        let mut prepared = self.prepare(Path::new(&place.definition.path), &place.project).await?;
        let args = match request.args {
            Some(args) => args,
            None => serde_json::from_str(&parent.args).unwrap_or_else(|_| serde_json::json!({})),
        };
        let args = self.check_args(&mut prepared, args).await?;
        let parent_files = RunFiles::new(&place.project, &parent.id);
        let notes = changed_notes(&parent_files, &parent.id, &prepared.definition);
        let fork = Fork {
            parent_run_id: &parent.id,
            from_step: from.as_ref().map(|s| s.step_id.as_str()),
            copy_before: from.as_ref().map(|s| s.step_index),
            warnings: &notes,
        };
        // The parent's workspace settings (a worktree of its own, or none), whatever the
        // definition says now.
        let mut workspace = self.parent_workspace(&parent.id).await?;
        // From a step: the worktree starts as it was before that step (`rerun_restore`).
        let mut start_files = None;
        if let Some(from) = &from {
            if let Some((commit, files)) = self.restore_point(&parent.id, from).await? {
                workspace.base = Some(commit);
                start_files = files;
            }
        }
        let spec = NewRunSpec {
            name: Some(&parent.name),
            timeout_ms: parent.timeout_ms.map(|t| t as u64),
            user_id: request.user_id.as_deref(),
            budget: None,
            workspace: Some(&workspace),
            driven_here: request.driven_here,
        };
        let definition = prepared.definition.clone();
        let (run, reused) = self
            .create_run_from(&definition, &place.project, args, spec, Some((fork, &place.project)))
            .await?;
        if let Some(files) = &start_files {
            crate::store::workspaces::WorkspaceRow::set_start_commit(store, &run.id, files).await?;
        }
        tracing::info!(run = %run.id, parent = %parent.id, reused = reused.len(), "rerun recorded");
        Ok(Rerun {
            run,
            prepared,
            reused: reused.into_iter().map(|s| s.step_id).collect(),
            notes,
        })
    }
}

/// The step `step` of the run: by its id, or by its row id.
async fn find_step(store: &crate::store::Store, run_id: &str, step: &str) -> Result<StepRow, RerunError> {
    if let Some(found) = StepRow::find_in_run(store, run_id, step).await? {
        return Ok(found);
    }
    let steps = StepRow::list_for_run(store, run_id).await?;
    let mut known: Vec<&str> = steps.iter().map(|s| s.step_id.as_str()).collect();
    known.truncate(20);
    Err(RerunError::NoSuchStep {
        run: run_id.to_string(),
        step: step.to_string(),
        known: if known.is_empty() {
            "none recorded".into()
        } else {
            known.join(", ")
        },
    })
}

/// Whether the definition changed since the original ran it, in words (empty: it did not).
fn changed_notes(parent: &RunFiles, parent_id: &str, now: &WorkflowDefinition) -> Vec<String> {
    let changed = match now.kind {
        DefinitionKind::Code => super::source::differs_from_parent(parent, &now.sources).map(|files| files.join(", ")),
        DefinitionKind::Yaml => parent
            .read_definition::<WorkflowDefinition>()
            .filter(|then| then != now)
            .map(|_| now.path.display().to_string()),
    };
    changed
        .map(|what| {
            format!(
                "the workflow changed since run {parent_id} ran it ({what}): this run uses the current version; \
                 the version run {parent_id} ran is kept in its folder"
            )
        })
        .into_iter()
        .collect()
}
