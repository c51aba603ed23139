//! Auth, projects, definitions, executions and steps over a real socket.

use serde_json::json;

use crate::server_util::*;

#[tokio::test]
async fn login_and_tokens_guard_every_route() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let login = |pw: &'static str| {
        s.http
            .post(s.url("/auth/login"))
            .json(&json!({ "email": "ann@example.com", "password": pw }))
            .send()
    };
    let ok = login(PASSWORD).await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    let token = body["data"]["token"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["user"]["email"], "ann@example.com");
    assert!(
        body["data"]["user"].get("password_hash").is_none(),
        "the hash never leaves the server"
    );
    assert_eq!(login("wrong-password").await.unwrap().status(), 401);
    let missing = s.http.get(s.url("/projects")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = s.get("not-a-jwt", "/projects").await;
    assert_eq!(status, 401);
    let (status, body) = s.get(&token, "/projects").await;
    assert_eq!((status, body["data"].clone()), (200, json!([])));
    let bad = s
        .http
        .post(s.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("email"), "{body}");
}

#[tokio::test]
async fn projects_are_validated_and_private_to_their_users() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let bob = s.user("bob@example.com", false);
    let admin = s.user("root@example.com", true);
    let (id, dir) = s.project(&ann, "alpha", &[]).await;
    let (status, body) = s
        .post(&ann, "/projects", json!({ "name": "x", "path": "/no/such/dir" }))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("path:"),
        "{body}"
    );
    let (status, body) = s
        .post(&ann, "/projects", json!({ "name": "x", "path": "relative/dir" }))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_body")));
    let (status, body) = s.post(&ann, "/projects", json!({ "path": dir })).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("name"), "{body}");
    let (status, again) = s.post(&ann, "/projects", json!({ "name": "alpha", "path": dir })).await;
    assert_eq!(
        (status, again["data"]["id"].as_str()),
        (201, Some(id.as_str())),
        "adding your own project again is harmless"
    );
    let (status, _) = s.post(&bob, "/projects", json!({ "name": "mine", "path": dir })).await;
    assert_eq!(status, 400, "another user's directory cannot be taken");
    let (_, list) = s.get(&bob, "/projects").await;
    assert_eq!(list["data"], json!([]));
    let (_, list) = s.get(&admin, "/projects").await;
    assert_eq!(list["data"][0]["id"], id.as_str());
    let (status, _) = s.get(&bob, &format!("/workflow-definitions?project_id={id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn definitions_are_discovered_with_errors_located_and_followed_when_files_change() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML), ("broken.yaml", "name: Broken\nphases: [a]\nsteps:\n  - id: x\n    phase: nowhere\n    type: script\n    command: \"true\"\n")]).await;
    let (_, body) = s
        .get(&ann, &format!("/workflow-definitions?project_id={project}"))
        .await;
    let defs = body["data"].as_array().unwrap();
    assert_eq!(defs.len(), 2, "{body}");
    let quick = defs.iter().find(|d| d["name"] == "Quick").unwrap();
    assert_eq!(quick["type"], "yaml");
    assert_eq!(quick["phases"], json!(["build", "test"]));
    assert_eq!(quick["args_schema"]["required"], json!(["who"]));
    let broken = defs.iter().find(|d| d["name"] == "broken").unwrap();
    let error = &broken["load_error"]["errors"][0];
    assert_eq!(
        (error["location"]["line"].as_u64(), error["location"]["column"].as_u64()),
        (Some(5), Some(12)),
        "{broken}"
    );
    let (status, one) = s
        .get(
            &ann,
            &format!("/workflow-definitions/{}", quick["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["data"]["steps"][0]["id"], "hello");
    // A new file appears on its own.
    std::fs::write(dir.join(".agent/workflows/definitions/slow.yaml"), SLOW_YAML).unwrap();
    let mut found = false;
    for _ in 0..100 {
        let (_, body) = s
            .get(&ann, &format!("/workflow-definitions?project_id={project}"))
            .await;
        if body["data"].as_array().unwrap().iter().any(|d| d["name"] == "Slow") {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(found, "the watcher did not pick up slow.yaml");
    let bob = s.user("bob@example.com", false);
    let (status, _) = s
        .get(
            &bob,
            &format!("/workflow-definitions/{}", quick["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn executions_are_created_listed_and_read() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Quick").await;
    let create = |args: serde_json::Value| {
        s.post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "args": args }),
        )
    };
    let (status, body) = create(json!({ "who": 3, "extra": 1 })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_args")),
        "{body}"
    );
    assert!(
        body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().starts_with("args.who")),
        "{body}"
    );
    let (status, body) = s
        .post(&ann, "/workflow-executions", json!({ "project_id": project }))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("workflow_definition_id"),
        "{body}"
    );
    let mut ids = Vec::new();
    for who in ["a", "b", "c"] {
        let (status, body) = create(json!({ "who": who })).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["data"]["args"], json!({ "who": who }));
        assert_eq!(body["data"]["current_phase"], "build");
        ids.push(body["data"]["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        s.wait_status(&ann, id, &["completed"]).await;
    }
    let (_, run) = s.get(&ann, &format!("/workflow-executions/{}", ids[0])).await;
    let steps = run["data"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["result"]["data"]["stdout"], "hello a\n");
    assert_eq!(run["data"]["workflow_definition"]["name"], "Quick");
    let (_, page) = s
        .get(&ann, &format!("/workflow-executions?project_id={project}&limit=2"))
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["data"][0]["id"], ids[2].as_str(), "newest first");
    assert_eq!(page["data"][0]["_count"], json!({ "comments": 0, "artifacts": 0 }));
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = s
        .get(
            &ann,
            &format!("/workflow-executions?project_id={project}&limit=2&cursor={cursor}"),
        )
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], serde_json::Value::Null);
    let (_, failed) = s
        .get(
            &ann,
            &format!("/workflow-executions?project_id={project}&status=failed"),
        )
        .await;
    assert_eq!(failed["data"], json!([]));
    let (status, _) = s.get(&ann, "/workflow-executions?status=exploded").await;
    assert_eq!(status, 400);
    let (status, _) = s.get(&ann, "/workflow-executions?limit=0").await;
    assert_eq!(status, 400);
    let (status, body) = s.get(&ann, "/workflow-executions?limit=abc").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_query")),
        "{body}"
    );
    let step_row = steps[0]["id"].as_str().unwrap();
    let (status, step) = s.get(&ann, &format!("/workflow-steps/{step_row}")).await;
    assert_eq!((status, step["data"]["step_id"].as_str()), (200, Some("hello")));
    let (status, log) = s.get(&ann, &format!("/workflow-steps/{step_row}/logs/summary")).await;
    assert_eq!(status, 200);
    assert!(
        log["data"]["content"].as_str().unwrap().contains("Status: completed"),
        "{log}"
    );
    let (status, log) = s.get(&ann, &format!("/workflow-steps/{step_row}/logs/events")).await;
    assert_eq!(status, 200);
    assert!(log["data"]["content"].as_str().unwrap().contains("hello a"), "{log}");
    let (status, _) = s.get(&ann, &format!("/workflow-steps/{step_row}/logs/secrets")).await;
    assert_eq!(status, 400);

    // Another user sees none of it.
    let bob = s.user("bob@example.com", false);
    let (_, list) = s.get(&bob, "/workflow-executions").await;
    assert_eq!(list["data"], json!([]));
    for path in [
        format!("/workflow-executions/{}", ids[0]),
        format!("/workflow-steps/{step_row}"),
        format!("/workflow-steps/{step_row}/logs/output"),
    ] {
        let (status, _) = s.get(&bob, &path).await;
        assert_eq!(status, 404, "{path}");
    }
    for verb in ["pause", "resume", "cancel"] {
        let (status, _) = s
            .post(&bob, &format!("/workflow-executions/{}/{verb}", ids[0]), json!({}))
            .await;
        assert_eq!(status, 404, "{verb}");
    }
    let (status, _) = s
        .post(
            &bob,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "args": { "who": "x" } }),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn pause_resume_and_cancel_follow_the_state_machine() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s.project(&ann, "alpha", &[("slow.yaml", SLOW_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Slow").await;
    let (_, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    s.wait_status(&ann, &id, &["running"]).await;
    // The pause is asked for while the first step is in flight (on a busy machine the run can
    // be `running` a while before its first step starts).
    for _ in 0..400 {
        let (_, run) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
        if run["data"]["steps"].as_array().is_some_and(|steps| !steps.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/pause"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    if body["data"]["status"] == "running" {
        // The step in flight is still running: the run says a pause is on its way.
        let (_, run) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
        assert!(
            run["data"]["pause_requested"] == true || run["data"]["status"] == "paused",
            "{run}"
        );
    }
    let paused = s.wait_status(&ann, &id, &["paused"]).await;
    assert!(paused["paused_at"].is_string());
    assert_eq!(paused["pause_requested"], false);
    assert_eq!(paused["definition_snapshot"]["name"], "Slow", "{paused}");
    assert_eq!(paused["definition_snapshot"]["steps"][1]["id"], "second");
    assert_eq!(
        std::fs::read_to_string(dir.join("side.txt")).unwrap(),
        "first\n",
        "the step in flight finished, the next did not start"
    );
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/pause"), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["current_status"].as_str()),
        (409, Some("paused"))
    );
    let (status, _) = s
        .post(&ann, &format!("/workflow-executions/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, 200);
    s.wait_status(&ann, &id, &["completed"]).await;
    assert_eq!(
        std::fs::read_to_string(dir.join("side.txt")).unwrap(),
        "first\nsecond\n"
    );
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/cancel"), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["current_status"].as_str()),
        (409, Some("completed"))
    );

    let (_, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    s.wait_status(&ann, &id, &["running"]).await;
    let started = std::time::Instant::now();
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/cancel"), json!({}))
        .await;
    assert_eq!(
        (status, body["data"]["status"].as_str()),
        (200, Some("cancelled")),
        "{body}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_millis(900),
        "cancel kills at once"
    );
    let (status, _) = s
        .post(&ann, &format!("/workflow-executions/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_server_restarted_mid_run_resumes_it() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s.project(&ann, "alpha", &[("slow.yaml", SLOW_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Slow").await;
    let (_, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let side = dir.join("side.txt");
    // Kill once the first step is recorded (not merely written its file: a step killed before
    // it is recorded runs again, by design).
    for _ in 0..600 {
        let (_, run) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
        if run["data"]["steps"][0]["status"] == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let sb = s.kill();
    let s = Server::start_in(sb).await;
    let done = s.wait_status(&ann, &id, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        std::fs::read_to_string(&side).unwrap(),
        "first\nsecond\n",
        "the completed step did not run again"
    );
}

/// Each run appends its id to `order.txt`, then holds its slot until `gate` exists.
const GATED_YAML: &str = "name: Gated\nphases: [a]\nargsSchema:\n  type: object\n  properties:\n    n: { type: string }\nsteps:\n  - id: hold\n    phase: a\n    type: script\n    command: echo {{ args.n }} >> order.txt; while [ ! -f gate ]; do sleep 0.05; done\n";

#[tokio::test]
async fn runs_over_the_concurrency_limit_wait_as_pending() {
    let s = Server::start_with(crate::util::Sandbox::new(), &["--max-concurrent-runs", "1"]).await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s.project(&ann, "alpha", &[("gated.yaml", GATED_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Gated").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let (status, body) = s
            .post(
                &ann,
                "/workflow-executions",
                json!({ "project_id": project, "workflow_definition_id": def, "args": { "n": n.to_string() } }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["data"]["id"].as_str().unwrap().to_string());
    }
    // The first run created is the one that gets the only slot, and it holds it.
    s.wait_status(&ann, &ids[0], &["running"]).await;
    let order = dir.join("order.txt");
    crate::util::wait_until(60, "the first run's step to start", || order.exists());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for id in &ids[1..] {
        let (_, run) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
        assert_eq!(run["data"]["status"], "pending", "a later run waits for a slot");
    }
    // A queued run can be cancelled before it starts.
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{}/cancel", ids[2]), json!({}))
        .await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("cancelled")));
    std::fs::write(dir.join("gate"), "").unwrap();
    for i in [0, 1, 3] {
        let done = s.wait_status(&ann, &ids[i], &["completed", "failed"]).await;
        assert_eq!(done["status"], "completed", "{done}");
    }
    let (_, third) = s.get(&ann, &format!("/workflow-executions/{}", ids[2])).await;
    assert_eq!(
        third["data"]["status"], "cancelled",
        "a cancelled queued run never starts"
    );
    assert_eq!(
        std::fs::read_to_string(&order).unwrap(),
        "0\n1\n3\n",
        "runs start in the order they were created, and only one at a time"
    );
}

#[tokio::test]
async fn a_cli_run_can_be_paused_and_cancelled_from_the_api() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (_, dir) = s.project(&ann, "alpha", &[("slow.yaml", SLOW_YAML)]).await;
    let file = dir.join(".agent/workflows/definitions/slow.yaml");
    let child =
        s.sb.cmd(&["run", file.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    let mut id = None;
    for _ in 0..600 {
        let (_, list) = s.get(&ann, "/workflow-executions").await;
        if list["data"][0]["status"] == "running" {
            id = list["data"][0]["id"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let id = id.expect("the CLI run shows up running");
    let (status, _) = s
        .post(&ann, &format!("/workflow-executions/{id}/pause"), json!({}))
        .await;
    assert_eq!(status, 200);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "the CLI stops when the API pauses its run"
    );
    s.wait_status(&ann, &id, &["paused"]).await;
    assert_eq!(std::fs::read_to_string(dir.join("side.txt")).unwrap(), "first\n");
}

/// Reading a definition is not a change to it: an idle server does not read its projects'
/// definitions again and again (inotify reports the scan's own opens and reads; each TypeScript
/// read started a JS worker, about six a second, for as long as the server ran).
#[tokio::test]
async fn an_idle_server_does_not_read_definitions_again_and_again() {
    let ts = "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({ name: \"Idle\", phases: [\"p\"], async execute() {} });\n";
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s
        .project(&ann, "idle", &[("idle.ts", ts), ("q.yaml", QUICK_YAML)])
        .await;
    s.definition_id(&ann, &project, "Idle").await;
    let updated = |body: &serde_json::Value| -> Vec<String> {
        let mut v: Vec<String> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["updated_at"].to_string())
            .collect();
        v.sort();
        v
    };
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, before) = s
        .get(&ann, &format!("/workflow-definitions?project_id={project}"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    let (_, after) = s
        .get(&ann, &format!("/workflow-definitions?project_id={project}"))
        .await;
    assert_eq!(
        updated(&before),
        updated(&after),
        "the definitions were read again while nothing changed"
    );
    // A real change is still picked up.
    std::fs::write(
        dir.join(".agent/workflows/definitions/idle.ts"),
        ts.replace("Idle", "Renamed"),
    )
    .unwrap();
    for _ in 0..100 {
        let (_, defs) = s
            .get(&ann, &format!("/workflow-definitions?project_id={project}"))
            .await;
        if defs["data"].as_array().unwrap().iter().any(|d| d["name"] == "Renamed") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the edited definition was not read again");
}
