//! Artifacts: files uploaded to a step of a run, kept under the run's
//! `artifacts/{stepId}/` folder, downloadable, attachable to a comment of the same run.
//!
//! Uploads are streamed to disk, never held in memory (`artifact_form`): first to a temporary
//! file (the form's fields may come in any order, so the step is not known before the file),
//! then linked here under their final name.

use std::fmt::Write as _;
use std::path::{Path as FsPath, PathBuf};

use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tokio_util::io::ReaderStream;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use super::artifact_form::MAX_UPLOAD_BYTES;
use super::artifact_form::{io_error, ArtifactUpload, TempFile, UploadForm};
use super::auth::CurrentUser;
use super::envelope::{created, ok, Data, ErrorBody};
use super::error::{ApiError, ApiJson};
use super::{access, comments, AppState};
use crate::domain::FileType;
use crate::events::Event;
use crate::store::artifacts::{self as rules, ArtifactRow, NewArtifact};
use crate::store::files::RunFiles;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::Store;

/// Room for the other fields and the multipart framing on top of the file: the body limit is
/// this much above `MAX_UPLOAD_BYTES`, which the upload enforces exactly itself.
const FORM_SLACK_BYTES: usize = 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let upload_limit = DefaultBodyLimit::max(MAX_UPLOAD_BYTES as usize + FORM_SLACK_BYTES);
    OpenApiRouter::new()
        .routes(routes!(upload_artifact).layer(upload_limit))
        .routes(routes!(download_artifact))
        .routes(routes!(attach_artifact))
        .routes(routes!(detach_artifact))
}

/// A file's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// `POST /api/workflow-executions/{id}/artifacts` (multipart: `file`, `step_id`, `name`?,
/// `file_type`?)
#[utoipa::path(
    post,
    path = "/workflow-executions/{id}/artifacts",
    tag = "artifacts",
    summary = "Upload an artifact to a step",
    description = "A `multipart/form-data` upload, streamed to disk; the file may have at most 100 MB.",
    params(("id" = String, Path, description = "The run's id.")),
    request_body(content = ArtifactUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The artifact.", body = Data<ArtifactRow>),
        (status = 400, description = "A missing `file` or `step_id`, a `step_id` that is not a step of this \
            run, an unknown `file_type` or field, or a body that is not multipart (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such run the caller may see.", body = ErrorBody),
        (status = 413, description = "The file is larger than 100 MB (`payload_too_large`).", body = ErrorBody),
        (status = 503, description = "The run's folder is on another engine node, which cannot be reached \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upload_artifact(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let store = state.engine.store();
    let (run, project) = access::run(store, &user, &id).await?;
    // Kept in the run's folder: uploaded on the node that has it, the body streamed there.
    let req = match super::file_proxy::for_run(&state, &run, &project, req).await {
        Ok(answer) => return Ok(answer),
        Err(req) => req,
    };
    let multipart: Result<Multipart, MultipartRejection> = Multipart::from_request(req, &state).await;
    let mut multipart = multipart.map_err(|e| ApiError::bad("invalid_body", e.body_text()))?;
    let files = RunFiles::new(FsPath::new(&project.path), &run.id);
    let form = UploadForm::read(&mut multipart, &files.uploads_dir()).await?;
    let step = comments::step_of_run(store, &run.id, &form.step_id, "invalid_body").await?;
    let row = keep(store, &files, &step, form).await?;
    state.engine.events().emit(Event::ArtifactCreated {
        execution_id: run.id.clone(),
        artifact_id: row.id.clone(),
        step_id: step.id.clone(),
        project_id: project.id.clone(),
    });
    Ok(created(row).into_response())
}

/// Names the uploaded file, moves it into the step's folder and records its row: what the
/// form asked for, else what the name and the content say.
async fn keep(store: &Store, files: &RunFiles, step: &StepRow, form: UploadForm) -> Result<ArtifactRow, ApiError> {
    let chosen_type = match form.file_type.as_deref() {
        Some(t) => Some(FileType::parse(t).ok_or_else(|| {
            let known = FileType::ALL.map(FileType::as_str).join(", ");
            ApiError::bad("invalid_body", format!("file_type: '{t}' is not one of {known}"))
        })?),
        None => None,
    };
    let upload = form.upload;
    let wanted = form.name.as_deref().or(upload.original.as_deref()).unwrap_or_default();
    let name = rules::sanitise_name(wanted);
    let mime = rules::mime_type(&name, upload.original.as_deref(), &upload.head);
    let file_type = chosen_type.unwrap_or_else(|| rules::file_type(&name, &mime));
    let (name, path) = place(&upload.tmp, &files.artifacts_dir(&step.step_id), &name).await?;
    let file_path = files.project_relative(&path);
    let row = ArtifactRow::insert(
        store,
        NewArtifact {
            step_row_id: &step.id,
            name: &name,
            file_path: &file_path,
            file_type,
            mime_type: &mime,
            size_bytes: upload.size as i64,
        },
    )
    .await;
    if row.is_err() {
        // No row, no file: a file nobody can list would only take space.
        let _ = tokio::fs::remove_file(&path).await;
    }
    Ok(row?)
}

/// Gives the temporary file its name in `dir`: `name`, else `name (1)`, `name (2)`, ... A
/// hard link fails if the name is taken, so two uploads of the same name cannot overwrite
/// one another; the temporary name goes when `tmp` is dropped.
async fn place(tmp: &TempFile, dir: &FsPath, name: &str) -> Result<(String, PathBuf), ApiError> {
    tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    for n in 0..1000 {
        let candidate = if n == 0 {
            name.to_string()
        } else {
            rules::numbered_name(name, n)
        };
        let path = dir.join(&candidate);
        match tokio::fs::hard_link(&tmp.0, &path).await {
            Ok(()) => return Ok((candidate, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links: check, then rename (racy, but only there).
            Err(_) if !tokio::fs::try_exists(&path).await.unwrap_or(true) => {
                tokio::fs::rename(&tmp.0, &path).await.map_err(io_error)?;
                return Ok((candidate, path));
            }
            Err(e) => return Err(io_error(e)),
        }
    }
    Err(ApiError::bad(
        "invalid_body",
        format!("name: too many artifacts of this step are named '{name}'"),
    ))
}

/// The artifact, its run and project, if the user may see them (else a 404 naming it).
pub(super) async fn visible(
    store: &Store,
    user: &CurrentUser,
    id: &str,
) -> Result<(ArtifactRow, RunRow, ProjectRow), ApiError> {
    let not_found = || ApiError::not_found(format!("artifact {id}"));
    let artifact = ArtifactRow::get(store, id).await?.ok_or_else(not_found)?;
    let (_, run, project) = access::step(store, user, &artifact.workflow_run_step_id)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => not_found(),
            other => other,
        })?;
    Ok((artifact, run, project))
}

/// `GET /api/artifacts/{id}`: the file, streamed.
#[utoipa::path(
    get,
    path = "/artifacts/{id}",
    tag = "artifacts",
    summary = "Download an artifact",
    description = "The file, streamed, with the artifact's `mime_type` as `Content-Type`.",
    params(("id" = String, Path, description = "The artifact's id.")),
    responses(
        (status = 200, description = "The file.", content_type = "*/*", body = FileBytes, headers(
            ("Content-Disposition" = String, description = "`attachment`, with the artifact's name."),
            ("Content-Length" = i64, description = "The file's size in bytes."),
            ("X-Content-Type-Options" = String, description = "`nosniff`."),
        )),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such artifact the caller may see, or its file is gone.", body = ErrorBody),
        (status = 503, description = "The run's folder is on another engine node, which cannot be reached \
            (`node_unavailable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn download_artifact(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (artifact, run, project) = visible(state.engine.store(), &user, &id).await?;
    // Uploaded on the node that has the run's folder: served by it.
    if let Ok(answer) = super::file_proxy::for_run(&state, &run, &project, req).await {
        return Ok(answer);
    }
    file_response(&artifact, &run, &project, Disposition::Attachment).await
}

/// How a served file is meant to be used.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Saved as a file (`Content-Disposition: attachment`).
    Attachment,
    /// Shown by the browser (`<img>`, `<video>`), when its type is one that cannot run script.
    Inline,
}

/// The artifact's file, streamed, with its type, length and name. Uploaded content is never
/// sniffed into HTML, and is sandboxed (`Content-Security-Policy`) should it be opened.
pub async fn file_response(
    artifact: &ArtifactRow,
    run: &RunRow,
    project: &ProjectRow,
    disposition: Disposition,
) -> Result<Response, ApiError> {
    let files = RunFiles::new(FsPath::new(&project.path), &run.id);
    let file = match files.open_artifact(&artifact.file_path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found(format!("the file of artifact {}", artifact.id)))
        }
        Err(e) => return Err(io_error(e)),
    };
    let len = file.metadata().await.map_err(io_error)?.len();
    let mime =
        HeaderValue::from_str(&artifact.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let shown = disposition == Disposition::Inline && rules::shows_inline(&artifact.mime_type);
    let disposition = if shown {
        HeaderValue::from_static("inline")
    } else {
        content_disposition(&artifact.name)
    };
    let headers = [
        (header::CONTENT_TYPE, mime),
        (header::CONTENT_LENGTH, HeaderValue::from(len)),
        (header::CONTENT_DISPOSITION, disposition),
        // Uploaded content is served as what it says it is, never sniffed into HTML.
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; img-src 'self'; media-src 'self'; sandbox"),
        ),
    ];
    Ok((headers, Body::from_stream(ReaderStream::new(file))).into_response())
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266):
/// the fallback replaces what a quoted string cannot carry safely.
pub fn content_disposition(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' ' => ' ',
            '"' | '\\' | '%' => '_',
            c if c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .expect("only visible ASCII")
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachBody {
    /// A comment of the artifact's run.
    comment_id: String,
}

/// `PATCH /api/artifacts/{id}/attach`: to a comment of the same run.
#[utoipa::path(
    patch,
    path = "/artifacts/{id}/attach",
    tag = "artifacts",
    summary = "Attach an artifact to a comment",
    description = "To a comment of the same run; an attached artifact moves to the new comment.",
    params(("id" = String, Path, description = "The artifact's id.")),
    request_body = AttachBody,
    responses(
        (status = 200, description = "The artifact.", body = Data<ArtifactRow>),
        (status = 400, description = "A `comment_id` that is not a comment of the artifact's run, or another \
            body problem (`invalid_body`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such artifact the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn attach_artifact(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AttachBody>,
) -> Result<Json<Data<ArtifactRow>>, ApiError> {
    let store = state.engine.store();
    let (artifact, run, project) = visible(store, &user, &id).await?;
    // The same answer whether the comment does not exist or is another run's.
    let row = ArtifactRow::attach(store, &artifact.id, &body.comment_id)
        .await?
        .ok_or_else(|| {
            ApiError::bad(
                "invalid_body",
                format!(
                    "comment_id: no comment {} in workflow execution {}",
                    body.comment_id, run.id
                ),
            )
        })?;
    state.engine.events().emit(Event::ArtifactAttached {
        execution_id: run.id.clone(),
        artifact_id: row.id.clone(),
        comment_id: body.comment_id,
        project_id: project.id,
    });
    Ok(ok(row))
}

/// `DELETE /api/artifacts/{id}/detach`
#[utoipa::path(
    delete,
    path = "/artifacts/{id}/detach",
    tag = "artifacts",
    summary = "Detach an artifact from its comment",
    description = "The artifact stays with its step.",
    params(("id" = String, Path, description = "The artifact's id.")),
    responses(
        (status = 200, description = "The artifact.", body = Data<ArtifactRow>),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such artifact the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn detach_artifact(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Data<ArtifactRow>>, ApiError> {
    let store = state.engine.store();
    let (artifact, _, _) = visible(store, &user, &id).await?;
    let row = ArtifactRow::detach(store, &artifact.id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("artifact {id}")))?;
    Ok(ok(row))
}
