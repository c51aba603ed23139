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
    // The definition says whether its runs get a worktree (the new-run form's default).
    let (_, defs) = server
        .get(&token, &format!("/workflow-definitions?project_id={project}"))
        .await;
    let of = |name: &str| {
        defs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()["workspace"]
            .clone()
    };
    assert_eq!(of("Isolated"), json!({"isolation": "worktree"}));
    assert_eq!(of("Plain"), Value::Null);

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

const CRASHY: &str = "name: Crashy\nworkspace:\n  isolation: worktree\n  keep: always\nphases: [p]\nsteps:\n  - id: one\n    phase: p\n    type: script\n    command: echo one > one.txt\n  - id: two\n    phase: p\n    type: script\n    command: 'touch two.started; until [ -f \"$WORKFLOW_REPO_PATH/go\" ]; do sleep 0.1; done; echo two > two.txt'\n";

#[tokio::test]
async fn a_server_killed_mid_step_resumes_the_run_in_the_same_worktree_after_a_restart() {
    let server = Server::start().await;
    let token = server.user("wscrash@example.com", true);
    let (project, dir) = server.project(&token, "repo", &[("crashy.yaml", CRASHY)]).await;
    git_repo(&dir);
    let def = server.definition_id(&token, &project, "Crashy").await;
    let id = server.start_run(&token, &project, &def, json!({})).await;
    let run = server
        .wait_run(&token, &id, "made its worktree", |r| {
            r["workspace"]["state"] == "active"
        })
        .await;
    let path = std::path::PathBuf::from(run["workspace"]["path"].as_str().unwrap());
    crate::util::wait_until(30, "step two to start", || path.join("two.started").exists());
    // SIGKILL: the run is left running, its worktree on disk.
    let sb = server.kill();
    std::fs::write(dir.join("go"), "").unwrap();
    let server = Server::start_in(sb).await;
    let run = server.wait_status(&token, &id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["workspace"]["path"].as_str(), path.to_str());
    assert_eq!(run["workspace"]["state"], "kept");
    assert!(path.join("one.txt").exists() && path.join("two.txt").exists());
    assert_eq!(run_step(&run, "one")["attempt"], 1, "step one is not run again");
    assert_eq!(
        git(&dir, &["worktree", "list"]).lines().count(),
        2,
        "one worktree for the run"
    );
}

const BLOCKER: &str =
    "name: Blocker\nphases: [p]\nsteps:\n  - id: hold\n    phase: p\n    type: script\n    command: sleep 60\n";

#[tokio::test]
async fn a_run_cancelled_before_it_started_says_its_worktree_was_never_made() {
    let server = Server::start_with(crate::util::Sandbox::new(), &["--max-concurrent-runs", "1"]).await;
    let token = server.user("wsq@example.com", true);
    let (project, dir) = server
        .project(
            &token,
            "repo",
            &[("blocker.yaml", BLOCKER), ("isolated.yaml", ISOLATED)],
        )
        .await;
    git_repo(&dir);
    let blocker = server.definition_id(&token, &project, "Blocker").await;
    let blocker = server.start_run(&token, &project, &blocker, json!({})).await;
    server.wait_status(&token, &blocker, &["running"]).await;
    let isolated = server.definition_id(&token, &project, "Isolated").await;
    let queued = server.start_run(&token, &project, &isolated, json!({})).await;
    let run = server.wait_status(&token, &queued, &["pending"]).await;
    assert_eq!(run["workspace"]["state"], "creating", "{run}");
    let (status, body) = server
        .post(&token, &format!("/workflow-executions/{queued}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let run = server.wait_status(&token, &queued, &["cancelled"]).await;
    assert_eq!(run["workspace"]["state"], "failed", "{run}");
    assert_eq!(
        run["workspace"]["error"],
        "the run was cancelled before its worktree was made"
    );
    assert!(!std::path::Path::new(run["workspace"]["path"].as_str().unwrap()).exists());
    server
        .post(&token, &format!("/workflow-executions/{blocker}/cancel"), json!({}))
        .await;
}
