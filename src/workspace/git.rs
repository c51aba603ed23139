//! Running the system `git` for the engine: one function, a clean environment (nothing of
//! the server's `GIT_DIR`, `GIT_INDEX_FILE`, `GIT_WORK_TREE` ... leaks in; only `PATH`,
//! `HOME` and a few basics are kept, then the caller's own variables), no prompts, and
//! git's stderr in the error.
//!
//! A workflow's steps can write the repository's `.git/config` and `.gitattributes`, so the
//! engine's git runs nothing they could plant: no system or global config (`GIT_CONFIG_NOSYSTEM`,
//! `GIT_CONFIG_GLOBAL=/dev/null`), no fsmonitor and no hooks (`-c core.fsmonitor=false
//! -c core.hooksPath=/dev/null`), and the callers add `--no-ext-diff --no-textconv` to diffs,
//! `--no-gpg-sign` to commits and `GIT_ATTR_SOURCE` (the empty tree: no in-tree attributes,
//! so no clean/smudge filter) where git reads files of the worktree. Messages are in English
//! (`LC_ALL=C`), for the engine to read.

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
const KEPT: &[&str] = &["PATH", "HOME", "USER", "TMPDIR"];

/// The options every engine git command starts with: nothing it runs comes from the repository.
pub const SAFE_OPTIONS: [&str; 4] = ["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"];

/// git's empty tree: as `GIT_ATTR_SOURCE`, no `.gitattributes` of the worktree is read (so no
/// `filter=` of theirs runs while the engine hashes the worktree's files).
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// `git SAFE_OPTIONS args...` in `dir` with the clean environment and `env` added.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("git");
    cmd.current_dir(dir).args(SAFE_OPTIONS).args(args).env_clear();
    for key in KEPT {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `git args...` in `dir` with `env` added to a clean environment; its stdout, trimmed
/// of the final newline, when it succeeds.
pub async fn git(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String, GitError> {
    let out = command(dir, args, env)
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
