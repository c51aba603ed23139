//! Keeps a project's run folders out of its git history: the first time run files are written
//! in a project (`RunFiles::write_snapshot`), `/.agent/workflows/executions/` (relative to the
//! repository's root, so right for a project in a subfolder) is added to the repository's
//! `info/exclude` (in `git rev-parse --git-common-dir`, shared by its worktrees), never to the
//! user's `.gitignore`. Once per project and process (remembered in memory), and only if the
//! line is not there already. A project outside git, or git failing, is skipped (logged at
//! debug): the run goes on. Synchronous on purpose: `RunFiles::write_snapshot` runs on the
//! run outbox's own thread (`engine::outbox`), never on the async runtime.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{LazyLock, Mutex};

use super::files::EXECUTIONS_DIR;

/// Projects looked at by this process.
static DONE: LazyLock<Mutex<HashSet<PathBuf>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// Adds the project's run folders to its repository's `info/exclude`, the first time it is
/// asked for this project.
pub fn ensure(project: &Path) {
    if !DONE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(project.to_path_buf())
    {
        return;
    }
    match exclude(project) {
        Ok(Some(file)) => tracing::info!(project = %project.display(), exclude = %file.display(),
            "run folders added to the repository's info/exclude"),
        Ok(None) => {}
        Err(e) => tracing::debug!(project = %project.display(), error = %e, "run folders not excluded from git"),
    }
}

/// Writes the line if missing: the exclude file written, or None when it had the line (or git
/// ignores the folder already).
fn exclude(project: &Path) -> Result<Option<PathBuf>, String> {
    let out = git(
        project,
        &[
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-common-dir",
        ],
    )?;
    let mut lines = out.lines();
    let (Some(top), Some(common)) = (lines.next(), lines.next()) else {
        return Err(format!("unexpected `git rev-parse` output: {out:?}"));
    };
    let top = std::fs::canonicalize(top).map_err(|e| format!("{top}: {e}"))?;
    let project = std::fs::canonicalize(project).map_err(|e| format!("{}: {e}", project.display()))?;
    let sub = project
        .strip_prefix(&top)
        .map_err(|_| format!("{} is not inside {}", project.display(), top.display()))?;
    // Ignored already (the user's own .gitignore, say): nothing to add.
    let probe = format!("{EXECUTIONS_DIR}/probe");
    if git(&project, &["check-ignore", "-q", "--no-index", &probe]).is_ok() {
        return Ok(None);
    }
    let line = pattern(&sub.join(EXECUTIONS_DIR));
    let info = Path::new(common).join("info");
    let file = info.join("exclude");
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    if text
        .lines()
        .any(|l| l.trim_end() == line || l.trim_end() == line.trim_end_matches('/'))
    {
        return Ok(None);
    }
    std::fs::create_dir_all(&info).map_err(|e| format!("{}: {e}", info.display()))?;
    let mut add = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        add.push('\n');
    }
    add.push_str("# workflow-engine: its run folders (logs, inputs, results) stay out of git\n");
    add.push_str(&line);
    add.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| f.write_all(add.as_bytes()))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(Some(file))
}

/// `rel` as an anchored gitignore pattern for a directory: `/sub/.agent/workflows/executions/`,
/// glob characters and trailing spaces escaped.
fn pattern(rel: &Path) -> String {
    let mut out = String::from("/");
    for c in rel.to_string_lossy().chars() {
        if matches!(c, '\\' | '*' | '?' | '[' | '!' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('/');
    out
}

/// `git -C dir args...` with none of the server's `GIT_*` variables (a `GIT_DIR` set for the
/// server must not point this at another repository); its stdout, or why it failed.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_anchored_and_escaped() {
        assert_eq!(
            pattern(Path::new(".agent/workflows/executions")),
            "/.agent/workflows/executions/"
        );
        assert_eq!(
            pattern(&Path::new("a [b]*/c").join(EXECUTIONS_DIR)),
            "/a \\[b]\\*/c/.agent/workflows/executions/"
        );
    }
}
