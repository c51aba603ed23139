//! A resumed run obeys its concurrency key like a new one: resumed while another run of its key
//! runs, it waits as `pending` (the reason on `Run.queue`) and goes on when that run ends;
//! `workflow-engine resume` in a terminal waits too.

use serde_json::json;

use crate::server_util::*;

const KEYED_YAML: &str = r#"name: Keyed
phases: [work]
argsSchema:
  type: object
  properties:
    repo: { type: string }
    gate: { type: string }
concurrency:
  key: "repo:{{ args.repo }}"
steps:
  - id: hold
    phase: work
    type: script
    command: "while [ ! -f {{ args.gate }} ]; do sleep 0.05; done"
"#;

#[tokio::test]
async fn a_resumed_run_waits_for_its_key() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let (project, dir) = s.project(&token, "alpha", &[("keyed.yaml", KEYED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Keyed").await;
    let paused = s
        .start_run(&token, &project, &def, json!({ "repo": "x", "gate": "gate-p" }))
        .await;
    s.wait_status(&token, &paused, &["running"]).await;
    let (status, body) = s
        .post(
            &token,
            &format!("/workflow-executions/{paused}/pause"),
            json!({ "now": true }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_status(&token, &paused, &["paused"]).await;
    let other = s
        .start_run(&token, &project, &def, json!({ "repo": "x", "gate": "gate-o" }))
        .await;
    s.wait_status(&token, &other, &["running"]).await;

    // Resumed on the server: queued behind its key.
    let (status, body) = s
        .post(&token, &format!("/workflow-executions/{paused}/resume"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let q = s
        .wait_run(&token, &paused, "queued for its key", |r| {
            r["queue"]["reason"] == "concurrency_key"
        })
        .await;
    assert_eq!(
        (q["status"].as_str(), &q["queue"]["key"]),
        (Some("pending"), &json!("repo:x")),
        "{q}"
    );
    std::fs::write(dir.join("gate-p"), "").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(
        s.get(&token, &format!("/workflow-executions/{paused}")).await.1["data"]["status"],
        "pending"
    );
    std::fs::write(dir.join("gate-o"), "").unwrap();
    s.wait_status(&token, &other, &["completed"]).await;
    s.wait_status(&token, &paused, &["completed"]).await;

    // Paused again, then resumed in a terminal while the server runs its key: it waits there.
    let third = s
        .start_run(&token, &project, &def, json!({ "repo": "y", "gate": "gate-t" }))
        .await;
    s.wait_status(&token, &third, &["running"]).await;
    s.post(
        &token,
        &format!("/workflow-executions/{third}/pause"),
        json!({ "now": true }),
    )
    .await;
    s.wait_status(&token, &third, &["paused"]).await;
    let blocker = s
        .start_run(&token, &project, &def, json!({ "repo": "y", "gate": "gate-b" }))
        .await;
    s.wait_status(&token, &blocker, &["running"]).await;
    std::fs::write(dir.join("gate-t"), "").unwrap();
    let mut resume =
        s.sb.cmd(&["resume", &third])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        s.get(&token, &format!("/workflow-executions/{third}")).await.1["data"]["status"],
        "paused"
    );
    std::fs::write(dir.join("gate-b"), "").unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let _ = resume.wait();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut resume.stdout.take().unwrap(), &mut text).unwrap();
        text
    })
    .await
    .unwrap();
    assert!(
        out.contains("waiting: 1 run with concurrency key repo:y is running (limit 1)"),
        "{out}"
    );
    assert_eq!(
        s.get(&token, &format!("/workflow-executions/{third}")).await.1["data"]["status"],
        "completed",
        "{out}"
    );
}
