//! Pause and cancel of a run driven on another node: the request written through one node
//! reaches the driving node by `NOTIFY` at once, not at its next poll of the run's row (set
//! to a minute here, `WORKFLOW_ENGINE_CONTROL_POLL_MS`, so only the notification can be in
//! time).

use std::time::{Duration, Instant};

use workflow_engine::store::runs::RunRow;

use super::claims::store;
use super::*;

/// A step whose process writes its pid, then sleeps five minutes.
const LONG: &str = "name: Long\nphases: [p]\nsteps:\n  - id: long\n    phase: p\n    type: script\n    command: echo $$ > pid.txt; exec sleep 300\n  - id: after\n    phase: p\n    type: script\n    command: echo after\n";

/// Well within the one-minute poll: only a notification delivers the request in time.
const IN_TIME: Duration = Duration::from_secs(15);

fn slow_poll() -> NodeSpec {
    NodeSpec {
        env: vec![("WORKFLOW_ENGINE_CONTROL_POLL_MS".into(), "60000".into())],
        ..NodeSpec::default()
    }
}

fn alive(pid: i32) -> bool {
    // A zombie is gone as far as the step is concerned.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

/// The pid the long step of `LONG` wrote in `dir`, once it has (30 s at most).
async fn long_step_pid(dir: &std::path::Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(pid) = std::fs::read_to_string(dir.join("pid.txt"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "the run never reached its long step");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two nodes; a run in its long step on one of them. (cluster, run, the step's pid, the
/// index of the node that does not drive the run.)
async fn run_in_long_step(name: &str) -> (Cluster, String, i32, usize) {
    let c = Cluster::start_with(2, &slow_poll()).await;
    let (project, dir) = c.project(name, &[("long.yaml", LONG)]).await;
    let def = c.definition_id(0, &project, "Long").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    let pid = long_step_pid(&dir).await;
    assert!(alive(pid), "the step's process runs");
    let row = RunRow::get(&store(&c).await, &run).await.unwrap().unwrap();
    let driver = row.node_id.clone().expect("a driving node");
    let other = if driver == c.node_id(0).await { 1 } else { 0 };
    (c, run, pid, other)
}

/// Polls until the step's process is gone and the run has `status`; how long it took.
async fn gone_and(c: &Cluster, via: usize, run: &str, pid: i32, status: &str, since: Instant) -> Duration {
    loop {
        let (_, body) = c
            .get(via, c.admin_token(), &format!("/workflow-executions/{run}"))
            .await;
        if !alive(pid) && body["data"]["status"] == status {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < IN_TIME,
            "after {:?}: step process alive {}, run {body}",
            since.elapsed(),
            alive(pid)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_through_another_node_stops_the_run_at_once() {
    let (c, run, pid, other) = run_in_long_step("cancel-elsewhere").await;
    let asked = Instant::now();
    let (status, body) = c
        .post(
            other,
            c.admin_token(),
            &format!("/workflow-executions/{run}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let took = gone_and(&c, other, &run, pid, "cancelled", asked).await;
    eprintln!("cancel through the other node: step gone and run cancelled in {took:?} (poll 60 s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_now_through_another_node_stops_the_run_at_once() {
    let (c, run, pid, other) = run_in_long_step("pause-elsewhere").await;
    let asked = Instant::now();
    let (status, body) = c
        .post(
            other,
            c.admin_token(),
            &format!("/workflow-executions/{run}/pause"),
            json!({ "now": true }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let took = gone_and(&c, other, &run, pid, "paused", asked).await;
    eprintln!("pause now through the other node: step gone and run paused in {took:?} (poll 60 s)");
}

/// A run driven in a terminal (`workflow-engine run` on PostgreSQL) hears a cancel sent from
/// another terminal by `NOTIFY` at once, as a node does, not at its next read of its row (a
/// minute here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_reaches_a_run_driven_in_a_terminal_at_once() {
    let c = Cluster::start(0).await;
    let dir = c.projects_dir().join("terminal");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("long.yaml");
    std::fs::write(&file, LONG).unwrap();
    let mut driving = c
        .cli_cmd(&["run", file.to_str().unwrap()])
        .current_dir(&dir)
        .env("WORKFLOW_ENGINE_CONTROL_POLL_MS", "60000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = long_step_pid(&dir).await;
    let store = store(&c).await;
    let (run,): (String,) = crate::util::db(&store)
        .await
        .one("SELECT id FROM workflow_runs", &[])
        .await;
    let since = Instant::now();
    let cancel = c.cli_cmd(&["cancel", &run]);
    let cancelled = tokio::task::spawn_blocking(move || {
        let mut cancel = cancel;
        cancel.output().unwrap()
    });
    loop {
        let row = RunRow::get(&store, &run).await.unwrap().unwrap();
        if !alive(pid) && row.status.as_str() == "cancelled" && driving.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            since.elapsed() < IN_TIME,
            "after {:?}: step process alive {}, run {}",
            since.elapsed(),
            alive(pid),
            row.status.as_str()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = cancelled.await.unwrap();
    assert!(out.status.success(), "{}", crate::util::stderr(&out));
}
