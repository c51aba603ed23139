//! The board's API (`GET /api/board`, `GET /api/workflow-executions?column=`): exact counts per
//! column, columns paged on their own (the queue oldest first), a failed run kept in its
//! phase, queued runs' places, the search and the creation range, and bad queries refused.

use serde_json::{json, Value};

use crate::server_util::*;
use crate::util::*;

/// Fails in its second phase, its step's error text distinctive.
const FAILING_YAML: &str = "name: Failing\nphases: [prep, work]\nsteps:\n  - id: ready\n    phase: prep\n    type: script\n    command: 'true'\n  - id: break-it\n    phase: work\n    type: script\n    command: echo zebra-4410 >&2; exit 1\n";

/// Holds its slot until cancelled.
const BLOCKER_YAML: &str = "name: Blocker\nphases: [hold]\nargsSchema:\n  type: object\n  properties:\n    ticket: { type: string, default: none }\nsteps:\n  - id: hold\n    phase: hold\n    type: script\n    command: sleep 60\n";

/// Starts a run of the definition named `definition`; its id.
async fn start(s: &Server, token: &str, project: &str, definition: &str, args: Value) -> String {
    let def = s.definition_id(token, project, definition).await;
    s.start_run(token, project, &def, args).await
}

fn column<'a>(board: &'a Value, key: &str) -> &'a Value {
    board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no column {key}: {board}"))
}

fn ids(runs: &Value) -> Vec<String> {
    runs.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_board_counts_pages_searches_and_queues() {
    let sb = Sandbox::new();
    let s = Server::start_with(sb, &["--max-concurrent-runs", "1"]).await;
    let token = s.user("ann@example.com", false);
    let (project, _dir) = s
        .project(
            &token,
            "alpha",
            &[("failing.yaml", FAILING_YAML), ("blocker.yaml", BLOCKER_YAML)],
        )
        .await;
    let failing = start(&s, &token, &project, "Failing", json!({})).await;
    s.wait_status(&token, &failing, &["failed"]).await;
    let blocker = start(&s, &token, &project, "Blocker", json!({"ticket": "T-1"})).await;
    s.wait_status(&token, &blocker, &["running"]).await;
    let mut queued = Vec::new();
    for i in 0..5 {
        queued.push(start(&s, &token, &project, "Blocker", json!({"ticket": format!("Q-{i}")})).await);
    }
    let blocker_def = s.definition_id(&token, &project, "Blocker").await;
    let failing_def = s.definition_id(&token, &project, "Failing").await;

    // A failed run stays in the phase where it failed; Finished stays empty.
    let (status, board) = s
        .get(
            &token,
            &format!("/board?project_id={project}&workflow_definition_id={failing_def}"),
        )
        .await;
    assert_eq!(status, 200, "{board}");
    let keys: Vec<&str> = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["__pending", "prep", "work", "__done"]);
    assert_eq!(column(&board, "work")["count"], 1);
    assert_eq!(ids(&column(&board, "work")["runs"]), std::slice::from_ref(&failing));
    assert_eq!(column(&board, "__done")["count"], 0);

    // Exact counts beyond the page; the queue oldest first with its places.
    let q = format!("/board?project_id={project}&workflow_definition_id={blocker_def}&limit=2");
    let (_, board) = s.get(&token, &q).await;
    let pending = column(&board, "__pending");
    assert_eq!(pending["count"], 5, "{board}");
    assert_eq!(ids(&pending["runs"]), queued[..2].to_vec());
    let places: Vec<Value> = pending["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["queue"].clone())
        .collect();
    assert_eq!(
        places,
        [
            json!({"reason": "concurrency_limit", "position": 1, "running": 1, "limit": 1, "key": null, "key_running": null, "key_limit": null}),
            json!({"reason": "concurrency_limit", "position": 2, "running": 1, "limit": 1, "key": null, "key_running": null, "key_limit": null})
        ]
    );
    assert_eq!(
        (
            board["total"].clone(),
            board["running"].clone(),
            board["pending"].clone()
        ),
        (json!(6), json!(1), json!(5))
    );
    assert_eq!(
        column(&board, "hold")["runs"][0]["queue"],
        Value::Null,
        "a running run has no place"
    );

    // The column pages on its own, in the same order, to its end.
    let mut cursor = pending["next_cursor"].as_str().unwrap().to_string();
    let mut seen = ids(&pending["runs"]);
    loop {
        let (status, page) = s
            .get(
                &token,
                &format!("/workflow-executions?project_id={project}&workflow_definition_id={blocker_def}&column=__pending&limit=2&cursor={cursor}"),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page["data"]));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, queued, "each queued run once, in the order they start");
    let (_, one) = s.get(&token, &format!("/workflow-executions/{}", queued[3])).await;
    assert_eq!(one["data"]["queue"]["position"], 4, "{one}");

    // A run cancelled while queued leaves its place: the ones behind it move up.
    s.post(&token, &format!("/workflow-executions/{}/cancel", queued[0]), json!({}))
        .await;
    let (_, one) = s.get(&token, &format!("/workflow-executions/{}", queued[3])).await;
    assert_eq!(one["data"]["queue"]["position"], 3, "{one}");

    // Search: an argument value, a step's error text, nothing; the all-workflows board by status.
    let (_, found) = s.get(&token, &format!("/board?project_id={project}&q=q-3")).await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(
        ids(&column(&found, "pending")["runs"]),
        std::slice::from_ref(&queued[3])
    );
    let (_, found) = s
        .get(&token, &format!("/board?project_id={project}&q=ZEBRA-4410"))
        .await;
    assert_eq!(
        ids(&column(&found, "failed")["runs"]),
        std::slice::from_ref(&failing),
        "{found}"
    );
    let (_, found) = s
        .get(&token, &format!("/workflow-executions?project_id={project}&q=%25"))
        .await;
    assert_eq!(
        found["data"].as_array().unwrap().len(),
        0,
        "a % is searched for, not a wildcard"
    );
    let (_, found) = s.get(&token, &format!("/board?project_id={project}&q=break-it")).await;
    assert_eq!(found["total"], 1, "a step key finds its run: {found}");

    // The creation range.
    let (_, none) = s
        .get(
            &token,
            &format!("/board?project_id={project}&created_before=2020-01-01"),
        )
        .await;
    assert_eq!(none["total"], 0, "{none}");
    let (_, all) = s
        .get(
            &token,
            &format!("/board?project_id={project}&created_after=2020-01-01T00:00:00Z"),
        )
        .await;
    assert_eq!(all["total"], 7, "{all}");

    // Bad queries name their parameter.
    for (query, field) in [
        ("created_after=soon", "created_after"),
        ("created_after=2026-02-01&created_before=2026-01-01", "created_before"),
        ("limit=0", "limit"),
        ("status=lost", "status"),
    ] {
        let (status, body) = s.get(&token, &format!("/board?project_id={project}&{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().starts_with(field),
            "{query}: {body}"
        );
    }
    let (status, body) = s
        .get(
            &token,
            &format!("/workflow-executions?project_id={project}&column=lost"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("column:"),
        "{body}"
    );
    let (status, _) = s.get(&token, "/board").await;
    assert_eq!(status, 400, "a board is a project's");
    let other = s.user("bob@example.com", false);
    let (status, _) = s.get(&other, &format!("/board?project_id={project}")).await;
    assert_eq!(status, 404, "another user's project is not found");

    s.post(&token, &format!("/workflow-executions/{blocker}/cancel"), json!({}))
        .await;
    for q in &queued {
        s.post(&token, &format!("/workflow-executions/{q}/cancel"), json!({}))
            .await;
    }
}
