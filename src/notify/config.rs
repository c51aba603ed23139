//! Where notifications go and how they are signed: the configuration file's `notifications:`
//! section and `publicUrl`, then environment variables, which win:
//!
//! ```yaml
//! publicUrl: http://board.example.com:4820   # the board's address, for the run links
//! notifications:
//!   url: http://hooks.example.com/workflow-engine
//!   secret: a-long-random-string              # signs each body (HMAC-SHA256)
//!   timeout: 10s                              # each attempt (default 10s)
//!   attempts: 5                               # tries in all (default 5)
//! ```
//!
//! `WORKFLOW_ENGINE_WEBHOOK_URL`, `WORKFLOW_ENGINE_WEBHOOK_SECRET`, `WORKFLOW_ENGINE_PUBLIC_URL`.
//! A URL needs a secret; only `http://` URLs are accepted (no TLS in the binary: an `https`
//! receiver is reached through a relay).

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

pub const URL_VAR: &str = "WORKFLOW_ENGINE_WEBHOOK_URL";
pub const SECRET_VAR: &str = "WORKFLOW_ENGINE_WEBHOOK_SECRET";
pub const PUBLIC_URL_VAR: &str = "WORKFLOW_ENGINE_PUBLIC_URL";

/// A configured webhook.
#[derive(Clone, PartialEq)]
pub struct WebhookConfig {
    /// Where each notification is POSTed (`http://`).
    pub url: String,
    /// The HMAC key of `X-Workflow-Engine-Signature`; the server's own, never a step's.
    pub secret: String,
    /// The board's base URL, without a trailing `/`; `None`: the server's own address.
    pub public_url: Option<String>,
    /// How long one attempt may take, connection to answer.
    pub timeout: Duration,
    /// Tries in all (1 = no retry).
    pub attempts: u32,
}

impl std::fmt::Debug for WebhookConfig {
    /// Without the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("public_url", &self.public_url)
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_ATTEMPTS: u32 = 5;

/// The parts of the configuration file this module reads; the rest is the agents'.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FileConfig {
    #[serde(default)]
    public_url: Option<String>,
    #[serde(default)]
    notifications: Option<FileNotifications>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileNotifications {
    url: Option<String>,
    secret: Option<String>,
    timeout: Option<String>,
    attempts: Option<u32>,
}

impl WebhookConfig {
    /// The file (if any), then the environment. `Ok(None)`: no webhook configured. Errors
    /// name the file and the field (or the variable).
    pub fn load(file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<WebhookConfig>, String> {
        let (parsed, origin) = match file {
            Some(file) => {
                let text =
                    std::fs::read_to_string(file).map_err(|e| format!("cannot read config {}: {e}", file.display()))?;
                (
                    parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?,
                    file.display().to_string(),
                )
            }
            None => (FileConfig::default(), String::new()),
        };
        let at = |field: &str| {
            if origin.is_empty() {
                field.to_string()
            } else {
                format!("{origin}: {field}")
            }
        };
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let section = parsed.notifications.unwrap_or_default();
        let (url, url_from) = match env(URL_VAR) {
            Some(u) => (Some(u), URL_VAR.to_string()),
            None => (section.url, at("notifications.url")),
        };
        let (secret, secret_from) = match env(SECRET_VAR) {
            Some(s) => (Some(s), SECRET_VAR.to_string()),
            None => (section.secret, at("notifications.secret")),
        };
        let (public_url, public_from) = match env(PUBLIC_URL_VAR) {
            Some(p) => (Some(p), PUBLIC_URL_VAR.to_string()),
            None => (parsed.public_url, at("publicUrl")),
        };
        let Some(url) = url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        check_http_url(&url).map_err(|e| format!("{url_from}: {e}"))?;
        let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
            format!(
                "{secret_from}: required when a webhook URL is set (or set {SECRET_VAR}); it signs each notification"
            )
        })?;
        let public_url = match public_url.map(|p| p.trim().trim_end_matches('/').to_string()) {
            Some(p) => {
                check_public_url(&p).map_err(|e| format!("{public_from}: {e}"))?;
                Some(p)
            }
            None => None,
        };
        let timeout = match section.timeout {
            Some(t) => crate::definition::duration::parse_duration(&t)
                .map(Duration::from_millis)
                .map_err(|e| format!("{}: {e}", at("notifications.timeout")))?,
            None => DEFAULT_TIMEOUT,
        };
        if timeout.is_zero() {
            return Err(format!("{}: must be more than 0", at("notifications.timeout")));
        }
        let attempts = section.attempts.unwrap_or(DEFAULT_ATTEMPTS);
        if !(1..=20).contains(&attempts) {
            return Err(format!("{}: must be 1 to 20", at("notifications.attempts")));
        }
        Ok(Some(WebhookConfig {
            url,
            secret,
            public_url,
            timeout,
            attempts,
        }))
    }
}

fn parse_file(text: &str) -> Result<FileConfig, String> {
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let value = match value {
        serde_yaml::Value::Null => return Ok(FileConfig::default()),
        v => v,
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// A receiver's URL: `http://host[:port][/path]`. `https` is refused: the binary has no TLS.
fn check_http_url(url: &str) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err(format!(
            "'{url}': https is not supported (the engine has no TLS client); point it at an http:// relay that forwards to the https receiver"
        ));
    }
    let rest = lower
        .strip_prefix("http://")
        .ok_or_else(|| format!("'{url}' is not an http:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || url.chars().any(char::is_whitespace) {
        return Err(format!("'{url}' has no host"));
    }
    Ok(())
}

/// The board's address: `http(s)://host[:port][/prefix]`.
fn check_public_url(url: &str) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
        .ok_or_else(|| format!("'{url}' is not an http:// or https:// URL"))?;
    if rest.split('/').next().unwrap_or_default().is_empty() || url.chars().any(char::is_whitespace) {
        return Err(format!("'{url}' has no host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, vars: &[(&str, &str)]) -> Result<Option<WebhookConfig>, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yaml");
        std::fs::write(&file, text).unwrap();
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        WebhookConfig::load(Some(&file), &env).map_err(|e| e.replace(&file.display().to_string(), "FILE"))
    }

    #[test]
    fn the_file_then_the_environment() {
        assert_eq!(load("", &[]).unwrap(), None);
        assert_eq!(load("agents: {}\nstepEnv: [A]\n", &[]).unwrap(), None);
        let c = load(
            "publicUrl: http://board.example.com/\nnotifications:\n  url: http://hooks.example.com/x\n  secret: s3cret\n  timeout: 2s\n  attempts: 3\n",
            &[],
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.url, "http://hooks.example.com/x");
        assert_eq!(c.secret, "s3cret");
        assert_eq!(c.public_url.as_deref(), Some("http://board.example.com"));
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!(c.attempts, 3);
        assert!(!format!("{c:?}").contains("s3cret"));
        let c = load(
            "notifications:\n  url: http://a/\n  secret: file\n",
            &[
                (URL_VAR, "http://127.0.0.1:9/hook"),
                (SECRET_VAR, "env"),
                (PUBLIC_URL_VAR, "https://we.example.com"),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.url, "http://127.0.0.1:9/hook");
        assert_eq!(c.secret, "env");
        assert_eq!(c.public_url.as_deref(), Some("https://we.example.com"));
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert_eq!(c.attempts, DEFAULT_ATTEMPTS);
        let env_only = |k: &str| match k {
            URL_VAR => Some("http://h:1".to_string()),
            SECRET_VAR => Some("x".to_string()),
            _ => None,
        };
        assert!(WebhookConfig::load(None, &env_only).unwrap().is_some());
    }

    #[test]
    fn mistakes_name_the_file_and_the_field() {
        let err = |text: &str, vars: &[(&str, &str)]| load(text, vars).unwrap_err();
        assert_eq!(
            err("notifications:\n  url: ftp://x\n  secret: s\n", &[]),
            "FILE: notifications.url: 'ftp://x' is not an http:// URL"
        );
        assert!(err("notifications:\n  url: https://x\n  secret: s\n", &[])
            .starts_with("FILE: notifications.url: 'https://x': https is not supported"));
        assert!(err("notifications:\n  url: http://x\n", &[])
            .starts_with("FILE: notifications.secret: required when a webhook URL is set"));
        assert!(err("", &[(URL_VAR, "http://x")]).starts_with("FILE: notifications.secret: required"));
        assert!(err("", &[(URL_VAR, "nope"), (SECRET_VAR, "s")]).starts_with("WORKFLOW_ENGINE_WEBHOOK_URL: 'nope'"));
        assert!(err("notifications:\n  url: http://x\n  secret: s\n  secrett: t\n", &[])
            .starts_with("FILE: notifications.secrett: unknown field `secrett`"));
        assert_eq!(
            err("publicUrl: board\nnotifications:\n  url: http://x\n  secret: s\n", &[]),
            "FILE: publicUrl: 'board' is not an http:// or https:// URL"
        );
        assert!(
            err("notifications:\n  url: http://x\n  secret: s\n  timeout: soon\n", &[])
                .starts_with("FILE: notifications.timeout: ")
        );
        assert_eq!(
            err("notifications:\n  url: http://x\n  secret: s\n  attempts: 0\n", &[]),
            "FILE: notifications.attempts: must be 1 to 20"
        );
        assert_eq!(
            err("notifications:\n  url: http://\n  secret: s\n", &[]),
            "FILE: notifications.url: 'http://' has no host"
        );
    }
}
