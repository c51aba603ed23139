//! TEMPORARY (A2, until ws-core's git.rs lands): the system `git`, run with a clean environment.

use std::path::Path;

/// A git command that failed: its arguments and what it printed on stderr.
#[derive(Debug, thiserror::Error)]
#[error("git {args}: {stderr}")]
pub struct GitError {
    pub args: String,
    pub stderr: String,
}

pub async fn git(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String, GitError> {
    let mut cmd = tokio::process::Command::new("git");
    cmd.current_dir(dir).args(args).kill_on_drop(true);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().await.map_err(|e| GitError {
        args: args.join(" "),
        stderr: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(GitError {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
