//! The web UI: the built files of `web/` (`web/dist`), served at `/` next to the API.
//!
//! A path that names a file gets it, typed by its extension; hashed build outputs under
//! `assets/` are cached for good, everything else is revalidated (`no-cache`, with an ETag).
//! Any other GET outside `/api` gets `index.html`, so the app's client routes survive a
//! reload; a missing file under `assets/` is a real 404. Requests never leave the directory:
//! `..`, `.` and backslash segments are refused, and the resolved file must lie inside it.
//! Source maps (`*.map`) are not served unless `WORKFLOW_ENGINE_SERVE_SOURCEMAPS=1` (the
//! build makes none unless `WEB_SOURCEMAP=1`): they would publish the UI's source as written.
//! Without a built UI, pages explain how to build it (503); the API works all the same.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;

/// The command that builds the UI, from the repository.
pub const BUILD_COMMAND: &str = "npm --prefix web ci && npm --prefix web run build";

/// Set to `1` to serve `*.map` files found in the UI's directory.
pub const SERVE_SOURCEMAPS_ENV: &str = "WORKFLOW_ENGINE_SERVE_SOURCEMAPS";

fn serves_sourcemaps() -> bool {
    static ON: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var(SERVE_SOURCEMAPS_ENV).is_ok_and(|v| v == "1"));
    *ON
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// `web/dist` of the source tree this binary was built from.
pub fn default_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/web/dist"))
}

/// The router's fallback: the UI for every path the API does not route.
pub async fn fallback(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return api_not_found(method, uri).await;
    }
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(segments) = segments(path) else {
        return plain(StatusCode::BAD_REQUEST, "bad path\n");
    };
    if segments.last().is_some_and(|s| s.ends_with(".map")) && !serves_sourcemaps() {
        return plain(StatusCode::NOT_FOUND, "not found (source maps are not served)\n");
    }
    let Ok(root) = tokio::fs::canonicalize(&state.web_dir).await else {
        return not_built(&state.web_dir);
    };
    let in_assets = segments.first().is_some_and(|s| s == "assets");
    let response = match file_in(&root, &segments).await {
        Some(file) => {
            let cache = if in_assets { IMMUTABLE } else { REVALIDATE };
            send(&file, cache, &headers).await
        }
        None if in_assets => Some(plain(StatusCode::NOT_FOUND, "not found\n")),
        None => match file_in(&root, &["index.html".to_string()]).await {
            Some(index) => send(&index, REVALIDATE, &headers).await,
            None => Some(not_built(&state.web_dir)),
        },
    };
    let mut response = response.unwrap_or_else(|| plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file\n"));
    if method == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    response
}

/// Unknown routes under `/api` answer in the API's error format.
pub async fn api_not_found(method: Method, uri: Uri) -> Response {
    ApiError::not_found(format!("route {method} {}", uri.path())).into_response()
}

/// The path's decoded segments, or `None` when one could step outside the directory or is
/// not a plain name.
fn segments(path: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
        if seg == "." || seg == ".." || seg.contains(['/', '\\', '\0']) {
            return None;
        }
        out.push(seg.into_owned());
    }
    Some(out)
}

/// The regular file at `segments` under `root` (canonical), if it resolves inside `root`.
async fn file_in(root: &Path, segments: &[String]) -> Option<PathBuf> {
    if segments.is_empty() {
        return None;
    }
    let candidate = segments.iter().fold(root.to_path_buf(), |p, s| p.join(s));
    let real = tokio::fs::canonicalize(&candidate).await.ok()?;
    if !real.starts_with(root) {
        return None;
    }
    let meta = tokio::fs::metadata(&real).await.ok()?;
    meta.is_file().then_some(real)
}

/// The file with its type, cache policy and ETag; 304 when the client has it already.
async fn send(file: &Path, cache: &'static str, headers: &HeaderMap) -> Option<Response> {
    let meta = tokio::fs::metadata(file).await.ok()?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let etag = format!("\"{:x}-{:x}\"", meta.len(), modified);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else {
        (StatusCode::OK, Body::from(tokio::fs::read(file).await.ok()?))
    };
    let mime = mime_guess::from_path(file).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "javascript" | "json" | "xml" | "manifest+json");
    let content_type = if text && mime.get_param("charset").is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, etag)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(body)
        .ok()
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// What `/` says when there is no built UI in `dir`.
fn not_built(dir: &Path) -> Response {
    let dir = html_escape(&dir.display().to_string());
    let build = html_escape(BUILD_COMMAND);
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>workflow-engine: UI not built</title></head>\n\
         <body style=\"font-family: sans-serif; max-width: 40rem; margin: 3rem auto\">\n\
         <h1>The web UI is not built</h1>\n\
         <p>No <code>index.html</code> in <code>{dir}</code>. From the repository, build it with</p>\n\
         <pre>{build}</pre>\n\
         <p>then reload this page (or point <code>WORKFLOW_ENGINE_WEB_DIR</code> / <code>serve --web-dir</code> \
         at a built UI). The API at <a href=\"/api/openapi.json\"><code>/api</code></a> works without it.</p>\n\
         </body></html>\n"
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        page,
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
