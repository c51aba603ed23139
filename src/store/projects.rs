//! `projects`: directories whose `.agent/workflows/` the engine reads and writes.
//!
//! Who may see a project: its owner, an admin, and the users of `project_members`. Nothing
//! writes that table yet (no route shares a project), so it is read and kept as the schema
//! has it, for the sharing the schema was made for.
//!
//! A project may require node labels (`node_labels`): on PostgreSQL only a node started
//! with every one of them (`serve --node-labels`) takes its runs (`engine::cluster`).

use std::path::Path;

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};

/// A project: a directory a user works in.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = Project)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub path: String,
    pub owner_id: Option<String>,
    /// The labels a node must have (every one) to drive the project's runs; `[]`: any node
    /// that has the project's folder.
    #[sqlx(try_from = "String")]
    #[schema(value_type = Vec<String>)]
    pub node_labels: NodeLabels,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Node labels, stored as a JSON array.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NodeLabels(pub Vec<String>);

impl TryFrom<String> for NodeLabels {
    type Error = serde_json::Error;
    fn try_from(text: String) -> std::result::Result<Self, Self::Error> {
        serde_json::from_str(&text).map(NodeLabels)
    }
}

impl NodeLabels {
    /// Whether a node with `labels` has every one of these.
    pub fn met_by(&self, labels: &[String]) -> bool {
        self.0.iter().all(|l| labels.contains(l))
    }

    fn to_json(labels: &[String]) -> String {
        serde_json::to_string(labels).expect("strings serialise")
    }
}

/// The most labels a project may require.
pub const MAX_NODE_LABELS: usize = 16;

/// Whether `label` may be a node label: 1 to 64 of `A-Z a-z 0-9 . _ - :`.
pub fn check_node_label(label: &str) -> std::result::Result<(), String> {
    if label.is_empty() || label.len() > 64 {
        return Err("a node label is 1 to 64 characters".into());
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')))
    {
        return Err(format!(
            "a node label has only letters, digits, '.', '_', '-' and ':' (not {c:?})"
        ));
    }
    Ok(())
}

/// Checks the labels a project requires, naming the one at fault (`node_labels[2]: ...`).
pub fn check_node_labels(field: &str, labels: &[String]) -> std::result::Result<(), String> {
    if labels.len() > MAX_NODE_LABELS {
        return Err(format!("{field}: at most {MAX_NODE_LABELS} labels"));
    }
    for (i, label) in labels.iter().enumerate() {
        check_node_label(label).map_err(|e| format!("{field}[{i}]: {e}"))?;
        if labels[..i].contains(label) {
            return Err(format!("{field}[{i}]: {label:?} is listed twice"));
        }
    }
    Ok(())
}

impl ProjectRow {
    /// The project for `path` (absolute), created on first sight with the folder's name.
    pub async fn ensure(store: &Store, path: &Path) -> Result<ProjectRow> {
        let path_str = path.to_string_lossy();
        if let Some(row) = Self::by_path(store, &path_str).await? {
            return Ok(row);
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "/".into());
        let ts = now();
        on_db!(
            store,
            "INSERT INTO projects (id, name, path, owner_id, created_at, updated_at)
             VALUES (?, ?, ?, NULL, ?, ?) ON CONFLICT (path) DO NOTHING",
            |pool, sql| sqlx::query(sql)
                .bind(new_id())
                .bind(&name)
                .bind(path_str.as_ref())
                .bind(&ts)
                .bind(&ts)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )?;
        Ok(Self::by_path(store, &path_str)
            .await?
            .expect("project row just inserted"))
    }

    pub async fn by_path(store: &Store, path: &str) -> Result<Option<ProjectRow>> {
        Ok(on_db!(store, "SELECT * FROM projects WHERE path = ?", |pool, sql| {
            sqlx::query_as(sql).bind(path).fetch_optional(pool).await
        })?)
    }

    pub async fn get(store: &Store, id: &str) -> Result<Option<ProjectRow>> {
        Ok(on_db!(store, "SELECT * FROM projects WHERE id = ?", |pool, sql| {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        })?)
    }

    /// Registers a directory for a user. A directory first seen by the CLI (no owner) is
    /// taken over by the first user who adds it.
    /// `node_labels` None keeps those of a project registered again (none for a new one).
    pub async fn add_for_user(
        store: &Store,
        path: &Path,
        name: &str,
        user_id: &str,
        node_labels: Option<&[String]>,
    ) -> Result<Option<ProjectRow>> {
        let ts = now();
        let labels = node_labels.map(NodeLabels::to_json);
        Ok(on_db!(
            store,
            "INSERT INTO projects (id, name, path, owner_id, created_at, updated_at, node_labels)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, COALESCE(?6, '[]'))
             ON CONFLICT (path) DO UPDATE SET owner_id = excluded.owner_id, name = excluded.name,
                 updated_at = excluded.updated_at, node_labels = COALESCE(?6, projects.node_labels)
             WHERE projects.owner_id IS NULL OR projects.owner_id = excluded.owner_id
             RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(new_id())
                .bind(name)
                .bind(path.to_string_lossy().as_ref())
                .bind(user_id)
                .bind(&ts)
                .bind(labels)
                .fetch_all(pool)
                .await
        )
        .map(super::first_row)?)
    }

    /// Sets the node labels project `id` requires; None for no such project.
    pub async fn set_node_labels(store: &Store, id: &str, labels: &[String]) -> Result<Option<ProjectRow>> {
        Ok(on_db!(
            store,
            "UPDATE projects SET node_labels = ?, updated_at = ? WHERE id = ? RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(NodeLabels::to_json(labels))
                .bind(now())
                .bind(id)
                .fetch_all(pool)
                .await
        )
        .map(super::first_row)?)
    }

    /// Projects a user may see: owned, shared with them, or all for an admin.
    pub async fn list_visible(store: &Store, user_id: &str, is_admin: bool) -> Result<Vec<ProjectRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM projects WHERE ? OR owner_id = ?
                OR id IN (SELECT project_id FROM project_members WHERE user_id = ?)
             ORDER BY name, id",
            |pool, sql| sqlx::query_as(sql)
                .bind(is_admin)
                .bind(user_id)
                .bind(user_id)
                .fetch_all(pool)
                .await
        )?)
    }

    /// The project, if the user may see it.
    pub async fn get_visible(store: &Store, id: &str, user_id: &str, is_admin: bool) -> Result<Option<ProjectRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM projects WHERE id = ? AND (? OR owner_id = ?
                OR id IN (SELECT project_id FROM project_members WHERE user_id = ?))",
            |pool, sql| sqlx::query_as(sql)
                .bind(id)
                .bind(is_admin)
                .bind(user_id)
                .bind(user_id)
                .fetch_optional(pool)
                .await
        )?)
    }

    pub async fn list_all(store: &Store) -> Result<Vec<ProjectRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM projects ORDER BY name, id",
            |pool, sql| sqlx::query_as(sql).fetch_all(pool).await
        )?)
    }
}
