//! A script step ends when its command (the shell) exits: what it left running in its
//! process group is killed then, and does not hold the step open through its output pipe.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::server_util::Server;
use crate::util::*;

fn one_script(sb: &Sandbox, command: &str) -> String {
    let yaml = format!(
        "name: Bg\nphases: [p]\nsteps:\n  - id: bg\n    phase: p\n    type: script\n    command: {}\n",
        serde_json::to_string(command).unwrap()
    );
    sb.write("bg.yaml", &yaml).to_str().unwrap().to_string()
}

/// Runs a one-step workflow with `-v`, which must succeed well before a 4 s sleep ends.
fn run_quickly(sb: &Sandbox, command: &str) -> std::process::Output {
    let file = one_script(sb, command);
    let started = Instant::now();
    let out = sb.run(&["run", &file, "-v"]);
    let took = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(took < Duration::from_millis(2500), "the step took {took:?}");
    out
}

fn alive(pid: i32) -> bool {
    // A zombie still answers kill(0); its state in /proc says it is gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(false)
}

#[tokio::test]
async fn a_background_child_holding_stdout_does_not_hold_the_step() {
    let sb = Sandbox::new();
    let out = run_quickly(&sb, "sleep 4 & echo $! > bg.pid; echo hi");
    let rows = steps(&sb.store().await, &run_id(&out)).await;
    let result: serde_json::Value = serde_json::from_str(rows[0].result.as_deref().unwrap()).unwrap();
    assert_eq!(result["data"]["stdout"], "hi\n", "{result}");
    let pid: i32 = std::fs::read_to_string(sb.project().join("bg.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!alive(pid), "the background sleep outlived its step");
}

/// Runs `command` as a one-step workflow under `serve`, where the engine (and its guardian)
/// live on after the step; whether the process whose pid it wrote to `bg.pid` is gone then.
async fn gone_after_the_step(command: &str) -> bool {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let yaml = format!(
        "name: Bg\nphases: [p]\nsteps:\n  - id: bg\n    phase: p\n    type: script\n    command: {}\n",
        serde_json::to_string(command).unwrap()
    );
    let (project, dir) = s.project(&token, "alpha", &[("bg.yaml", &yaml)]).await;
    let def = s.definition_id(&token, &project, "Bg").await;
    let body = json!({ "project_id": project, "workflow_definition_id": def });
    let (status, created) = s.post(&token, "/workflow-executions", body).await;
    assert_eq!(status, 201, "{created}");
    let run = s
        .wait_status(
            &token,
            created["data"]["id"].as_str().unwrap(),
            &["completed", "failed"],
        )
        .await;
    assert_eq!(run["status"], "completed", "{run}");
    let pid: i32 = std::fs::read_to_string(dir.join("bg.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        !alive(pid)
    });
    if !gone {
        // SAFETY: killing the test's own leftover.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    gone
}

#[tokio::test]
async fn what_a_step_leaves_in_its_group_is_killed_when_it_ends() {
    // Its output elsewhere: nothing holds the step, only the process itself would live on.
    let gone = gone_after_the_step("nohup sleep 30 >/dev/null 2>&1 & echo $! > bg.pid; echo started").await;
    assert!(gone, "the background sleep outlived its step");
}

#[tokio::test]
async fn a_process_that_left_the_group_but_holds_the_output_is_killed_after_the_drain() {
    let gone = gone_after_the_step("setsid sleep 30 & echo $! > bg.pid; echo started").await;
    assert!(gone, "the process that left the group outlived its step");
}

/// A process that left the group (`setsid`) is out of the group's reach; if it holds the
/// output pipe, the step still ends after a short drain, not when that process does.
#[test]
fn a_process_that_left_the_group_holds_the_step_only_for_the_drain() {
    let sb = Sandbox::new();
    let out = run_quickly(&sb, "setsid sleep 4 & echo hi");
    assert!(stdout(&out).contains("hi"), "{}", stdout(&out));
}
