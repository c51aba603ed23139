//! What a drive that was not handed its definition loads before it resumes a run: the
//! definition (YAML from the run's snapshot, TypeScript from its file), and the run's
//! `definition.json` and `args.json` if a kill right after its creation left them unwritten.

use std::path::Path;

use serde_json::Value;

use super::{outbox, Engine, EngineError, Prepared};
use crate::definition::{DefinitionKind, WorkflowDefinition};
use crate::store::definitions::DefinitionRow;
use crate::store::files::RunFiles;
use crate::store::runs::RunRow;

impl Engine {
    /// A run killed right after it was created may lack `definition.json` and `args.json`
    /// (the outbox writes them after the row): a resume writes them again, from the row's
    /// arguments and the definition it runs.
    pub(super) fn repair_snapshot(&self, run: &RunRow, project: &Path, definition: &WorkflowDefinition) {
        let files = RunFiles::new(project, &run.id);
        if let Err(e) = files.tighten() {
            tracing::warn!(run = %run.id, error = %e, "cannot make the run's folder private (0700)");
        }
        if files.has_snapshot() {
            return;
        }
        let (Ok(snapshot), Ok(args)) = (
            serde_json::to_value(definition),
            serde_json::from_str::<Value>(&run.args),
        ) else {
            return;
        };
        tracing::info!(run = %run.id, "rewriting the run's definition.json and args.json");
        let failure = outbox::WriteFailure::default();
        self.outbox()
            .write(&failure, move || files.write_snapshot(&snapshot, &args));
    }

    /// YAML resumes from its snapshot (the steps the run started with); TypeScript reloads
    /// the file, since its code is not snapshotted.
    pub(super) async fn prepare_for_resume(&self, run: &RunRow, project: &Path) -> Result<Prepared, EngineError> {
        let row = DefinitionRow::get(self.store(), &run.workflow_definition_id)
            .await?
            .ok_or_else(|| EngineError::RunNotFound(run.id.clone()))?;
        if row.kind == DefinitionKind::Yaml {
            if let Some(definition) = RunFiles::new(project, &run.id).read_definition() {
                return Ok(Prepared {
                    definition,
                    child: None,
                });
            }
        }
        self.prepare(Path::new(&row.path), project).await
    }
}
