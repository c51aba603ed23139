//! Recording a new run: its arguments checked, its row inserted (a rerun's with its parent
//! and the memo it reuses, `store::reruns`), and its folder's snapshots written by the
//! outbox: `definition.json`, `args.json`, and a TypeScript run's source (`source/`). A run
//! given no name is named by its definition's `runName` (`run_name`, `definition::run_name`).

use std::path::Path;

use serde_json::Value;

use super::{outbox, secrets, Engine, EngineError, Prepared};
use crate::definition::budget::Budget;
use crate::definition::run_name::{self, RunNameRule};
use crate::definition::workspace::WorkspaceSpec;
use crate::definition::{self, WorkflowDefinition};
use crate::events::Event;
use crate::store::definitions::{is_template_path, DefinitionRow};
use crate::store::files::RunFiles;
use crate::store::projects::ProjectRow;
use crate::store::reruns::Fork;
use crate::store::runs::{NewRun, RunRow};
use crate::store::steps::StepRow;

impl Engine {
    /// The name a run of `args` gets when none is given: the definition's `runName` template
    /// rendered, or its TypeScript function called by the prepared worker, or the workflow's
    /// name. A template whose filter fails, or a function that throws or gives no name, is
    /// `InvalidArgs` naming `runName` (a name given explicitly skips this).
    pub async fn run_name(&self, prepared: &mut Prepared, args: &Value) -> Result<String, EngineError> {
        let definition = &prepared.definition;
        match definition.run_name_rule() {
            RunNameRule::WorkflowName => Ok(definition.name.clone()),
            RunNameRule::Template(t) => {
                run_name::render(definition, t, args).map_err(|e| EngineError::InvalidArgs(vec![e]))
            }
            RunNameRule::Function => {
                let Some(child) = prepared.child.as_mut() else {
                    return Ok(prepared.definition.name.clone());
                };
                match child.run_name(args).await.map_err(std::io::Error::other)? {
                    Ok(name) => Ok(run_name::tidy(&name).unwrap_or_else(|| prepared.definition.name.clone())),
                    Err(e) => Err(EngineError::InvalidArgs(vec![e])),
                }
            }
        }
    }

    /// Validates the arguments and records a new `pending` run with its snapshots.
    pub async fn create_run(
        &self,
        definition: &WorkflowDefinition,
        project: &Path,
        args: Value,
        name: Option<&str>,
        timeout_ms: Option<u64>,
        user_id: Option<&str>,
    ) -> Result<RunRow, EngineError> {
        let spec = NewRunSpec {
            name,
            timeout_ms,
            user_id,
            budget: None,
            workspace: None,
            driven_here: false,
        };
        self.create_run_with(definition, project, args, spec).await
    }

    /// `create_run` with everything a run may be given (a budget of its own, for one).
    pub async fn create_run_with(
        &self,
        definition: &WorkflowDefinition,
        project: &Path,
        args: Value,
        spec: NewRunSpec<'_>,
    ) -> Result<RunRow, EngineError> {
        let (run, _) = self.create_run_from(definition, project, args, spec, None).await?;
        Ok(run)
    }

    /// `create_run`, for a run started from another (`fork`): the parent's memo before the
    /// fork point is copied with its step folders. Returns the run and the steps it reuses.
    pub(super) async fn create_run_from(
        &self,
        definition: &WorkflowDefinition,
        project: &Path,
        args: Value,
        spec: NewRunSpec<'_>,
        fork: Option<(Fork<'_>, &Path)>,
    ) -> Result<(RunRow, Vec<StepRow>), EngineError> {
        let args = definition::schema::validate_args(definition.args_schema.as_ref(), args)
            .map_err(EngineError::InvalidArgs)?;
        if let Some(name) = spec.name {
            definition::names::check_name("name", name).map_err(EngineError::InvalidName)?;
        }
        let too_long = crate::subprocess::argv::check_yaml(&definition.steps, &args);
        if !too_long.is_empty() {
            return Err(EngineError::CommandTooLong(too_long));
        }
        let store = self.store();
        let project_row = ProjectRow::ensure(store, project).await?;
        secrets::check_known(store, &project_row.id, definition).await?;
        let is_template = is_template_path(&definition.path, Path::new(&project_row.path));
        let definition_id = DefinitionRow::upsert(store, definition, &project_row.id, is_template).await?;
        // Callers with a worker name the run first (`run_name`); a template needs none.
        let templated = match (spec.name, definition.run_name_rule()) {
            (None, RunNameRule::Template(t)) => {
                Some(run_name::render(definition, t, &args).map_err(|e| EngineError::InvalidArgs(vec![e]))?)
            }
            _ => None,
        };
        let concurrency = match &definition.concurrency {
            Some(c) => c
                .render(&args)
                .map_err(|e| EngineError::InvalidArgs(vec![e]))?
                .map(|key| (key, i64::from(c.limit))),
            None => None,
        };
        let workspace = match (&definition.workspace, spec.workspace) {
            (Some(d), Some(over)) => d.merged(over),
            (Some(d), None) => d.clone(),
            (None, Some(over)) => over.clone(),
            (None, None) => WorkspaceSpec::default(),
        };
        let name = spec.name.or(templated.as_deref()).unwrap_or(&definition.name);
        self.check_workspace(&workspace, name).await?;
        let lease_until = spec.driven_here.then(|| self.lease_until());
        let new = NewRun {
            project_id: &project_row.id,
            user_id: spec.user_id,
            definition_id: &definition_id,
            name,
            args: &args,
            first_phase: definition.phases.first().map(String::as_str),
            timeout_ms: spec.timeout_ms.or(definition.timeout_ms),
            // The run's own budget replaces the definition's.
            budget: spec
                .budget
                .or(definition.budget.filter(|b| !b.is_empty()))
                .and_then(|b| serde_json::to_string(&b).ok()),
            concurrency,
            held_by: lease_until.as_deref().map(|until| (self.owner(), until)),
        };
        let parent_project = fork
            .as_ref()
            .map(|(f, p)| (f.parent_run_id.to_string(), p.to_path_buf()));
        let (run, reused) = match fork {
            Some((fork, _)) => RunRow::create_rerun(store, new, fork).await?,
            None => (RunRow::create(store, new).await?, Vec::new()),
        };
        self.record_workspace(&run, project, &workspace).await?;
        // The snapshots are derived from the row (and the definition it points at): written by
        // the outbox like a step's files, before the event that announces the run.
        let files = RunFiles::new(project, &run.id);
        let snapshot = serde_json::to_value(definition).map_err(std::io::Error::other)?;
        let sources = definition.sources.clone();
        let copied: Vec<String> = reused.iter().map(|s| s.step_id.clone()).collect();
        let failure = outbox::WriteFailure::default();
        self.outbox().write(&failure, move || {
            files.write_snapshot(&snapshot, &args)?;
            if !sources.is_empty() {
                files.write_source(1, &sources)?;
            }
            match parent_project {
                Some((parent_id, parent_project)) if !copied.is_empty() => {
                    files.copy_steps_from(&RunFiles::new(&parent_project, &parent_id), &copied)
                }
                _ => Ok(()),
            }
        });
        self.outbox().emit(
            self.events(),
            Event::ExecutionCreated {
                execution_id: run.id.clone(),
                project_id: run.project_id.clone(),
                name: run.name.clone(),
                status: run.status,
                workflow_definition_id: run.workflow_definition_id.clone(),
                workflow_name: definition.name.clone(),
                phases: definition.phases.clone(),
                current_phase: run.current_phase.clone(),
            },
        );
        if !reused.is_empty() {
            // A reused result kept only in its file is read from the copy as the run starts.
            self.outbox().flush().await;
            if let Some(e) = failure.lock().expect("failure lock").take() {
                return Err(EngineError::Io(std::io::Error::other(format!(
                    "cannot copy the reused steps' files: {e}"
                ))));
            }
        }
        Ok((run, reused))
    }
}

/// What a new run is given besides its definition and arguments.
#[derive(Default, Clone, Copy)]
pub struct NewRunSpec<'a> {
    pub name: Option<&'a str>,
    pub timeout_ms: Option<u64>,
    pub user_id: Option<&'a str>,
    /// The run's own budget (the API's, `--budget`), instead of the definition's.
    pub budget: Option<Budget>,
    /// The run's own workspace settings (the API's, `--worktree`...), merged over the
    /// definition's.
    pub workspace: Option<&'a WorkspaceSpec>,
    /// This process drives the run itself (a terminal): it holds the run's lease from its
    /// creation (`NewRun::held_by`), so no server takes the `pending` run from it.
    pub driven_here: bool,
}
