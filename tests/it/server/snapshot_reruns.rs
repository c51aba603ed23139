//! A rerun from a step of a worktree run starts from the snapshot before that step (files as
//! they were, not as the failed attempt left them); a snapshot that cannot be taken is
//! logged and never fails the step. Through a real server on a real git repository.

use std::path::Path;

use serde_json::{json, Value};

use super::snapshots::{git, setup};
use crate::server_util::*;

const FAILING_YAML: &str = r#"name: Fails
phases: [work]
workspace:
  isolation: worktree
  keep: on-failure
  # Each rerun on a branch of its own (the default's short id is the id's time prefix).
  branch: "snap/{{ run.id }}"
steps:
  - id: step1
    phase: work
    type: script
    command: echo from-step1 > a.txt
  - id: step2
    phase: work
    type: script
    command: cat a.txt > seen.txt && echo from-step2 > a.txt && exit 1
"#;

#[tokio::test]
async fn a_rerun_from_a_step_starts_its_worktree_from_the_snapshot_before_it() {
    let s = Server::start().await;
    let (token, project, dir, base) = setup(&s, &[("fails.yaml", FAILING_YAML)]).await;
    let def = s.definition_id(&token, &project, "Fails").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "failed", "{run}");
    let step1 = run_step(&run, "step1")["snapshot"]["commit"]
        .as_str()
        .unwrap()
        .to_string();
    // The failed step's snapshot too: what the failed attempt left.
    let step2 = &run_step(&run, "step2")["snapshot"];
    assert_eq!(step2["parent"], step1.as_str());
    let failed_tree = git(&dir, &["show", &format!("{}:a.txt", step2["commit"].as_str().unwrap())]);
    assert_eq!(failed_tree, "from-step2");
    let old_wt = Path::new(run["workspace"]["path"].as_str().unwrap()).to_path_buf();
    assert_eq!(std::fs::read_to_string(old_wt.join("a.txt")).unwrap(), "from-step2\n");

    let rerun = rerun_from(&s, &token, &run_id, "step2").await;
    let ws = &rerun["workspace"];
    // The branch starts where the parent's was when step1's snapshot was taken (step1
    // committed nothing: the base), step1's files put over it uncommitted.
    assert_eq!(ws["base"], base.as_str(), "{ws}");
    assert_eq!(ws["base_commit"], base.as_str());
    assert_eq!(ws["start_commit"], step1.as_str());
    let new_wt = Path::new(ws["path"].as_str().unwrap());
    assert_eq!(rerun["status"], "failed", "{rerun}");
    assert_ne!(new_wt, old_wt);
    // step2 ran again on step1's a.txt, not on what the failed attempt left.
    let listing: Vec<_> = std::fs::read_dir(new_wt)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    let seen = std::fs::read_to_string(new_wt.join("seen.txt"));
    assert_eq!(seen.as_deref().ok(), Some("from-step1\n"), "{listing:?} {rerun}");
    assert_eq!(
        run_step(&rerun, "step1")["snapshot"]["commit"],
        step1.as_str(),
        "a reused step keeps its snapshot (a rerun of this rerun starts from it)"
    );
    // The rerun's own snapshot of step2 starts from the restored commit.
    assert_eq!(run_step(&rerun, "step2")["snapshot"]["parent"], step1.as_str());
    // No snapshot commit of the engine's is on the rerun's branch.
    let branch_log = git(&dir, &["log", "--format=%an %s", ws["branch"].as_str().unwrap()]);
    assert!(!branch_log.contains("workflow-engine"), "{branch_log}");
    // Rerun from the first step: the parent's base commit.
    let again = rerun_from(&s, &token, &run_id, "step1").await;
    assert_eq!(again["workspace"]["base_commit"], base.as_str(), "{again}");
}

#[tokio::test]
async fn a_snapshot_that_cannot_be_taken_is_logged_and_the_step_still_completes() {
    // The step unlinks its worktree from git (`.git` is the worktree's link file): no
    // snapshot can be taken, and the step's result is its own.
    let yaml = "name: Unlinks\nphases: [work]\nworkspace:\n  isolation: worktree\n  keep: always\nsteps:\n  - id: unlink\n    phase: work\n    type: script\n    command: rm .git && echo gone\n";
    let s = Server::start().await;
    let (token, project, _dir, _base) = setup(&s, &[("unlinks.yaml", yaml)]).await;
    let def = s.definition_id(&token, &project, "Unlinks").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    let step = run_step(&run, "unlink");
    assert_eq!(step["status"], "completed", "{run}");
    assert_eq!(step["snapshot"], Value::Null);
    let id = step["id"].as_str().unwrap();
    let (_, log) = s.get(&token, &format!("/workflow-steps/{id}/logs/events")).await;
    let content = log["data"]["content"].as_str().unwrap();
    let failed: Value = content
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["type"] == "snapshot_failed")
        .unwrap_or_else(|| panic!("no snapshot_failed record in {content}"));
    assert!(failed["error"].as_str().unwrap().contains("git"), "{failed}");
}

const COMMITTING_YAML: &str = r#"name: Commits
phases: [work]
workspace:
  isolation: worktree
  keep: always
steps:
  - id: step1
    phase: work
    type: script
    command: "echo kept > c.txt && git add c.txt && git -c user.name=A -c user.email=a@b commit -qm step1-commit && echo uncommitted > a.txt"
  - id: step2
    phase: work
    type: script
    command: "git log --format=%s > /dev/null; git status --porcelain > status.txt; cat a.txt > seen.txt; echo broken > a.txt; exit 1"
"#;

#[tokio::test]
async fn a_rerun_keeps_the_commits_made_before_the_step_and_its_uncommitted_files() {
    let s = Server::start().await;
    let (token, project, dir, _base) = setup(&s, &[("commits.yaml", COMMITTING_YAML)]).await;
    let def = s.definition_id(&token, &project, "Commits").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "failed", "{run}");
    let rerun = rerun_from(&s, &token, &run_id, "step2").await;
    let ws = &rerun["workspace"];
    let wt = Path::new(ws["path"].as_str().unwrap());
    // step2 ran again on step1's work: its commit in the history, its edit uncommitted.
    assert_eq!(
        std::fs::read_to_string(wt.join("seen.txt")).unwrap(),
        "uncommitted\n",
        "{rerun}"
    );
    let status_then = std::fs::read_to_string(wt.join("status.txt")).unwrap();
    assert!(
        status_then.contains("a.txt") && !status_then.contains("c.txt"),
        "{status_then}"
    );
    let log = git(&dir, &["log", "--format=%an|%s", ws["branch"].as_str().unwrap()]);
    assert!(log.contains("step1-commit"), "{log}");
    assert!(
        !log.contains("workflow-engine"),
        "no engine commit on the branch: {log}"
    );
}

const THREE_YAML: &str = r#"name: Three
phases: [work]
workspace:
  isolation: worktree
  keep: always
steps:
  - id: s0
    phase: work
    type: script
    command: echo s0 >> log.txt
  - id: s1
    phase: work
    type: script
    command: echo s1 >> log.txt
  - id: s2
    phase: work
    type: script
    command: cp log.txt seen.txt && echo s2 >> log.txt
"#;

#[tokio::test]
async fn a_rerun_of_a_rerun_starts_from_the_files_before_its_step() {
    // A runs s0 s1 s2; B reruns A from s2 (s0, s1 reused); C reruns B from s1: C's s1 must
    // see only s0's line, not the one s1 already wrote in A.
    let s = Server::start().await;
    let (token, project, _dir, _base) = setup(&s, &[("three.yaml", THREE_YAML)]).await;
    let def = s.definition_id(&token, &project, "Three").await;
    let a = s.start_run(&token, &project, &def, json!({})).await;
    assert_eq!(
        s.wait_status(&token, &a, &["completed", "failed"]).await["status"],
        "completed"
    );
    let b = rerun_from(&s, &token, &a, "s2").await;
    assert_eq!(b["status"], "completed", "{b}");
    let c = rerun_from(&s, &token, b["id"].as_str().unwrap(), "s1").await;
    assert_eq!(c["status"], "completed", "{c}");
    let wt = Path::new(c["workspace"]["path"].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(wt.join("seen.txt")).unwrap(), "s0\ns1\n", "{c}");
    assert_eq!(std::fs::read_to_string(wt.join("log.txt")).unwrap(), "s0\ns1\ns2\n");
}

/// Reruns `run_id` from step `from` through the API and waits for the new run to end.
async fn rerun_from(s: &Server, token: &str, run_id: &str, from: &str) -> Value {
    let (status, body) = s
        .post(
            token,
            &format!("/workflow-executions/{run_id}/rerun"),
            json!({ "from_step_id": from }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    s.wait_status(token, body["data"]["id"].as_str().unwrap(), &["completed", "failed"])
        .await
}
