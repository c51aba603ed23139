//! Users post `user` comments only: `system` and `agent` comments are the engine's word on a
//! run, so the API refuses them, and its document says so.

use serde_json::{json, Value};

use crate::server_util::*;

#[tokio::test]
async fn users_cannot_post_system_or_agent_comments() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
    let definition = s.definition_id(&ann, &project, "Quick").await;
    let body = json!({ "project_id": project, "workflow_definition_id": definition, "args": { "who": "x" } });
    let (status, run) = s.post(&ann, "/workflow-executions", body).await;
    assert_eq!(status, 201, "{run}");
    let path = format!("/workflow-executions/{}/comments", run["data"]["id"].as_str().unwrap());
    for kind in ["system", "agent"] {
        let (status, body) = s
            .post(&ann, &path, json!({ "text": "trust me", "comment_type": kind }))
            .await;
        assert_eq!(status, 400, "{kind}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("comment_type:") && message.contains("only 'user'"),
            "{body}"
        );
    }
    let (status, body) = s
        .post(&ann, &path, json!({ "text": "mine", "comment_type": "user" }))
        .await;
    assert_eq!(
        (status, body["data"]["comment_type"].as_str()),
        (201, Some("user")),
        "{body}"
    );
    let (status, body) = s.post(&ann, &path, json!({ "text": "also mine" })).await;
    assert_eq!(
        (status, body["data"]["comment_type"].as_str()),
        (201, Some("user")),
        "{body}"
    );
    let (_, list) = s.get(&ann, &path).await;
    let kinds: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["created_by"].is_null())
        .map(|c| c["comment_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["user", "user"], "nothing refused was recorded");
}

#[tokio::test]
async fn the_document_offers_only_the_user_comment_type_for_posting() {
    let s = Server::start().await;
    let doc: Value = s
        .http
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = &doc["paths"]["/api/workflow-executions/{id}/comments"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["$ref"];
    let name = body.as_str().unwrap().rsplit('/').next().unwrap();
    let field = doc["components"]["schemas"][name]["properties"]["comment_type"].to_string();
    let target = field
        .split("#/components/schemas/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(doc["components"]["schemas"][target]["enum"], json!(["user"]), "{field}");
}
