//! Files of a run on the node that ran it: nodes that do not share a filesystem (each in a
//! mount namespace of its own) serve each other's run files through the owning node.

use super::claims::SLEEPY;
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_serves_the_logs_of_a_run_whose_folder_is_on_another_node() {
    let mut c = Cluster::start_with(2, &NodeSpec::isolated()).await;
    // Only node 0 has the project (in its own namespace).
    let (project, _) = c.project_only_on(0, "files", &[("sleepy.yaml", SLEEPY)], &[0]).await;
    let def = c.definition_id(0, &project, "Sleepy").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    let done = c.wait_status(1, &run, &["completed"], 30).await;
    let step = done["steps"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/workflow-steps/{step}/logs/output");
    let (status, body) = c.get(0, c.admin_token(), &path).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["content"].as_str().unwrap().contains("napped"), "{body}");
    // Node 1 has no such folder: it asks node 0, with the caller's token.
    let r = c
        .http
        .get(c.url(1, &path))
        .bearer_auth(c.admin_token())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{text}\nnode 1: {}", c.log_of(1));
    let via: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(via, body);
    // A forwarded request is answered where it lands (no loops): here, nothing.
    let r = c
        .http
        .get(c.url(1, &path))
        .bearer_auth(c.admin_token())
        .header("x-workflow-engine-forwarded", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let local: Value = r.json().await.unwrap();
    assert_eq!(local["data"]["content"], "", "{local}");
    // Still the caller's access: a user without the project gets nothing from either node.
    let bob = c.user("bob@example.com", false);
    let (status, _) = c.get(1, &bob, &path).await;
    assert_eq!(status, 404);
    // Node 0 gone: node 1 says where the files are and that it cannot reach them.
    c.kill(0);
    let (status, body) = c.get(1, c.admin_token(), &path).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "node_unavailable", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("cannot be reached"),
        "{body}"
    );
}
