//! A concurrency key held by a run whose driver died: a `workflow-engine run` killed with -9
//! leaves its run `running`, but only runs under a live lease count for their key, so once
//! its lease lapses a server run of the same key starts (without a restart).

use std::io::{BufRead, BufReader, Lines};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdout, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::server_util::*;

const KEYED_YAML: &str = r#"name: Keyed
phases: [work]
argsSchema:
  type: object
  properties:
    gate: { type: string }
concurrency:
  key: "repo:k"
  limit: 1
steps:
  - id: hold
    phase: work
    type: script
    command: "while [ ! -f {{ args.gate }} ]; do sleep 0.05; done"
"#;

/// `workflow-engine <args>` in a process group of its own, its output piped.
fn terminal(s: &Server, args: &[&str]) -> Child {
    s.sb.cmd(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap()
}

/// `run keyed.yaml --arg gate=<gate>` in the project `dir`.
fn run_keyed(s: &Server, dir: &Path, gate: &str) -> Child {
    let file = dir.join(".agent/workflows/definitions/keyed.yaml");
    let (file, project) = (file.to_str().unwrap(), dir.to_str().unwrap());
    terminal(
        s,
        &["run", file, "--arg", &format!("gate={gate}"), "--project", project],
    )
}

/// Reads the terminal's lines into `seen` until one starts with `prefix`; the rest of it.
fn read_until(lines: &mut Lines<BufReader<ChildStdout>>, seen: &mut Vec<String>, prefix: &str) -> String {
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("the terminal ended before \"{prefix}\": {seen:?}"))
            .unwrap();
        seen.push(line.clone());
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
}

/// Waits (at most a minute) for the terminal to end: its status, all it printed, its stderr.
async fn finished(
    mut cli: Child,
    lines: Lines<BufReader<ChildStdout>>,
    mut seen: Vec<String>,
) -> (ExitStatus, String, String) {
    let out = std::thread::spawn(move || {
        seen.extend(lines.map_while(Result::ok));
        seen.join("\n")
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = cli.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the terminal did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut cli.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, out.join().unwrap(), stderr)
}

#[tokio::test]
async fn a_key_held_by_a_killed_terminal_run_frees_when_its_lease_lapses() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;

    // A terminal's run takes the key, then the terminal (and its step) die with -9.
    let mut cli = run_keyed(&s, &dir, "gate-cli");
    let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
    let held = read_until(&mut lines, &mut Vec::new(), "run ");
    s.wait_status(&token, &held, &["running"]).await;
    unsafe { libc::kill(-(cli.id() as i32), libc::SIGKILL) };
    cli.wait().unwrap();

    // Its lease is live still: a server run of the key waits.
    let b = s.start_run(&token, &project, &def, json!({ "gate": "gate-b" })).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let q = s.get(&token, &format!("/workflow-executions/{b}")).await.1["data"].clone();
    assert_eq!(
        (q["status"].as_str(), &q["queue"]["reason"]),
        (Some("pending"), &json!("concurrency_key")),
        "{q}"
    );

    // The lease lapses (30 s in life; moved to the past here, as time would): the key is free.
    crate::util::db_writer(&s.sb.store().await)
        .await
        .execute(
            "UPDATE workflow_runs SET lease_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?",
            &[(&held).into()],
        )
        .await;
    if s.sb.on_pg() {
        // On a cluster the dead terminal's run is taken over: the node's reaper queues it
        // again within a second and a node drives it on, oldest first (it may take the key
        // before b). Both finish once their gates open; the taken-over run by this server.
        std::fs::write(dir.join("gate-b"), "").unwrap();
        std::fs::write(dir.join("gate-cli"), "").unwrap();
        let taken = s.wait_status(&token, &held, &["completed"]).await;
        assert_eq!(taken["status"], "completed", "{taken}");
        s.wait_status(&token, &b, &["completed"]).await;
        return;
    }
    let started = Instant::now();
    s.wait_status(&token, &b, &["running"]).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    let dead = s.get(&token, &format!("/workflow-executions/{held}")).await.1["data"].clone();
    assert_eq!(
        dead["status"], "running",
        "nothing drives it until a server recovers it"
    );
    std::fs::write(dir.join("gate-b"), "").unwrap();
    std::fs::write(dir.join("gate-cli"), "").unwrap();
    s.wait_status(&token, &b, &["completed"]).await;
}

/// The run a terminal created is that terminal's to drive, also while it waits for its key:
/// a server that starts meanwhile (and, on a cluster, one pulling pending runs) leaves it to
/// the terminal, which drives it once the key frees.
#[tokio::test]
async fn a_terminal_run_waiting_for_its_key_is_not_taken_by_a_server() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;
    let holder = s
        .start_run(&token, &project, &def, json!({ "gate": "gate-hold" }))
        .await;
    s.wait_status(&token, &holder, &["running"]).await;
    std::fs::write(dir.join("open"), "").unwrap();

    let mut cli = run_keyed(&s, &dir, "open");
    let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let mine = read_until(&mut lines, &mut seen, "run ");
    read_until(
        &mut lines,
        &mut seen,
        "waiting: 1 run with concurrency key repo:k is running",
    );
    // The server restarts: it picks up the runs it finds pending or left running, and its
    // own (the holder) runs again.
    let s = Server::start_in(s.kill()).await;
    s.wait_status(&token, &holder, &["running"]).await;
    std::fs::write(dir.join("gate-hold"), "").unwrap();
    s.wait_status(&token, &holder, &["completed"]).await;

    let (status, seen, stderr) = finished(cli, lines, seen).await;
    assert!(status.success(), "the terminal failed: {status}\n{seen}\n{stderr}");
    assert!(seen.contains("✓ hold"), "the terminal drove the step:\n{seen}");
    assert!(seen.contains(&format!("run {mine} completed")), "{seen}");
    let run = s.get(&token, &format!("/workflow-executions/{mine}")).await.1["data"].clone();
    assert_eq!(run["status"], "completed", "{run}");
}

/// A terminal killed with -9 while its run waits for the key leaves the run `pending` under
/// its lease; `resume` in another terminal takes the dead one's place at once (no waiting
/// for the lease), waits for the key like it, and drives the run when the key frees.
#[tokio::test]
async fn resume_takes_over_the_waiting_run_of_a_killed_terminal() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;
    let holder = s
        .start_run(&token, &project, &def, json!({ "gate": "gate-hold" }))
        .await;
    s.wait_status(&token, &holder, &["running"]).await;
    std::fs::write(dir.join("open"), "").unwrap();

    let mut dead = run_keyed(&s, &dir, "open");
    let mut lines = BufReader::new(dead.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let id = read_until(&mut lines, &mut seen, "run ");
    read_until(&mut lines, &mut seen, "waiting: ");
    unsafe { libc::kill(-(dead.id() as i32), libc::SIGKILL) };
    dead.wait().unwrap();

    let mut cli = terminal(&s, &["resume", &id]);
    let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    read_until(
        &mut lines,
        &mut seen,
        "waiting: 1 run with concurrency key repo:k is running",
    );
    std::fs::write(dir.join("gate-hold"), "").unwrap();
    let (status, seen, stderr) = finished(cli, lines, seen).await;
    assert!(status.success(), "resume failed: {status}\n{seen}\n{stderr}");
    assert!(
        seen.contains("✓ hold") && seen.contains(&format!("run {id} completed")),
        "{seen}"
    );
    s.wait_status(&token, &holder, &["completed"]).await;
}
