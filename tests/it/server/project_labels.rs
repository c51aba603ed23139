//! The node labels a project requires (`node_labels`): set on create and by `PATCH
//! /api/projects/{id}`, checked with the bad entry named, shown by `GET`. A single-process
//! engine (SQLite) drives the project's runs anyway; on PostgreSQL a node without the labels
//! leaves them `pending` and the run says why (`placement`).

use serde_json::json;

use crate::server_util::Server;

const QUICK: &str =
    "name: Quick\nphases: [p]\nsteps:\n  - id: hi\n    phase: p\n    type: script\n    command: echo hi\n";

#[tokio::test]
async fn node_labels_are_set_checked_and_shown() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let bob = s.user("bob@example.com", false);
    let (id, dir) = s.project(&ann, "alpha", &[]).await;
    let (_, body) = s.get(&ann, &format!("/projects/{id}")).await;
    assert_eq!(body["data"]["node_labels"], json!([]), "{body}");

    for (bad, field) in [
        (json!(["gpu", "a b"]), "node_labels[1]"),
        (json!(["gpu", "gpu"]), "node_labels[1]"),
        (json!([""]), "node_labels[0]"),
        (json!(["x".repeat(65)]), "node_labels[0]"),
    ] {
        let (status, body) = s
            .patch(&ann, &format!("/projects/{id}"), json!({ "node_labels": bad }))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_body")),
            "{body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().starts_with(field),
            "{bad}: {body}"
        );
        let (status, body) = s
            .post(
                &ann,
                "/projects",
                json!({ "name": "alpha", "path": dir, "node_labels": bad }),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with(field), "{body}");
    }
    let (status, body) = s
        .patch(&ann, &format!("/projects/{id}"), json!({ "node_labels": "gpu" }))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("node_labels"),
        "{body}"
    );
    let (status, body) = s.patch(&ann, &format!("/projects/{id}"), json!({ "labels": [] })).await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = s
        .patch(
            &ann,
            &format!("/projects/{id}"),
            json!({ "node_labels": ["gpu", "eu-west:1"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["node_labels"], json!(["gpu", "eu-west:1"]));
    let (_, body) = s.get(&ann, "/projects").await;
    assert_eq!(body["data"][0]["node_labels"], json!(["gpu", "eu-west:1"]), "{body}");
    // Registered again without labels: they stay; with labels: they are replaced.
    let (_, body) = s.post(&ann, "/projects", json!({ "name": "alpha", "path": dir })).await;
    assert_eq!(body["data"]["node_labels"], json!(["gpu", "eu-west:1"]), "{body}");
    let (_, body) = s
        .post(
            &ann,
            "/projects",
            json!({ "name": "alpha", "path": dir, "node_labels": [] }),
        )
        .await;
    assert_eq!(body["data"]["node_labels"], json!([]), "{body}");
    // Another user's project is not there for them.
    let (status, _) = s.get(&bob, &format!("/projects/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = s
        .patch(&bob, &format!("/projects/{id}"), json!({ "node_labels": [] }))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_single_process_engine_drives_a_labelled_projects_runs_and_a_node_without_them_says_why() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("quick.yaml", QUICK)]).await;
    let (status, body) = s
        .patch(&ann, &format!("/projects/{project}"), json!({ "node_labels": ["gpu"] }))
        .await;
    assert_eq!(status, 200, "{body}");
    let def = s.definition_id(&ann, &project, "Quick").await;
    let run = s.start_run(&ann, &project, &def, json!({})).await;
    if !s.sb.on_pg() {
        // SQLite: one process drives everything; labels do not strand runs.
        s.wait_status(&ann, &run, &["completed"]).await;
        return;
    }
    // PostgreSQL: this node has no `gpu`; the run waits for one and says so.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (_, body) = s.get(&ann, &format!("/workflow-executions/{run}")).await;
    assert_eq!(body["data"]["status"], "pending", "{body}");
    let why = body["data"]["placement"].as_str().unwrap_or_default();
    assert!(why.contains("gpu") && why.contains("alpha"), "{body}");
    // Not required any more: this node takes it.
    let (status, _) = s
        .patch(&ann, &format!("/projects/{project}"), json!({ "node_labels": [] }))
        .await;
    assert_eq!(status, 200);
    s.wait_status(&ann, &run, &["completed"]).await;
}
