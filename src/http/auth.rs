//! Sign-in: argon2 password hashes and HS256 JWTs. Every `/api` route but login takes
//! `Authorization: Bearer <jwt>` (the WebSocket also `?token=`).

use std::path::Path;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::throttle::LoginThrottle;
use super::AppState;
use crate::store::users::UserRow;

/// How long a token stays valid.
pub const TOKEN_TTL_SECS: i64 = 7 * 24 * 3600;
/// File in the data directory that keeps the generated secret when `JWT_SECRET` is unset.
pub const SECRET_FILE: &str = "jwt-secret";

#[derive(Clone)]
pub struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Shared by every clone: the failed sign-ins the server remembers.
    pub throttle: Arc<LoginThrottle>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: String,
    iat: i64,
    exp: i64,
}

impl Auth {
    /// `JWT_SECRET` if set, else a secret generated once and kept in the data directory.
    pub fn load(data_dir: &Path) -> std::io::Result<Auth> {
        let secret = match std::env::var("JWT_SECRET").ok().filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => {
                let path = data_dir.join(SECRET_FILE);
                match std::fs::read_to_string(&path) {
                    Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
                    _ => {
                        let mut bytes = [0u8; 32];
                        getrandom(&mut bytes)?;
                        let s: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                        std::fs::create_dir_all(data_dir)?;
                        write_private(&path, &s)?;
                        s
                    }
                }
            }
        };
        Ok(Auth {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            throttle: Arc::default(),
        })
    }

    pub fn token_for(&self, user: &UserRow) -> String {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.id.clone(),
            email: user.email.clone(),
            iat,
            exp: iat + TOKEN_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::default(), &claims, &self.encoding).expect("HS256 encoding cannot fail")
    }

    fn user_id(&self, token: &str) -> Result<String, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &Validation::default())
            .map(|d| d.claims.sub)
            .map_err(|e| ApiError::Unauthorized(format!("invalid token: {e}")))
    }
}

fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// The signed-in user, from the bearer token (or `?token=` for the WebSocket).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserRow);

impl CurrentUser {
    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub fn is_admin(&self) -> bool {
        self.0.is_admin
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = match header {
            Some(h) => h
                .strip_prefix("Bearer ")
                .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?
                .to_string(),
            None => query_token(parts.uri.query())
                .ok_or_else(|| ApiError::Unauthorized("sign in first: send Authorization: Bearer <token>".into()))?,
        };
        let id = state.auth.user_id(&token)?;
        let user = UserRow::get(state.engine.store(), &id)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the token's user no longer exists".into()))?;
        Ok(CurrentUser(user))
    }
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .map(str::to_string)
}
