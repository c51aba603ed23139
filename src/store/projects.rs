//! `projects`: directories whose `.agent/workflows/` the engine reads and writes.

use std::path::Path;

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub path: String,
    pub owner_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
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
        sqlx::query(
            "INSERT INTO projects (id, name, path, owner_id, created_at, updated_at)
             VALUES (?, ?, ?, NULL, ?, ?) ON CONFLICT (path) DO NOTHING",
        )
        .bind(new_id())
        .bind(&name)
        .bind(path_str.as_ref())
        .bind(&ts)
        .bind(&ts)
        .execute(&store.pool)
        .await?;
        Ok(Self::by_path(store, &path_str)
            .await?
            .expect("project row just inserted"))
    }

    pub async fn by_path(store: &Store, path: &str) -> Result<Option<ProjectRow>> {
        Ok(sqlx::query_as("SELECT * FROM projects WHERE path = ?")
            .bind(path)
            .fetch_optional(&store.pool)
            .await?)
    }

    pub async fn get(store: &Store, id: &str) -> Result<Option<ProjectRow>> {
        Ok(sqlx::query_as("SELECT * FROM projects WHERE id = ?")
            .bind(id)
            .fetch_optional(&store.pool)
            .await?)
    }
}
