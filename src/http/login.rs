//! `POST /api/auth/login`: an email and a password for a token, throttled per account and
//! per client address (`throttle`); `POST /api/auth/logout` revokes the token it is sent with.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::{auth, AppState};
use crate::accounts;
use crate::store::revoked_tokens;
use crate::store::users::UserRow;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Login {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: UserRow,
}

/// `POST /api/auth/login`
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    summary = "Sign in",
    description = "Trades an email (any case) and password for a JWT, valid for 7 days. Needs no \
        token. After 5 failed attempts for an account, or 20 from one address, each further \
        failure doubles the wait before the next attempt (1 s, 2 s, 4 s, ... up to 15 min); a \
        success clears the account's count.",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in.", body = Data<Login>),
        (status = 400, description = "The body is not a JSON object with `email` and `password` (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "Wrong email or password.", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (`too_many_requests`); `Retry-After` \
            gives the seconds to wait.", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<Data<Login>>, ApiError> {
    let throttle = &state.auth.throttle;
    throttle
        .begin(&body.email, peer.ip())
        .map_err(ApiError::TooManyRequests)?;
    let user = UserRow::by_email(state.engine.store(), &body.email).await?;
    // argon2 takes tens of milliseconds of CPU: off the async workers.
    let (user, verified) = tokio::task::spawn_blocking(move || {
        let verified = accounts::verify(&body.password, user.as_ref());
        (user, verified)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    match user {
        Some(u) if verified => {
            throttle.succeeded(&body.email, peer.ip());
            let token = state.auth.token_for(&u);
            Ok(ok(Login { token, user: u }))
        }
        _ => Err(ApiError::Unauthorized("wrong email or password".into())),
    }
}

/// `POST /api/auth/logout`
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    summary = "Sign out",
    description = "Revokes the token the request is sent with: from now on it gets 401 on every \
        route, the WebSocket included. The user's other tokens stay valid \
        (`workflow-engine token revoke --email` revokes them all).",
    responses(
        (status = 204, description = "Signed out: the token is revoked."),
        (status = 401, description = "No valid token (already revoked, expired or malformed).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn logout(State(state): State<AppState>, parts: Parts) -> Result<StatusCode, ApiError> {
    let token = auth::bearer_token(&parts)?
        .ok_or_else(|| ApiError::Unauthorized("sign in first: send Authorization: Bearer <token>".into()))?;
    let store = state.engine.store();
    let (user, claims) = state.auth.authenticate(store, &token).await?;
    revoked_tokens::revoke(store, &claims.jti, &user.id, &auth::expiry_time(&claims)).await?;
    Ok(StatusCode::NO_CONTENT)
}
