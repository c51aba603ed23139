//! `/api/projects/{id}/secrets`: a project's secrets, write-only. Names and dates are listed;
//! a value goes in and never comes out of the API (steps get it through their environment).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::{access, AppState};
use crate::store::secrets::{self, SecretError, SecretInfo};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_secrets))
        .routes(routes!(set_secret, delete_secret))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSecret {
    /// The value: not empty, at most 64 KiB, no NUL byte.
    value: String,
}

impl From<SecretError> for ApiError {
    fn from(e: SecretError) -> ApiError {
        match e {
            SecretError::Name(_) => ApiError::bad("invalid_secret_name", e.to_string()),
            SecretError::Value(..) => ApiError::bad("invalid_body", format!("value: {e}")),
            SecretError::Store(e) => e.into(),
            SecretError::Key(_) | SecretError::Open(_) | SecretError::Unknown { .. } => {
                tracing::error!(error = %e, "secrets");
                ApiError::Internal(e.to_string())
            }
        }
    }
}

/// `GET /api/projects/{id}/secrets`
#[utoipa::path(
    get,
    path = "/projects/{id}/secrets",
    tag = "secrets",
    summary = "List a project's secrets (names and dates, never values)",
    params(("id" = String, Path, description = "The project's id.")),
    responses(
        (status = 200, description = "The secrets, by name.", body = Data<Vec<SecretInfo>>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such project, or not the caller's to see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_secrets(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Data<Vec<SecretInfo>>>, ApiError> {
    let project = access::project(state.engine.store(), &user, &id).await?;
    let list = secrets::list(state.engine.store(), &project.id).await?;
    Ok(ok(list))
}

/// `PUT /api/projects/{id}/secrets/{name}`
#[utoipa::path(
    put,
    path = "/projects/{id}/secrets/{name}",
    tag = "secrets",
    summary = "Set a secret",
    description = "Creates or replaces the secret; the value is stored encrypted and is never returned. \
        Steps refer to it as `{{ secrets.NAME }}` (YAML) or `ctx.secrets.NAME` (TypeScript).",
    params(
        ("id" = String, Path, description = "The project's id."),
        ("name" = String, Path, description = "An environment variable's name: letters, digits and `_`, not starting with a digit."),
    ),
    request_body = SetSecret,
    responses(
        (status = 201, description = "Created: its name and dates.", body = Data<SecretInfo>),
        (status = 200, description = "Replaced: its name and dates.", body = Data<SecretInfo>),
        (status = 400, description = "A name that is not a variable name (`invalid_secret_name`), or a bad body (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such project, or not the caller's to see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetSecret>,
) -> Result<(StatusCode, Json<Data<Option<SecretInfo>>>), ApiError> {
    let store = state.engine.store();
    let project = access::project(store, &user, &id).await?;
    let created = secrets::set(store, &project.id, &name, &body.value).await?;
    let info = secrets::list(store, &project.id)
        .await?
        .into_iter()
        .find(|s| s.name == name);
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, ok(info)))
}

/// `DELETE /api/projects/{id}/secrets/{name}`
#[utoipa::path(
    delete,
    path = "/projects/{id}/secrets/{name}",
    tag = "secrets",
    summary = "Remove a secret",
    params(
        ("id" = String, Path, description = "The project's id."),
        ("name" = String, Path, description = "The secret's name."),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such project or secret.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let store = state.engine.store();
    let project = access::project(store, &user, &id).await?;
    if secrets::remove(store, &project.id, &name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("secret {name}")))
    }
}
