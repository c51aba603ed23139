//! Running the system `git` for the engine: one function, a clean environment (nothing of
//! the server's `GIT_DIR`, `GIT_INDEX_FILE`, `GIT_WORK_TREE` ... leaks in; only `PATH`,
//! `HOME` and the locale's basics are kept, then the caller's own variables), no prompts, and
//! git's stderr in the error.

use std::path::Path;

/// A git command that could not start or did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(String),
    /// It ran and exited unsuccessfully: the command, its exit code and its stderr.
    #[error("git {args} failed (exit {code}): {stderr}")]
    Failed { args: String, code: i32, stderr: String },
}

impl GitError {
    /// git's own words, for a message that says what went wrong.
    pub fn stderr(&self) -> &str {
        match self {
            GitError::Spawn(e) => e,
            GitError::Failed { stderr, .. } => stderr,
        }
    }
}

/// The variables of the engine's environment a git command keeps.
const KEPT: &[&str] = &["PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "XDG_CONFIG_HOME"];

/// Runs `git args...` in `dir` with `env` added to a clean environment; its stdout, trimmed
/// of the final newline, when it succeeds.
pub async fn git(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String, GitError> {
    let mut cmd = tokio::process::Command::new("git");
    cmd.current_dir(dir).args(args).env_clear();
    for key in KEPT {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .await
        .map_err(|e| GitError::Spawn(format!("{e} (is git installed and on PATH?)")))?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            code: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn git_runs_in_its_folder_and_says_why_it_failed() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"], &[]).await.unwrap();
        let top = git(dir.path(), &["rev-parse", "--show-toplevel"], &[]).await;
        let top = std::fs::canonicalize(top.unwrap()).unwrap();
        assert_eq!(top, std::fs::canonicalize(dir.path()).unwrap());
        let err = git(dir.path(), &["rev-parse", "--verify", "nope^{commit}"], &[])
            .await
            .unwrap_err();
        assert!(matches!(err, GitError::Failed { .. }), "{err}");
        assert!(err.to_string().contains("rev-parse"), "{err}");
    }
}
