//! Tokens: HS256 JWTs with an id (`jti`) and the user's token generation, so that one token
//! or all of a user's can be revoked. Every `/api` route but login takes
//! `Authorization: Bearer <jwt>`; only the WebSocket also takes `?token=`.

use std::path::Path;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::throttle::LoginThrottle;
use super::AppState;
use crate::store::revoked_tokens;
use crate::store::users::UserRow;
use crate::store::Store;

/// How long a token from `POST /api/auth/login` stays valid.
pub const TOKEN_TTL_SECS: u64 = 7 * 24 * 3600;
/// File in the data directory that keeps the generated secret when `JWT_SECRET` is unset.
pub const SECRET_FILE: &str = "jwt-secret";

#[derive(Clone)]
pub struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Signs artifact links (`artifact_links`): a key derived from the same secret.
    pub link_key: ring::hmac::Key,
    /// Shared by every clone: the failed sign-ins the server remembers.
    pub throttle: Arc<LoginThrottle>,
}

/// Leeway for clocks that disagree a little; `exp` and `nbf` are otherwise exact.
pub const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// The token's own id, for revoking it alone.
    pub jti: String,
    /// The user's token generation when it was issued (`revoked_tokens::revoke_all`).
    pub gen: i64,
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
            link_key: super::artifact_links::link_key(&secret),
            throttle: Arc::default(),
        })
    }

    /// A token for the user, valid for `ttl`.
    pub fn issue(&self, user: &UserRow, ttl: std::time::Duration) -> String {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.id.clone(),
            email: user.email.clone(),
            iat,
            nbf: iat,
            exp: iat + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            jti: crate::store::new_id(),
            gen: user.token_generation,
        };
        jsonwebtoken::encode(&Header::default(), &claims, &self.encoding).expect("HS256 encoding cannot fail")
    }

    /// A token from `POST /api/auth/login`.
    pub fn token_for(&self, user: &UserRow) -> String {
        self.issue(user, std::time::Duration::from_secs(TOKEN_TTL_SECS))
    }

    /// The claims of a token we signed that is valid now (within `LEEWAY_SECS`).
    pub fn decode(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "nbf", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).map(|d| d.claims)
    }

    /// The claims of a token we signed, expired or not: for revoking one.
    pub fn decode_signed(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.set_required_spec_claims(&["sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).map(|d| d.claims)
    }

    /// The token's user, unless the token is invalid, expired or revoked.
    pub async fn authenticate(&self, store: &Store, token: &str) -> Result<(UserRow, Claims), ApiError> {
        let claims = self.decode(token).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired".to_string(),
                ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)".to_string(),
                _ => format!("invalid token ({e})"),
            };
            ApiError::Unauthorized(format!("{why}; sign in again"))
        })?;
        let (user, revoked) = revoked_tokens::user_for_token(store, &claims.sub, &claims.jti)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the token's user no longer exists".into()))?;
        if revoked || user.token_generation != claims.gen {
            return Err(ApiError::Unauthorized("the token was revoked; sign in again".into()));
        }
        Ok((user, claims))
    }
}

/// When the token expires, as RFC 3339 (how `revoked_tokens` keeps times).
pub fn expiry_time(claims: &Claims) -> String {
    chrono::DateTime::from_timestamp(claims.exp, 0)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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

/// The signed-in user, from `Authorization: Bearer <token>`.
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
        let token = bearer_token(parts)?.ok_or_else(|| {
            let hint = if query_token(parts.uri.query()).is_some() {
                " (`?token=` is accepted only by the WebSocket, /api/ws)"
            } else {
                ""
            };
            ApiError::Unauthorized(format!("sign in first: send Authorization: Bearer <token>{hint}"))
        })?;
        let (user, _) = state.auth.authenticate(state.engine.store(), &token).await?;
        Ok(CurrentUser(user))
    }
}

/// The signed-in user of the WebSocket, which browsers cannot give headers: the bearer token
/// or `?token=`. Only there, as a token in a URL ends up in logs and histories.
/// The token is kept: the stream checks it again while it lasts (`ws::TOKEN_RECHECK`).
#[derive(Debug, Clone)]
pub struct WsUser {
    pub user: CurrentUser,
    pub token: String,
}

impl FromRequestParts<AppState> for WsUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = match bearer_token(parts)? {
            Some(t) => t,
            None => query_token(parts.uri.query())
                .ok_or_else(|| ApiError::Unauthorized("sign in first: send Authorization: Bearer <token>".into()))?,
        };
        let (user, _) = state.auth.authenticate(state.engine.store(), &token).await?;
        Ok(WsUser {
            user: CurrentUser(user),
            token,
        })
    }
}

/// The `Authorization: Bearer` token, if the header is there.
pub fn bearer_token(parts: &Parts) -> Result<Option<String>, ApiError> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| Some(t.to_string()))
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .map(str::to_string)
}
