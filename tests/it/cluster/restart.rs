//! A node's stable id: a restarted node is the same node (one row in `GET /api/nodes`), and
//! takes back at once the runs its killed process drove, without waiting for their leases,
//! even when nothing else says that process died (a new host name, as a container made
//! again has). `--node-id` names a node; a bad one is refused, and so is a second process
//! under the id of a live one on the same machine.

use std::time::{Duration, Instant};

use workflow_engine::store::runs::RunRow;

use super::claims::store;
use super::*;

/// `long` writes `start` when it begins and `end` when it finishes.
const LEDGER: &str = "name: Ledger\nphases: [p]\nsteps:\n  - id: first\n    phase: p\n    type: script\n    command: echo first >> ledger.txt\n  - id: long\n    phase: p\n    type: script\n    command: echo start >> ledger.txt; sleep 3; echo end >> ledger.txt\n";

fn ledger(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("ledger.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The nodes `GET /api/nodes` lists through node `i`.
async fn nodes(c: &Cluster, i: usize) -> Vec<Value> {
    let (status, body) = c.get(i, c.admin_token(), "/nodes").await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_is_the_same_node_and_takes_its_runs_back_at_once() {
    // A lease far longer than the test's deadline: only the restart can bring the run back.
    let spec = NodeSpec {
        new_hostname: true,
        ..NodeSpec::args(&["--lease-secs", "600"])
    };
    let mut c = Cluster::start_with(1, &spec).await;
    let (project, dir) = c.project("restarted", &[("ledger.yaml", LEDGER)]).await;
    let def = c.definition_id(0, &project, "Ledger").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ledger(&dir).contains(&"start".to_string()) {
        assert!(Instant::now() < deadline, "the run never reached its long step");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = nodes(&c, 0).await;
    assert_eq!(before.len(), 1, "{before:?}");
    let id = before[0]["id"].as_str().unwrap().to_string();
    let host = before[0]["hostname"].as_str().unwrap().to_string();

    let killed = Instant::now();
    c.kill(0);
    c.restart(0);
    c.wait_status(0, &run, &["completed"], 60).await;
    let took = killed.elapsed();
    eprintln!("restart: the killed node's run completed {took:?} after the kill (lease 600 s)");

    let after = nodes(&c, 0).await;
    assert_eq!(after.len(), 1, "one row for the node across its restart: {after:?}");
    assert_eq!(after[0]["id"], id.as_str(), "{after:?}");
    assert_eq!(after[0]["alive"], true, "{after:?}");
    assert_eq!(
        after[0]["address"],
        c.base(0),
        "the row says where the node is now: {after:?}"
    );
    assert_ne!(after[0]["hostname"], host.as_str(), "a new host name: {after:?}");
    let lines = ledger(&dir);
    assert_eq!(lines.iter().filter(|l| *l == "first").count(), 1, "{lines:?}");
    assert_eq!(lines.iter().filter(|l| *l == "start").count(), 2, "{lines:?}");
    let row = RunRow::get(&store(&c).await, &run).await.unwrap().unwrap();
    assert_eq!(row.node_id.as_deref(), Some(id.as_str()), "{row:?}");
    assert_eq!(row.lease_version, 2, "{row:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_id_names_a_node_and_a_bad_one_is_refused() {
    let mut c = Cluster::start_with(1, &NodeSpec::args(&["--node-id", "gpu-box.1"])).await;
    assert_eq!(c.node_id(0).await, "gpu-box.1");
    // Without the flag: generated once, kept in the data directory.
    let i = c.add_node(&NodeSpec::default()).await;
    let generated = c.node_id(i).await;
    let kept = std::fs::read_to_string(c.nodes[i].data.join("node-id")).unwrap();
    assert_eq!(kept.trim(), generated);
    c.stop(i);
    c.restart(i);
    assert_eq!(c.node_id(i).await, generated);
    assert_eq!(nodes(&c, 0).await.len(), 2);
    // A second process under a live node's id, on the same machine, is refused.
    let mut twin = c
        .cli_cmd(&["serve", "--bind", "127.0.0.1:0", "--node-id", "gpu-box.1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = twin.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = twin.kill();
            panic!("a second process under node id gpu-box.1 started");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let mut err = String::new();
    std::io::Read::read_to_string(twin.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("node id gpu-box.1 is in use by process"), "{err}");
    assert!(c.is_running(0));
    let out = c.cli(&["serve", "--bind", "127.0.0.1:0", "--node-id", "a/b"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--node-id"), "{}", stderr(&out));
    let out = c.cli(&["serve", "--bind", "127.0.0.1:0", "--node-labels", "gpu,a b"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--node-labels"), "{}", stderr(&out));
}
