//! Claiming across nodes: each run is driven by exactly one node, only by nodes that have
//! its project, under the per-node, cluster-wide and concurrency-key limits.

use std::time::Duration;

use workflow_engine::store::runs::RunRow;
use workflow_engine::store::Store;

use super::*;

pub const SLEEPY: &str = "name: Sleepy\nphases: [p]\nsteps:\n  - id: nap\n    phase: p\n    type: script\n    command: sleep 1; echo napped\n";

pub async fn store(c: &Cluster) -> Store {
    let dir = c.root.path().join("test-store");
    Store::open_with(&dir, Some(&c.database_url)).await.expect("open store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_created_on_one_node_are_shared_out_and_each_driven_once() {
    let c = Cluster::start_with(3, &NodeSpec::args(&["--max-concurrent-runs", "2"])).await;
    let (project, dir) = c.project("shared", &[("sleepy.yaml", SLEEPY)]).await;
    let def = c.definition_id(0, &project, "Sleepy").await;
    let mut runs = Vec::new();
    for _ in 0..9 {
        runs.push(c.start_run(0, &project, &def, json!({})).await);
    }
    let store = store(&c).await;
    let mut nodes = std::collections::HashSet::new();
    for r in &runs {
        c.wait_status(0, r, &["completed"], 60).await;
        let row = RunRow::get(&store, r).await.unwrap().unwrap();
        assert_eq!(row.lease_version, 1, "claimed once: {row:?}");
        nodes.insert(row.node_id.clone().unwrap());
        let log = std::fs::read_to_string(
            dir.join(".agent/workflows/executions")
                .join(r)
                .join("steps/nap/output.log"),
        )
        .unwrap_or_default();
        let _ = log;
    }
    // 9 runs of 1 s, 2 slots a node: node 0 alone cannot have driven them all.
    assert!(nodes.len() >= 2, "only {nodes:?} drove runs");
}

/// Node 0 on the shared projects folder; node 1 isolated (a folder of its own), one run at
/// a time.
async fn shared_and_isolated() -> Cluster {
    let mut c = Cluster::start(0).await;
    c.add_node(&NodeSpec::default()).await;
    c.add_node(&NodeSpec {
        isolated: true,
        ..NodeSpec::args(&["--max-concurrent-runs", "1"])
    })
    .await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_takes_only_runs_of_projects_it_has() {
    let c = shared_and_isolated().await;
    // Node 1 (isolated) has "only1"; node 0, with free slots, does not (the shared folder
    // loses it once registered).
    let (project, shared_dir) = c.project_on(1, "only1", &[("sleepy.yaml", SLEEPY)], &[1]).await;
    std::fs::remove_dir_all(&shared_dir).unwrap();
    let def = c.definition_id(1, &project, "Sleepy").await;
    let id1 = c.node_id(1).await;
    let store = store(&c).await;
    // Created through node 1, queued one at a time there: node 0 never takes one.
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(c.start_run(1, &project, &def, json!({})).await);
    }
    for r in &runs {
        c.wait_status(0, r, &["completed"], 30).await;
        let row = RunRow::get(&store, r).await.unwrap().unwrap();
        assert_eq!(row.node_id.as_deref(), Some(id1.as_str()), "{row:?}");
        assert_eq!(row.lease_version, 1, "{row:?}");
    }
    let _ = Duration::ZERO;
}

pub const KEYED: &str = "name: Keyed\nphases: [p]\nconcurrency:\n  key: one\n  limit: 1\nsteps:\n  - id: nap\n    phase: p\n    type: script\n    command: echo start $(date +%s%N) >> ledger.txt; sleep 0.5; echo end $(date +%s%N) >> ledger.txt\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrency_key_holds_across_nodes() {
    let c = Cluster::start_with(2, &NodeSpec::args(&["--max-concurrent-runs", "4"])).await;
    let (project, _dir) = c.project("keyed", &[("keyed.yaml", KEYED)]).await;
    let def = c.definition_id(0, &project, "Keyed").await;
    let mut runs = Vec::new();
    for i in 0..6 {
        runs.push(c.start_run(i % 2, &project, &def, json!({})).await);
    }
    let store = store(&c).await;
    let mut nodes = std::collections::HashSet::new();
    for r in &runs {
        c.wait_status(0, r, &["completed"], 60).await;
        nodes.insert(RunRow::get(&store, r).await.unwrap().unwrap().node_id);
    }
    // Each run's step ran alone: intervals never overlap.
    let mut spans = Vec::new();
    for r in &runs {
        let row = RunRow::get(&store, r).await.unwrap().unwrap();
        spans.push((row.started_at.clone().unwrap(), row.completed_at.clone().unwrap()));
    }
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "two runs of key `one` ran at once: {spans:?}");
    }
    eprintln!("runs of the key were driven by {} node(s)", nodes.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_wide_limit_holds() {
    let c = Cluster::start_with(
        2,
        &NodeSpec::args(&["--max-concurrent-runs", "4", "--cluster-max-runs", "2"]),
    )
    .await;
    let (project, _) = c.project("limited", &[("sleepy.yaml", SLEEPY)]).await;
    let def = c.definition_id(0, &project, "Sleepy").await;
    let mut runs = Vec::new();
    for i in 0..6 {
        runs.push(c.start_run(i % 2, &project, &def, json!({})).await);
    }
    let store = store(&c).await;
    let mut most = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut running = 0;
        let mut done = 0;
        for r in &runs {
            let row = RunRow::get(&store, r).await.unwrap().unwrap();
            match row.status.to_string().as_str() {
                "running" => running += 1,
                "completed" => done += 1,
                _ => {}
            }
        }
        most = most.max(running);
        assert!(running <= 2, "{running} runs running at once, the cluster limit is 2");
        if done == runs.len() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "runs never completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(most, 2, "the limit was used");
}

const ENV: &str =
    "name: Env\nphases: [p]\nsteps:\n  - id: env\n    phase: p\n    type: script\n    command: env > step-env.txt\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_steps_never_see_the_database_url_or_the_secret() {
    let c = Cluster::start(1).await;
    let (project, dir) = c.project("env", &[("env.yaml", ENV)]).await;
    let def = c.definition_id(0, &project, "Env").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    c.wait_status(0, &run, &["completed"], 30).await;
    let env = std::fs::read_to_string(dir.join("step-env.txt")).unwrap();
    assert!(env.contains("PATH="), "{env}");
    for secret in ["DATABASE_URL", "JWT_SECRET", &c.secret, "postgres://"] {
        assert!(!env.contains(secret), "a step saw {secret}: {env}");
    }
}

/// A project whose runs require `gpu`, on every node's (shared) folder.
async fn gpu_project(c: &Cluster, via: usize, name: &str) -> (String, String) {
    let (project, _) = c.project(name, &[("sleepy.yaml", SLEEPY)]).await;
    let (status, body) = c
        .patch(
            via,
            c.admin_token(),
            &format!("/projects/{project}"),
            json!({ "node_labels": ["gpu"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let def = c.definition_id(via, &project, "Sleepy").await;
    (project, def)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_that_requires_a_label_runs_only_on_nodes_that_have_it() {
    let mut c = Cluster::start(0).await;
    c.add_node(&NodeSpec::args(&[
        "--node-labels",
        "gpu,eu",
        "--max-concurrent-runs",
        "2",
    ]))
    .await;
    c.add_node(&NodeSpec::args(&["--node-labels", "eu", "--max-concurrent-runs", "4"]))
        .await;
    let gpu = c.node_id(0).await;
    // Created through the node without the label, which has the folder and free slots.
    let (project, def) = gpu_project(&c, 1, "labelled").await;
    let mut runs = Vec::new();
    for _ in 0..5 {
        runs.push(c.start_run(1, &project, &def, json!({})).await);
    }
    let store = store(&c).await;
    for r in &runs {
        c.wait_status(1, r, &["completed"], 60).await;
        let row = RunRow::get(&store, r).await.unwrap().unwrap();
        assert_eq!(row.node_id.as_deref(), Some(gpu.as_str()), "{row:?}");
        assert_eq!(row.lease_version, 1, "claimed once: {row:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_live_node_that_has_the_label_runs_stay_pending_and_say_why() {
    let mut c = Cluster::start_with(2, &NodeSpec::args(&["--node-labels", "eu"])).await;
    let (project, def) = gpu_project(&c, 0, "stranded").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    // Both nodes poll every second and are woken by the run's creation: 4 s is plenty.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for i in 0..2 {
        let (_, body) = c.get(i, c.admin_token(), &format!("/workflow-executions/{run}")).await;
        assert_eq!(body["data"]["status"], "pending", "{body}");
        let why = body["data"]["placement"].as_str().unwrap_or_default();
        assert!(why.contains("gpu") && why.contains("stranded"), "{body}");
    }
    let out = c.cli(&["show", &run]);
    let text = stdout(&out);
    assert!(
        text.contains("not started: no live node has both the folder of project stranded (")
            && text.contains("and every label it requires (gpu); live nodes: "),
        "{text}"
    );
    // A node with the label joins: it takes the run.
    let i = c.add_node(&NodeSpec::args(&["--node-labels", "gpu"])).await;
    let gpu = c.node_id(i).await;
    c.wait_status(0, &run, &["completed"], 60).await;
    let row = RunRow::get(&store(&c).await, &run).await.unwrap().unwrap();
    assert_eq!(row.node_id.as_deref(), Some(gpu.as_str()), "{row:?}");
    let (_, body) = c.get(0, c.admin_token(), &format!("/workflow-executions/{run}")).await;
    assert!(body["data"]["placement"].is_null(), "{body}");
}

const LONG: &str =
    "name: Long\nphases: [p]\nsteps:\n  - id: nap\n    phase: p\n    type: script\n    command: sleep 30\n";
const QUICK: &str =
    "name: Quick\nphases: [p]\nsteps:\n  - id: hi\n    phase: p\n    type: script\n    command: echo hi\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_live_node_that_has_the_projects_folder_runs_stay_pending_and_say_why() {
    let mut c = shared_and_isolated().await;
    let (project, dir) = c
        .project_only_on(1, "only1", &[("long.yaml", LONG), ("quick.yaml", QUICK)], &[1])
        .await;
    let (long, quick) = (
        c.definition_id(1, &project, "Long").await,
        c.definition_id(1, &project, "Quick").await,
    );
    let first = c.start_run(1, &project, &long, json!({})).await;
    c.wait_status(1, &first, &["running"], 30).await;
    let queued = c.start_run(1, &project, &quick, json!({})).await;
    // The only node with the folder stops (its row leaves with it) while the run waits for
    // its slot; node 0 is alive but has no folder for it.
    c.stop(1);
    let id0 = c.node_id(0).await;
    let want = format!(
        "no live node has the folder of project only1 ({}); live nodes: {id0}",
        dir.display()
    );
    let mut body = Value::Null;
    for _ in 0..100 {
        body = c
            .get(0, c.admin_token(), &format!("/workflow-executions/{queued}"))
            .await
            .1;
        if body["data"]["placement"] == json!(want) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(body["data"]["status"], "pending", "{body}");
    assert_eq!(body["data"]["placement"], json!(want), "{body}");
    // The list (and the board, which lists the same way) says it too.
    let (_, list) = c
        .get(
            0,
            c.admin_token(),
            &format!("/workflow-executions?project_id={project}"),
        )
        .await;
    let item = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == json!(queued));
    assert_eq!(item.map(|r| &r["placement"]), Some(&json!(want)), "{list}");
    let out = c.cli(&["show", &queued]);
    assert!(
        stdout(&out).contains(&format!("not started: {want}")),
        "{}",
        stdout(&out)
    );

    // The node comes back: the run starts, and says nothing any more.
    c.restart(1);
    let (status, body) = c
        .post(
            0,
            c.admin_token(),
            &format!("/workflow-executions/{first}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    c.wait_status(0, &queued, &["completed"], 60).await;
    let (_, body) = c
        .get(0, c.admin_token(), &format!("/workflow-executions/{queued}"))
        .await;
    assert!(body["data"]["placement"].is_null(), "{body}");
}
