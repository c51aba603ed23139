//! A run's git worktree through the API: the `workspace` of `POST /api/workflow-executions`
//! (merged over the definition's, its errors naming the field), `Run.workspace` on a run and
//! in lists, and a rerun keeping its parent's settings.

use serde_json::{json, Value};

use crate::server_util::*;
use crate::workspaces::{git, git_repo};

const PLAIN: &str = "name: Plain\nphases: [p]\nsteps:\n  - id: edit\n    phase: p\n    type: script\n    command: echo api >> file.txt\n";
const ISOLATED: &str = "name: Isolated\nworkspace:\n  isolation: worktree\nphases: [p]\nsteps:\n  - id: edit\n    phase: p\n    type: script\n    command: echo api >> file.txt\n";

async fn create(server: &Server, token: &str, project: &str, def: &str, workspace: Value) -> (u16, Value) {
    server
        .post(
            token,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "workspace": workspace }),
        )
        .await
}

#[tokio::test]
async fn the_api_gives_a_run_a_worktree_shows_it_and_a_rerun_keeps_its_settings() {
    let server = Server::start().await;
    let token = server.user("ws@example.com", true);
    let (project, dir) = server
        .project(&token, "repo", &[("plain.yaml", PLAIN), ("isolated.yaml", ISOLATED)])
        .await;
    git_repo(&dir);
    let plain = server.definition_id(&token, &project, "Plain").await;
    let isolated = server.definition_id(&token, &project, "Isolated").await;

    let (status, body) = create(
        &server,
        &token,
        &project,
        &plain,
        json!({"isolation": "worktree", "keep": "always"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let ws = &body["data"]["workspace"];
    assert_eq!(
        (ws["isolation"].as_str(), ws["keep"].as_str()),
        (Some("worktree"), Some("always")),
        "{body}"
    );
    assert!(ws["branch"].as_str().unwrap().starts_with("wf/plain-"), "{ws}");
    let run = server.wait_status(&token, &id, &["completed"]).await;
    let ws = &run["workspace"];
    assert_eq!(ws["state"], "kept", "{run}");
    let path = std::path::PathBuf::from(ws["path"].as_str().unwrap());
    assert_eq!(
        std::fs::read_to_string(path.join("file.txt")).unwrap(),
        "original\napi\n"
    );
    assert_eq!(std::fs::read_to_string(dir.join("file.txt")).unwrap(), "original\n");
    assert_eq!(ws["base_commit"], git(&dir, &["rev-parse", "HEAD"]));
    // In the list too.
    let (_, list) = server
        .get(&token, &format!("/workflow-executions?project_id={project}"))
        .await;
    let listed = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap();
    assert_eq!(listed["workspace"]["path"], ws["path"]);

    // A rerun keeps the parent's settings (keep: always), on a branch of its own.
    let (status, body) = server
        .post(&token, &format!("/workflow-executions/{id}/rerun"), json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    let rerun = body["data"]["id"].as_str().unwrap().to_string();
    let again = server.wait_status(&token, &rerun, &["completed"]).await;
    let rws = &again["workspace"];
    assert_eq!(
        (rws["state"].as_str(), rws["keep"].as_str()),
        (Some("kept"), Some("always")),
        "{again}"
    );
    assert_ne!(rws["branch"], ws["branch"]);
    assert_ne!(rws["path"], ws["path"]);

    // The definition's worktree turned off for one run; a run without one shows null.
    let (status, body) = create(&server, &token, &project, &isolated, json!({"isolation": "none"})).await;
    assert_eq!(status, 201, "{body}");
    let off = body["data"]["id"].as_str().unwrap().to_string();
    let run = server.wait_status(&token, &off, &["completed"]).await;
    assert_eq!(run["workspace"], Value::Null);
    assert_eq!(
        std::fs::read_to_string(dir.join("file.txt")).unwrap(),
        "original\napi\n"
    );
    // The definition's own: on-failure, removed when it completes.
    let (_, body) = create(&server, &token, &project, &isolated, Value::Null).await;
    let on = body["data"]["id"].as_str().unwrap().to_string();
    let run = server.wait_status(&token, &on, &["completed"]).await;
    assert_eq!(
        (run["workspace"]["state"].as_str(), run["workspace"]["keep"].as_str()),
        (Some("removed"), Some("on-failure"))
    );
}

#[tokio::test]
async fn a_bad_workspace_body_is_a_400_naming_the_field() {
    let server = Server::start().await;
    let token = server.user("wsbad@example.com", true);
    let (project, dir) = server.project(&token, "repo", &[("plain.yaml", PLAIN)]).await;
    git_repo(&dir);
    let def = server.definition_id(&token, &project, "Plain").await;
    let cases = [
        (
            json!({"keep": "sometimes"}),
            "workspace.keep: must be one of \"always\", \"on-failure\", \"never\"",
        ),
        (json!({"isolation": "docker"}), "workspace.isolation: must be one of"),
        (
            json!({"branch": "wf/{{ args.x }}"}),
            "workspace.branch: 'wf/{{ args.x }}': unknown placeholder 'args.x'",
        ),
        (
            json!({"isolation": "worktree", "branch": "wf/a..b"}),
            "workspace.branch: 'wf/a..b' is not a valid git branch name",
        ),
        (json!({"base": ""}), "workspace.base:"),
        (json!({"folder": "x"}), "workspace: unknown key 'folder'"),
        (json!("worktree"), "workspace: must be an object"),
    ];
    for (body, message) in cases {
        let (status, answer) = create(&server, &token, &project, &def, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_body", "{answer}");
        let text = answer["error"]["message"].as_str().unwrap();
        assert!(text.starts_with(message), "{body}: {text}");
    }
    let (_, list) = server
        .get(&token, &format!("/workflow-executions?project_id={project}"))
        .await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        0,
        "nothing was recorded: {list}"
    );
}
