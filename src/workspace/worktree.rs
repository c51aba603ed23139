//! Making, finding again and removing a run's worktree with `git worktree`. Each step is
//! safe to repeat: a crash anywhere in `ensure` leaves what a second `ensure` completes (a
//! stale registration is pruned, a half-made folder removed, a branch it already made reused).

use std::path::{Path, PathBuf};

use super::git::{git, GitError};

/// What went wrong, in words that say what and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct WorktreeError(pub String);

/// The worktree a run should have.
#[derive(Debug, Clone)]
pub struct Want<'a> {
    /// The project checkout (or a folder in it).
    pub project: &'a Path,
    pub path: &'a Path,
    pub branch: &'a str,
    pub base: &'a str,
    /// The commit `base` resolved to when this run first tried, if it did: its branch may
    /// then already exist (made by that try).
    pub base_commit: Option<&'a str>,
    /// This run's `worktree add -b` made the branch (recorded after it did).
    pub branch_made: bool,
}

/// How `ensure` found or made the worktree.
#[derive(Debug, Clone, PartialEq)]
pub enum Made {
    /// Made now from the base commit, on a new branch.
    Created,
    /// It was there (a resumed run).
    Reused,
    /// Made from the run's branch, which already existed (its folder had gone, or an
    /// earlier try made the branch and stopped).
    FromBranch,
}

/// The top of the git working tree `project` is in.
pub async fn toplevel(project: &Path) -> Result<PathBuf, WorktreeError> {
    git(project, &["rev-parse", "--show-toplevel"], &[])
        .await
        .map(PathBuf::from)
        .map_err(|e| {
            WorktreeError(format!(
                "the project {} is not in a git repository, so the run cannot have a worktree ({})",
                project.display(),
                e.stderr()
            ))
        })
}

/// The commit `base` names in `repo`.
pub async fn resolve_base(repo: &Path, base: &str) -> Result<String, WorktreeError> {
    let spec = format!("{base}^{{commit}}");
    git(
        repo,
        &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec],
        &[],
    )
    .await
    .map_err(|_| {
        WorktreeError(format!(
            "workspace base '{base}' is not a commit, branch or tag of the repository {}",
            repo.display()
        ))
    })
}

/// Refuses a name git would not take for a branch.
pub async fn check_branch_name(repo: &Path, branch: &str) -> Result<(), WorktreeError> {
    git(repo, &["check-ref-format", "--branch", branch], &[])
        .await
        .map(|_| ())
        .map_err(|_| {
            WorktreeError(format!(
                "'{branch}' is not a valid git branch name (git check-ref-format --branch)"
            ))
        })
}

pub async fn branch_exists(repo: &Path, branch: &str) -> bool {
    let r = format!("refs/heads/{branch}");
    git(repo, &["rev-parse", "--verify", "--quiet", &r], &[]).await.is_ok()
}

/// Whether `path` is a working tree of `repo`'s repository (their git folders are one).
async fn same_repository(repo: &Path, path: &Path) -> bool {
    let (Ok(here), Ok(there)) = (
        git(path, &["rev-parse", "--git-common-dir"], &[]).await,
        git(repo, &["rev-parse", "--git-common-dir"], &[]).await,
    ) else {
        return false;
    };
    let canon = |p: &Path, rel: &str| std::fs::canonicalize(p.join(rel)).ok();
    canon(path, &here).is_some_and(|h| Some(h) == canon(repo, &there))
}

/// Whether `path` is a finished working tree of `repo`'s repository: the run's own, reused
/// whatever its HEAD is now (a step may have switched branch, detached HEAD or be halfway
/// through a rebase; its files are the run's work). A worktree git was still making when it
/// stopped (`locked` says "initializing") is not.
async fn is_worktree_on(repo: &Path, path: &Path, branch: &str) -> bool {
    if !path.join(".git").exists() || !same_repository(repo, path).await {
        return false;
    }
    let Ok(admin) = git(path, &["rev-parse", "--path-format=absolute", "--git-dir"], &[]).await else {
        return false;
    };
    let locked = std::fs::read_to_string(Path::new(admin.trim()).join("locked")).unwrap_or_default();
    if locked.contains("initializing") {
        return false;
    }
    let on = git(path, &["symbolic-ref", "--quiet", "--short", "HEAD"], &[]).await;
    if !on.as_ref().is_ok_and(|b| b == branch) {
        tracing::warn!(worktree = %path.display(), branch, "the run's worktree is no longer on its branch; reused as it is");
    }
    true
}

/// Makes sure `want.path` is a worktree of the project's repository on `want.branch`: reused
/// when it is, made again from the branch when only its folder went, made new from
/// `base_commit` otherwise. `base_commit` must be recorded by the caller before this is
/// called (so that the branch this makes is known as the run's own on a second try).
pub async fn ensure(want: &Want<'_>, base_commit: &str) -> Result<Made, WorktreeError> {
    let repo = toplevel(want.project).await?;
    if is_worktree_on(&repo, want.path, want.branch).await {
        return Ok(Made::Reused);
    }
    // A registration whose folder is gone (or half made) would stop `worktree add`.
    let _ = git(&repo, &["worktree", "prune"], &[]).await;
    if want.path.exists() {
        let empty = std::fs::read_dir(want.path).is_ok_and(|mut d| d.next().is_none());
        // Only a worktree of this repository git did not finish making may be cleared:
        // anything else there (one whose `.git` a step rewrote included) is left alone.
        if !empty && !same_repository(&repo, want.path).await {
            return Err(WorktreeError(format!(
                "the worktree folder {} exists and is not this run's worktree; move it away and resume",
                want.path.display()
            )));
        }
        // Our own half-made worktree (its `.git` written, its checkout not finished): its
        // registration (locked while git made it) goes with it.
        let p = want.path.to_string_lossy();
        let _ = git(&repo, &["worktree", "remove", "--force", "--force", &p], &[]).await;
        if want.path.exists() {
            std::fs::remove_dir_all(want.path)
                .map_err(|e| WorktreeError(format!("cannot clear {}: {e}", want.path.display())))?;
        }
        let _ = git(&repo, &["worktree", "prune"], &[]).await;
    }
    if let Some(parent) = want.path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| WorktreeError(format!("cannot create the worktrees folder {}: {e}", parent.display())))?;
    }
    let path = want.path.to_string_lossy();
    if branch_exists(&repo, want.branch).await {
        // The run's own branch: made by it (recorded), or by a try that stopped before
        // recording it, when the branch is still at the base commit and nothing else
        // could tell it from one of the user's.
        let ours = want.branch_made || {
            let tip = git(
                &repo,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("refs/heads/{}", want.branch),
                ],
                &[],
            )
            .await;
            want.base_commit.is_some() && tip.is_ok_and(|t| Some(t.trim()) == want.base_commit)
        };
        if !ours {
            return Err(WorktreeError(format!(
                "branch '{}' already exists in {}; name another (workspace.branch, --branch) or delete it",
                want.branch,
                repo.display()
            )));
        }
        add(&repo, &["worktree", "add", "--quiet", &path, want.branch]).await?;
        return Ok(Made::FromBranch);
    }
    add(
        &repo,
        &["worktree", "add", "--quiet", "-b", want.branch, &path, base_commit],
    )
    .await?;
    Ok(Made::Created)
}

/// What a step in the worktree at `path` (of the checkout `top`) may reach of the
/// repository: its git folder as the checkout names it, and the worktree's admin folder
/// found by the `gitdir` file git keeps there (`<common>/worktrees/<name>/gitdir`), never by
/// the worktree's own `.git` file. None where git cannot say.
pub async fn git_access(top: &Path, path: &Path) -> Option<crate::subprocess::confine::GitAccess> {
    let common = git(top, &["rev-parse", "--path-format=absolute", "--git-common-dir"], &[])
        .await
        .ok()?;
    let common = std::fs::canonicalize(common.trim()).ok()?;
    let mine = std::fs::canonicalize(path).ok()?.join(".git");
    let admin = std::fs::read_dir(common.join("worktrees"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|dir| {
            std::fs::read_to_string(dir.join("gitdir"))
                .ok()
                .and_then(|g| std::fs::canonicalize(Path::new(g.trim()).parent()?).ok())
                .is_some_and(|p| p.join(".git") == mine)
        })?;
    // Reflogs go there: made now, as the step may not make folders in the git folder itself.
    let _ = std::fs::create_dir_all(common.join("logs"));
    Some(crate::subprocess::confine::GitAccess {
        checkout: top.to_path_buf(),
        common,
        admin,
    })
}

/// Puts the files of commit `tree` in the worktree at `path` as uncommitted changes over its
/// HEAD (what a rerun from a step starts with: the parent's files before that step, whether
/// or not they were committed). Safe to repeat: the worktree ends the same either way.
pub async fn restore_files(path: &Path, tree: &str) -> Result<(), WorktreeError> {
    let fail = |e: GitError| {
        WorktreeError(format!(
            "cannot put the files of {tree} in the worktree {}: {}",
            path.display(),
            e.stderr()
        ))
    };
    // Index and files become `tree` (files the index had and `tree` lacks are deleted),
    // then the index goes back to HEAD, leaving the files as they are.
    git(path, &["read-tree", "--reset", "-u", tree], &[])
        .await
        .map_err(fail)?;
    git(path, &["reset", "--quiet"], &[]).await.map_err(fail)?;
    Ok(())
}

async fn add(repo: &Path, args: &[&str]) -> Result<(), WorktreeError> {
    git(repo, args, &[]).await.map(|_| ()).map_err(|e| {
        WorktreeError(format!(
            "cannot make the run's worktree in {}: {}",
            repo.display(),
            e.stderr()
        ))
    })
}

/// Removes the worktree at `path` (its changes with it), prunes, and deletes `branch` when
/// asked. A folder already gone is not an error.
pub async fn remove(project: &Path, path: &Path, branch: &str, delete_branch: bool) -> Result<(), WorktreeError> {
    let repo = toplevel(project).await?;
    let p = path.to_string_lossy();
    if path.exists() {
        if let Err(e) = git(&repo, &["worktree", "remove", "--force", "--force", &p], &[]).await {
            // Not a registered worktree any more: the folder is ours to delete.
            std::fs::remove_dir_all(path).map_err(|io| {
                WorktreeError(format!(
                    "cannot remove the worktree {}: {} ({io})",
                    path.display(),
                    e.stderr()
                ))
            })?;
        }
    }
    let _ = git(&repo, &["worktree", "prune"], &[]).await;
    if delete_branch && branch_exists(&repo, branch).await {
        git(&repo, &["branch", "-D", "--", branch], &[]).await.map_err(|e| {
            WorktreeError(format!(
                "the worktree is removed but branch '{branch}' is not: {}",
                e.stderr()
            ))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args(["-c", "user.name=T", "-c", "user.email=t@e"])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "{args:?}");
        };
        run(&["init", "-q"]);
        std::fs::write(dir.path().join("f"), "x").unwrap();
        run(&["add", "f"]);
        run(&["commit", "-qm", "one"]);
        dir
    }

    /// Every point a crash can stop `ensure` at is completed by a second `ensure`.
    #[tokio::test]
    async fn making_a_worktree_again_after_a_crash_anywhere_completes_it() {
        let repo = repo();
        let out = tempfile::tempdir().unwrap();
        let path = out.path().join("wt");
        let head = resolve_base(repo.path(), "HEAD").await.unwrap();
        let want = Want {
            project: repo.path(),
            path: &path,
            branch: "wf/t",
            base: "HEAD",
            base_commit: None,
            branch_made: false,
        };
        assert_eq!(ensure(&want, &head).await.unwrap(), Made::Created);
        assert_eq!(ensure(&want, &head).await.unwrap(), Made::Reused, "made once");
        // The base commit was recorded: the branch is the run's own.
        let want = Want {
            base_commit: Some(&head),
            ..want
        };
        // Its folder removed (a crash after `worktree add` wrote part of it, or a person):
        // the stale registration is pruned and it is added again from the branch.
        std::fs::remove_dir_all(&path).unwrap();
        assert_eq!(ensure(&want, &head).await.unwrap(), Made::FromBranch);
        assert!(path.join("f").exists());
        // A step moved HEAD off the branch and left work uncommitted: reused as it is.
        std::fs::write(path.join("work"), "mine").unwrap();
        git(&path, &["checkout", "-q", "--detach"], &[]).await.unwrap();
        assert_eq!(ensure(&want, &head).await.unwrap(), Made::Reused);
        assert!(path.join("work").exists(), "the work is kept");
        git(&path, &["checkout", "-q", "wf/t"], &[]).await.unwrap();
        // Half made by git (its admin folder still locked "initializing", files missing):
        // cleared and made again.
        let admin = git(&path, &["rev-parse", "--path-format=absolute", "--git-dir"], &[])
            .await
            .unwrap();
        std::fs::write(Path::new(&admin).join("locked"), "initializing").unwrap();
        std::fs::remove_file(path.join("f")).unwrap();
        assert_eq!(ensure(&want, &head).await.unwrap(), Made::FromBranch);
        assert!(path.join("f").exists());
        // A `.git` a step rewrote: not the run's worktree any more, and not deleted.
        std::fs::write(path.join(".git"), "gitdir: ./x\n").unwrap();
        let err = ensure(&want, &head).await.unwrap_err();
        assert!(err.0.contains("is not this run's worktree"), "{err}");
        assert!(path.join("work").exists() || path.join("f").exists());
        std::fs::remove_dir_all(&path).unwrap();
        assert_eq!(ensure(&want, &head).await.unwrap(), Made::FromBranch);
        // Removed; the branch stays unless asked.
        remove(repo.path(), &path, "wf/t", false).await.unwrap();
        assert!(!path.exists() && branch_exists(repo.path(), "wf/t").await);
        remove(repo.path(), &path, "wf/t", true).await.unwrap();
        assert!(!branch_exists(repo.path(), "wf/t").await);
        // Someone else's folder there is not deleted.
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("theirs"), "").unwrap();
        let err = ensure(&want, &head).await.unwrap_err();
        assert!(err.0.contains("is not this run's worktree"), "{err}");
        assert!(path.join("theirs").exists());
    }

    #[tokio::test]
    async fn bad_places_and_names_say_what_and_where() {
        let plain = tempfile::tempdir().unwrap();
        let err = toplevel(plain.path()).await.unwrap_err();
        assert!(err.0.contains("is not in a git repository"), "{err}");
        let repo = repo();
        let err = resolve_base(repo.path(), "nope").await.unwrap_err();
        assert!(err.0.contains("'nope' is not a commit") && err.0.contains(&*repo.path().to_string_lossy()));
        assert!(check_branch_name(repo.path(), "wf/a..b").await.is_err());
        assert!(check_branch_name(repo.path(), "wf/ok-1").await.is_ok());
    }
}
