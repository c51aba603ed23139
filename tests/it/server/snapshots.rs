//! A snapshot per step of a worktree run, through a real server on a real git repository:
//! each script step's commit and `files_changed`, the diff endpoints (content, the cap,
//! since the last gate, errors), and the user's checkout, index and branch left alone.
//! Reruns from a step and snapshots that fail are in `snapshot_reruns`.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::server_util::*;

pub(super) fn git(dir: &Path, args: &[&str]) -> String {
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
  - id: skipped
    phase: work
    type: script
    if: steps.nothing.status == 'failed'
    command: echo never > never.txt
"#;

pub(super) async fn setup(s: &Server, files: &[(&str, &str)]) -> (String, String, std::path::PathBuf, String) {
    let token = s.user("snap@example.com", true);
    let (project, dir) = s.project(&token, "proj", files).await;
    std::fs::write(dir.join(".gitignore"), "target/\n.agent/workflows/executions/\n").unwrap();
    let base = commit_project(&dir);
    (token, project, dir, base)
}

pub(super) fn paths(files: &Value) -> Vec<(String, String)> {
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

pub(super) fn pair(p: &str, s: &str) -> (String, String) {
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
    let skipped = run_step(&run, "skipped");
    assert_eq!(
        (skipped["status"].as_str(), &skipped["snapshot"]),
        (Some("skipped"), &Value::Null),
        "a step that did not run"
    );

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
    // A lower bound when cut: what was read before git was stopped.
    let read = cut["total_bytes"].as_u64().unwrap();
    assert!(read > 60 && read <= d["total_bytes"].as_u64().unwrap(), "{cut}");
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
