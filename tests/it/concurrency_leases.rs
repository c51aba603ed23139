//! A concurrency key held by a run whose driver died: a `workflow-engine run` killed with -9
//! leaves its run `running`, but only runs under a live lease count for their key, so once
//! its lease lapses a server run of the same key starts (without a restart).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
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

#[tokio::test]
async fn a_key_held_by_a_killed_terminal_run_frees_when_its_lease_lapses() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;
    let file = dir.join(".agent/workflows/definitions/keyed.yaml");

    // A terminal's run takes the key, then the terminal (and its step) die with -9.
    let mut cli =
        s.sb.cmd(&["run", file.to_str().unwrap(), "--arg", "gate=gate-cli"])
            .arg("--project")
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
    let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
    let held = loop {
        let line = lines.next().expect("the terminal printed its run").unwrap();
        if let Some(id) = line.strip_prefix("run ") {
            break id.to_string();
        }
    };
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
    let file = dir.join(".agent/workflows/definitions/keyed.yaml");
    let holder = s
        .start_run(&token, &project, &def, json!({ "gate": "gate-hold" }))
        .await;
    s.wait_status(&token, &holder, &["running"]).await;
    std::fs::write(dir.join("open"), "").unwrap();

    let mut cli =
        s.sb.cmd(&["run", file.to_str().unwrap(), "--arg", "gate=open"])
            .arg("--project")
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let mine = loop {
        let line = lines.next().expect("the terminal printed its run").unwrap();
        seen.push(line.clone());
        if let Some(id) = line.strip_prefix("run ") {
            break id.to_string();
        }
    };
    loop {
        let line = lines.next().expect("the terminal says it waits").unwrap();
        seen.push(line.clone());
        if line.starts_with("waiting: 1 run with concurrency key repo:k is running") {
            break;
        }
    }
    // The server restarts: it picks up the runs it finds pending or left running, and its
    // own (the holder) runs again.
    let s = Server::start_in(s.kill()).await;
    s.wait_status(&token, &holder, &["running"]).await;
    std::fs::write(dir.join("gate-hold"), "").unwrap();
    s.wait_status(&token, &holder, &["completed"]).await;

    let out = std::thread::spawn(move || {
        seen.extend(lines.map_while(Result::ok));
        seen
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = cli.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the terminal did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let seen = out.join().unwrap().join("\n");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut cli.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "the terminal failed: {status}\n{seen}\n{stderr}");
    assert!(seen.contains("✓ hold"), "the terminal drove the step:\n{seen}");
    assert!(seen.contains(&format!("run {mine} completed")), "{seen}");
    let run = s.get(&token, &format!("/workflow-executions/{mine}")).await.1["data"].clone();
    assert_eq!(run["status"], "completed", "{run}");
}
