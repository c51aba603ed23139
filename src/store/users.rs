//! `users`: who may sign in, with argon2 password hashes.

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};

/// A user, as the API shows one (never the password hash).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub is_admin: bool,
    /// Tokens carry it; `token revoke --email` bumps it, refusing every older token.
    #[serde(skip)]
    pub token_generation: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl UserRow {
    pub async fn create(
        store: &Store,
        email: &str,
        name: Option<&str>,
        password_hash: &str,
        is_admin: bool,
    ) -> Result<UserRow> {
        let ts = now();
        on_db!(
            store,
            "INSERT INTO users (id, email, name, password_hash, is_admin, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(new_id())
                .bind(email)
                .bind(name)
                .bind(password_hash)
                .bind(is_admin)
                .bind(&ts)
                .bind(&ts)
                .fetch_all(pool)
                .await
        )
        .map_err(super::StoreError::from)
        .and_then(super::only_row)
    }

    /// The user with this email, ignoring (ASCII) case, as the unique index does.
    pub async fn by_email(store: &Store, email: &str) -> Result<Option<UserRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM users WHERE lower(email) = lower(?)",
            |pool, sql| sqlx::query_as(sql).bind(email).fetch_optional(pool).await
        )?)
    }

    pub async fn get(store: &Store, id: &str) -> Result<Option<UserRow>> {
        Ok(on_db!(store, "SELECT * FROM users WHERE id = ?", |pool, sql| {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        })?)
    }
}
