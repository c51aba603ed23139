//! A run's worktree across stops: a crash of the CLI mid-step and a resume in the same
//! worktree (or one made again from the branch when its folder went, or a clear failure when
//! both went), and a run waiting at a gate that keeps its worktree and continues in it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::util::*;
use crate::workspaces::{git, git_repo, workspace_of};

#[tokio::test]
async fn a_crashed_run_resumes_in_the_same_worktree_and_one_whose_folder_went_is_made_again() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    let src = "name: Crashy\nworkspace:\n  isolation: worktree\n  keep: always\nphases: [p]\nsteps:\n  - id: one\n    phase: p\n    type: script\n    command: echo one > one.txt\n  - id: two\n    phase: p\n    type: script\n    command: 'touch two.started; until [ -f \"$WORKFLOW_REPO_PATH/go\" ]; do sleep 0.1; done; echo two > two.txt'\n";
    let file = sb.write("crashy.yaml", src);
    let store = sb.store().await;
    let crash = |sb: &Sandbox| {
        let mut child = sb
            .cmd(&["run", file.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let root = sb.data_dir().join("worktrees");
        let list = || -> Vec<PathBuf> {
            std::fs::read_dir(&root)
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default()
        };
        let before = list();
        // In this run's worktree (an earlier one is kept).
        wait_until(30, "step two to start", || {
            list()
                .iter()
                .any(|p| !before.contains(p) && p.join("two.started").exists())
        });
        child.kill().unwrap();
        run_id(&child.wait_with_output().unwrap())
    };
    // Killed mid-step: resumed, the same worktree (step one's file still there) is used.
    let id = crash(&sb);
    let ws = workspace_of(&sb, &id);
    assert_eq!(ws["state"], "active");
    let path = PathBuf::from(ws["path"].as_str().unwrap());
    std::fs::write(sb.project().join("go"), "").unwrap();
    let out = sb.run(&["resume", &id]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let after = workspace_of(&sb, &id);
    assert_eq!(
        (after["path"].clone(), after["state"].as_str()),
        (ws["path"].clone(), Some("kept"))
    );
    assert!(path.join("one.txt").exists() && path.join("two.txt").exists());
    let s = steps(&store, &id).await;
    assert_eq!((s[0].attempt, s[1].attempt), (1, 2), "step one is not run again");
    assert_eq!(git(&sb.project(), &["worktree", "list"]).lines().count(), 2);

    // Killed, then its folder removed by hand: made again from the branch, and said so.
    std::fs::remove_file(sb.project().join("go")).unwrap();
    let id = crash(&sb);
    let ws = workspace_of(&sb, &id);
    let path = PathBuf::from(ws["path"].as_str().unwrap());
    std::fs::remove_dir_all(&path).unwrap();
    std::fs::write(sb.project().join("go"), "").unwrap();
    let out = sb.run(&["resume", &id]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(path.join("two.txt").exists());
    // Step one (done, not run again) committed nothing: its file comes back from its snapshot.
    assert_eq!(std::fs::read_to_string(path.join("one.txt")).unwrap(), "one\n");
    let v: Value = serde_json::from_str(&stdout(&sb.run(&["show", &id, "--json"]))).unwrap();
    let said = v["comments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["text"].as_str().unwrap().contains("made again from branch"));
    assert!(said, "{}", v["comments"]);

    // Killed, folder and branch both gone: the resume fails saying so.
    std::fs::remove_file(sb.project().join("go")).unwrap();
    let id = crash(&sb);
    let ws = workspace_of(&sb, &id);
    git(
        &sb.project(),
        &["worktree", "remove", "--force", ws["path"].as_str().unwrap()],
    );
    git(&sb.project(), &["branch", "-D", ws["branch"].as_str().unwrap()]);
    let out = sb.run(&["resume", &id]);
    assert!(!out.status.success());
    let ws = workspace_of(&sb, &id);
    assert!(ws["error"].as_str().unwrap().contains("are both gone"), "{ws}");
}

const GATED: &str = "name: Gated\nworkspace:\n  isolation: worktree\nphases: [p]\nsteps:\n  - id: one\n    phase: p\n    type: script\n    command: echo one > one.txt\n  - id: gate\n    phase: p\n    type: approval\n    title: Go?\n  - id: two\n    phase: p\n    type: script\n    command: test -f one.txt && echo two > two.txt\n";

#[test]
fn a_waiting_run_keeps_its_worktree_and_continues_in_it() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    let file = sb.write("gated.yaml", GATED);
    // Off a terminal the run stops at its gate (exit 5), holding nothing but its worktree.
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let ws = workspace_of(&sb, &id);
    assert_eq!(ws["state"], "active");
    let path = PathBuf::from(ws["path"].as_str().unwrap());
    assert!(path.join("one.txt").exists());
    // Approved: the run goes on in the same worktree (step two finds step one's file), then
    // completes and its worktree is removed (on-failure).
    let out = sb.run(&["approve", &id, "gate"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&sb.run(&["show", &id, "--json"]))).unwrap();
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["workspace"]["state"], "removed");
    assert!(!path.exists());

    // Cancelled while it waits: on-failure keeps it.
    let out = sb.run(&["run", file.to_str().unwrap()]);
    let id = run_id(&out);
    let out = sb.run(&["cancel", &id]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let ws = workspace_of(&sb, &id);
    assert_eq!(ws["state"], "kept", "{ws}");
    assert!(Path::new(ws["path"].as_str().unwrap()).join("one.txt").exists());
}

#[test]
fn a_paused_run_keeps_its_worktree_and_resumes_in_it() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    let src = "name: Pausable\nworkspace:\n  isolation: worktree\nphases: [p]\nsteps:\n  - id: slow\n    phase: p\n    type: script\n    command: touch slow.started; sleep 1; echo slow > side.txt\n  - id: next\n    phase: p\n    type: script\n    command: echo next >> side.txt\n";
    let file = sb.write("pausable.yaml", src);
    let child = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let root = sb.data_dir().join("worktrees");
    wait_until(30, "the slow step to start", || {
        std::fs::read_dir(&root)
            .map(|d| d.flatten().any(|e| e.path().join("slow.started").exists()))
            .unwrap_or(false)
    });
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stdout(&out));
    let id = run_id(&out);
    let ws = workspace_of(&sb, &id);
    assert_eq!(ws["state"], "active", "a paused run keeps its worktree: {ws}");
    let path = PathBuf::from(ws["path"].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(path.join("side.txt")).unwrap(), "slow\n");
    let out = sb.run(&["resume", &id]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let ws = workspace_of(&sb, &id);
    assert_eq!(ws["state"], "removed", "completed (on-failure): {ws}");
    let branch = ws["branch"].as_str().unwrap();
    // Its work is gone with the worktree (not committed), the branch stays at the base.
    assert_eq!(
        git(&sb.project(), &["rev-parse", branch]),
        ws["base_commit"].as_str().unwrap()
    );
}
