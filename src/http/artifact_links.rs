//! Signed artifact links, so `<img>`, `<video>` and downloads fetch an artifact natively
//! without the session token in a URL: `GET /api/artifacts/{id}/link` (signed in) answers
//! `/api/artifacts/{id}/content?exp=<unix seconds>&sig=<hex HMAC-SHA256 of "id\nexp">`,
//! which anyone holding it may fetch until `exp`. The key is derived from the server's token
//! secret (`Auth::link_key`), so links die with it. A link without `exp`/`sig` is a 401; a
//! forged, altered or expired one a 403 saying which.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::artifacts::{file_response, visible, Disposition, FileBytes};
use super::auth::CurrentUser;
use super::envelope::{ok, Data, ErrorBody};
use super::error::{ApiError, ApiQuery};
use super::{access, AppState};
use crate::store::artifacts::ArtifactRow;

/// How long a link lasts unless asked otherwise (`ttl`), in seconds.
pub const DEFAULT_TTL_SECS: u64 = 600;
/// The longest a link may last, in seconds.
pub const MAX_TTL_SECS: u64 = 3600;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(artifact_link))
        .routes(routes!(artifact_content))
}

/// The key that signs links, derived from the token secret (one secret to keep).
pub fn link_key(secret: &str) -> ring::hmac::Key {
    let root = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let derived = ring::hmac::sign(&root, b"workflow-engine artifact links v1");
    ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref())
}

fn message(id: &str, exp: i64) -> String {
    format!("{id}\n{exp}")
}

/// The hex signature of a link to artifact `id` valid until `exp`.
pub fn sign(key: &ring::hmac::Key, id: &str, exp: i64) -> String {
    let tag = ring::hmac::sign(key, message(id, exp).as_bytes());
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The 32 bytes a signature's 64 lowercase or uppercase hex digits spell; `None` for anything
/// else (a sign, a non-ASCII character, the wrong length).
fn from_hex(sig: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = sig.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    bytes
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Whether `sig` signs `id` and `exp` (compared in constant time), and `exp` is not past `now`.
pub fn check(key: &ring::hmac::Key, id: &str, exp: i64, sig: &str, now: i64) -> Result<(), ApiError> {
    let valid = from_hex(sig).is_some_and(|b| ring::hmac::verify(key, message(id, exp).as_bytes(), &b).is_ok());
    if !valid {
        return Err(ApiError::Forbidden(format!(
            "this link to artifact {id} is not valid (its signature does not match): ask for a new one with GET /api/artifacts/{id}/link"
        )));
    }
    // A valid signature never names an expiry further away than the longest link: a key that
    // signed longer ones (a leak, another build) is not honoured past that.
    if exp > now + MAX_TTL_SECS as i64 {
        return Err(ApiError::Forbidden(format!(
            "this link to artifact {id} expires later than links may (more than {MAX_TTL_SECS} s from now): ask for a new one with GET /api/artifacts/{id}/link"
        )));
    }
    if exp < now {
        let when = chrono::DateTime::from_timestamp(exp, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        return Err(ApiError::Forbidden(format!(
            "this link to artifact {id} expired at {when}: reload the page or ask for a new one with GET /api/artifacts/{id}/link"
        )));
    }
    Ok(())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// How long the link lasts, in seconds (1 to 3600; 600 when absent).
    ttl: Option<u64>,
}

/// A signed link to an artifact's file.
#[derive(Serialize, ToSchema)]
pub struct ArtifactLink {
    /// Relative to the server: `/api/artifacts/{id}/content?exp=...&sig=...`. Add `&download=1`
    /// to have it saved rather than shown.
    pub url: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// `GET /api/artifacts/{id}/link?ttl=`
#[utoipa::path(
    get,
    path = "/artifacts/{id}/link",
    tag = "artifacts",
    summary = "A signed link to an artifact",
    description = "A URL that fetches the artifact's file without a token until it expires (10 minutes \
        unless `ttl` says otherwise), for `<img>`, `<video>` and downloads.",
    params(("id" = String, Path, description = "The artifact's id."), LinkQuery),
    responses(
        (status = 200, description = "The link.", body = Data<ArtifactLink>),
        (status = 400, description = "A `ttl` outside 1..3600 (`invalid_query`).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 404, description = "No such artifact the caller may see.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn artifact_link(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Json<Data<ArtifactLink>>, ApiError> {
    let ttl = q.ttl.unwrap_or(DEFAULT_TTL_SECS);
    if !(1..=MAX_TTL_SECS).contains(&ttl) {
        return Err(ApiError::bad(
            "invalid_query",
            format!("ttl: must be 1 to {MAX_TTL_SECS} seconds, got {ttl}"),
        ));
    }
    let (artifact, _, _) = visible(state.engine.store(), &user, &id).await?;
    let exp = chrono::Utc::now().timestamp() + ttl as i64;
    let sig = sign(&state.auth.link_key, &artifact.id, exp);
    let expires_at = chrono::DateTime::from_timestamp(exp, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    Ok(ok(ArtifactLink {
        url: format!("/api/artifacts/{}/content?exp={exp}&sig={sig}", artifact.id),
        expires_at,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// When the link expires, in seconds since the epoch.
    exp: Option<i64>,
    /// The link's signature (hex).
    sig: Option<String>,
    /// `1`: saved as a file (`attachment`) even if the browser could show it.
    download: Option<u8>,
}

/// `GET /api/artifacts/{id}/content?exp=&sig=`
#[utoipa::path(
    get,
    path = "/artifacts/{id}/content",
    tag = "artifacts",
    summary = "An artifact's file through a signed link",
    description = "No token: the link's signature is the permission. Images, audio and video are \
        served `inline`, anything else (and everything with `download=1`) as an attachment.",
    params(("id" = String, Path, description = "The artifact's id."), ContentQuery),
    responses(
        (status = 200, description = "The file.", content_type = "*/*", body = FileBytes),
        (status = 401, description = "No `exp` or `sig`: not a signed link.", body = ErrorBody),
        (status = 403, description = "A signature that does not match, or a link past its `exp`.", body = ErrorBody),
        (status = 404, description = "No such artifact, or its file is gone.", body = ErrorBody),
        (status = 503, description = "The run's folder is on another engine node, which cannot be reached \
            (`node_unavailable`).", body = ErrorBody),
    ),
)]
pub async fn artifact_content(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ContentQuery>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (Some(exp), Some(sig)) = (q.exp, q.sig.as_deref()) else {
        return Err(ApiError::Unauthorized(format!(
            "artifact content needs a signed link (exp and sig): get one with GET /api/artifacts/{id}/link"
        )));
    };
    check(&state.auth.link_key, &id, exp, sig, chrono::Utc::now().timestamp())?;
    let store = state.engine.store();
    let not_found = || ApiError::not_found(format!("artifact {id}"));
    let artifact = ArtifactRow::get(store, &id).await?.ok_or_else(not_found)?;
    let (_, run, project) = access::step_unchecked(store, &artifact.workflow_run_step_id)
        .await?
        .ok_or_else(not_found)?;
    // Uploaded on the node that has the run's folder: served by it.
    if let Ok(answer) = super::file_proxy::for_run(&state, &run, &project, req).await {
        return Ok(answer);
    }
    let disposition = match q.download {
        Some(1) => Disposition::Attachment,
        _ => Disposition::Inline,
    };
    file_response(&artifact, &run, &project, disposition).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_valid_until_it_expires_and_only_as_signed() {
        let key = link_key("secret");
        let sig = sign(&key, "a1", 1000);
        assert!(check(&key, "a1", 1000, &sig, 999).is_ok());
        assert!(check(&key, "a1", 1000, &sig, 1000).is_ok());
        let expired = check(&key, "a1", 1000, &sig, 1001).unwrap_err();
        assert!(
            matches!(&expired, ApiError::Forbidden(m) if m.contains("expired")),
            "{expired:?}"
        );
        for (id, exp, sig) in [
            ("a2", 1000, sig.as_str()),
            ("a1", 2000, sig.as_str()),
            ("a1", 1000, "00"),
            ("a1", 1000, "zz"),
            ("a1", 1000, &format!("+{}", &sig[1..])),
            ("a1", 1000, &format!("é{}", &sig[2..])),
        ] {
            let e = check(&key, id, exp, sig, 999).unwrap_err();
            assert!(matches!(&e, ApiError::Forbidden(m) if m.contains("signature")), "{e:?}");
        }
        let far = sign(&key, "a1", 999 + MAX_TTL_SECS as i64 + 1);
        let e = check(&key, "a1", 999 + MAX_TTL_SECS as i64 + 1, &far, 999).unwrap_err();
        assert!(
            matches!(&e, ApiError::Forbidden(m) if m.contains("later than links may")),
            "{e:?}"
        );
        let other = sign(&link_key("other secret"), "a1", 1000);
        assert!(check(&key, "a1", 1000, &other, 999).is_err());
    }
}
