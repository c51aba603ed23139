//! A step's live lines say where their records are in `events.jsonl`, and a read of the log says
//! how much of it it holds, so a client joins the two with each line once (issue 16).

use serde_json::Value;

use super::ws::{connect, read_until};
use crate::server_util::*;

const LINES_YAML: &str = "name: Lines\nphases: [work]\nsteps:\n  - id: talk\n    phase: work\n    type: script\n    command: \"echo a; echo bb; echo ccc; printf partial\"\n";

#[tokio::test]
async fn progress_events_carry_where_their_record_ends_and_a_read_its_size() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("lines.yaml", LINES_YAML)]).await;
    let mut ws = connect(&s, &ann, "").await;
    let def = s.definition_id(&ann, &project, "Lines").await;
    let run = s.start_run(&ann, &project, &def, serde_json::json!({})).await;
    let events = read_until(&mut ws, |e| {
        e["type"] == "workflow.execution.status_changed" && e["data"]["status"] == "completed"
    })
    .await;
    let progress: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "workflow.step.progress" && e["data"]["execution_id"] == run.as_str())
        .map(|e| &e["data"])
        .collect();
    let outputs: Vec<&str> = progress.iter().map(|p| p["output"].as_str().unwrap()).collect();
    assert_eq!(outputs, ["a", "bb", "ccc", "partial"], "{progress:#?}");

    let step = progress[0]["step_id"].as_str().unwrap();
    let (status, body) = s.get(&ann, &format!("/workflow-steps/{step}/logs/events")).await;
    assert_eq!(status, 200, "{body}");
    let content = body["data"]["content"].as_str().unwrap();
    let size = body["data"]["size"].as_u64().unwrap();
    assert_eq!(size, content.len() as u64);

    // Each event's record is the one that ends at its `log_end`: the file up to there ends with it.
    let mut last = 0;
    for p in &progress {
        let mark = &p["log"];
        assert_eq!(mark["attempt"], 1, "{p}");
        let end = mark["log_end"].as_u64().unwrap();
        assert!(end > last, "records end further on: {progress:#?}");
        last = end;
        let upto = &content[..end as usize];
        let record: Value = serde_json::from_str(upto.trim_end().rsplit('\n').next().unwrap()).unwrap();
        assert_eq!(record["text"], p["output"], "{upto}");
        assert_eq!(record["ts"], mark["ts"]);
    }
    assert_eq!(last, size, "the last event's record ends the file");
}
