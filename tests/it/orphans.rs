//! No process of a step outlives its engine: not the step's shell, not what the shell left in
//! the background, not what left the step's process group with `setsid`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::server_util::*;
use crate::util::*;

/// A step whose shell starts a background subshell and a `setsid` process, each of which
/// writes a line two seconds later, and records their pids.
const SPAWNER_YAML: &str = r#"name: Spawner
phases: [work]
steps:
  - id: spawn
    phase: work
    type: script
    command: |
      (sleep 2; echo late >> late.txt) &
      echo $! > child.pid
      setsid sh -c 'echo $$ > detached.pid; sleep 2; echo detached >> late.txt' &
      wait
"#;

fn read_pid(dir: &Path, name: &str) -> Option<i32> {
    std::fs::read_to_string(dir.join(name)).ok()?.trim().parse().ok()
}

/// Alive and not a zombie waiting for its reaper.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn assert_all_gone_within(pids: &[i32], max: Duration) {
    let start = Instant::now();
    while pids.iter().any(|p| alive(*p)) {
        assert!(start.elapsed() < max, "still alive after {max:?}: {pids:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_pids(dir: &Path) -> Vec<i32> {
    wait_until(15, "the step's background processes", || {
        read_pid(dir, "child.pid").is_some() && read_pid(dir, "detached.pid").is_some()
    });
    vec![
        read_pid(dir, "child.pid").unwrap(),
        read_pid(dir, "detached.pid").unwrap(),
    ]
}

#[tokio::test]
async fn a_killed_engine_leaves_no_step_process_behind_and_resume_does_the_side_effect_once() {
    let sb = Sandbox::new();
    let file = sb.write("spawner.yaml", SPAWNER_YAML);
    let mut cli = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pids = wait_for_pids(&sb.project());
    // SAFETY: killing the child we started.
    unsafe { libc::kill(cli.id() as i32, libc::SIGKILL) };
    let _ = cli.wait();
    assert_all_gone_within(&pids, Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !sb.project().join("late.txt").exists(),
        "a killed step wrote after its engine died"
    );

    let store = sb.store().await;
    let run_id: (String,) = crate::util::db(&store)
        .await
        .one("SELECT id FROM workflow_runs", &[])
        .await;
    std::fs::remove_file(sb.project().join("child.pid")).unwrap();
    let out = sb.run(&["resume", &run_id.0]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let late = std::fs::read_to_string(sb.project().join("late.txt")).unwrap();
    let mut lines: Vec<&str> = late.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        ["detached", "late"],
        "each side effect once, by the resumed attempt"
    );
}

#[tokio::test]
async fn stopping_the_server_stops_what_its_steps_started() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("spawner.yaml", SPAWNER_YAML)]).await;
    let def = s.definition_id(&token, &project, "Spawner").await;
    let (status, body) = s
        .post(
            &token,
            "/workflow-executions",
            serde_json::json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let pids = wait_for_pids(&dir);
    let mut s = s;
    // SAFETY: asking the server we started to stop.
    unsafe { libc::kill(s.child.id() as i32, libc::SIGTERM) };
    let _ = s.child.wait();
    assert_all_gone_within(&pids, Duration::from_secs(1));
}

/// A step's private temp folder is removed when the step ends; when its engine is killed
/// first, the guardian removes it (before, every killed engine left its steps' folders in
/// /tmp for good).
#[test]
fn a_killed_engine_leaves_no_step_temp_folder_behind() {
    let sb = Sandbox::new();
    let file = sb.write(
        "hold.yaml",
        "name: Hold\nphases: [work]\nsteps:\n  - id: hold\n    phase: work\n    type: script\n    \
         command: 'echo kept > \"$TMPDIR/f\"; echo \"$TMPDIR\" > tmpdir.txt; sleep 30'\n",
    );
    let mut cli = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let tmpdir_file = sb.project().join("tmpdir.txt");
    wait_until(15, "the step's TMPDIR", || {
        std::fs::read_to_string(&tmpdir_file).is_ok_and(|t| t.ends_with('\n'))
    });
    let tmpdir = std::path::PathBuf::from(std::fs::read_to_string(&tmpdir_file).unwrap().trim());
    assert!(
        tmpdir.join("f").exists(),
        "{tmpdir:?} is the step's own folder while it runs"
    );
    // SAFETY: killing the child we started.
    unsafe { libc::kill(cli.id() as i32, libc::SIGKILL) };
    let _ = cli.wait();
    wait_until(5, "the guardian to remove the killed step's TMPDIR", || {
        !tmpdir.exists()
    });
}
