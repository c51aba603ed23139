//! `user create`; `token`: tokens for scripts and curl, with a chosen lifetime;
//! `token revoke`: one token, or every token of a user.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crate::definition::duration;
use crate::engine::Engine;
use crate::http::auth::{self, Auth};
use crate::store::revoked_tokens;
use crate::store::users::UserRow;

/// The longest `--ttl`: a token that outlives this should be a new one.
const MAX_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// The shortest: below a minute, clocks disagreeing by the leeway matter.
const MIN_TTL: Duration = Duration::from_secs(60);

pub async fn create_user(engine: &Engine, email: &str, password: &str, name: Option<&str>, admin: bool) -> ExitCode {
    match crate::accounts::create_user(engine.store(), email, password, name, admin).await {
        Ok(u) => {
            let admin = if u.is_admin { ", admin" } else { "" };
            println!("created user {} ({}){admin}", u.email, u.id);
            ExitCode::SUCCESS
        }
        Err(crate::accounts::AccountError::Store(e)) => fail(1, &e.to_string()),
        Err(e) => fail(2, &e.to_string()),
    }
}

pub async fn print_token(engine: &Engine, data_dir: &Path, email: &str, ttl: &str) -> ExitCode {
    let ttl = match parse_ttl(ttl) {
        Ok(t) => t,
        Err(e) => return fail(2, &format!("--ttl: {e}")),
    };
    let user = match user(engine, email).await {
        Ok(u) => u,
        Err(code) => return code,
    };
    match Auth::load(data_dir) {
        Ok(auth) => {
            println!("{}", auth.issue(&user, ttl));
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, &e.to_string()),
    }
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let ttl = Duration::from_millis(duration::parse_duration(text)?);
    if ttl < MIN_TTL || ttl > MAX_TTL {
        return Err(format!("'{text}' is out of range: a token lives from 1m to 90d"));
    }
    Ok(ttl)
}

pub async fn revoke(engine: &Engine, data_dir: &Path, token: Option<&str>, email: Option<&str>) -> ExitCode {
    let store = engine.store();
    if let Some(email) = email {
        let user = match user(engine, email).await {
            Ok(u) => u,
            Err(code) => return code,
        };
        return match revoked_tokens::revoke_all(store, &user.id).await {
            Ok(()) => {
                println!("revoked every token of {} issued so far", user.email);
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, &e.to_string()),
        };
    }
    let auth = match Auth::load(data_dir) {
        Ok(a) => a,
        Err(e) => return fail(1, &e.to_string()),
    };
    let claims = match auth.decode_signed(token.unwrap_or_default().trim()) {
        Ok(c) => c,
        Err(e) => return fail(2, &format!("not a token of this server ({e})")),
    };
    match UserRow::get(store, &claims.sub).await {
        Ok(Some(_)) => {}
        Ok(None) => return fail(2, "the token's user no longer exists: the token is refused already"),
        Err(e) => return fail(1, &e.to_string()),
    }
    match revoked_tokens::revoke(store, &claims.jti, &claims.sub, &auth::expiry_time(&claims)).await {
        Ok(()) => {
            println!("revoked token {} of {}", claims.jti, claims.email);
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, &e.to_string()),
    }
}

async fn user(engine: &Engine, email: &str) -> Result<UserRow, ExitCode> {
    match UserRow::by_email(engine.store(), email).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(fail(
            2,
            &format!("no user with email {email} (create one with `workflow-engine user create`)"),
        )),
        Err(e) => Err(fail(1, &e.to_string())),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}
