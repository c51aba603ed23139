//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the whole API, served without a token
//! so clients can discover the API. This file holds what the document says of itself: its
//! info, its tags and its security schemes. The routes, with their operations and the schemas
//! of their bodies, come from the one route list (`http::api`), each handler's
//! `#[utoipa::path]` and the response types beside it.

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Extension;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";
/// The name of the `?token=` security scheme (the WebSocket only).
pub const TOKEN_QUERY: &str = "token_query";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "workflow-engine",
        description = "A durable workflow engine for AI-agent work. Every route but `POST /api/auth/login` \
            and `GET /api/openapi.json` takes `Authorization: Bearer <jwt>` (from login). Successful JSON \
            responses are `{ \"data\": ... }`; errors are `{ \"error\": { \"code\", \"message\" } }`. \
            Anything the caller may not see is reported as not found (404)."
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in and sign-out."),
        (name = "projects", description = "The directories a user works in."),
        (name = "workflow-definitions", description = "The workflow files found in a project's `.agent/workflows/definitions/`."),
        (name = "workflow-executions", description = "Runs of a workflow: start, list, read, pause, resume, cancel."),
        (name = "workflow-steps", description = "A run's steps and their logs."),
        (name = "artifacts", description = "Files uploaded to a step, attachable to a comment of the same run."),
        (name = "comments", description = "Notes on a run or one of its steps."),
        (name = "secrets", description = "A project's secrets: names listed, values write-only."),
        (name = "events", description = "The live event stream (WebSocket)."),
        (name = "nodes", description = "The engine nodes sharing this database (admin)."),
        (name = "meta", description = "This document."),
    )
)]
pub struct ApiDoc;

/// Adds the security schemes the operations refer to.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`Authorization: Bearer <token>`, the token from `POST /api/auth/login` (HS256, valid 7 days).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            TOKEN_QUERY,
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "The same JWT as `?token=`, for WebSocket clients that cannot set headers.",
            ))),
        );
    }
}

/// The document's own part, with the crate's name and version; the routes add the rest.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.title = "workflow-engine".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc
}

/// The whole document as JSON, built once when the router is (it cannot change while the
/// process runs) and handed to `openapi_json` as an extension.
#[derive(Clone)]
pub struct DocumentJson(pub Bytes);

/// `GET /api/openapi.json`
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "get_openapi",
    summary = "This OpenAPI 3.1 document",
    description = "Needs no token.",
    responses((status = 200, description = "The OpenAPI document.", body = Object))
)]
pub async fn openapi_json(Extension(doc): Extension<DocumentJson>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc.0)
}
