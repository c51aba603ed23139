//! Agent steps under the server: progress streams over the WebSocket while the agent works,
//! the session is on the step as soon as it starts, and cancel leaves no process behind.

use serde_json::{json, Value};

use super::{alive, read_pid, AgentBox};
use crate::server::ws::{connect, read_until};
use crate::server_util::Server;
use crate::util::wait_until;

const GATED: &str = "name: Gated\nphases: [work]\nsteps:\n  - id: ask\n    phase: work\n    type: agent\n    agent: claude\n    prompt: \"[scenario:gate] explain\"\n";
const HANG: &str = "name: Hang\nphases: [work]\nsteps:\n  - id: ask\n    phase: work\n    type: agent\n    agent: codex\n    prompt: \"[scenario:hang] wait\"\n";

fn serve(abox: AgentBox) -> Server {
    let gate = abox.sb.project().join("gate");
    let mut cmd = abox.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.env("FAKE_AGENT_GATE", gate);
    // The stand-ins' record folder and the gate are in the sandbox, beside the projects the
    // server's steps are confined to.
    cmd.env("WORKFLOW_ENGINE_CONFINE_WRITE", abox.sb.project());
    Server::spawn(abox.sb, cmd)
}

fn progress_of(run: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| e["type"] == "workflow.step.progress" && e["data"]["execution_id"] == run
}

#[tokio::test]
async fn progress_streams_in_order_while_the_agent_works() {
    let s = serve(AgentBox::new());
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("gated.yaml", GATED)]).await;
    let def = s.definition_id(&ann, &project, "Gated").await;
    let mut ws = connect(&s, &ann, "").await;
    let (_, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    let run = body["data"]["id"].as_str().unwrap().to_string();
    // The agent is held at the gate: what arrived so far arrived while it was running.
    let seen = read_until(&mut ws, |e| progress_of(&run)(e) && e["data"]["stream"] == "assistant").await;
    let session = seen
        .iter()
        .find(|e| e["data"]["stream"] == "session")
        .expect("the session came first");
    let session_id = session["data"]["detail"]["sessionId"].as_str().unwrap().to_string();
    let step_row = session["data"]["step_id"].as_str().unwrap().to_string();
    let (status, step) = s.get(&ann, &format!("/workflow-steps/{step_row}")).await;
    assert_eq!(status, 200);
    assert_eq!(step["data"]["status"], "running");
    assert_eq!(step["data"]["session"]["session_id"], session_id.as_str(), "{step}");
    assert_eq!(step["data"]["session"]["agent"], "claude");
    assert_eq!(step["data"]["session"]["status"], "running");
    // The raw lines so far are on disk while the agent is still held at the gate.
    let (_, log) = s.get(&ann, &format!("/workflow-steps/{step_row}/logs/events")).await;
    let content = log["data"]["content"].as_str().unwrap_or_default();
    assert!(content.contains(&session_id) && content.contains("system"), "{log}");

    std::fs::write(s.sb.project().join("gate"), "").unwrap();
    let rest = read_until(&mut ws, |e| {
        e["type"] == "workflow.step.completed" && e["data"]["execution_id"] == run.as_str()
    })
    .await;
    let streams: Vec<&str> = seen
        .iter()
        .chain(&rest)
        .filter(|e| progress_of(&run)(e))
        .map(|e| e["data"]["stream"].as_str().unwrap())
        .collect();
    assert_eq!(
        streams,
        [
            "session",
            "assistant",
            "tool_call",
            "tool_result",
            "assistant",
            "result"
        ],
        "the agent's events in the order it did them"
    );
    let tool = rest.iter().find(|e| e["data"]["stream"] == "tool_call").unwrap();
    assert_eq!(tool["data"]["detail"]["tool"], "Read");
    let done = rest.last().unwrap();
    assert_eq!(done["data"]["status"], "completed", "{done}");
    let (_, step) = s.get(&ann, &format!("/workflow-steps/{step_row}")).await;
    assert_eq!(step["data"]["session"]["status"], "completed");
    assert_eq!(step["data"]["session"]["resumable"], true);
    assert!(step["data"]["session"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(step["data"]["result"]["data"]["text"], "done: explain", "{step}");
}

#[tokio::test]
async fn cancelling_a_run_stops_its_agent_and_every_child() {
    let s = serve(AgentBox::new());
    let record = s.sb.project().join("record");
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("hang.yaml", HANG)]).await;
    let def = s.definition_id(&ann, &project, "Hang").await;
    let (_, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let grandchild_file = record.join("codex.grandchild.pid");
    wait_until(30, "the agent to start its child", || grandchild_file.exists());
    let (grandchild, agent) = (read_pid(&grandchild_file), read_pid(&record.join("codex.pid")));
    assert!(alive(grandchild) && alive(agent));
    let (status, _) = s
        .post(&ann, &format!("/workflow-executions/{run}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200);
    let done = s.wait_status(&ann, &run, &["cancelled"]).await;
    assert_eq!(done["status"], "cancelled");
    wait_until(10, "the agent and its child to die", || {
        !alive(grandchild) && !alive(agent)
    });
    let signals = std::fs::read_to_string(record.join("codex.signals")).unwrap();
    assert_eq!(signals.trim(), "SIGINT", "codex is interrupted the way Ctrl-C would");
}
