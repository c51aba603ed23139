//! `project_secrets`: per-project secrets, sealed at rest.
//!
//! A value is encrypted with XChaCha20-Poly1305 under a key kept outside the database:
//! `WORKFLOW_ENGINE_SECRETS_KEY` (64 hex digits) if set, else `secrets.key` in the data
//! directory, 32 random bytes created 0600 on first use. The project id and the name are the
//! associated data, so a sealed value copied to another project or name does not open. Names
//! are listed freely; values leave this module only for the steps that name them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde::Serialize;
use sqlx::FromRow;

use super::{now, Store, StoreError};

/// The environment variable that holds the key, as 64 hex digits.
pub const KEY_ENV: &str = "WORKFLOW_ENGINE_SECRETS_KEY";
/// The key's file in the data directory when the variable is not set.
pub const KEY_FILE: &str = "secrets.key";
/// The longest value kept: a secret is a token or a key, not a file.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{}", crate::definition::names::secret_name_error(.0))]
    Name(String),
    #[error("the value of secret {0} {1}")]
    Value(String, &'static str),
    #[error("the secrets key: {0}")]
    Key(String),
    #[error("secret {0} cannot be opened: it was sealed with another key")]
    Open(String),
    #[error("unknown secret '{name}' (this project has {known})")]
    Unknown { name: String, known: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A secret's name and dates; never its value.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct SecretInfo {
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Whether `name` can be a secret's name: an environment variable's name.
pub fn validate_name(name: &str) -> Result<(), SecretError> {
    if crate::definition::names::is_secret_name(name) {
        Ok(())
    } else {
        Err(SecretError::Name(name.to_string()))
    }
}

fn validate_value(name: &str, value: &str) -> Result<(), SecretError> {
    if value.is_empty() {
        // Nothing to mask, and almost certainly a mistake (an empty pipe into `secret set`).
        return Err(SecretError::Value(name.into(), "is empty"));
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(SecretError::Value(name.into(), "is longer than 64 KiB"));
    }
    if value.contains('\0') {
        // It is given to processes through their environment, which cannot hold one.
        return Err(SecretError::Value(name.into(), "contains a NUL byte"));
    }
    Ok(())
}

/// The sealing key: from the environment, else the data directory's file (created once).
fn cipher(data_dir: &Path) -> Result<XChaCha20Poly1305, SecretError> {
    let key = match std::env::var(KEY_ENV).ok().filter(|k| !k.trim().is_empty()) {
        Some(hex) => {
            parse_hex(hex.trim()).ok_or_else(|| SecretError::Key(format!("{KEY_ENV} is not 64 hex digits")))?
        }
        None => key_file(&data_dir.join(KEY_FILE)).map_err(|e| SecretError::Key(e.to_string()))?,
    };
    Ok(XChaCha20Poly1305::new(Key::from_slice(&key)))
}

fn key_file(path: &Path) -> std::io::Result<[u8; 32]> {
    use std::os::unix::fs::OpenOptionsExt;
    let bad = |what: &str| std::io::Error::other(format!("{} {what}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) => parse_hex(text.trim()).ok_or_else(|| bad("is not 64 hex digits")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = XChaCha20Poly1305::generate_key(&mut OsRng).into();
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            // create_new: of two processes creating it at once, the second reads the first's.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(mut f) => f.write_all(hex.as_bytes()).and_then(|()| f.sync_all()).map(|()| key),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => key_file(path),
                Err(e) => Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot create {}: {e}", path.display()),
                )),
            }
        }
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// What a value is bound to: it opens only for this project and name.
fn aad(project_id: &str, name: &str) -> Vec<u8> {
    [project_id.as_bytes(), b"\0", name.as_bytes()].concat()
}

/// Stores (or replaces) a secret; true when it is new.
pub async fn set(store: &Store, project_id: &str, name: &str, value: &str) -> Result<bool, SecretError> {
    validate_name(name)?;
    validate_value(name, value)?;
    let cipher = cipher(store.data_dir())?;
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let payload = Payload {
        msg: value.as_bytes(),
        aad: &aad(project_id, name),
    };
    let sealed = cipher
        .encrypt(&nonce, payload)
        .map_err(|_| SecretError::Key("encryption failed".into()))?;
    let ts = now();
    // Created when this insert made the row: of two sets of a new name at once, exactly one
    // does; the other (or a set of a name that exists) replaces the value. A row removed
    // between the two statements is inserted again.
    loop {
        let inserted: Vec<(String,)> = on_db!(
            store,
            "INSERT INTO project_secrets (project_id, name, nonce, ciphertext, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (project_id, name) DO NOTHING RETURNING name",
            |pool, sql| sqlx::query_as(sql)
                .bind(project_id)
                .bind(name)
                .bind(nonce.as_slice())
                .bind(&sealed)
                .bind(&ts)
                .fetch_all(pool)
                .await
        )
        .map_err(StoreError::from)?;
        if !inserted.is_empty() {
            return Ok(true);
        }
        let updated = on_db!(
            store,
            "UPDATE project_secrets SET nonce = ?3, ciphertext = ?4, updated_at = ?5
             WHERE project_id = ?1 AND name = ?2",
            |pool, sql| sqlx::query(sql)
                .bind(project_id)
                .bind(name)
                .bind(nonce.as_slice())
                .bind(&sealed)
                .bind(&ts)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        )
        .map_err(StoreError::from)?;
        if updated > 0 {
            return Ok(false);
        }
    }
}

/// The project's secrets' names and dates, by name.
pub async fn list(store: &Store, project_id: &str) -> Result<Vec<SecretInfo>, SecretError> {
    Ok(on_db!(
        store,
        "SELECT name, created_at, updated_at FROM project_secrets WHERE project_id = ? ORDER BY name",
        |pool, sql| sqlx::query_as(sql).bind(project_id).fetch_all(pool).await
    )
    .map_err(StoreError::from)?)
}

/// Removes a secret; false when there was none of that name.
pub async fn remove(store: &Store, project_id: &str, name: &str) -> Result<bool, SecretError> {
    let done = on_db!(
        store,
        "DELETE FROM project_secrets WHERE project_id = ? AND name = ?",
        |pool, sql| sqlx::query(sql)
            .bind(project_id)
            .bind(name)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    )
    .map_err(StoreError::from)?;
    Ok(done > 0)
}

/// The values of `names` (and only those), opened; an unknown name is an error naming the
/// project's secrets.
pub async fn values(
    store: &Store,
    project_id: &str,
    names: &[String],
) -> Result<BTreeMap<String, String>, SecretError> {
    let mut out = BTreeMap::new();
    if names.is_empty() {
        return Ok(out);
    }
    let cipher = cipher(store.data_dir())?;
    for name in names {
        let row: Option<(Vec<u8>, Vec<u8>)> = on_db!(
            store,
            "SELECT nonce, ciphertext FROM project_secrets WHERE project_id = ? AND name = ?",
            |pool, sql| sqlx::query_as(sql)
                .bind(project_id)
                .bind(name)
                .fetch_optional(pool)
                .await
        )
        .map_err(StoreError::from)?;
        let Some((nonce, sealed)) = row else {
            let known: Vec<String> = list(store, project_id).await?.into_iter().map(|s| s.name).collect();
            let known = if known.is_empty() {
                "no secrets".to_string()
            } else {
                known.join(", ")
            };
            return Err(SecretError::Unknown {
                name: name.clone(),
                known,
            });
        };
        let payload = Payload {
            msg: &sealed,
            aad: &aad(project_id, name),
        };
        let plain = (nonce.len() == 24)
            .then(|| cipher.decrypt(XNonce::from_slice(&nonce), payload).ok())
            .flatten()
            .ok_or_else(|| SecretError::Open(name.clone()))?;
        out.insert(name.clone(), String::from_utf8_lossy(&plain).into_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_environment_variable_names() {
        for ok in ["API_TOKEN", "_x", "a1"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A B", "É", &"A".repeat(129)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    /// Two sets of the same new name at once (two requests, or two nodes): exactly one of
    /// them created it; the other replaced its value. On the test backend.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_two_sets_of_a_new_name_at_once_one_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_for_test(dir.path()).await.unwrap();
        let project = crate::store::projects::ProjectRow::ensure(&store, dir.path())
            .await
            .unwrap();
        let mut both_created = Vec::new();
        for i in 0..20 {
            let name = format!("TOKEN_{i}");
            let (a, b) = tokio::join!(
                set(&store, &project.id, &name, "one"),
                set(&store, &project.id, &name, "two")
            );
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!(a || b, "{name}: neither set created it");
            if a && b {
                both_created.push(name);
            }
        }
        assert!(both_created.is_empty(), "both sets said created: {both_created:?}");
        assert!(
            !set(&store, &project.id, "TOKEN_0", "three").await.unwrap(),
            "it exists"
        );
        assert!(remove(&store, &project.id, "TOKEN_0").await.unwrap());
        assert!(
            set(&store, &project.id, "TOKEN_0", "four").await.unwrap(),
            "removed, then new"
        );
    }

    #[test]
    fn hex_keys() {
        assert_eq!(parse_hex(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(parse_hex("abc"), None);
        assert_eq!(parse_hex(&"zz".repeat(32)), None);
    }
}
