//! Leases and takeover: a node killed with -9, or cut off from the database, loses its runs
//! to another node once their leases run out; the other node resumes them from the memo (the
//! interrupted step runs again, completed ones do not), and the cut-off node stops its steps.

use std::time::{Duration, Instant};

use workflow_engine::store::comments::CommentRow;
use workflow_engine::store::events::EventRow;
use workflow_engine::store::runs::RunRow;
use workflow_engine::store::Store;

use super::claims::store;
use super::*;

/// `first` is quick; `long` writes its pid when it starts and when it ends; `last` is quick.
const LEDGERED: &str = "name: Ledgered\nphases: [p]\nargsSchema:\n  type: object\n  properties:\n    n: { type: integer }\nsteps:\n  - id: first\n    phase: p\n    type: script\n    command: echo first >> ledger-$RUN.txt\n  - id: long\n    phase: p\n    type: script\n    command: echo start $$ $(date +%s%N) >> ledger-$RUN.txt; sleep 5; echo end $$ >> ledger-$RUN.txt\n  - id: last\n    phase: p\n    type: script\n    command: echo last >> ledger-$RUN.txt\n";

fn workflow() -> String {
    // Each run's ledger, in the project folder, is named by its argument.
    LEDGERED.replace("$RUN", "{{ args.n }}")
}

fn ledger(dir: &std::path::Path, n: usize) -> Vec<String> {
    let file = dir.join(format!("ledger-{n}.txt"));
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn starts(lines: &[String]) -> Vec<(String, u128)> {
    lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.strip_prefix("start ")?.split(' ');
            Some((parts.next()?.to_string(), parts.next()?.parse().ok()?))
        })
        .collect()
}

/// The system comment the node that took run `run` over posted: exactly one, naming both
/// nodes.
async fn assert_taken_over_comment(store: &Store, run: &str, from: &str, to: &str) {
    let comments = CommentRow::list_for_run(store, run).await.unwrap();
    let said: Vec<&CommentRow> = comments
        .iter()
        .filter(|c| c.text.starts_with("Taken over by"))
        .collect();
    assert_eq!(said.len(), 1, "{comments:?}");
    let text = &said[0].text;
    assert_eq!(said[0].comment_type.to_string(), "system", "{text}");
    assert!(
        text.starts_with(&format!("Taken over by node {to}: node {from}'s lease ran out at 20")),
        "{text}"
    );
    assert!(text.ends_with("; the interrupted step runs again."), "{text}");
}

/// What the database holds of a completed run that only its driver writes: its events (once
/// the one saying it completed is journaled), its steps' rows and tries.
async fn recorded(store: &Store, run: &str) -> (Vec<(i64, String)>, String, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let events = loop {
        let events: Vec<EventRow> = EventRow::after(store, 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.execution_id.as_deref() == Some(run))
            .collect();
        let ended = events
            .iter()
            .any(|e| e.kind == "workflow.execution.status_changed" && e.data.contains("\"completed\""));
        if ended {
            break events.into_iter().map(|e| (e.seq, e.data)).collect();
        }
        assert!(Instant::now() < deadline, "run {run}'s end never reached the journal");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let steps = workflow_engine::store::steps::StepRow::list_for_run(store, run)
        .await
        .unwrap();
    let tries = workflow_engine::store::attempts::AttemptRow::list_for_run(store, run)
        .await
        .unwrap();
    (events, format!("{steps:?}"), format!("{tries:?}"))
}

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Starts `n` runs on node 0 and waits until each is in its `long` step; their ids.
async fn runs_in_long_step(c: &Cluster, dir: &std::path::Path, n: usize) -> Vec<String> {
    let (project, _) = (c.project_id.clone().unwrap(), ());
    let def = c.definition_id(0, &project, "Ledgered").await;
    let mut runs = Vec::new();
    for i in 0..n {
        runs.push(c.start_run(0, &project, &def, json!({ "n": i })).await);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while (0..n).any(|i| starts(&ledger(dir, i)).is_empty()) {
        assert!(Instant::now() < deadline, "the runs never reached their long step");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    runs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_runs_are_taken_over_within_the_lease_and_resume_from_the_memo() {
    let spec = NodeSpec::args(&["--lease-secs", "2", "--max-concurrent-runs", "8"]);
    let mut c = Cluster::start_with(1, &spec).await;
    let (project, dir) = c.project("takeover", &[("ledgered.yaml", &workflow())]).await;
    c.project_id = Some(project);
    let runs = runs_in_long_step(&c, &dir, 4).await;
    let id0 = c.node_id(0).await;
    c.add_node(&spec).await;
    let id1 = c.node_id(1).await;
    let killed_at = now_ns();
    c.kill(0);
    let store = store(&c).await;
    let mut worst = 0u128;
    for (i, r) in runs.iter().enumerate() {
        let row = c.wait_status(1, r, &["completed"], 60).await;
        let lines = ledger(&dir, i);
        assert_eq!(
            lines.iter().filter(|l| *l == "first").count(),
            1,
            "a completed step ran again: {lines:?}"
        );
        assert_eq!(lines.iter().filter(|l| *l == "last").count(), 1, "{lines:?}");
        let s = starts(&lines);
        assert_eq!(s.len(), 2, "the interrupted step runs again, once: {lines:?} {row}");
        let ends: Vec<&String> = lines.iter().filter(|l| l.starts_with("end ")).collect();
        assert_eq!(
            ends,
            [&format!("end {}", s[1].0)],
            "the killed node's step died with it: {lines:?}"
        );
        worst = worst.max(s[1].1.saturating_sub(killed_at));
        let row = RunRow::get(&store, r).await.unwrap().unwrap();
        assert_eq!(row.node_id.as_deref(), Some(id1.as_str()));
        assert_eq!(row.lease_version, 2, "claimed by node 0, then by node 1: {row:?}");
        assert_taken_over_comment(&store, r, &id0, &id1).await;
    }
    let worst = Duration::from_nanos(worst as u64);
    eprintln!("takeover: the interrupted steps started again on node 1 at most {worst:?} after the kill (lease 2 s)");
    assert!(
        worst <= Duration::from_secs(3),
        "takeover took {worst:?}, more than the lease + 1 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_from_the_database_stops_its_steps_and_another_finishes_its_runs() {
    let spec = NodeSpec::args(&["--lease-secs", "2"]);
    let mut c = Cluster::start(0).await;
    c.add_node(&NodeSpec {
        via_proxy: true,
        ..spec.clone()
    })
    .await;
    let (project, dir) = c.project("cutoff", &[("ledgered.yaml", &workflow())]).await;
    c.project_id = Some(project);
    let runs = runs_in_long_step(&c, &dir, 2).await;
    let id0 = c.node_id(0).await;
    c.add_node(&spec).await;
    let id1 = c.node_id(1).await;
    c.proxy(0).cut();
    let store = store(&c).await;
    let mut by_node1 = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        c.wait_status(1, r, &["completed"], 60).await;
        assert_taken_over_comment(&store, r, &id0, &id1).await;
        by_node1.push(recorded(&store, r).await);
        let row = RunRow::get(&store, r).await.unwrap().unwrap();
        assert_eq!(row.node_id.as_deref(), Some(id1.as_str()), "{row:?}");
        let lines = ledger(&dir, i);
        let s = starts(&lines);
        assert_eq!(s.len(), 2, "{lines:?}");
        // Node 0 (still running) stopped its step once its lease could not be renewed: its
        // step never wrote its end, though 5 s have passed since it started.
        assert!(
            !lines.contains(&format!("end {}", s[0].0)),
            "the cut-off node's step ran on: {lines:?}"
        );
        assert_eq!(lines.iter().filter(|l| *l == "first").count(), 1, "{lines:?}");
    }
    assert!(c.is_running(0), "the cut-off node keeps running");
    assert!(c.log_of(0).contains("lease not renewed in time"), "{}", c.log_of(0));
    // Back on the database, it takes runs again.
    c.proxy(0).restore().await;
    c.kill(1);
    let project = c.project_id.clone().unwrap();
    let def = c.definition_id(0, &project, "Ledgered").await;
    let r = c.start_run(0, &project, &def, json!({ "n": 9 })).await;
    c.wait_status(0, &r, &["completed"], 60).await;
    // Whatever node 0 still meant to write for the runs it lost (its steps' ends, their
    // events: writes that waited for a connection while it was cut off) was refused once it
    // reached the database again: the runs are as node 1 left them.
    for (r, before) in runs.iter().zip(&by_node1) {
        let after = recorded(&store, r).await;
        assert_eq!(&after, before, "node 0 wrote for run {r} after it lost it");
        assert!(
            !after.0.iter().any(|(_, data)| data.contains("lost the run's lease")),
            "{:?}",
            after.0
        );
    }
}

/// `long` prints a tick a tenth of a second for six seconds: its shell's pid and the time.
const TICKING: &str = "name: Ticking\nphases: [p]\nsteps:\n  - id: long\n    phase: p\n    type: script\n    command: for i in $(seq 1 60); do echo tick $$ $(date +%s%N); sleep 0.1; done\n";

/// The ticks of run `run` in the journal: (pid, time printed).
async fn journaled_ticks(store: &Store, run: &str) -> Vec<(String, u128)> {
    EventRow::after(store, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.execution_id.as_deref() == Some(run) && e.kind == "workflow.step.progress")
        .filter_map(|e| {
            let output: Value = serde_json::from_str(&e.data).ok()?;
            let mut parts = output["output"].as_str()?.strip_prefix("tick ")?.split(' ');
            Some((parts.next()?.to_string(), parts.next()?.trim().parse().ok()?))
        })
        .collect()
}

/// A node that stalls (SIGSTOP) past its lease while its step goes on printing: another node
/// takes the run over, and when the stalled node wakes up, the output its step printed
/// meanwhile never reaches the journal (its events are fenced), nor anything else it meant
/// to write for the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stalled_past_its_lease_journals_nothing_for_the_run_it_lost() {
    let spec = NodeSpec::args(&["--lease-secs", "2"]);
    let mut c = Cluster::start_with(1, &spec).await;
    let (project, _dir) = c.project("stalled", &[("ticking.yaml", TICKING)]).await;
    let def = c.definition_id(0, &project, "Ticking").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    let store = store(&c).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid0 = loop {
        if let Some((pid, _)) = journaled_ticks(&store, &run).await.into_iter().next() {
            break pid;
        }
        assert!(Instant::now() < deadline, "node 0's step never ticked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let id0 = c.node_id(0).await;
    c.add_node(&spec).await;
    let id1 = c.node_id(1).await;
    let node0 = c.pid(0).unwrap().to_string();
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &node0])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {node0}");
    };
    let stalled_at = now_ns();
    signal("-STOP");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = RunRow::get(&store, &run).await.unwrap().unwrap();
        if row.node_id.as_deref() == Some(id1.as_str()) {
            break;
        }
        assert!(Instant::now() < deadline, "node 1 never took the run over: {row:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    signal("-CONT");
    c.wait_status(1, &run, &["completed"], 60).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !c.log_of(0).contains("lease lost: stopping") {
        assert!(Instant::now() < deadline, "node 0 never noticed: {}", c.log_of(0));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for whatever node 0 still queued to reach the database.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let late: Vec<(String, u128)> = journaled_ticks(&store, &run)
        .await
        .into_iter()
        .filter(|(pid, at)| *pid == pid0 && *at > stalled_at)
        .collect();
    assert!(
        late.is_empty(),
        "node 0 journaled {} ticks its step printed after it stalled",
        late.len()
    );
    let ticks = journaled_ticks(&store, &run).await;
    assert!(
        ticks.iter().any(|(pid, _)| *pid != pid0),
        "node 1's step ticks: {ticks:?}"
    );
    assert_taken_over_comment(&store, &run, &id0, &id1).await;
    let tries = workflow_engine::store::attempts::AttemptRow::list_for_run(&store, &run)
        .await
        .unwrap();
    assert!(tries.len() <= 1, "only node 1 wrote the interrupted try: {tries:?}");
}
