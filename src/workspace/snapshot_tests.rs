//! Snapshots and diffs against real temporary git repositories and linked worktrees.

use std::path::Path;
use std::process::Command;

use super::changes::{capped_diff, files_changed, parse_raw_numstat, FileChangeStatus};
use super::snapshot::{index_file, snapshot_ref, take};

fn sh(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A repository with a commit, and a linked worktree of it on branch `wf/test`.
fn repo_and_worktree() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    sh(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.txt"), "one\ntwo\n").unwrap();
    std::fs::write(repo.join("gone.txt"), "bye\n").unwrap();
    std::fs::write(repo.join("move.txt"), "a file that moves\nwith lines\nenough\n").unwrap();
    std::fs::write(repo.join(".gitignore"), "target/\n").unwrap();
    sh(&repo, &["add", "-A"]);
    sh(&repo, &["commit", "-q", "-m", "base"]);
    let base = sh(&repo, &["rev-parse", "HEAD"]);
    let wt = tmp.path().join("wt");
    sh(&repo, &["worktree", "add", "-q", "-b", "wf/test", wt.to_str().unwrap()]);
    (tmp, repo, wt, base)
}

#[tokio::test]
async fn a_snapshot_records_the_tree_without_touching_the_index_or_the_branch() {
    let (_tmp, repo, wt, base) = repo_and_worktree();
    std::fs::write(wt.join("a.txt"), "one\n2\nthree\n").unwrap();
    std::fs::write(wt.join("new.txt"), "fresh\n").unwrap();
    std::fs::remove_file(wt.join("gone.txt")).unwrap();
    std::fs::rename(wt.join("move.txt"), wt.join("moved.txt")).unwrap();
    std::fs::create_dir_all(wt.join("target")).unwrap();
    std::fs::write(wt.join("target/out.bin"), [0u8, 1, 2]).unwrap();
    std::fs::create_dir_all(wt.join(".agent/workflows/executions/r1")).unwrap();
    std::fs::write(wt.join(".agent/workflows/executions/r1/log"), "x").unwrap();
    std::fs::write(wt.join("pic.bin"), [0u8, 159, 146, 150, 0, 1]).unwrap();
    let status_before = sh(&wt, &["status", "--porcelain"]);

    let refname = snapshot_ref("run1", "step1");
    let snap = take(&wt, &base, &refname, "step one").await.unwrap();

    assert_eq!(
        sh(&wt, &["status", "--porcelain"]),
        status_before,
        "the index is the user's"
    );
    assert_eq!(sh(&wt, &["rev-parse", "HEAD"]), base, "the branch did not move");
    assert_eq!(sh(&repo, &["rev-parse", "main"]), base);
    assert_eq!(sh(&repo, &["rev-parse", &refname]), snap.commit);
    assert_eq!(sh(&repo, &["rev-parse", &format!("{}^", snap.commit)]), base);
    let tree = sh(&repo, &["ls-tree", "-r", "--name-only", &snap.commit]);
    let names: Vec<&str> = tree.lines().collect();
    assert_eq!(names, [".gitignore", "a.txt", "moved.txt", "new.txt", "pic.bin"]);

    let by_path = |p: &str| snap.files.iter().find(|f| f.path == p).unwrap().clone();
    assert_eq!(snap.files.len(), 5, "{:?}", snap.files);
    let a = by_path("a.txt");
    assert_eq!((a.status, a.additions, a.deletions), (FileChangeStatus::Modified, 2, 1));
    assert_eq!(by_path("new.txt").status, FileChangeStatus::Added);
    let gone = by_path("gone.txt");
    assert_eq!((gone.status, gone.deletions), (FileChangeStatus::Deleted, 1));
    let moved = by_path("moved.txt");
    assert_eq!(moved.status, FileChangeStatus::Renamed);
    assert_eq!(moved.old_path.as_deref(), Some("move.txt"));
    assert!(by_path("pic.bin").binary);
    assert_eq!((snap.additions, snap.deletions), (3, 2));
}

#[tokio::test]
async fn the_next_snapshot_reuses_the_index_and_sees_only_its_own_changes() {
    let (_tmp, repo, wt, base) = repo_and_worktree();
    std::fs::write(wt.join("a.txt"), "step one\n").unwrap();
    let first = take(&wt, &base, &snapshot_ref("r", "s1"), "1").await.unwrap();
    assert!(index_file(&wt).unwrap().exists());
    std::fs::write(wt.join("b.txt"), "step two\n").unwrap();
    let second = take(&wt, &first.commit, &snapshot_ref("r", "s2"), "2").await.unwrap();
    assert_eq!(second.parent, first.commit);
    let paths: Vec<&str> = second.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["b.txt"]);
    // Nothing changed: the snapshot is the same tree, with no files.
    let third = take(&wt, &second.commit, &snapshot_ref("r", "s3"), "3").await.unwrap();
    assert!(third.files.is_empty());
    assert_eq!(
        sh(&repo, &["rev-parse", &format!("{}^{{tree}}", third.commit)]),
        sh(&repo, &["rev-parse", &format!("{}^{{tree}}", second.commit)])
    );
    // The whole run, base to the last snapshot.
    let all = files_changed(&wt, &base, &third.commit).await.unwrap();
    let paths: Vec<&str> = all.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["a.txt", "b.txt"]);
}

#[tokio::test]
async fn the_diff_is_cut_at_the_cap_and_says_its_whole_size() {
    let (_tmp, _repo, wt, base) = repo_and_worktree();
    let big: String = (0..2000).map(|i| format!("line number {i}\n")).collect();
    std::fs::write(wt.join("big.txt"), &big).unwrap();
    let snap = take(&wt, &base, &snapshot_ref("r", "s"), "s").await.unwrap();
    let whole = capped_diff(&wt, &base, &snap.commit, 8 << 20).await.unwrap();
    assert!(!whole.truncated);
    assert_eq!(whole.total_bytes, whole.text.len() as u64);
    assert!(whole.text.contains("+line number 1999\n"));
    let cut = capped_diff(&wt, &base, &snap.commit, 1000).await.unwrap();
    assert!(cut.truncated);
    // Git is stopped past the cap: the total is what was read, at least the cap.
    assert!(
        cut.total_bytes > 1000 && cut.total_bytes <= whole.total_bytes,
        "{}",
        cut.total_bytes
    );
    assert!(cut.text.len() <= 1000 && cut.text.ends_with('\n'), "{}", cut.text.len());
    assert!(whole.text.starts_with(&cut.text));
}

#[tokio::test]
async fn a_bad_commit_is_an_error_naming_git() {
    let (_tmp, _repo, wt, base) = repo_and_worktree();
    let err = take(
        &wt,
        "0000000000000000000000000000000000000000",
        &snapshot_ref("r", "s"),
        "s",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("git"), "{err}");
    assert!(capped_diff(&wt, &base, "nope", 100).await.is_err());
    let not_a_worktree = tempfile::tempdir().unwrap();
    assert!(take(not_a_worktree.path(), &base, "refs/x", "s").await.is_err());
}

#[test]
fn numstat_records_pair_with_raw_records_renames_and_binaries_included() {
    let out = ":100644 100644 aaa bbb M\0a.txt\0:100644 100644 ccc ccc R090\0old.txt\0new.txt\0:000000 100644 000 ddd A\0img.png\0\
               3\t1\ta.txt\0\
               1\t1\t\0old.txt\0new.txt\0-\t-\timg.png\0";
    let files = parse_raw_numstat(out);
    assert_eq!(files.len(), 3);
    assert_eq!(
        (files[0].path.as_str(), files[0].additions, files[0].deletions),
        ("a.txt", 3, 1)
    );
    assert!(files[1].binary && files[1].path == "img.png");
    assert_eq!(files[2].path, "new.txt");
    assert_eq!(files[2].old_path.as_deref(), Some("old.txt"));
    assert_eq!((files[2].additions, files[2].deletions), (1, 1));
}
