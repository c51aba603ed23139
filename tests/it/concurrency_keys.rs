//! Concurrency keys (`concurrency: { key, limit }`) through a real server and real terminals:
//! a run whose key has its limit of runs running waits as `pending` with the reason on
//! `Run.queue`, starts when one of them ends, does not hold up runs of other keys behind it,
//! and two claims at once never pass the limit, whichever process (server or `run`) drives.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::server_util::*;
use crate::util::*;

/// Holds its key until the file `gate` exists in the project.
const KEYED_YAML: &str = r#"name: Keyed
phases: [work]
argsSchema:
  type: object
  properties:
    repo: { type: string }
    gate: { type: string }
concurrency:
  key: "repo:{{ args.repo }}"
  limit: 1
steps:
  - id: hold
    phase: work
    type: script
    command: "while [ ! -f {{ args.gate }} ]; do sleep 0.05; done"
"#;

/// The same with a limit of two.
fn keyed(name: &str, limit: u32) -> String {
    KEYED_YAML
        .replace("name: Keyed", &format!("name: {name}"))
        .replace("limit: 1", &format!("limit: {limit}"))
}

async fn start(s: &Server, token: &str, project: &str, def: &str, repo: &str, gate: &str) -> String {
    s.start_run(token, project, def, json!({ "repo": repo, "gate": gate }))
        .await
}

async fn run(s: &Server, token: &str, id: &str) -> Value {
    s.get(token, &format!("/workflow-executions/{id}")).await.1["data"].clone()
}

#[tokio::test]
async fn a_run_waits_for_its_key_without_holding_up_others_and_starts_when_the_key_frees() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;

    let a = start(&s, &token, &project, &def, "x", "gate-a").await;
    s.wait_status(&token, &a, &["running"]).await;
    let b = start(&s, &token, &project, &def, "x", "gate-b").await;
    // A run of another key queued behind the waiting one starts at once.
    let c = start(&s, &token, &project, &def, "y", "gate-c").await;
    s.wait_status(&token, &c, &["running"]).await;
    let d = start(&s, &token, &project, &def, "x", "gate-d").await;

    let b_run = run(&s, &token, &b).await;
    assert_eq!(b_run["status"], "pending", "{b_run}");
    assert_eq!(b_run["concurrency"], json!({ "key": "repo:x", "limit": 1 }));
    let queue = &b_run["queue"];
    assert_eq!(queue["reason"], "concurrency_key", "{b_run}");
    assert_eq!(
        (
            &queue["key"],
            &queue["key_running"],
            &queue["key_limit"],
            &queue["position"]
        ),
        (&json!("repo:x"), &json!(1), &json!(1), &json!(1)),
        "{queue}"
    );
    let d_run = run(&s, &token, &d).await;
    assert_eq!(d_run["queue"]["position"], 2, "second in line for repo:x: {d_run}");
    // The list and the board say the same.
    let (_, list) = s
        .get(
            &token,
            &format!("/workflow-executions?project_id={project}&status=pending"),
        )
        .await;
    let listed: Vec<&Value> = list["data"].as_array().unwrap().iter().collect();
    assert!(
        listed
            .iter()
            .any(|r| r["id"] == b.as_str() && r["queue"]["reason"] == "concurrency_key"),
        "{list}"
    );
    assert_eq!(run(&s, &token, &a).await["queue"], Value::Null);

    // The key frees: the next run of it starts at once (woken, not polled), in order.
    std::fs::write(dir.join("gate-a"), "").unwrap();
    s.wait_status(&token, &a, &["completed"]).await;
    let freed = Instant::now();
    s.wait_status(&token, &b, &["running"]).await;
    assert!(freed.elapsed() < Duration::from_secs(3), "{:?}", freed.elapsed());
    let d_run = run(&s, &token, &d).await;
    assert_eq!(
        (d_run["status"].as_str(), &d_run["queue"]["position"]),
        (Some("pending"), &json!(1))
    );
    for gate in ["gate-b", "gate-c", "gate-d"] {
        std::fs::write(dir.join(gate), "").unwrap();
    }
    for id in [&b, &c, &d] {
        s.wait_status(&token, id, &["completed"]).await;
    }
}

#[tokio::test]
async fn a_limit_of_two_runs_two_and_the_global_limit_has_no_key() {
    let s = Server::start_with(Sandbox::new(), &["--max-concurrent-runs", "3"]).await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s
        .project(&token, "alpha", &[("keyed2.yaml", &keyed("Keyed2", 2))])
        .await;
    let def = s.definition_id(&token, &project, "Keyed2").await;
    let a = start(&s, &token, &project, &def, "x", "gate").await;
    let b = start(&s, &token, &project, &def, "x", "gate").await;
    s.wait_status(&token, &a, &["running"]).await;
    s.wait_status(&token, &b, &["running"]).await;
    let c = start(&s, &token, &project, &def, "x", "gate").await;
    let q = s
        .wait_run(&token, &c, "queued for its key", |r| {
            r["queue"]["reason"] == "concurrency_key"
        })
        .await;
    assert_eq!(
        (&q["queue"]["key_running"], &q["queue"]["key_limit"]),
        (&json!(2), &json!(2)),
        "{q}"
    );
    // Another key takes the third slot; a fourth run waits for a slot, not for a key.
    let d = start(&s, &token, &project, &def, "y", "gate").await;
    s.wait_status(&token, &d, &["running"]).await;
    let e = start(&s, &token, &project, &def, "z", "gate").await;
    let q = run(&s, &token, &e).await["queue"].clone();
    assert_eq!(q["reason"], "concurrency_limit", "{q}");
    assert_eq!(
        (&q["key"], &q["key_running"], &q["key_limit"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(
        (&q["position"], &q["running"], &q["limit"]),
        (&json!(1), &json!(3), &json!(3)),
        "{q}"
    );
    std::fs::write(dir.join("gate"), "").unwrap();
    for id in [&a, &b, &c, &d, &e] {
        s.wait_status(&token, id, &["completed"]).await;
    }
}

/// Runs `running` with `key` now, read from the database.
async fn running_with_key(db: &TestDb, key: &str) -> i64 {
    db.count(
        "SELECT count(*) FROM workflow_runs WHERE concurrency_key = ? AND status = 'running'",
        &[key.into()],
    )
    .await
}

#[tokio::test]
async fn runs_created_at_once_by_the_server_and_terminals_never_pass_the_limit() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;
    let file = dir.join(".agent/workflows/definitions/keyed.yaml");
    let pool = db(&s.sb.store().await).await;
    std::fs::write(dir.join("open"), "").unwrap();
    let holder = start(&s, &token, &project, &def, "x", "gate-hold").await;
    s.wait_status(&token, &holder, &["running"]).await;
    // Six terminals and six API requests, all at once, all waiting for the key...
    let terminals: Vec<_> = (0..6)
        .map(|_| {
            s.sb.cmd(&["run", file.to_str().unwrap(), "--arg", "repo=x", "--arg", "gate=open"])
                .arg("--project")
                .arg(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let created = futures_util::future::join_all((0..6).map(|_| start(&s, &token, &project, &def, "x", "open"))).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = pool
            .count("SELECT count(*) FROM workflow_runs WHERE status = 'pending'", &[])
            .await;
        if pending == 12 {
            break;
        }
        assert!(Instant::now() < deadline, "only {pending} of 12 runs waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...then the key frees, and they race for it each time it frees again.
    std::fs::write(dir.join("gate-hold"), "").unwrap();
    let mut most = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        most = most.max(running_with_key(&pool, "repo:x").await);
        let done = pool
            .count(
                "SELECT count(*) FROM workflow_runs WHERE concurrency_key = 'repo:x' AND status = 'completed'",
                &[],
            )
            .await;
        if done == 13 {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} of 13 runs completed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(most, 1, "never more than the limit running at once");
    for t in terminals {
        let out = t.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a terminal failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // They ran one after the other: no two runs' times overlap.
    let spans: Vec<(String, String)> = pool
        .all(
            "SELECT started_at, completed_at FROM workflow_runs WHERE concurrency_key = 'repo:x' ORDER BY started_at",
            &[],
        )
        .await;
    assert_eq!(spans.len(), 13);
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlap: {w:?}");
    }
    assert_eq!(created.len(), 6);
}

#[tokio::test]
async fn claims_at_once_from_separate_connections_take_the_key_once() {
    use workflow_engine::store::runs::{ClaimFrom, RunRow};
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, _) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;
    let holder = start(&s, &token, &project, &def, "x", "never").await;
    s.wait_status(&token, &holder, &["running"]).await;
    let mut queued = Vec::new();
    for _ in 0..8 {
        queued.push(start(&s, &token, &project, &def, "x", "never").await);
    }
    let sb = s.kill();
    // Nothing drives them now; the holder ends, and eight engines claim a run each at once.
    db_writer(&sb.store().await)
        .await
        .execute(
            "UPDATE workflow_runs SET status = 'completed', lease_owner = NULL WHERE id = ?",
            &[(&holder).into()],
        )
        .await;
    let mut stores = Vec::new();
    for _ in 0..8 {
        stores.push(sb.store().await);
    }
    let lease = "9999-01-01T00:00:00.000Z";
    let claims = queued.iter().zip(&stores).enumerate().map(|(i, (id, store))| {
        let (id, store) = (id.clone(), store.clone());
        tokio::spawn(async move {
            let owner = format!("test-{i}");
            RunRow::claim(&store, &id, ClaimFrom::Queue, &owner, lease, None)
                .await
                .unwrap()
                .is_some()
        })
    });
    let taken = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .filter(|t| *t.as_ref().unwrap())
        .count();
    assert_eq!(taken, 1, "one claim of the key's eight takes it");
    let row = RunRow::key_load(&stores[0], &queued[0]).await.unwrap().unwrap();
    assert_eq!((row.key.as_str(), row.limit), ("repo:x", 1));
}

/// `run` on a terminal, its stdout read line by line on a thread.
fn spawn_run(
    sb: &Sandbox,
    file: &std::path::Path,
    dir: &std::path::Path,
    args: &[&str],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut cmd = sb.cmd(&["run", file.to_str().unwrap()]);
    for a in args {
        cmd.arg("--arg").arg(a);
    }
    let mut child = cmd
        .arg("--project")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

fn expect_line(rx: &std::sync::mpsc::Receiver<String>, what: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            if what(&line) {
                return line;
            }
            seen.push(line);
        }
    }
    panic!("line never printed; saw {seen:?}");
}

#[tokio::test]
async fn a_terminal_waits_for_the_key_saying_why_then_runs_and_ctrl_c_cancels_the_wait() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;
    let file = dir.join(".agent/workflows/definitions/keyed.yaml");
    let a = start(&s, &token, &project, &def, "x", "gate-a").await;
    s.wait_status(&token, &a, &["running"]).await;

    std::fs::write(dir.join("gate-cli"), "").unwrap();
    let (mut cli, rx) = spawn_run(&s.sb, &file, &dir, &["repo=x", "gate=gate-cli"]);
    let id = expect_line(&rx, |l| l.starts_with("run "))
        .trim_start_matches("run ")
        .to_string();
    expect_line(&rx, |l| {
        l == "waiting: 1 run with concurrency key repo:x is running (limit 1)"
    });
    // The server shows why the terminal's run waits, though it does not hold it.
    let waiting = run(&s, &token, &id).await;
    assert_eq!(
        (waiting["status"].as_str(), &waiting["queue"]["reason"]),
        (Some("pending"), &json!("concurrency_key")),
        "{waiting}"
    );
    assert_eq!(waiting["queue"]["position"], 1, "{waiting}");

    std::fs::write(dir.join("gate-a"), "").unwrap();
    let status = cli.wait().unwrap();
    assert!(status.success(), "the terminal's run ran once the key was free");
    assert_eq!(run(&s, &token, &id).await["status"], "completed");

    // A terminal's run holds the key: a server run waits, and starts soon after it ends.
    let (mut holder, rx) = spawn_run(&s.sb, &file, &dir, &["repo=z", "gate=gate-z"]);
    let holder_id = expect_line(&rx, |l| l.starts_with("run "))
        .trim_start_matches("run ")
        .to_string();
    s.wait_status(&token, &holder_id, &["running"]).await;
    let b = start(&s, &token, &project, &def, "z", "gate-b").await;
    let q = run(&s, &token, &b).await;
    assert_eq!(
        (q["status"].as_str(), &q["queue"]["reason"]),
        (Some("pending"), &json!("concurrency_key")),
        "{q}"
    );
    std::fs::write(dir.join("gate-b"), "").unwrap();
    // Ctrl-C on a terminal waiting behind it cancels that never-started run.
    let (mut waiter, rx) = spawn_run(&s.sb, &file, &dir, &["repo=z", "gate=gate-w"]);
    let waiter_id = expect_line(&rx, |l| l.starts_with("run "))
        .trim_start_matches("run ")
        .to_string();
    expect_line(&rx, |l| l.starts_with("waiting: 1 run with concurrency key repo:z"));
    unsafe { libc::kill(waiter.id() as i32, libc::SIGINT) };
    assert_eq!(waiter.wait().unwrap().code(), Some(130));
    assert_eq!(run(&s, &token, &waiter_id).await["status"], "cancelled");

    std::fs::write(dir.join("gate-z"), "").unwrap();
    assert!(holder.wait().unwrap().success());
    s.wait_status(&token, &b, &["completed"]).await;
}
