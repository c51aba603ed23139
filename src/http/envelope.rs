//! The two shapes every JSON response comes in: `{ "data": ... }` on success and
//! `{ "error": { "code", "message" } }` on failure, as types the handlers return and the
//! OpenAPI document describes.

use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::RunStatus;

/// The envelope of every successful JSON response.
#[derive(Serialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// A `200` answer: `{ "data": value }`.
pub fn ok<T>(data: T) -> Json<Data<T>> {
    Json(Data { data })
}

/// A `201` answer: `{ "data": value }`.
pub fn created<T>(data: T) -> (StatusCode, Json<Data<T>>) {
    (StatusCode::CREATED, ok(data))
}

/// Every error response: `{ "error": { "code", "message" } }`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for programs: `invalid_body`, `invalid_query`, `invalid_args`,
    /// `invalid_definition`, `invalid_log_type` (400), `unauthorized` (401), `not_found` (404),
    /// `invalid_state`, `source_changed` (409), `payload_too_large` (413), `internal` (500).
    #[schema(example = "not_found")]
    pub code: String,
    /// What went wrong, for people; a field's problem starts with its name (`name: ...`).
    pub message: String,
    /// With `invalid_args`: each way the arguments miss the workflow's `argsSchema`; with
    /// `source_changed`: each file of the workflow that changed since the run recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<Vec<String>>,
    /// With `invalid_state` (409): the run's status, which did not allow the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub current_status: Option<RunStatus>,
}
