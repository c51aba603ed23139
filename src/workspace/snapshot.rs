//! A run's worktree recorded as a commit after each step, without touching its index or
//! its branch: the tree is built in an index file of the engine's own (`GIT_INDEX_FILE`),
//! kept in the worktree's git directory and reused from step to step so that only the
//! files a step changed are hashed again, then committed with `git commit-tree` on top of
//! the previous snapshot and pointed at by `refs/workflow-engine/<run-id>/<step-row-id>`.
//! What changed between two commits (`files_changed`) and the capped diff are `changes`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::changes::{staged_changes, FileChange};
use super::git::{git, GitError};

/// A snapshot or diff that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{0}")]
    Worktree(String),
}

/// The engine's index file, in the worktree's git directory (removed with the worktree).
const INDEX_FILE: &str = "workflow-engine-snapshot-index";
/// Never part of a snapshot: a run's own files, should a workflow write them in the tree.
const RUN_FILES: &str = ":(exclude,glob).agent/workflows/executions/**";

/// One step's snapshot: its commit, the commit before it and what changed between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub commit: String,
    pub parent: String,
    pub files: Vec<FileChange>,
    pub additions: u64,
    pub deletions: u64,
    /// The worktree's HEAD as the snapshot was taken (None if git could not say).
    pub head: Option<String>,
}

/// The ref a step's snapshot is kept under.
pub fn snapshot_ref(run_id: &str, step_row_id: &str) -> String {
    format!("refs/workflow-engine/{run_id}/{step_row_id}")
}

/// Serialises the snapshots of one worktree (two steps of a fan-out ending at once share its
/// index file, and each snapshot's parent is the one before it). Hold it while reading the
/// parent, taking the snapshot and recording it.
pub async fn lock(worktree: &Path) -> tokio::sync::OwnedMutexGuard<()> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let lock = {
        let mut locks = LOCKS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(worktree.to_path_buf()).or_default().clone()
    };
    lock.lock_owned().await
}

/// Records the tree of `worktree` (tracked and untracked files, `.gitignore` respected) as a
/// commit whose parent is `parent`, under `refname`. The worktree's index, HEAD and branch
/// are left as they are.
pub async fn take(worktree: &Path, parent: &str, refname: &str, message: &str) -> Result<Snapshot, SnapshotError> {
    let index = index_file(worktree)?;
    seed_index(worktree, &index, parent).await?;
    let index_str = index.to_string_lossy().into_owned();
    let env = [("GIT_INDEX_FILE", index_str.as_str())];
    // The untracked cache (kept in our index) spares re-reading unchanged directories.
    git(
        worktree,
        &["-c", "core.untrackedCache=true", "add", "-A", "--", ".", RUN_FILES],
        &env,
    )
    .await?;
    // The commit (a tree, a commit, the ref: each needs the one before) and the file list
    // (read from the same index against the parent) at once.
    let record = async {
        let tree = git(worktree, &["write-tree"], &env).await?;
        let commit = git(
            worktree,
            &["commit-tree", tree.trim(), "-p", parent, "-m", message],
            &snapshot_identity(&env),
        )
        .await?;
        let commit = commit.trim().to_string();
        if !write_loose_ref(worktree, refname, &commit) {
            git(worktree, &["update-ref", refname, &commit], &[]).await?;
        }
        Ok::<_, GitError>(commit)
    };
    let head = async {
        git(worktree, &["rev-parse", "--verify", "--quiet", "HEAD"], &[])
            .await
            .ok()
    };
    let (commit, files, head) = tokio::join!(record, staged_changes(worktree, parent, &env), head);
    let (commit, files) = (commit?, files?);
    Ok(Snapshot {
        additions: files.iter().map(|f| f.additions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
        commit,
        parent: parent.to_string(),
        files,
        head: head.map(|h| h.trim().to_string()).filter(|h| !h.is_empty()),
    })
}

/// The snapshot commits' author and committer: the engine, whatever the user configured.
fn snapshot_identity<'a>(env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = env.to_vec();
    all.extend([
        ("GIT_AUTHOR_NAME", "workflow-engine"),
        ("GIT_AUTHOR_EMAIL", "workflow-engine@localhost"),
        ("GIT_COMMITTER_NAME", "workflow-engine"),
        ("GIT_COMMITTER_EMAIL", "workflow-engine@localhost"),
    ]);
    all
}

/// The first snapshot of a worktree starts its index from the worktree's own (whose stat
/// data spares hashing every file again), or from `parent`'s tree; later ones reuse it.
async fn seed_index(worktree: &Path, index: &Path, parent: &str) -> Result<(), SnapshotError> {
    if index.exists() {
        return Ok(());
    }
    let own = index.with_file_name("index");
    if own.exists() && std::fs::copy(&own, index).is_ok() {
        return Ok(());
    }
    let index_str = index.to_string_lossy().into_owned();
    git(worktree, &["read-tree", parent], &[("GIT_INDEX_FILE", &index_str)]).await?;
    Ok(())
}

/// The engine's index file of `worktree`: in its git directory (`.git` is a directory in a
/// main checkout, a `gitdir:` file in a linked worktree).
pub fn index_file(worktree: &Path) -> Result<PathBuf, SnapshotError> {
    Ok(git_dir(worktree)?.join(INDEX_FILE))
}

/// Writes a new ref of the engine's own as git's files backend keeps it (`<common-dir>/<ref>`,
/// through `<ref>.lock` as git itself does), sparing a `git update-ref` process per step;
/// false, and nothing written, where that is not how the repository keeps refs (reftable)
/// or it could not be done, for the caller to run `git update-ref`.
fn write_loose_ref(worktree: &Path, refname: &str, commit: &str) -> bool {
    let Ok(dir) = git_dir(worktree) else { return false };
    let common = match std::fs::read_to_string(dir.join("commondir")) {
        Ok(rel) => dir.join(rel.trim()),
        Err(_) => dir,
    };
    if !refname.starts_with("refs/workflow-engine/") || common.join("reftable").exists() {
        return false;
    }
    let path = common.join(refname);
    let lock = path.with_extension("lock");
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(path.parent().expect("a ref has a folder"))?;
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&lock)?;
        std::io::Write::write_all(&mut file, format!("{commit}\n").as_bytes())?;
        std::fs::rename(&lock, &path)
    };
    match write() {
        Ok(()) => true,
        Err(_) => {
            let _ = std::fs::remove_file(&lock);
            false
        }
    }
}

fn git_dir(worktree: &Path) -> Result<PathBuf, SnapshotError> {
    let dot_git = worktree.join(".git");
    if dot_git.is_dir() {
        return Ok(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git)
        .map_err(|e| SnapshotError::Worktree(format!("{} is not a git worktree: {e}", worktree.display())))?;
    let dir = text
        .lines()
        .find_map(|l| l.strip_prefix("gitdir:"))
        .map(|d| PathBuf::from(d.trim()))
        .ok_or_else(|| SnapshotError::Worktree(format!("{} has no gitdir line", dot_git.display())))?;
    Ok(if dir.is_absolute() { dir } else { worktree.join(dir) })
}
