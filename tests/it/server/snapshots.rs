//! A snapshot per step of a worktree run, through a real server on a real git repository:
//! each script step's commit and `files_changed`, the diff endpoints (content, the cap,
//! since the last gate, errors), a rerun from a step starting from the snapshot before it,
//! and the user's checkout, index and branch left alone.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::server_util::*;

fn git(dir: &Path, args: &[&str]) -> String {
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

/// Makes the project folder a git repository with one commit (the definitions, a README).
fn commit_project(dir: &Path) -> String {
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), "# project\nline two\n").unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "initial"]);
    git(dir, &["rev-parse", "HEAD"])
}

const STEPS_YAML: &str = r#"name: Edits
phases: [work]
workspace:
  isolation: worktree
  keep: always
steps:
  - id: write
    phase: work
    type: script
    command: printf 'one\ntwo\n' > a.txt && printf 'b\n' > b.txt && mkdir -p target && echo x > target/junk
  - id: change
    phase: work
    type: script
    command: printf 'one\nTWO\nthree\n' > a.txt && rm b.txt && echo more >> README.md
  - id: nothing
    phase: work
    type: script
    command: "true"
"#;

async fn setup(s: &Server, files: &[(&str, &str)]) -> (String, String, std::path::PathBuf, String) {
    let token = s.user("snap@example.com", true);
    let (project, dir) = s.project(&token, "proj", files).await;
    std::fs::write(dir.join(".gitignore"), "target/\n.agent/workflows/executions/\n").unwrap();
    let base = commit_project(&dir);
    (token, project, dir, base)
}

fn paths(files: &Value) -> Vec<(String, String)> {
    files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(p: &str, s: &str) -> (String, String) {
    (p.to_string(), s.to_string())
}

#[tokio::test]
async fn each_step_of_a_worktree_run_has_a_snapshot_and_the_users_checkout_is_untouched() {
    let s = Server::start().await;
    let (token, project, dir, base) = setup(&s, &[("edits.yaml", STEPS_YAML)]).await;
    let status_before = git(&dir, &["status", "--porcelain"]);
    let def = s.definition_id(&token, &project, "Edits").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "completed", "{run}");
    let ws = &run["workspace"];
    let wt = Path::new(ws["path"].as_str().unwrap());

    let write = run_step(&run, "write");
    let snap = &write["snapshot"];
    assert_eq!(snap["parent"], base.as_str(), "{write}");
    assert_eq!(
        paths(&snap["files_changed"]),
        [pair("a.txt", "added"), pair("b.txt", "added")]
    );
    assert_eq!(
        (snap["additions"].as_i64(), snap["deletions"].as_i64()),
        (Some(3), Some(0))
    );
    let change = run_step(&run, "change");
    let snap2 = &change["snapshot"];
    assert_eq!(snap2["parent"], snap["commit"]);
    assert_eq!(
        paths(&snap2["files_changed"]),
        [
            pair("README.md", "modified"),
            pair("a.txt", "modified"),
            pair("b.txt", "deleted")
        ]
    );
    let a = &snap2["files_changed"][1];
    assert_eq!((a["additions"].as_i64(), a["deletions"].as_i64()), (Some(2), Some(1)));
    let nothing = run_step(&run, "nothing");
    assert_eq!(nothing["snapshot"]["files_changed"], json!([]));
    assert_eq!(nothing["snapshot"]["parent"], snap2["commit"]);

    // Each commit is on the run's own ref, in the project's repository.
    let step_id = write["id"].as_str().unwrap();
    let refname = format!("refs/workflow-engine/{run_id}/{step_id}");
    assert_eq!(git(&dir, &["rev-parse", &refname]), snap["commit"].as_str().unwrap());
    assert_eq!(
        git(
            &dir,
            &[
                "for-each-ref",
                "--format=%(refname)",
                &format!("refs/workflow-engine/{run_id}")
            ]
        )
        .lines()
        .count(),
        3
    );
    assert_eq!(
        git(&dir, &["show", &format!("{}:a.txt", snap["commit"].as_str().unwrap())]),
        "one\ntwo"
    );
    // The ignored folder is not in any snapshot.
    let tree = git(
        &dir,
        &["ls-tree", "-r", "--name-only", snap2["commit"].as_str().unwrap()],
    );
    assert!(
        !tree.contains("target/") && !tree.contains(".agent/workflows/executions"),
        "{tree}"
    );

    // The user's checkout, index and branch are as they were; the worktree's branch did not
    // move and its index is its own (the changes show as unstaged).
    assert_eq!(git(&dir, &["status", "--porcelain"]), status_before);
    assert_eq!(git(&dir, &["rev-parse", "main"]), base);
    assert_eq!(git(wt, &["rev-parse", "HEAD"]), base);
    assert_eq!(
        git(wt, &["diff", "--cached", "--name-only"]),
        "",
        "nothing staged in the worktree"
    );
    let wt_status = git(wt, &["status", "--porcelain"]);
    assert!(
        wt_status.contains("M README.md") && wt_status.contains("?? a.txt"),
        "{wt_status}"
    );

    // The step's events log carries the commit and the files.
    let (_, log) = s.get(&token, &format!("/workflow-steps/{step_id}/logs/events")).await;
    let content = log["data"]["content"].as_str().unwrap();
    let record: Value = content
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["type"] == "snapshot")
        .unwrap_or_else(|| panic!("no snapshot record in {content}"));
    assert_eq!(record["commit"], snap["commit"]);
    assert_eq!(record["files_changed"], snap["files_changed"]);
}

#[tokio::test]
async fn the_diff_endpoints_show_a_step_and_the_run_capped_and_refuse_what_they_cannot() {
    let s = Server::start().await;
    let plain =
        "name: Plain\nphases: [work]\nsteps:\n  - id: only\n    phase: work\n    type: script\n    command: echo hi\n";
    let (token, project, _dir, base) = setup(&s, &[("edits.yaml", STEPS_YAML), ("plain.yaml", plain)]).await;
    let def = s.definition_id(&token, &project, "Edits").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    let change = run_step(&run, "change")["id"].as_str().unwrap().to_string();

    let (status, body) = s.get(&token, &format!("/workflow-steps/{change}/diff")).await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["base"], run_step(&run, "write")["snapshot"]["commit"]);
    assert_eq!(d["head"], run_step(&run, "change")["snapshot"]["commit"]);
    let text = d["diff"].as_str().unwrap();
    assert!(
        text.contains("diff --git a/a.txt b/a.txt") && text.contains("-two\n+TWO\n+three\n"),
        "{text}"
    );
    assert!(text.contains("deleted file mode") && text.contains("+more"), "{text}");
    assert_eq!(d["truncated"], false);
    assert_eq!(d["total_bytes"].as_u64(), Some(text.len() as u64));
    assert_eq!(paths(&d["files"]).len(), 3);

    let (_, cut) = s
        .get(&token, &format!("/workflow-steps/{change}/diff?max_bytes=60"))
        .await;
    let cut = &cut["data"];
    assert_eq!(cut["truncated"], true, "{cut}");
    assert!(cut["diff"].as_str().unwrap().len() <= 60);
    assert_eq!(cut["total_bytes"], d["total_bytes"]);
    assert_eq!(cut["files"], d["files"], "the file list is whole whatever the cap");

    // The whole run: base to the newest snapshot.
    let (status, whole) = s.get(&token, &format!("/workflow-executions/{run_id}/diff")).await;
    assert_eq!(status, 200, "{whole}");
    assert_eq!(whole["data"]["base"], base.as_str());
    assert_eq!(whole["data"]["head"], run_step(&run, "nothing")["snapshot"]["commit"]);
    assert_eq!(
        paths(&whole["data"]["files"]),
        [pair("README.md", "modified"), pair("a.txt", "added")]
    );
    // No gate decided: since the last gate is since the base.
    let (_, gate) = s
        .get(&token, &format!("/workflow-executions/{run_id}/diff?since=last_gate"))
        .await;
    assert_eq!(gate["data"]["base"], base.as_str());

    // Errors: the cap's range, `since`, a step without a snapshot, a run without a worktree.
    for bad in ["max_bytes=0", "max_bytes=8388609", "max_bytes=lots"] {
        let (status, body) = s.get(&token, &format!("/workflow-steps/{change}/diff?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("max_bytes"),
            "{body}"
        );
    }
    let (status, body) = s
        .get(&token, &format!("/workflow-executions/{run_id}/diff?since=yesterday"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("since"), "{body}");
    let (status, _) = s.get(&token, "/workflow-steps/nope/diff").await;
    assert_eq!(status, 404);
    let (status, _) = s.get(&token, "/workflow-executions/nope/diff").await;
    assert_eq!(status, 404);
    let plain_def = s.definition_id(&token, &project, "Plain").await;
    let plain_run = s.start_run(&token, &project, &plain_def, json!({})).await;
    let plain = s.wait_status(&token, &plain_run, &["completed", "failed"]).await;
    assert_eq!(run_step(&plain, "only")["snapshot"], Value::Null);
    let only = run_step(&plain, "only")["id"].as_str().unwrap().to_string();
    let (status, body) = s.get(&token, &format!("/workflow-steps/{only}/diff")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "no_workspace");
    let (status, body) = s.get(&token, &format!("/workflow-executions/{plain_run}/diff")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_workspace")),
        "{body}"
    );
    // Another user sees neither.
    let other = s.user("other@example.com", false);
    let (status, _) = s.get(&other, &format!("/workflow-steps/{change}/diff")).await;
    assert_eq!(status, 404);
    let (status, _) = s.get(&other, &format!("/workflow-executions/{run_id}/diff")).await;
    assert_eq!(status, 404);
}

const GATE_YAML: &str = r#"name: Gated
phases: [work]
workspace:
  isolation: worktree
steps:
  - id: before
    phase: work
    type: script
    command: echo planned > plan.txt
  - id: review
    phase: work
    type: approval
    title: Review the plan
  - id: after
    phase: work
    type: script
    command: echo built > build.txt
  - id: second-review
    phase: work
    type: approval
    title: Review the build
"#;

#[tokio::test]
async fn the_diff_since_the_last_gate_starts_where_the_gate_was_decided() {
    let s = Server::start().await;
    let (token, project, _dir, base) = setup(&s, &[("gated.yaml", GATE_YAML)]).await;
    let def = s.definition_id(&token, &project, "Gated").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["waiting"]).await;
    // At the first gate, nothing decided yet: everything since the base.
    let (_, d) = s
        .get(&token, &format!("/workflow-executions/{run_id}/diff?since=last_gate"))
        .await;
    assert_eq!(d["data"]["base"], base.as_str(), "{d}");
    assert_eq!(paths(&d["data"]["files"]), [pair("plan.txt", "added")]);
    assert_eq!(
        run_step(&run, "review")["snapshot"],
        Value::Null,
        "a gate takes no snapshot"
    );
    let review = run_step(&run, "review")["id"].as_str().unwrap().to_string();
    let (status, _) = s.get(&token, &format!("/workflow-steps/{review}/diff")).await;
    assert_eq!(status, 404, "a step without a snapshot");
    let (status, body) = s
        .decide(&token, &run_id, "review", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let run = s
        .wait_run(&token, &run_id, "reached the second gate", |r| {
            find_run_step(r, "second-review").is_some_and(|st| st["status"] == "waiting")
        })
        .await;
    let (_, d) = s
        .get(&token, &format!("/workflow-executions/{run_id}/diff?since=last_gate"))
        .await;
    assert_eq!(d["data"]["base"], run_step(&run, "before")["snapshot"]["commit"], "{d}");
    assert_eq!(d["data"]["head"], run_step(&run, "after")["snapshot"]["commit"]);
    assert_eq!(paths(&d["data"]["files"]), [pair("build.txt", "added")]);
    let (_, whole) = s
        .get(&token, &format!("/workflow-executions/{run_id}/diff?since=base"))
        .await;
    assert_eq!(
        paths(&whole["data"]["files"]),
        [pair("build.txt", "added"), pair("plan.txt", "added")]
    );
}

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

    let (status, body) = s
        .post(
            &token,
            &format!("/workflow-executions/{run_id}/rerun"),
            json!({ "from_step_id": "step2" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let rerun_id = body["data"]["id"].as_str().unwrap().to_string();
    let rerun = s.wait_status(&token, &rerun_id, &["completed", "failed"]).await;
    let ws = &rerun["workspace"];
    assert_eq!(ws["base"], step1.as_str(), "{ws}");
    assert_eq!(ws["base_commit"], step1.as_str());
    let new_wt = Path::new(ws["path"].as_str().unwrap());
    assert_eq!(rerun["status"], "failed", "{rerun}");
    assert_ne!(new_wt, old_wt);
    // step2 ran again on step1's a.txt, not on what the failed attempt left.
    let listing: Vec<_> = std::fs::read_dir(new_wt)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    let seen = std::fs::read_to_string(new_wt.join("seen.txt"));
    assert_eq!(seen.as_deref().ok(), Some("from-step1\n"), "{listing:?} {rerun}");
    // The rerun's own snapshot of step2 starts from the restored commit.
    assert_eq!(run_step(&rerun, "step2")["snapshot"]["parent"], step1.as_str());
    // Rerun from the first step: the parent's base commit.
    let (status, body) = s
        .post(
            &token,
            &format!("/workflow-executions/{run_id}/rerun"),
            json!({ "from_step_id": "step1" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let again = s
        .wait_status(&token, body["data"]["id"].as_str().unwrap(), &["completed", "failed"])
        .await;
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
