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
    /// The file's `workspace:` settings as JSON; None when it has none.
    pub workspace: Option<String>,
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
        let workspace = def.workspace.as_ref().and_then(|w| serde_json::to_string(w).ok());
        let id: (String,) = on_db!(
            store,
            "INSERT INTO workflow_definitions
                 (id, project_id, name, description, type, path, phases, args_schema, load_error,
                  is_template, created_at, updated_at, workspace)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)
             ON CONFLICT (path) DO UPDATE SET
                 project_id = excluded.project_id, name = excluded.name,
                 description = excluded.description, type = excluded.type,
                 phases = excluded.phases, args_schema = excluded.args_schema,
                 load_error = NULL, is_template = excluded.is_template,
                 updated_at = excluded.updated_at, workspace = excluded.workspace
             RETURNING id",
            |pool, sql| sqlx::query_as(sql)
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
                .bind(workspace)
                .fetch_all(pool)
                .await
        )
        .map_err(super::StoreError::from)
        .and_then(super::only_row)?;
        Ok(id.0)
    }

    pub async fn get(store: &Store, id: &str) -> Result<Option<DefinitionRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_definitions WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?)
    }

    /// The templates of these projects, by name.
    pub async fn list_templates(store: &Store, project_ids: &[String]) -> Result<Vec<DefinitionRow>> {
        Ok(on_read!(
            store,
            "SELECT * FROM workflow_definitions WHERE is_template AND project_id IN (SELECT value FROM json_each(?))
             ORDER BY name, path",
            |pool, sql| sqlx::query_as(sql)
                .bind(serde_json::to_string(project_ids).expect("ids serialise"))
                .fetch_all(pool)
                .await
        )?)
    }

    /// The definitions of these runs, each once.
    pub async fn list_for_runs(store: &Store, run_ids: &[&str]) -> Result<Vec<DefinitionRow>> {
        Ok(on_read!(store, "SELECT * FROM workflow_definitions WHERE id IN
                (SELECT DISTINCT workflow_definition_id FROM workflow_runs WHERE id IN (SELECT value FROM json_each(?)))", |pool, sql| sqlx::query_as(sql)
        .bind(serde_json::to_string(run_ids).expect("ids serialise"))
        .fetch_all(pool).await)?)
    }

    /// Records that the file at `f.path` does not load: a new row with no phases, or the
    /// error set on the row it has (which keeps what it had loaded before).
    pub async fn record_load_error(store: &Store, f: &LoadFailure<'_>) -> Result<()> {
        let ts = now();
        on_db!(store, "INSERT INTO workflow_definitions (id, project_id, name, type, path, phases, load_error, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, '[]', ?, ?, ?)
             ON CONFLICT (path) DO UPDATE SET load_error = excluded.load_error, updated_at = excluded.updated_at", |pool, sql| sqlx::query(sql)
        .bind(new_id())
        .bind(f.project_id)
        .bind(f.name)
        .bind(f.kind)
        .bind(f.path)
        .bind(f.error)
        .bind(&ts)
        .bind(&ts)
        .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Rows of the project's files under `dir_prefix` that are not in `present`: deleted
    /// when no run uses them, else given `load_error` (the file is gone, its runs stay).
    pub async fn forget_missing(
        store: &Store,
        project_id: &str,
        dir_prefix: &str,
        present: &[String],
        load_error: &str,
    ) -> Result<()> {
        let present = serde_json::to_string(present).expect("paths serialise");
        on_db!(
            store,
            "DELETE FROM workflow_definitions WHERE project_id = ? AND substr(path, 1, length(?)) = ?
               AND path NOT IN (SELECT value FROM json_each(?))
               AND id NOT IN (SELECT workflow_definition_id FROM workflow_runs)",
            |pool, sql| sqlx::query(sql)
                .bind(project_id)
                .bind(dir_prefix)
                .bind(dir_prefix)
                .bind(&present)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        on_db!(
            store,
            "UPDATE workflow_definitions SET load_error = ? WHERE project_id = ? AND substr(path, 1, length(?)) = ?
               AND path NOT IN (SELECT value FROM json_each(?))",
            |pool, sql| sqlx::query(sql)
                .bind(load_error)
                .bind(project_id)
                .bind(dir_prefix)
                .bind(dir_prefix)
                .bind(&present)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        Ok(())
    }
}

/// A workflow file that does not load, as its row records it.
pub struct LoadFailure<'a> {
    pub project_id: &'a str,
    /// The file's stem: the name a file that never loaded is listed under.
    pub name: &'a str,
    /// Known from the file's extension.
    pub kind: DefinitionKind,
    pub path: &'a str,
    /// `{"message": ..., "errors": [...]}` as JSON text.
    pub error: &'a str,
}
