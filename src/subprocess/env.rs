//! The environment a step's process starts from: an allow-list of the server's variables, not
//! all of them.
//!
//! Steps run code the server's users wrote (scripts, agents with tools, TypeScript), so the
//! server's own environment (`JWT_SECRET`, `WORKFLOW_ENGINE_DATA_DIR`, API keys, database
//! URLs) must not reach them. Every spawn site (script steps and `ctx.exec`, agent CLIs, the JS
//! worker) clears the inherited environment and starts from [`inherited`]: the variables a
//! program needs to behave (`PATH`, `HOME`, locale, terminal), the names the operator lists in
//! `WORKFLOW_ENGINE_STEP_ENV` or the configuration file's `stepEnv`, and the names the caller adds (an agent's credentials). The
//! step's own `env`, the `WORKFLOW_*` run variables and the guard marker are added by the caller.

use std::ffi::OsString;
use std::sync::OnceLock;

/// The operator's passthrough list: names (or `PREFIX*`) separated by commas or spaces.
pub const PASSTHROUGH_VAR: &str = "WORKFLOW_ENGINE_STEP_ENV";

/// What every step's process gets from the server's environment, whatever else is configured.
pub const ALLOWED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TERM",
    "TZ",
    "TMPDIR",
    "COLORTERM",
    "NO_COLOR",
];

/// The server's own secrets in its environment: no step gets them, whatever the operator's
/// patterns say (`WORKFLOW_ENGINE_*` on the passthrough list passes the rest of those).
pub const NEVER: &[&str] = &["WORKFLOW_ENGINE_WEBHOOK_SECRET"];

/// Whether `name` matches `pattern`: the same name, or a prefix when the pattern ends in `*`.
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The configuration file's `stepEnv`, set once at start-up.
static CONFIGURED: OnceLock<Vec<String>> = OnceLock::new();

/// Adds the configuration file's `stepEnv` patterns to the operator's passthrough list.
pub fn configure(patterns: Vec<String>) {
    let _ = CONFIGURED.set(patterns);
}

/// The operator's passthrough patterns: `WORKFLOW_ENGINE_STEP_ENV`, then the file's.
fn passthrough() -> Vec<String> {
    let from_env = std::env::var(PASSTHROUGH_VAR).unwrap_or_default();
    let from_env = from_env
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    from_env
        .chain(CONFIGURED.get().into_iter().flatten().cloned())
        .collect()
}

/// The server's variables a step may see: the allow-list, the operator's passthrough list and
/// `extra` (patterns the caller adds, e.g. an agent's credentials); never those of [`NEVER`].
pub fn inherited(extra: &[String]) -> Vec<(OsString, OsString)> {
    let operator = passthrough();
    let allowed = |name: &str| {
        !NEVER.contains(&name)
            && (ALLOWED.iter().any(|p| matches(p, name)) || operator.iter().chain(extra).any(|p| matches(p, name)))
    };
    std::env::vars_os()
        .filter(|(k, _)| k.to_str().is_some_and(allowed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn names_and_prefixes() {
        assert!(matches("PATH", "PATH"));
        assert!(!matches("PATH", "PATHS"));
        assert!(matches("LC_*", "LC_ALL"));
        assert!(!matches("LC_*", "LANG"));
        assert!(matches("ANTHROPIC_*", "ANTHROPIC_API_KEY"));
    }
}
