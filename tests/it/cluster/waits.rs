//! Timers and waits across nodes: each sleep wakes its run exactly once, whichever node
//! notices first; a decision sent to one node continues a run another node drove.

use std::time::Duration;

use super::*;

const NAP: &str = "name: Nap\nphases: [p]\nargsSchema:\n  type: object\n  properties:\n    n: { type: integer }\nsteps:\n  - id: nap\n    phase: p\n    type: sleep\n    duration: 1s\n  - id: after\n    phase: p\n    type: script\n    command: echo after >> nap-{{ args.n }}.txt\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sleep_wakes_its_run_once_across_nodes() {
    let c = Cluster::start(2).await;
    let (project, dir) = c.project("naps", &[("nap.yaml", NAP)]).await;
    let def = c.definition_id(0, &project, "Nap").await;
    let mut runs = Vec::new();
    for n in 0..12 {
        runs.push(c.start_run(n % 2, &project, &def, json!({ "n": n })).await);
    }
    for r in &runs {
        c.wait_status(0, r, &["completed"], 60).await;
    }
    for n in 0..12 {
        let text = std::fs::read_to_string(dir.join(format!("nap-{n}.txt"))).unwrap();
        assert_eq!(text, "after\n", "run {n} woke more than once");
    }
}

const GATE: &str = "name: Gate\nphases: [p]\nsteps:\n  - id: gate\n    phase: p\n    type: approval\n    title: Go?\n  - id: after\n    phase: p\n    type: script\n    command: echo after\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_sent_to_another_node_continues_the_run() {
    let mut c = Cluster::start(1).await;
    c.add_node(&NodeSpec {
        isolated: true,
        ..NodeSpec::default()
    })
    .await;
    // Node 1 does not have the project: node 0 drives the run, node 1 takes the decision.
    let (project, _) = c.project_on(0, "gated", &[("gate.yaml", GATE)], &[]).await;
    let def = c.definition_id(0, &project, "Gate").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    c.wait_status(1, &run, &["waiting"], 30).await;
    let (status, body) = c
        .post(
            1,
            c.admin_token(),
            &format!("/workflow-executions/{run}/approvals/gate"),
            json!({ "decision": "approve" }),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
    let started = std::time::Instant::now();
    c.wait_status(1, &run, &["completed"], 30).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}
