//! `workflow_definitions`: one row per workflow file, refreshed whenever the file is read.

use std::path::Path;

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};
use crate::definition::{DefinitionKind, WorkflowDefinition};

/// Where a project keeps its templates.
pub const DEFINITIONS_DIR: &str = ".agent/workflows/definitions";

/// Whether `file` is one of the templates of the project at `project`: a file directly in its
/// definitions folder (the folder discovery reads). A file run from anywhere else is only its
/// runs' definition. Both sides are resolved, since either may be written through a symlink.
pub fn is_template_path(file: &Path, project: &Path) -> bool {
    let resolve = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let dir = resolve(&project.join(DEFINITIONS_DIR));
    file.parent().is_some_and(|parent| resolve(parent) == dir)
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct DefinitionRow {
    pub id: String,
    pub project_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: DefinitionKind,
    pub path: String,
    pub phases: String,
    pub args_schema: Option<String>,
    pub load_error: Option<String>,
    pub is_template: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl DefinitionRow {
    /// Inserts or refreshes the row for the definition's file; returns its id. `is_template`
    /// says whether the project's templates include it (`is_template_path`).
    pub async fn upsert(
        store: &Store,
        def: &WorkflowDefinition,
        project_id: &str,
        is_template: bool,
    ) -> Result<String> {
        let ts = now();
        let phases = serde_json::to_string(&def.phases).expect("phases serialise");
        let schema = def.args_schema.as_ref().map(|s| s.to_string());
        let id: (String,) = sqlx::query_as(
            "INSERT INTO workflow_definitions
                 (id, project_id, name, description, type, path, phases, args_schema, load_error,
                  is_template, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)
             ON CONFLICT (path) DO UPDATE SET
                 project_id = excluded.project_id, name = excluded.name,
                 description = excluded.description, type = excluded.type,
                 phases = excluded.phases, args_schema = excluded.args_schema,
                 load_error = NULL, is_template = excluded.is_template,
                 updated_at = excluded.updated_at
             RETURNING id",
        )
        .bind(new_id())
        .bind(project_id)
        .bind(&def.name)
        .bind(&def.description)
        .bind(def.kind.as_str())
        .bind(def.path.to_string_lossy().as_ref())
        .bind(phases)
        .bind(schema)
        .bind(is_template)
        .bind(&ts)
        .bind(&ts)
        .fetch_all(&store.pool)
        .await
        .map_err(super::StoreError::from)
        .and_then(super::only_row)?;
        Ok(id.0)
    }

    pub async fn get(store: &Store, id: &str) -> Result<Option<DefinitionRow>> {
        Ok(sqlx::query_as("SELECT * FROM workflow_definitions WHERE id = ?")
            .bind(id)
            .fetch_optional(&store.pool)
            .await?)
    }
}
