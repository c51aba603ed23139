//! `revoked_tokens`: tokens signed out before they expire, by their `jti`; and the per-user
//! token generation that revokes all of a user's tokens at once.

use super::users::UserRow;
use super::{now, Result, Store};

/// Records the token as revoked until `expires_at` (RFC 3339), and forgets the revoked tokens
/// that have expired since: an expired token is refused anyway.
pub async fn revoke(store: &Store, jti: &str, user_id: &str, expires_at: &str) -> Result<()> {
    let ts = now();
    on_db!(store, "DELETE FROM revoked_tokens WHERE expires_at < ?", |pool, sql| {
        sqlx::query(sql)
            .bind(&ts)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    on_db!(
        store,
        "INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (jti) DO NOTHING",
        |pool, sql| sqlx::query(sql)
            .bind(jti)
            .bind(user_id)
            .bind(expires_at)
            .bind(&ts)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// Makes every token issued to the user so far invalid (they carry the old generation).
pub async fn revoke_all(store: &Store, user_id: &str) -> Result<()> {
    on_db!(
        store,
        "UPDATE users SET token_generation = token_generation + 1, updated_at = ? WHERE id = ?",
        |pool, sql| sqlx::query(sql)
            .bind(now())
            .bind(user_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// A token's user, and whether that token was revoked by its `jti`: one query per request.
pub async fn user_for_token(store: &Store, user_id: &str, jti: &str) -> Result<Option<(UserRow, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        revoked: bool,
    }
    let row: Option<Row> = on_read!(
        store,
        "SELECT u.*, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?) AS revoked
         FROM users u WHERE u.id = ?",
        |pool, sql| sqlx::query_as(sql).bind(jti).bind(user_id).fetch_optional(pool).await
    )?;
    Ok(row.map(|r| (r.user, r.revoked)))
}
