//! The server's run queue: a run waits as `pending` without a process, is driven once however
//! often it is resumed (its step's earlier try kept in its history), and a restart does not show runs as running that nothing drives.

use serde_json::{json, Value};

use crate::server_util::*;
use crate::util::*;

/// Fails every time, counting its attempts in `attempts.txt`.
const FAILING_YAML: &str = "name: Failing\nphases: [work]\nsteps:\n  - id: flaky\n    phase: work\n    type: script\n    command: echo try >> attempts.txt; exit 1\n";

/// Holds its slot until cancelled.
const BLOCKER_YAML: &str =
    "name: Blocker\nphases: [work]\nsteps:\n  - id: hold\n    phase: work\n    type: script\n    command: sleep 60\n";

async fn start_run(s: &Server, token: &str, project: &str, definition: &str) -> String {
    let def = s.definition_id(token, project, definition).await;
    let (status, body) = s
        .post(
            token,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().unwrap().to_string()
}

async fn status_of(s: &Server, token: &str, run: &str) -> Value {
    s.get(token, &format!("/workflow-executions/{run}")).await.1["data"]["status"].clone()
}

#[tokio::test]
async fn a_queued_resume_is_refused_a_second_time_and_the_run_is_driven_once() {
    let sb = Sandbox::new();
    let s = Server::start_with(sb, &["--max-concurrent-runs", "1"]).await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s
        .project(
            &token,
            "alpha",
            &[("failing.yaml", FAILING_YAML), ("blocker.yaml", BLOCKER_YAML)],
        )
        .await;
    let failing = start_run(&s, &token, &project, "Failing").await;
    s.wait_status(&token, &failing, &["failed"]).await;
    let blocker = start_run(&s, &token, &project, "Blocker").await;
    s.wait_status(&token, &blocker, &["running"]).await;

    // Every slot is busy: the resume queues the run, and says so.
    let (status, body) = s
        .post(&token, &format!("/workflow-executions/{failing}/resume"), json!({}))
        .await;
    assert_eq!(
        (status, body["data"]["status"].as_str()),
        (200, Some("pending")),
        "{body}"
    );
    assert_eq!(status_of(&s, &token, &failing).await, "pending");
    let (status, body) = s
        .post(&token, &format!("/workflow-executions/{failing}/resume"), json!({}))
        .await;
    assert_eq!(status, 409, "a second resume of a queued run is refused: {body}");
    assert_eq!(body["error"]["current_status"], "pending");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("already queued"),
        "{body}"
    );

    // The slot frees: the run is driven once, its step's second attempt.
    s.post(&token, &format!("/workflow-executions/{blocker}/cancel"), json!({}))
        .await;
    s.wait_status(&token, &failing, &["failed"]).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(status_of(&s, &token, &failing).await, "failed");
    let attempts = std::fs::read_to_string(dir.join("attempts.txt")).unwrap();
    assert_eq!(attempts.lines().count(), 2, "first run and one resume: {attempts:?}");
    let (_, detail) = s.get(&token, &format!("/workflow-executions/{failing}")).await;
    assert_eq!(detail["data"]["steps"][0]["attempt"], 2, "{detail}");
    // The step's history keeps the try before the resume, and the resumed one is try 2.
    let tries = detail["data"]["steps"][0]["attempts"].as_array().unwrap();
    let list: Vec<(i64, &str)> = tries
        .iter()
        .map(|a| (a["attempt"].as_i64().unwrap(), a["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(list, [(1, "failed"), (2, "failed")], "{detail}");
    assert_eq!(tries[0]["error"], "command exited with code 1", "{detail}");
    assert!(tries[0]["ended_at"].is_string(), "{detail}");
    assert!(
        tries[1]["log_dir"].as_str().unwrap().ends_with("logs/flaky/attempt-2"),
        "{detail}"
    );
    let comments = &detail["data"]["comments"];
    let failures = comments
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["text"].as_str().unwrap_or_default().starts_with("Run failed"))
        .count();
    assert_eq!(failures, 2, "one failure comment per attempt: {comments}");
    // Neither an ended run nor a running one is queued by a resume.
    let (status, _) = s
        .post(&token, &format!("/workflow-executions/{blocker}/resume"), json!({}))
        .await;
    assert_eq!(status, 409, "a cancelled run is not resumed");
}

#[tokio::test]
async fn after_a_restart_runs_beyond_the_limit_wait_as_pending() {
    let sb = Sandbox::new();
    let s = Server::start_with(sb, &["--max-concurrent-runs", "2"]).await;
    let token = s.user("ann@example.com", false);
    let (project, _) = s.project(&token, "alpha", &[("blocker.yaml", BLOCKER_YAML)]).await;
    let a = start_run(&s, &token, &project, "Blocker").await;
    let b = start_run(&s, &token, &project, "Blocker").await;
    s.wait_status(&token, &a, &["running"]).await;
    s.wait_status(&token, &b, &["running"]).await;
    let sb = s.kill();

    let s = Server::start_with(sb, &["--max-concurrent-runs", "1"]).await;
    for _ in 0..100 {
        if status_of(&s, &token, &a).await == "running" || status_of(&s, &token, &b).await == "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let statuses = [status_of(&s, &token, &a).await, status_of(&s, &token, &b).await];
    let running = statuses.iter().filter(|st| *st == "running").count();
    let pending = statuses.iter().filter(|st| *st == "pending").count();
    assert_eq!((running, pending), (1, 1), "one slot after the restart: {statuses:?}");
    let (_, list) = s
        .get(&token, &format!("/workflow-executions?project_id={project}"))
        .await;
    let shown_running = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "running")
        .count();
    assert_eq!(shown_running, 1, "{list}");
}

/// The JS workers that are children of `pid`.
pub fn workers_of(pid: u32) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.flatten()
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split(' ').nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            ppid == Some(pid) && cmdline.split(|b| *b == 0).any(|arg| arg == b"__worker")
        })
        .count()
}

#[tokio::test]
async fn queued_typescript_runs_hold_no_worker() {
    let ts = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Held",
  phases: ["work"],
  async execute(ctx) {
    await ctx.step("hold", { type: "script", command: "sleep 60" });
  },
});
"#;
    let sb = Sandbox::new();
    let s = Server::start_with(sb, &["--max-concurrent-runs", "1", "--warm-workers", "1"]).await;
    let token = s.user("ann@example.com", false);
    let (project, _) = s.project(&token, "alpha", &[("held.ts", ts)]).await;
    let first = start_run(&s, &token, &project, "Held").await;
    s.wait_status(&token, &first, &["running"]).await;
    let mut queued = Vec::new();
    for _ in 0..6 {
        queued.push(start_run(&s, &token, &project, "Held").await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for run in &queued {
        assert_eq!(status_of(&s, &token, run).await, "pending");
    }
    // The running run's worker and the one kept warm; none for the six that wait (a worker
    // given back may take a moment to exit on a loaded machine).
    let mut workers = workers_of(s.child.id());
    for _ in 0..60 {
        if workers <= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        workers = workers_of(s.child.id());
    }
    assert!(workers <= 2, "{workers} workers for 1 running and 6 queued runs");
    // The queue still drains: cancelling the first starts the next.
    s.post(&token, &format!("/workflow-executions/{first}/cancel"), json!({}))
        .await;
    s.wait_status(&token, &queued[0], &["running"]).await;
    for run in &queued {
        s.post(&token, &format!("/workflow-executions/{run}/cancel"), json!({}))
            .await;
    }
}
