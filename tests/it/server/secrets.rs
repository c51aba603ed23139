//! Secrets over the API: write-only values, names checked, other users' projects invisible,
//! and a run's use of a secret masked in its API responses and on the WebSocket.

use serde_json::json;

use super::ws::{connect, read_until};
use crate::secrets::{files_containing, VALUE};
use crate::server_util::Server;

const DEPLOY: &str = "name: Deploy\nphases: [p]\nsteps:\n  - id: push\n    phase: p\n    type: script\n    env: { T: \"{{ secrets.DEPLOY_TOKEN }}\" }\n    command: echo \"token=$T\"; echo \"again $T\" >&2; exit 3\n";
const MISSING: &str = "name: Missing\nphases: [p]\nsteps:\n  - id: push\n    phase: p\n    type: script\n    command: echo {{ secrets.NOT_SET }}\n";

async fn delete(s: &Server, token: &str, path: &str) -> u16 {
    s.http
        .delete(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn values_go_in_names_come_out_and_only_for_the_projects_users() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let bob = s.user("bob@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[]).await;
    let path = format!("/projects/{project}/secrets");
    let (status, body) = s
        .put(&ann, &format!("{path}/DEPLOY_TOKEN"), json!({ "value": VALUE }))
        .await;
    assert_eq!(
        (status, body["data"]["name"].as_str()),
        (201, Some("DEPLOY_TOKEN")),
        "{body}"
    );
    let (status, _) = s
        .put(&ann, &format!("{path}/DEPLOY_TOKEN"), json!({ "value": VALUE }))
        .await;
    assert_eq!(status, 200);
    let (status, body) = s.put(&ann, &format!("{path}/bad-name"), json!({ "value": "x" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_secret_name")),
        "{body}"
    );
    let (status, body) = s.put(&ann, &format!("{path}/A"), json!({ "valu": "x" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_body")),
        "{body}"
    );
    let (status, list) = s.get(&ann, &path).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["name"], "DEPLOY_TOKEN");
    assert!(
        list["data"][0]["updated_at"].is_string() && !list.to_string().contains(VALUE),
        "{list}"
    );

    assert_eq!(s.get(&bob, &path).await.0, 404);
    assert_eq!(s.put(&bob, &format!("{path}/X"), json!({ "value": "x" })).await.0, 404);
    assert_eq!(delete(&s, &bob, &format!("{path}/DEPLOY_TOKEN")).await, 404);
    assert_eq!(s.get(&ann, &path).await.1["data"].as_array().unwrap().len(), 1);
    assert_eq!(delete(&s, &ann, &format!("{path}/DEPLOY_TOKEN")).await, 204);
    assert_eq!(delete(&s, &ann, &format!("{path}/DEPLOY_TOKEN")).await, 404);
    assert_eq!(s.get(&ann, &path).await.1["data"], json!([]));
}

#[tokio::test]
async fn a_run_using_a_secret_shows_only_stars_in_the_api_and_the_websocket() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s
        .project(&ann, "alpha", &[("deploy.yaml", DEPLOY), ("missing.yaml", MISSING)])
        .await;
    s.put(
        &ann,
        &format!("/projects/{project}/secrets/DEPLOY_TOKEN"),
        json!({ "value": VALUE }),
    )
    .await;
    let missing = s.definition_id(&ann, &project, "Missing").await;
    let start = |def: String| json!({ "project_id": project, "workflow_definition_id": def, "args": {} });
    let (status, body) = s.post(&ann, "/workflow-executions", start(missing)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string()
            .contains("unknown secret 'NOT_SET' (this project has DEPLOY_TOKEN"),
        "{body}"
    );

    let mut ws = connect(&s, &ann, "").await;
    let def = s.definition_id(&ann, &project, "Deploy").await;
    let (status, body) = s.post(&ann, "/workflow-executions", start(def)).await;
    assert_eq!(status, 201, "{body}");
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let seen = read_until(&mut ws, |e| {
        e["type"] == "workflow.execution.status_changed"
            && e["data"]["execution_id"] == run
            && e["data"]["status"] == "failed"
    })
    .await;
    let stream = serde_json::to_string(&seen).unwrap();
    assert!(!stream.contains(VALUE), "the WebSocket carried the value: {stream}");
    assert!(stream.contains("token=***") && stream.contains("again ***"), "{stream}");

    let (_, got) = s.get(&ann, &format!("/workflow-executions/{run}")).await;
    let step = &got["data"]["steps"][0];
    assert_eq!(step["result"]["data"]["stdout"], "token=***\n", "{got}");
    let row = step["id"].as_str().unwrap();
    let mut texts = vec![got.to_string()];
    for log in ["events", "output", "summary"] {
        let r = s
            .http
            .get(s.url(&format!("/workflow-steps/{row}/logs/{log}")))
            .bearer_auth(&ann)
            .send()
            .await
            .unwrap();
        texts.push(r.text().await.unwrap());
    }
    texts.push(s.get(&ann, &format!("/workflow-steps/{row}")).await.1.to_string());
    for text in &texts {
        assert!(!text.contains(VALUE), "an API response carries the value: {text}");
    }
    assert!(texts[1].contains("again ***"), "{}", texts[1]);
    assert_eq!(files_containing(&dir, VALUE), Vec::<String>::new());
    assert_eq!(files_containing(&s.sb.data_dir(), VALUE), Vec::<String>::new());
}
