//! What changed between two commits of a worktree: the per-file list with line counts
//! (`git diff --raw --numstat -M`, one process) and the unified diff read up to a byte cap.

use std::path::Path;
use std::process::Stdio;

use tokio::io::AsyncReadExt;

use super::git::{command, git, GitError, EMPTY_TREE};
use super::snapshot::SnapshotError;
pub use crate::domain::{FileChange, FileChangeStatus};

/// A unified diff, cut at the cap it was read with.
#[derive(Debug, Clone, PartialEq)]
pub struct CappedDiff {
    pub text: String,
    pub truncated: bool,
    /// The whole diff's size in bytes when not truncated; when truncated, a lower bound (the
    /// bytes read before the cap was reached and git was stopped).
    pub total_bytes: u64,
}

/// The files that differ between `base` and `head`, renames detected, in path order.
pub async fn files_changed(dir: &Path, base: &str, head: &str) -> Result<Vec<FileChange>, GitError> {
    let out = git(dir, &[&STAT_ARGS[..], &[base, head, "--"]].concat(), &NO_ATTRS).await?;
    Ok(parse_raw_numstat(&out))
}

/// The files the index of `env` (`GIT_INDEX_FILE`) differs in from commit `base`: what a
/// snapshot about to be committed from it changes.
pub async fn staged_changes(dir: &Path, base: &str, env: &[(&str, &str)]) -> Result<Vec<FileChange>, GitError> {
    let out = git(dir, &[&STAT_ARGS[..], &["--cached", base, "--"]].concat(), env).await?;
    Ok(parse_raw_numstat(&out))
}

/// Every diff the engine runs: no external diff driver, no textconv (nothing of the
/// repository's config runs).
const STAT_ARGS: [&str; 7] = [
    "diff",
    "--no-ext-diff",
    "--no-textconv",
    "--raw",
    "--numstat",
    "-M",
    "-z",
];

/// No in-tree `.gitattributes` is read (see `git::EMPTY_TREE`).
pub const NO_ATTRS: [(&str, &str); 1] = [("GIT_ATTR_SOURCE", EMPTY_TREE)];

/// Parses `--raw --numstat -z` output: every raw record (`:modes shas STATUS\0path\0`, two
/// paths for a rename), then the numstat records in the same order (`adds\tdels\tpath\0`,
/// or `adds\tdels\t\0old\0new\0` for a rename; `-\t-` for a binary file).
pub fn parse_raw_numstat(out: &str) -> Vec<FileChange> {
    let mut tokens = out.split('\0').filter(|t| !t.is_empty()).peekable();
    let mut files = Vec::new();
    while let Some(raw) = tokens.next_if(|t| t.starts_with(':')) {
        let code = raw.rsplit(' ').next().unwrap_or("M");
        let (status, two) = match code.chars().next() {
            Some('A') => (FileChangeStatus::Added, false),
            Some('D') => (FileChangeStatus::Deleted, false),
            Some('R') => (FileChangeStatus::Renamed, true),
            Some('C') => (FileChangeStatus::Added, true),
            _ => (FileChangeStatus::Modified, false),
        };
        let first = tokens.next().unwrap_or_default().to_string();
        let (path, old_path) = if two {
            (tokens.next().unwrap_or_default().to_string(), Some(first))
        } else {
            (first, None)
        };
        files.push(FileChange {
            path,
            old_path: old_path.filter(|_| status == FileChangeStatus::Renamed),
            status,
            additions: 0,
            deletions: 0,
            binary: false,
        });
    }
    for file in files.iter_mut() {
        let Some(stat) = tokens.next() else { break };
        let mut parts = stat.splitn(3, '\t');
        let (adds, dels, path) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
        if path.is_empty() {
            // A rename: the two paths follow as tokens of their own.
            tokens.next();
            tokens.next();
        }
        match (adds.and_then(|a| a.parse().ok()), dels.and_then(|d| d.parse().ok())) {
            (Some(a), Some(d)) => (file.additions, file.deletions) = (a, d),
            _ => file.binary = true,
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The unified diff from `base` to `head` (renames detected), keeping at most `cap` bytes
/// (cut at a line's end where one is near). Once past the cap git is stopped: `total_bytes`
/// is then what was read, a lower bound.
pub async fn capped_diff(dir: &Path, base: &str, head: &str, cap: usize) -> Result<CappedDiff, SnapshotError> {
    let args = [
        "-c",
        "core.quotePath=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "-M",
        base,
        head,
        "--",
    ];
    let mut cmd = command(dir, &args, &NO_ATTRS);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let failed = |stderr: String| SnapshotError::Worktree(format!("git {}: {stderr}", args.join(" ")));
    let mut child = cmd.spawn().map_err(|e| failed(e.to_string()))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let err_task = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf).await;
        buf
    });
    let mut kept = Vec::with_capacity(cap.min(1 << 20));
    let mut total: u64 = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = stdout.read(&mut chunk).await.map_err(|e| failed(e.to_string()))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
        if n > room {
            // Past the cap: the rest is not read; git is stopped and its exit not judged.
            let _ = child.start_kill();
            let _ = child.wait().await;
            err_task.abort();
            return Ok(cut(kept, total));
        }
    }
    let status = child.wait().await.map_err(|e| failed(e.to_string()))?;
    let err = err_task.await.unwrap_or_default();
    if !status.success() {
        return Err(failed(String::from_utf8_lossy(&err).trim().to_string()));
    }
    Ok(CappedDiff {
        text: String::from_utf8_lossy(&kept).into_owned(),
        truncated: false,
        total_bytes: total,
    })
}

/// A diff cut at the cap: it ends on a whole line if the cap fell in one not too long.
fn cut(mut kept: Vec<u8>, total: u64) -> CappedDiff {
    if let Some(nl) = kept.iter().rposition(|&b| b == b'\n') {
        if kept.len() - nl < 4096 {
            kept.truncate(nl + 1);
        }
    }
    CappedDiff {
        text: String::from_utf8_lossy(&kept).into_owned(),
        truncated: true,
        total_bytes: total,
    }
}
