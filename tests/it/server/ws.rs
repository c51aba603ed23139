//! The WebSocket: ordered, replayable with `since`, filtered per user, and fed by CLI runs.

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::server_util::*;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(s: &Server, token: &str, query: &str) -> Socket {
    let url = format!("{}/api/ws{query}", s.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket connects")
        .0
}

/// Reads events until one matches `done` (or panics after a while).
pub async fn read_until(ws: &mut Socket, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no event in time; seen: {seen:#?}"))
            .expect("stream open")
            .expect("frame");
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            let stop = done(&v);
            seen.push(v);
            if stop {
                return seen;
            }
        }
    }
}

fn completed(run: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| {
        e["type"] == "workflow.execution.status_changed"
            && e["data"]["execution_id"] == run
            && e["data"]["status"] == "completed"
    }
}

#[tokio::test]
async fn events_stream_in_order_replay_with_since_and_stay_with_their_users() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let bob = s.user("bob@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
    let (bob_project, _) = s.project(&bob, "beta", &[("quick.yaml", QUICK_YAML)]).await;
    let mut ann_ws = connect(&s, &ann, "").await;
    let mut bob_ws = connect(&s, &bob, "").await;
    let def = s.definition_id(&ann, &project, "Quick").await;
    let (_, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "args": { "who": "ann" } }),
        )
        .await;
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let events = read_until(&mut ann_ws, completed(&run)).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "workflow.execution.created",
            "workflow.execution.status_changed",
            "workflow.step.started",
            "workflow.step.progress",
            "workflow.step.completed",
            "workflow.execution.phase_changed",
            "workflow.step.started",
            "workflow.step.completed",
            "workflow.execution.status_changed",
        ],
        "{events:#?}"
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase: {seqs:?}"
    );
    assert_eq!(events[3]["data"]["output"], "hello ann");
    assert_eq!(events[2]["data"]["step_name"], "hello");
    assert!(events.iter().all(|e| e["data"]["project_id"] == project.as_str()));

    // Bob's run: Bob sees it; Ann's events never reached Bob.
    let bob_def = s.definition_id(&bob, &bob_project, "Quick").await;
    let (_, body) = s
        .post(
            &bob,
            "/workflow-executions",
            json!({ "project_id": bob_project, "workflow_definition_id": bob_def, "args": { "who": "bob" } }),
        )
        .await;
    let bob_run = body["data"]["id"].as_str().unwrap().to_string();
    let bob_events = read_until(&mut bob_ws, completed(&bob_run)).await;
    assert!(
        bob_events
            .iter()
            .all(|e| e["data"]["project_id"] == bob_project.as_str()),
        "{bob_events:#?}"
    );

    // Reconnecting with `since` replays exactly what came after.
    let mut replay = connect(&s, &ann, &format!("?since={}", seqs[3])).await;
    let again = read_until(&mut replay, completed(&run)).await;
    let replayed: Vec<i64> = again.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(replayed, seqs[4..].to_vec());

    // A token in the query works too; a bad one is refused.
    let url = format!("{}/api/ws?token={ann}", s.base.replace("http://", "ws://"));
    assert!(tokio_tungstenite::connect_async(url).await.is_ok());
    let bad = format!("{}/api/ws?token=nope", s.base.replace("http://", "ws://"));
    assert!(tokio_tungstenite::connect_async(bad).await.is_err());
}

#[tokio::test]
async fn a_cli_run_in_a_project_shows_up_live() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
    let mut ws = connect(&s, &ann, "").await;
    let file = dir.join(".agent/workflows/definitions/quick.yaml");
    let out = s.sb.run(&["run", file.to_str().unwrap(), "--arg", "who=cli"]);
    assert!(out.status.success(), "{}", crate::util::stderr(&out));
    let run = crate::util::run_id(&out);
    let events = read_until(&mut ws, completed(&run)).await;
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "workflow.step.progress" && e["data"]["output"] == "hello cli"),
        "{events:#?}"
    );
    let (_, list) = s.get(&ann, &format!("/workflow-executions?project_id={project}")).await;
    assert_eq!(list["data"][0]["id"], run.as_str());
}

#[tokio::test]
async fn comments_and_artifacts_are_announced() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Quick").await;
    let (_, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "args": { "who": "x" } }),
        )
        .await;
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let done = s.wait_status(&ann, &run, &["completed"]).await;
    let step = done["steps"][0]["id"].as_str().unwrap().to_string();
    let mut ws = connect(&s, &ann, "").await;
    let (status, comment) = s
        .post(
            &ann,
            &format!("/workflow-executions/{run}/comments"),
            json!({ "text": "looks right", "step_id": step }),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    let comment_id = comment["data"]["id"].as_str().unwrap().to_string();
    let form = reqwest::multipart::Form::new().text("step_id", step.clone()).part(
        "file",
        reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("note.txt"),
    );
    let upload = s
        .http
        .post(s.url(&format!("/workflow-executions/{run}/artifacts")))
        .bearer_auth(&ann)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let artifact: Value = upload.json().await.unwrap();
    let artifact_id = artifact["data"]["id"].as_str().unwrap().to_string();
    let attach = s
        .http
        .patch(s.url(&format!("/artifacts/{artifact_id}/attach")))
        .bearer_auth(&ann)
        .json(&json!({ "comment_id": comment_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(attach.status(), 200);
    let events = read_until(&mut ws, |e| e["type"] == "workflow.artifact.attached").await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "workflow.comment.created",
            "workflow.artifact.created",
            "workflow.artifact.attached"
        ]
    );
    assert_eq!(events[0]["data"]["comment_id"], comment_id.as_str());
    assert_eq!(events[0]["data"]["step_id"], step.as_str());
    assert_eq!(events[1]["data"]["artifact_id"], artifact_id.as_str());
    assert_eq!(events[2]["data"]["comment_id"], comment_id.as_str());
    assert!(events
        .iter()
        .all(|e| e["data"]["execution_id"] == run.as_str() && e["data"]["project_id"] == project.as_str()));
    let (_, step_view) = s.get(&ann, &format!("/workflow-steps/{step}")).await;
    assert_eq!(step_view["data"]["artifacts"][0]["id"], artifact_id.as_str());
    assert_eq!(
        step_view["data"]["comments"][0]["artifacts"][0]["id"],
        artifact_id.as_str()
    );
}
