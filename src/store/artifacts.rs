//! `workflow_artifacts`: files uploaded to a step, kept under the run's
//! `artifacts/{stepId}/` folder, optionally attached to a comment of the same run.
//!
//! Also what decides a row's `name`, `mime_type` and `file_type` from an upload, since
//! those are the row's rules (the table's CHECK lists the file types).

use serde::Serialize;
use sqlx::FromRow;

use super::{new_id, now, Result, Store};
use crate::domain::FileType;

/// A file uploaded to a step, optionally attached to a comment of the same run.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = Artifact)]
pub struct ArtifactRow {
    pub id: String,
    pub workflow_run_step_id: String,
    pub workflow_comment_id: Option<String>,
    pub name: String,
    /// Relative to the project root.
    pub file_path: String,
    pub file_type: FileType,
    pub mime_type: String,
    pub size_bytes: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// What an upload adds; the id and timestamps are the store's.
pub struct NewArtifact<'a> {
    pub step_row_id: &'a str,
    pub name: &'a str,
    pub file_path: &'a str,
    pub file_type: FileType,
    pub mime_type: &'a str,
    pub size_bytes: i64,
}

impl ArtifactRow {
    pub async fn insert(store: &Store, a: NewArtifact<'_>) -> Result<ArtifactRow> {
        let ts = now();
        on_db!(
            store,
            "INSERT INTO workflow_artifacts
                 (id, workflow_run_step_id, name, file_path, file_type, mime_type, size_bytes, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(new_id())
                .bind(a.step_row_id)
                .bind(a.name)
                .bind(a.file_path)
                .bind(a.file_type)
                .bind(a.mime_type)
                .bind(a.size_bytes)
                .bind(&ts)
                .bind(&ts)
                .fetch_all(pool)
                .await
        )
        .map_err(super::StoreError::from)
        .and_then(super::only_row)
    }

    pub async fn get(store: &Store, id: &str) -> Result<Option<ArtifactRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_artifacts WHERE id = ?",
            |pool, sql| sqlx::query_as(sql).bind(id).fetch_optional(pool).await
        )?)
    }

    /// Links the artifact to a comment of the same run; `None` when the comment is not one
    /// of that run's (or the artifact is gone). The run check is in the same statement so a
    /// comment cannot be swapped between check and write.
    pub async fn attach(store: &Store, id: &str, comment_id: &str) -> Result<Option<ArtifactRow>> {
        Ok(on_db!(
            store,
            "UPDATE workflow_artifacts SET workflow_comment_id = ?2, updated_at = ?3
             WHERE id = ?1 AND EXISTS (
                 SELECT 1 FROM workflow_comments c
                 JOIN workflow_run_steps s ON s.workflow_run_id = c.workflow_run_id
                 WHERE c.id = ?2 AND s.id = workflow_artifacts.workflow_run_step_id)
             RETURNING *",
            |pool, sql| sqlx::query_as(sql)
                .bind(id)
                .bind(comment_id)
                .bind(now())
                .fetch_all(pool)
                .await
        )
        .map(super::first_row)?)
    }

    pub async fn detach(store: &Store, id: &str) -> Result<Option<ArtifactRow>> {
        Ok(on_db!(
            store,
            "UPDATE workflow_artifacts SET workflow_comment_id = NULL, updated_at = ? WHERE id = ? RETURNING *",
            |pool, sql| sqlx::query_as(sql).bind(now()).bind(id).fetch_all(pool).await
        )
        .map(super::first_row)?)
    }

    /// A step's artifacts, oldest first.
    pub async fn list_for_step(store: &Store, step_row_id: &str) -> Result<Vec<ArtifactRow>> {
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_artifacts WHERE workflow_run_step_id = ? ORDER BY created_at, id",
            |pool, sql| sqlx::query_as(sql).bind(step_row_id).fetch_all(pool).await
        )?)
    }

    /// The attachments of several comments in one query (a comment list).
    pub async fn list_for_comments(store: &Store, comment_ids: &[String]) -> Result<Vec<ArtifactRow>> {
        if comment_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(comment_ids).expect("ids serialise");
        Ok(on_db!(
            store,
            "SELECT * FROM workflow_artifacts WHERE workflow_comment_id IN (SELECT value FROM json_each(?))
             ORDER BY created_at, id",
            |pool, sql| sqlx::query_as(sql).bind(ids).fetch_all(pool).await
        )?)
    }
}

/// Longest file name kept, in bytes: room under the usual 255-byte limit for ` (NNN)`.
const MAX_NAME_BYTES: usize = 200;

/// A name safe to use as one file name inside the step's folder: no directory parts (so
/// `../../etc/passwd` is `passwd`), no control characters, no leading dots (no hidden files,
/// no `..`), at most `MAX_NAME_BYTES`. Never empty.
pub fn sanitise_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    let mut name = trimmed.to_string();
    if name.len() > MAX_NAME_BYTES {
        // Keep a short extension: it decides the mime type on download.
        let (stem, ext) = match split_ext(trimmed) {
            (stem, ext) if ext.len() <= 16 => (stem, ext),
            _ => (trimmed, ""),
        };
        let mut cut = MAX_NAME_BYTES - ext.len();
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        name = format!("{}{ext}", &stem[..cut]);
    }
    if name.is_empty() {
        "artifact".to_string()
    } else {
        name
    }
}

/// `("shot", ".png")`; a name without a dot (or only a leading one) has no extension.
pub fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// The `n`th alternative for a taken name: `shot (1).png`, `shot (2).png`, ...
pub fn numbered_name(name: &str, n: u32) -> String {
    let (stem, ext) = split_ext(name);
    format!("{stem} ({n}){ext}")
}

/// Extensions of source files: `code`, whatever mime_guess says (it calls `.ts` video).
const CODE_EXTS: &[&str] = &[
    "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "py", "rs", "go", "java", "kt", "c", "h", "cc", "cpp", "hpp",
    "cs", "rb", "php", "swift", "scala", "sh", "bash", "zsh", "ps1", "sql", "json", "jsonl", "yaml", "yml", "toml",
    "xml", "html", "css", "scss", "md", "diff", "patch", "vue", "svelte", "lua", "pl", "r", "dart",
];
const DOCUMENT_EXTS: &[&str] = &[
    "pdf", "doc", "docx", "odt", "rtf", "txt", "csv", "xls", "xlsx", "ods", "ppt", "pptx", "odp", "epub",
];

fn extension(name: &str) -> Option<String> {
    let (_, ext) = split_ext(name);
    ext.strip_prefix('.').map(str::to_ascii_lowercase)
}

/// The mime type from the name's extension, else from the uploaded file's own name, else
/// from the first bytes, else `application/octet-stream`.
pub fn mime_type(name: &str, original: Option<&str>, head: &[u8]) -> String {
    let from_name = |n: &str| -> Option<String> {
        let ext = extension(n)?;
        if matches!(ext.as_str(), "ts" | "tsx" | "mts" | "cts") {
            return Some("text/typescript".into());
        }
        mime_guess::from_ext(&ext).first().map(|m| m.essence_str().to_string())
    };
    from_name(name)
        .or_else(|| original.and_then(from_name))
        .or_else(|| sniff(head).map(str::to_string))
        .unwrap_or_else(|| "application/octet-stream".into())
}

/// The few formats worth recognising by their magic bytes.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let at = |i: usize, magic: &[u8]| head.get(i..i + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if at(0, b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some("image/gif")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if at(0, b"%PDF-") {
        Some("application/pdf")
    } else if at(4, b"ftyp") {
        Some("video/mp4")
    } else if at(0, b"\x1a\x45\xdf\xa3") {
        Some("video/webm")
    } else {
        None
    }
}

/// Whether a file of `mime` may be shown by the browser (`Content-Disposition: inline`):
/// pictures, sound and video, which cannot run script. SVG can, so it is downloaded.
pub fn shows_inline(mime: &str) -> bool {
    (mime.starts_with("image/") && !mime.starts_with("image/svg"))
        || mime.starts_with("video/")
        || mime.starts_with("audio/")
}

/// `code` for source extensions, then by mime: image, video, document, else other.
pub fn file_type(name: &str, mime: &str) -> FileType {
    let ext = extension(name).unwrap_or_default();
    if CODE_EXTS.contains(&ext.as_str()) {
        FileType::Code
    } else if mime.starts_with("image/") {
        FileType::Image
    } else if mime.starts_with("video/") {
        FileType::Video
    } else if DOCUMENT_EXTS.contains(&ext.as_str())
        || mime == "application/pdf"
        || mime == "text/plain"
        || mime.starts_with("application/vnd.openxmlformats-officedocument")
        || mime.starts_with("application/vnd.oasis.opendocument")
    {
        FileType::Document
    } else if mime.starts_with("text/x-") || mime == "application/json" || mime.ends_with("javascript") {
        FileType::Code
    } else {
        FileType::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_safe_file_name() {
        assert_eq!(sanitise_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_name("C:\\x\\shot.png"), "shot.png");
        assert_eq!(sanitise_name(".."), "artifact");
        assert_eq!(sanitise_name("..hidden\u{0}\n.txt"), "hidden.txt");
        let long = format!("{}.png", "é".repeat(300));
        let s = sanitise_name(&long);
        assert!(s.len() <= MAX_NAME_BYTES && s.ends_with(".png"), "{s}");
        assert_eq!(numbered_name("shot.png", 2), "shot (2).png");
        assert_eq!(numbered_name("README", 1), "README (1)");
    }

    #[test]
    fn types_come_from_extension_then_bytes() {
        assert_eq!(mime_type("a.png", None, b""), "image/png");
        assert_eq!(mime_type("blob", None, b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(mime_type("blob", Some("x.pdf"), b""), "application/pdf");
        assert_eq!(mime_type("blob", None, b"????"), "application/octet-stream");
        assert_eq!(file_type("main.ts", &mime_type("main.ts", None, b"")), FileType::Code);
        assert_eq!(file_type("a.pdf", "application/pdf"), FileType::Document);
        assert_eq!(file_type("a.mp4", "video/mp4"), FileType::Video);
        assert_eq!(file_type("a.bin", "application/octet-stream"), FileType::Other);
    }
}
