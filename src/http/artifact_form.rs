//! The multipart form of an artifact upload (`file`, `step_id`, `name`?, `file_type`?), its
//! fields in any order: the file is streamed to a temporary file as it arrives, counted against
//! `MAX_UPLOAD_BYTES`, never held in memory; the text fields are short UTF-8. Also the form's
//! schema for the document.

use std::path::{Path as FsPath, PathBuf};

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::Multipart;
use axum::http::StatusCode;
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::domain::FileType;
use crate::store::new_id;

/// Largest file an upload may carry.
pub const MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// Longest text field (`step_id`, `name`, `file_type`).
const MAX_FIELD_BYTES: usize = 4096;
/// Bytes kept from the start of a file to recognise its format.
const HEAD_BYTES: usize = 16;

/// The `multipart/form-data` fields of an upload, in any order.
#[derive(ToSchema)]
pub struct ArtifactUpload {
    /// The file, at most 100 MB.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
    /// The row id of the run's step it belongs to.
    pub step_id: String,
    /// The name to keep it under (sanitised; ` (1)`, ` (2)`, ... when taken); defaults to the
    /// uploaded file's name.
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// Defaults to what the name and the content say.
    #[schema(nullable = false)]
    pub file_type: Option<FileType>,
}

/// A whole upload: the file and the step it is for, the other fields as sent (not checked).
pub struct UploadForm {
    pub upload: Upload,
    pub step_id: String,
    pub name: Option<String>,
    pub file_type: Option<String>,
}

impl UploadForm {
    /// Reads the form into `dir`; `file` and `step_id` are required.
    pub async fn read(multipart: &mut Multipart, dir: &FsPath) -> Result<UploadForm, ApiError> {
        let form = match read_form(multipart, dir).await {
            Ok(form) => form,
            Err(e) => {
                // Read the rest (at most the body limit) so the client gets the answer rather
                // than a connection reset halfway through sending.
                drain(multipart).await;
                return Err(e);
            }
        };
        let upload = form
            .file
            .ok_or_else(|| ApiError::bad("invalid_body", "file: required"))?;
        let step_id = form
            .step_id
            .ok_or_else(|| ApiError::bad("invalid_body", "step_id: required"))?;
        Ok(UploadForm {
            upload,
            step_id,
            name: form.name,
            file_type: form.file_type,
        })
    }
}

#[derive(Default)]
struct Form {
    step_id: Option<String>,
    name: Option<String>,
    file_type: Option<String>,
    file: Option<Upload>,
}

pub struct Upload {
    pub tmp: TempFile,
    /// The file name the client sent with the file.
    pub original: Option<String>,
    /// The first bytes, which tell the format.
    pub head: Vec<u8>,
    pub size: u64,
}

/// A temporary file removed when dropped, whatever path the upload takes out.
pub struct TempFile(pub PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn read_form(multipart: &mut Multipart, dir: &FsPath) -> Result<Form, ApiError> {
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        // Empty text fields are absent, as an HTML form sends an unset one.
        match name.as_str() {
            "file" if form.file.is_some() => {
                return Err(ApiError::bad("invalid_body", "file: send one file per upload"))
            }
            "file" => form.file = Some(stream_to_disk(&mut field, dir).await?),
            "step_id" => form.step_id = Some(read_text(field, &name).await?).filter(|s| !s.is_empty()),
            "name" => form.name = Some(read_text(field, &name).await?).filter(|s| !s.is_empty()),
            "file_type" => form.file_type = Some(read_text(field, &name).await?).filter(|s| !s.is_empty()),
            other => {
                return Err(ApiError::bad(
                    "invalid_body",
                    format!("{other}: unknown field (expected file, step_id, name, file_type)"),
                ))
            }
        }
    }
    Ok(form)
}

/// Writes the file part to a temporary file in `dir`, counting bytes: past
/// `MAX_UPLOAD_BYTES` it stops, and the temporary file goes with the error.
async fn stream_to_disk(field: &mut Field<'_>, dir: &FsPath) -> Result<Upload, ApiError> {
    let original = field.file_name().map(str::to_string);
    tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    let tmp = TempFile(dir.join(format!(".upload-{}", new_id())));
    let file = tokio::fs::File::create(&tmp.0).await.map_err(io_error)?;
    let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let mut size = 0u64;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        size += chunk.len() as u64;
        if size > MAX_UPLOAD_BYTES {
            return Err(too_large());
        }
        let take = (HEAD_BYTES - head.len()).min(chunk.len());
        head.extend_from_slice(&chunk[..take]);
        out.write_all(&chunk).await.map_err(io_error)?;
    }
    out.flush().await.map_err(io_error)?;
    Ok(Upload {
        tmp,
        original,
        head,
        size,
    })
}

async fn read_text(mut field: Field<'_>, label: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_FIELD_BYTES {
            return Err(ApiError::bad(
                "invalid_body",
                format!("{label}: longer than {MAX_FIELD_BYTES} bytes"),
            ));
        }
    }
    String::from_utf8(bytes)
        .map(|s| s.trim().to_string())
        .map_err(|_| ApiError::bad("invalid_body", format!("{label}: not UTF-8 text")))
}

async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "file: larger than the {} MB an artifact may have",
        MAX_UPLOAD_BYTES / (1024 * 1024)
    ))
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::bad("invalid_body", e.body_text())
    }
}

pub fn io_error(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("artifact file: {e}"))
}
