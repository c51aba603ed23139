//! One error type for every handler: `{ "error": { "code", "message" } }` with the right
//! status; a 5xx never carries internals (they go to the log).

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::envelope::{ErrorBody, ErrorDetail};

#[derive(Debug)]
pub enum ApiError {
    /// 400 with a machine code (`invalid_body`, `invalid_args`, ...) and what was wrong.
    BadRequest {
        code: &'static str,
        message: String,
        /// Each problem, for `invalid_args`.
        details: Option<Vec<String>>,
    },
    Unauthorized(String),
    /// 403: signed in and allowed to see it, but not to do this (a gate's approvers).
    Forbidden(String),
    /// 404 for what does not exist or is not the caller's to see.
    NotFound(String),
    /// 409: the run's status does not allow it.
    Conflict {
        message: String,
        current_status: Option<crate::domain::RunStatus>,
    },
    /// 409 with its own code (`source_changed`) and what conflicts (the changed files).
    ConflictWith {
        code: &'static str,
        message: String,
        details: Vec<String>,
        current_status: Option<crate::domain::RunStatus>,
    },
    PayloadTooLarge(String),
    /// 429 with `Retry-After`: too many failed sign-ins; wait this long.
    TooManyRequests(std::time::Duration),
    /// 507: the server's disk is full; nothing was recorded.
    InsufficientStorage,
    Internal(String),
}

impl ApiError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::NotFound(what.into())
    }
}

impl<E: Into<crate::store::StoreError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        let e = e.into();
        if e.is_disk_full() {
            tracing::error!(error = %e, "the data directory's disk is full");
            return ApiError::InsufficientStorage;
        }
        if e.is_unique_violation() {
            // Two requests made the same thing at once; the one that lost is told so, on
            // SQLite and PostgreSQL alike.
            return ApiError::Conflict {
                message: "it already exists (another request made it at the same time)".to_string(),
                current_status: None,
            };
        }
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::TooManyRequests(wait) = self {
            return too_many_requests(wait);
        }
        let status = self.status();
        (status, axum::Json(ErrorBody { error: self.detail() })).into_response()
    }
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::ConflictWith { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body's `error`; an internal error's detail goes to the log, not to the caller.
    fn detail(self) -> ErrorDetail {
        let (code, message) = match self {
            ApiError::BadRequest { code, message, details } => {
                return ErrorDetail {
                    details,
                    ..detail(code, message)
                }
            }
            ApiError::Conflict {
                message,
                current_status,
            } => {
                return ErrorDetail {
                    current_status,
                    ..detail("invalid_state", message)
                }
            }
            ApiError::ConflictWith {
                code,
                message,
                details,
                current_status,
            } => {
                return ErrorDetail {
                    details: Some(details),
                    current_status,
                    ..detail(code, message)
                }
            }
            ApiError::Unauthorized(m) => ("unauthorized", m),
            ApiError::Forbidden(m) => ("forbidden", m),
            ApiError::NotFound(what) => ("not_found", format!("{what} not found")),
            ApiError::PayloadTooLarge(m) => ("payload_too_large", m),
            ApiError::TooManyRequests(wait) => ("too_many_requests", too_many_message(wait).1),
            ApiError::InsufficientStorage => (
                "insufficient_storage",
                "the server's disk is full: nothing was recorded; try again when space is freed".to_string(),
            ),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ("internal", "internal server error".to_string())
            }
        };
        detail(code, message)
    }
}

fn detail(code: &str, message: String) -> ErrorDetail {
    ErrorDetail {
        code: code.to_string(),
        message,
        details: None,
        current_status: None,
    }
}

/// Whole seconds, rounded up (a client that waits `Retry-After` is never early), and the
/// message that says so.
fn too_many_message(wait: std::time::Duration) -> (u64, String) {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    (secs, format!("too many failed sign-ins: try again in {secs} s"))
}

fn too_many_requests(wait: std::time::Duration) -> Response {
    let (secs, message) = too_many_message(wait);
    let headers = [(axum::http::header::RETRY_AFTER, secs.to_string())];
    let body = ErrorBody {
        error: detail("too_many_requests", message),
    };
    (StatusCode::TOO_MANY_REQUESTS, headers, axum::Json(body)).into_response()
}

/// The largest JSON body a route takes (`http::router` sets it; uploads have their own).
pub const MAX_JSON_BODY_BYTES: usize = 2 << 20;

/// A JSON body whose errors name the field (`project_id: invalid type: ...`); one larger
/// than `MAX_JSON_BODY_BYTES` is a 413 `payload_too_large`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.is_empty() {
            return Err(ApiError::bad("invalid_body", "the request needs a JSON body"));
        }
        parse_json(&bytes)
    }
}

/// `Option<ApiJson<T>>`: a request without a body is `None`; one with a body must parse.
impl<T: DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        parse_json(&bytes).map(Some)
    }
}

pub(super) async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<axum::body::Bytes, ApiError> {
    match axum::body::Bytes::from_request(req, state).await {
        Ok(b) => Ok(b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::PayloadTooLarge(format!(
            "the JSON body is larger than {} MiB",
            MAX_JSON_BODY_BYTES >> 20
        ))),
        Err(e) => Err(ApiError::bad("invalid_body", e.body_text())),
    }
}

impl<T: DeserializeOwned> ApiJson<T> {
    fn parse(bytes: &[u8]) -> Result<ApiJson<T>, ApiError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map(ApiJson).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = if path == "." {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            };
            ApiError::bad("invalid_body", message)
        })
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<ApiJson<T>, ApiError> {
    ApiJson::parse(bytes)
}

/// Query parameters whose errors come in our error format, like bodies.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::bad("invalid_query", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::ApiError;
    use crate::store::users::UserRow;
    use crate::store::Store;

    /// A unique key taken by a concurrent request answers 409 on both backends (the test's:
    /// PostgreSQL with `WORKFLOW_ENGINE_TEST_PG=1`), not a 500.
    #[tokio::test]
    async fn a_duplicate_row_answers_409_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_for_test(dir.path()).await.unwrap();
        UserRow::create(&store, "ann@example.com", None, "hash", false)
            .await
            .unwrap();
        let e = UserRow::create(&store, "ann@example.com", None, "hash", false)
            .await
            .expect_err("the email is taken");
        let response = ApiError::from(e).into_response();
        assert_eq!(response.status(), axum::http::StatusCode::CONFLICT);
        let other = ApiError::from(crate::store::StoreError::NotFound("x".into())).into_response();
        assert_eq!(other.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
