//! Any node answers any request: two nodes that do not share a filesystem (each in a mount
//! namespace of its own), the project only on node 0. Every request that needs the run's
//! folder or the project's (logs, the run view's definition snapshot, diffs of snapshots,
//! artifact uploads and downloads, definitions' files, run names, creating and rerunning runs)
//! is answered through node 1 as node 0 answers it, and lands on node 0.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::Method;

use super::*;

const FLAKY: &str = "name: Flaky\nphases: [p]\nsteps:\n  - id: try\n    phase: p\n    type: script\n    command: echo tried; test -f go\n";
const EDITS: &str = "name: Edits\nphases: [work]\nworkspace:\n  isolation: worktree\nsteps:\n  - id: write\n    phase: work\n    type: script\n    command: printf 'one\\ntwo\\n' > a.txt && echo wrote\n";

fn git(dir: &Path, args: &[&str]) {
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
}

/// Two isolated nodes; project `fwd` (a git repository) only in node 0's folder.
async fn setup() -> (Cluster, String, PathBuf) {
    let c = Cluster::start_with(2, &NodeSpec::isolated()).await;
    let files = [("edits.yaml", EDITS), ("flaky.yaml", FLAKY)];
    let (project, _) = c.project_only_on(0, "fwd", &files, &[0]).await;
    let on0 = c.node_projects(0).join("fwd");
    std::fs::write(on0.join(".gitignore"), ".agent/workflows/executions/\n").unwrap();
    git(&on0, &["init", "-q", "-b", "main"]);
    git(&on0, &["add", "-A"]);
    git(&on0, &["commit", "-q", "-m", "initial"]);
    assert!(!c.node_projects(1).join("fwd").exists());
    (c, project, on0)
}

/// A request through node `i`: status, headers, body bytes.
async fn call(
    c: &Cluster,
    i: usize,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut r = c.http.request(method, c.url(i, path)).bearer_auth(token);
    if let Some(body) = body {
        r = r.json(&body);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

async fn json_of(c: &Cluster, i: usize, path: &str) -> (u16, Value) {
    let (status, _, bytes) = call(c, i, c.admin_token(), Method::GET, path, None).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// The same JSON through node 1 (no folder) as through node 0 (the run's), and a 200.
async fn same_json(c: &Cluster, path: &str) -> Value {
    let (s0, b0) = json_of(c, 0, path).await;
    let (s1, b1) = json_of(c, 1, path).await;
    assert_eq!(s0, 200, "{path} through node 0: {b0}");
    assert_eq!((s1, &b1), (s0, &b0), "{path} through node 1\nnode 1: {}", c.log_of(1));
    b0
}

fn run_folder(projects: &Path, run: &str) -> PathBuf {
    projects.join("fwd/.agent/workflows/executions").join(run)
}

async fn upload(c: &Cluster, i: usize, token: &str, run: &str, step: &str, bytes: &[u8]) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("notes.bin");
    let form = reqwest::multipart::Form::new()
        .text("step_id", step.to_string())
        .part("file", part);
    let r = c
        .http
        .post(c.url(i, &format!("/workflow-executions/{run}/artifacts")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_the_folders_answers_every_request_as_the_node_with_them() {
    let (mut c, project, _) = setup().await;
    let def = c.definition_id(1, &project, "Edits").await;
    // Created through node 1, which cannot read the workflow file: node 0 creates and runs it.
    let create = json!({ "project_id": project, "workflow_definition_id": def });
    let (status, body) = c.post(1, c.admin_token(), "/workflow-executions", create.clone()).await;
    let (_, nodes) = c.get(0, c.admin_token(), "/nodes").await;
    let there = c.node_projects(1).join("fwd").exists();
    assert_eq!(
        status,
        201,
        "{body}\nnode1/fwd exists: {there}\nnodes: {nodes}\nnode 0: {}\nnode 1: {}",
        c.log_of(0),
        c.log_of(1)
    );
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let done = c.wait_status(1, &run, &["completed"], 60).await;
    assert!(run_folder(&c.node_projects(0), &run).is_dir(), "the run ran on node 0");
    assert!(!run_folder(&c.node_projects(1), &run).exists());
    let step = done["steps"][0]["id"].as_str().unwrap().to_string();

    // Views and files: what node 1 answers is node 0's answer.
    let view = same_json(&c, &format!("/workflow-executions/{run}")).await;
    assert_eq!(view["data"]["definition_snapshot"]["name"], "Edits", "{view}");
    for log in ["input", "output", "events", "summary"] {
        same_json(&c, &format!("/workflow-steps/{step}/logs/{log}")).await;
    }
    let out = same_json(&c, &format!("/workflow-steps/{step}/logs/output")).await;
    assert!(out["data"]["content"].as_str().unwrap().contains("wrote"), "{out}");
    let diff = same_json(&c, &format!("/workflow-steps/{step}/diff")).await;
    assert!(diff["data"]["diff"].as_str().unwrap().contains("+two"), "{diff}");
    same_json(&c, &format!("/workflow-executions/{run}/diff")).await;
    let detail = same_json(&c, &format!("/workflow-definitions/{def}")).await;
    assert_eq!(detail["data"]["steps"][0]["id"], "write", "{detail}");
    let name_path = format!("/workflow-definitions/{def}/run-name");
    let (s0, _, n0) = call(&c, 0, c.admin_token(), Method::POST, &name_path, Some(json!({}))).await;
    let (s1, _, n1) = call(&c, 1, c.admin_token(), Method::POST, &name_path, Some(json!({}))).await;
    assert_eq!((s1, &n1), (s0, &n0), "{}", String::from_utf8_lossy(&n1));
    assert_eq!(s0, 200);

    // An upload through node 1 streams to node 0's folder; its bytes come back through node 1.
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (status, artifact) = upload(&c, 1, c.admin_token(), &run, &step, &bytes).await;
    assert_eq!(status, 201, "{artifact}\nnode 1: {}", c.log_of(1));
    let kept = run_folder(&c.node_projects(0), &run).join("artifacts/write/notes.bin");
    assert_eq!(std::fs::read(&kept).unwrap(), bytes, "in node 0's run folder");
    let id = artifact["data"]["id"].as_str().unwrap();
    let (s0, h0, b0) = call(&c, 0, c.admin_token(), Method::GET, &format!("/artifacts/{id}"), None).await;
    let (s1, h1, b1) = call(&c, 1, c.admin_token(), Method::GET, &format!("/artifacts/{id}"), None).await;
    assert_eq!((s0, s1), (200, 200));
    assert!(b1 == bytes && b0 == bytes, "the same bytes through both nodes");
    for h in [
        "content-type",
        "content-disposition",
        "content-length",
        "x-content-type-options",
    ] {
        assert_eq!(h0.get(h), h1.get(h), "{h}");
    }
    let (_, link) = json_of(&c, 1, &format!("/artifacts/{id}/link")).await;
    let url = format!("{}{}", c.base(1), link["data"]["url"].as_str().unwrap());
    let via_link = c.http.get(url).send().await.unwrap();
    assert_eq!(via_link.status().as_u16(), 200);
    assert_eq!(via_link.bytes().await.unwrap().to_vec(), bytes);

    // A rerun through node 1 runs on node 0.
    let (status, rerun) = c
        .post(
            1,
            c.admin_token(),
            &format!("/workflow-executions/{run}/rerun"),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{rerun}");
    let rerun = rerun["data"]["id"].as_str().unwrap().to_string();
    c.wait_status(1, &rerun, &["completed"], 60).await;
    assert!(run_folder(&c.node_projects(0), &rerun).is_dir());

    // A forwarded request is answered where it lands: node 1 cannot read the file itself.
    let r = c
        .http
        .post(c.url(1, "/workflow-executions"))
        .bearer_auth(c.admin_token())
        .header("x-workflow-engine-forwarded", "test")
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("cannot read"), "{text}");

    // A caller without the project gets node 1's 404, nothing forwarded.
    let bob = c.user("bob@example.com", false);
    let (status, _) = c.post(1, &bob, "/workflow-executions", create.clone()).await;
    assert_eq!(status, 404);
    for path in [
        format!("/workflow-executions/{run}"),
        format!("/workflow-executions/{run}/diff"),
        format!("/workflow-steps/{step}/logs/output"),
        format!("/artifacts/{id}"),
        format!("/workflow-definitions/{def}"),
    ] {
        let (status, body) = c.get(1, &bob, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = upload(&c, 1, &bob, &run, &step, b"x").await;
    assert_eq!(status, 404);

    // Node 0 gone: files are a 503 naming it; creating a run a 503 naming the project; the
    // run's view is still answered (without the definition it started with).
    c.kill(0);
    let (status, body) = c
        .get(1, c.admin_token(), &format!("/workflow-steps/{step}/logs/output"))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "node_unavailable");
    let (status, body) = upload(&c, 1, c.admin_token(), &run, &step, b"late").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (503, &json!("node_unavailable")),
        "{body}"
    );
    let (status, body) = c.get(1, c.admin_token(), &format!("/workflow-executions/{run}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["definition_snapshot"], Value::Null);
    assert_eq!(body["data"]["status"], "completed");
    // Until its heartbeat is 15 s old node 0 is asked (and does not answer); then no live
    // node has the project.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, body) = c.post(1, c.admin_token(), "/workflow-executions", create.clone()).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "node_unavailable");
        let message = body["error"]["message"].as_str().unwrap();
        if message.contains("no live node has its folder") {
            assert!(message.contains("fwd"), "{message}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_resumed_through_a_node_without_its_folder_runs_again_on_its_node() {
    let (c, project, on0) = setup().await;
    let def = c.definition_id(1, &project, "Flaky").await;
    let run = c.start_run(1, &project, &def, json!({})).await;
    c.wait_status(1, &run, &["failed"], 60).await;
    std::fs::write(on0.join("go"), "").unwrap();
    c.resume(1, &run).await;
    c.wait_status(1, &run, &["completed"], 60).await;
    assert!(!run_folder(&c.node_projects(1), &run).exists());
    let step = c.wait_status(0, &run, &["completed"], 5).await["steps"][0]["id"].clone();
    let out = same_json(&c, &format!("/workflow-steps/{}/logs/output", step.as_str().unwrap())).await;
    assert!(out["data"]["content"].as_str().unwrap().contains("tried"), "{out}");
}

/// The run's node died a moment ago, its heartbeat still fresh: a resume sent through a node
/// without the project's folder goes on to the other node with the folder, which runs the
/// failed step again, instead of answering 503 until the dead node's heartbeat goes stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_whose_run_node_just_died_goes_to_another_node_with_the_project() {
    let mut c = Cluster::start_with(3, &NodeSpec::isolated()).await;
    let (project, _) = c.project_only_on(0, "fwd", &[("flaky.yaml", FLAKY)], &[0, 2]).await;
    // Both nodes with the folder list the project (node 2 at its next heartbeat).
    let (ids, deadline) = (
        [c.node_id(0).await, c.node_id(2).await],
        std::time::Instant::now() + std::time::Duration::from_secs(30),
    );
    loop {
        let (_, nodes) = c.get(1, c.admin_token(), "/nodes").await;
        let listing = |id: &str| {
            nodes["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["id"] == id && n["projects"].as_array().unwrap().iter().any(|p| p == project.as_str()))
        };
        if ids.iter().all(|id| listing(id)) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{nodes}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let def = c.definition_id(1, &project, "Flaky").await;
    let run = c.start_run(1, &project, &def, json!({})).await;
    c.wait_status(1, &run, &["failed"], 60).await;
    let (drove, other) = if run_folder(&c.node_projects(0), &run).exists() {
        (0, 2)
    } else {
        (2, 0)
    };
    assert!(run_folder(&c.node_projects(drove), &run).exists());
    c.kill(drove);
    std::fs::write(c.node_projects(other).join("fwd/go"), "").unwrap();
    c.resume(1, &run).await;
    let done = c.wait_status(1, &run, &["completed", "failed"], 60).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(
        run_folder(&c.node_projects(other), &run).exists(),
        "resumed on the other node"
    );
    let (_, view) = c
        .get(other, c.admin_token(), &format!("/workflow-executions/{run}"))
        .await;
    assert_eq!(view["data"]["steps"][0]["attempt"], 2, "{view}");
}

/// A project whose folder is on node 0 only, registered through node 1 (which refuses the path
/// for its own disk): node 0 registers it, and its runs work through node 1. A folder no node
/// has is refused as before, with the one message that does not say what exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_registered_through_a_node_without_its_folder_is_registered_by_a_node_with_it() {
    let c = Cluster::start_with(2, &NodeSpec::isolated()).await;
    let (project, _) = c.project_only_on(1, "far", &[("flaky.yaml", FLAKY)], &[0]).await;
    assert!(!c.node_projects(1).join("far").exists());
    let def = c.definition_id(1, &project, "Flaky").await;
    std::fs::write(c.node_projects(0).join("far/go"), "").unwrap();
    let run = c.start_run(1, &project, &def, json!({})).await;
    let done = c.wait_status(1, &run, &["completed", "failed"], 60).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(
        c.node_projects(0)
            .join("far/.agent/workflows/executions")
            .join(&run)
            .exists(),
        "driven on node 0"
    );

    let nowhere = c.projects_dir().join("nowhere");
    let (status, body) = c
        .post(
            1,
            c.admin_token(),
            "/projects",
            json!({ "name": "nowhere", "path": nowhere }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_body")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be a project"),
        "{body}"
    );
}
