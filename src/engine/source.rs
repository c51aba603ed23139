//! Definitions that change under a run. A TypeScript run keeps the source it started with
//! (`store::files::SourceManifest`); before it is driven again, the files are compared with
//! it. A change refuses the resume (`ControlError::SourceChanged`, or `EngineError::SourceChanged`
//! for a drive nobody asked for, such as a wake after a decision) unless a person accepts the
//! current code (`resume --use-current`): then a warning is recorded on the run and the
//! current source becomes the manifest's next version. A YAML run replays the
//! `definition.json` it started with, and says so.

use std::path::{Path, PathBuf};

use super::{Engine, EngineError};
use crate::definition::source::{changes_since, SourceChange, SourceFile};
use crate::definition::{DefinitionKind, WorkflowDefinition};
use crate::store::definitions::DefinitionRow;
use crate::store::files::RunFiles;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;

/// What resuming a run will run.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceCheck {
    /// A TypeScript run whose recorded source is what the files hold now (or, for a run
    /// recorded before sources were kept, nothing to compare).
    Unchanged,
    /// A TypeScript run whose files changed since it recorded them.
    Changed(Vec<SourceChange>),
    /// A YAML run: it replays its `definition.json`; `file_changed` when the file now says
    /// something else (or no longer parses).
    Yaml { file_changed: bool },
}

/// Where a run's definition and folder are.
pub(super) struct RunPlace {
    pub project: PathBuf,
    pub definition: DefinitionRow,
}

impl Engine {
    pub(super) async fn run_place(&self, run: &RunRow) -> Result<RunPlace, EngineError> {
        let store = self.store();
        let project = ProjectRow::get(store, &run.project_id)
            .await?
            .ok_or_else(|| EngineError::RunNotFound(run.id.clone()))?;
        let definition = DefinitionRow::get(store, &run.workflow_definition_id)
            .await?
            .ok_or_else(|| EngineError::RunNotFound(run.id.clone()))?;
        Ok(RunPlace {
            project: PathBuf::from(project.path),
            definition,
        })
    }

    /// Compares what the run recorded with the workflow's files now.
    pub async fn check_source(&self, run: &RunRow) -> Result<SourceCheck, EngineError> {
        let place = self.run_place(run).await?;
        self.check_source_at(run, &place).await
    }

    /// `check_source` for a run whose place is known.
    pub(super) async fn check_source_at(&self, run: &RunRow, place: &RunPlace) -> Result<SourceCheck, EngineError> {
        let files = RunFiles::new(&place.project, &run.id);
        if place.definition.kind == DefinitionKind::Yaml {
            let path = PathBuf::from(&place.definition.path);
            let file_changed = tokio::task::spawn_blocking(move || yaml_changed(&files, &path))
                .await
                .map_err(std::io::Error::other)?;
            return Ok(SourceCheck::Yaml { file_changed });
        }
        let changes = tokio::task::spawn_blocking(move || {
            files
                .read_source_manifest()
                .map(|m| changes_since(&m.files.into_iter().map(|e| e.file).collect::<Vec<_>>()))
                .unwrap_or_default()
        })
        .await
        .map_err(std::io::Error::other)?;
        Ok(match changes.is_empty() {
            true => SourceCheck::Unchanged,
            false => SourceCheck::Changed(changes),
        })
    }

    /// A person resumes a changed TypeScript run with its current code: the files are loaded
    /// (as the drive will load them), recorded as the source's next version, and a warning
    /// naming the changed files is recorded on the run.
    pub(super) async fn accept_current_source(
        &self,
        run: &RunRow,
        changes: &[SourceChange],
    ) -> Result<String, EngineError> {
        let place = self.run_place(run).await?;
        let prepared = self.prepare(Path::new(&place.definition.path), &place.project).await?;
        let files = RunFiles::new(&place.project, &run.id);
        let version = files.read_source_manifest().map_or(1, |m| m.version + 1);
        let sources = prepared.definition.sources.clone();
        drop(prepared);
        tokio::task::spawn_blocking(move || files.write_source(version, &sources))
            .await
            .map_err(std::io::Error::other)??;
        let warning = format!(
            "resumed with the workflow's current code (--use-current), which changed since the run started: {}; \
             the results of the steps it completed before were handed to the new code (source version {version})",
            list(changes)
        );
        RunRow::add_warning(self.store(), &run.id, &warning).await?;
        Ok(warning)
    }

    /// Before a run that has already run is driven again: a TypeScript run whose files
    /// changed is not (the caller fails it with this error's message).
    pub(super) async fn refuse_changed_source(&self, run: &RunRow) -> Result<(), EngineError> {
        if run.started_at.is_none() && run.current_step_index == 0 {
            return Ok(());
        }
        // A YAML run replays its snapshot: there is nothing to refuse (nor files to read).
        let place = self.run_place(run).await?;
        if place.definition.kind == DefinitionKind::Yaml {
            return Ok(());
        }
        match self.check_source_at(run, &place).await? {
            SourceCheck::Changed(changes) => Err(EngineError::SourceChanged {
                id: run.id.clone(),
                changes,
            }),
            _ => Ok(()),
        }
    }
}

impl Engine {
    /// Records a run that was not driven because of `e` as failed with its message (unless
    /// a live engine drives it); returns `e`.
    pub(super) async fn fail_unstarted(&self, run: &RunRow, e: EngineError) -> EngineError {
        if run.status == crate::domain::RunStatus::Running && !super::control::engine_gone(run) {
            return e;
        }
        let failed = RunRow::finish(
            self.store(),
            &run.id,
            crate::domain::RunStatus::Failed,
            Some(&e.to_string()),
        )
        .await;
        match failed {
            Ok(row) => self.announce_status(&row).await,
            Err(store) => tracing::warn!(run = %run.id, error = %store, "cannot record the run as failed"),
        }
        e
    }
}

/// The sources a rerun runs that differ from the parent's: None when the same (or the
/// parent recorded none).
pub(super) fn differs_from_parent(parent: &RunFiles, now: &[SourceFile]) -> Option<Vec<String>> {
    let recorded = parent.read_source_manifest()?;
    let mut differ: Vec<String> = Vec::new();
    for entry in &recorded.files {
        match now.iter().find(|f| f.path == entry.file.path) {
            Some(f) if f.sha256 == entry.file.sha256 => {}
            Some(_) => differ.push(format!("{} (changed)", entry.file.path.display())),
            None => differ.push(format!("{} (no longer loaded)", entry.file.path.display())),
        }
    }
    for f in now {
        if !recorded.files.iter().any(|e| e.file.path == f.path) {
            differ.push(format!("{} (new)", f.path.display()));
        }
    }
    (!differ.is_empty()).then_some(differ)
}

/// Whether a YAML run's file says something other than its `definition.json`.
fn yaml_changed(files: &RunFiles, path: &Path) -> bool {
    let Some(snapshot) = files.read_definition::<WorkflowDefinition>() else {
        return false;
    };
    match crate::definition::yaml::read_yaml(path) {
        Ok(now) => now != snapshot,
        Err(_) => true,
    }
}

/// The changes in one line.
pub fn list(changes: &[SourceChange]) -> String {
    changes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// What a YAML run says when it is resumed.
pub fn yaml_note(run_id: &str, file_changed: bool) -> String {
    let changed = if file_changed {
        format!(
            "; the file has changed since, and those changes are not used (to use them, run it again: \
             `workflow-engine rerun {run_id}`)"
        )
    } else {
        String::new()
    };
    format!("run {run_id} is a YAML workflow: it resumes with the definition it started with (definition.json in its folder){changed}")
}

/// Why a changed TypeScript run is not resumed, and what a person can do.
pub fn changed_message(run_id: &str, changes: &[SourceChange]) -> String {
    let files: String = changes.iter().map(|c| format!("\n  - {c}")).collect();
    format!(
        "the workflow's source changed since run {run_id} recorded it:{files}\n\
         its completed steps' results were produced by the old code. Choose:\n  \
         - resume it with the current code: `workflow-engine resume {run_id} --use-current` \
         (a warning is recorded on the run), or\n  \
         - start a new run of the current code from a chosen step, reusing the results before it: \
         `workflow-engine rerun {run_id} --from STEP`"
    )
}
