//! `projects`: directories whose `.agent/workflows/` the engine reads and writes.
//!
//! Who may see a project: its owner, an admin, and the users of `project_members`. Nothing
//! writes that table yet (no route shares a project), so it is read and kept as the schema
//! has it, for the sharing the schema was made for.

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
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
    pub async fn add_for_user(store: &Store, path: &Path, name: &str, user_id: &str) -> Result<Option<ProjectRow>> {
        let ts = now();
        Ok(on_db!(
            store,
            "INSERT INTO projects (id, name, path, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (path) DO UPDATE SET owner_id = excluded.owner_id, name = excluded.name,
                 updated_at = excluded.updated_at
             WHERE projects.owner_id IS NULL OR projects.owner_id = excluded.owner_id
             RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(new_id())
                .bind(name)
                .bind(path.to_string_lossy().as_ref())
                .bind(user_id)
                .bind(&ts)
                .bind(&ts)
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
